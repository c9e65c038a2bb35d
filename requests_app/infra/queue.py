"""Handing work to Celery once the transaction that recorded it has committed.

The database row is the truth and the broker message only a hint (a transactional outbox):
an email is an ``EmailMessage`` row in ``queued``, a store task a ``StoreTask`` row, a stored
inbound email a row in ``received``. If the broker is down when the transaction commits,
the message is not sent, the caller is not failed (the person who submitted the form gets
their normal answer), and ``sweep`` finds the row later and sends the message again. Tasks
claim their row with a conditional update, so a message sent twice does the work once.

Tasks are named, not imported: nothing but the Celery wiring imports ``tasks``, so the
services never import the module that imports them.
"""

from __future__ import annotations

import functools
import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SEND_EMAIL = "requests_app.tasks.send_email_message"
ADVANCE_REQUEST = "requests_app.tasks.advance_request"
RUN_STORE_TASK = "requests_app.tasks.run_store_task"
FULFIL_REQUEST = "requests_app.tasks.fulfil_request"
PROCESS_INBOUND_EMAIL = "requests_app.tasks.process_inbound_email"
CHECK_SECOND_FACTOR = "requests_app.tasks.check_second_factor"
DISPATCH_EVENT = "requests_app.tasks.dispatch_request_event"
SEND_DRP_CALLBACK = "requests_app.tasks.send_drp_callback"
DELIVER_WEBHOOK = "requests_app.tasks.deliver_webhook"

# What a broker that is down or restarting raises when a message is published to it.
BROKER_ERRORS = (KombuError, RedisError, OSError)


def enqueue_now(task_name: str, *args: object) -> bool:
    """Send ``task_name(*args)`` to the workers; False (and a warning) if the broker refused it.

    Only for work whose row is already committed: the sweeper sends it again if this fails.
    """
    try:
        current_app.send_task(task_name, args=args)
    except BROKER_ERRORS as error:
        logger.warning("broker unavailable (%s): %s%r left for the sweeper", type(error).__name__, task_name, args)
        return False
    return True


def enqueue_on_commit(task_name: str, *args: object) -> None:
    """Send ``task_name(*args)`` once the current transaction commits (never inside it).

    Dispatching inside an open transaction lets a worker run before the row it needs is
    visible; after commit, the row is there, and the message is only a nudge to look at it.
    """
    transaction.on_commit(functools.partial(enqueue_now, task_name, *args))
