"""The Redis transport of kombu, with one fix: a worker survives the broker restarting.

With kombu 5.7.0 and redis-py 8.1.0, a worker that loses its Redis connection while it
holds unacknowledged messages (``acks_late``, as here) closes its channel, which tries to
put those messages back on a fresh connection; the kombu connection is already gone, so
``_connparams`` fails with ``AttributeError: 'NoneType' object has no attribute
'hostname'``, which is not a connection error, so the worker's cleanup does not ignore it
and the worker exits ("Unrecoverable error"). Here that case raises redis-py's
``ConnectionError`` instead: the cleanup ignores it, the worker reconnects, and the
messages come back after the visibility timeout (or, if Redis lost them, the sweeper sends
the work again from the database). ``tests/reliability/`` restarts a real Redis under a
live worker to check it.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis import exceptions


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:  # noqa: FBT001, FBT002 - kombu's signature
        if self.connection is None or getattr(self.connection, "client", None) is None:
            raise exceptions.ConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class Transport(kombu_redis.Transport):
    Channel = Channel
