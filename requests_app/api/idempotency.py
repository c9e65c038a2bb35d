"""``Idempotency-Key`` on create: a retried call gets the first answer and creates nothing.

The key's row is inserted first, in the transaction that creates the request. Of two calls
with the same key at the same moment, the second one's insert waits on the unique
constraint until the first commits, then fails; it then reads the first one's answer. If
the first rolls back, its row goes with it and the second goes ahead. The database decides;
no check-then-insert. The same key with a different body is refused, not answered. The
sweeper forgets answers after a day (``services.api_keys.idempotent_creates_purge``).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from requests_app.errors import ApplicationError
from requests_app.models import IdempotentCreate

if TYPE_CHECKING:
    from collections.abc import Callable

    from requests_app.models import ApiKey, DataSubjectRequest

KEY_MAX = 255


class IdempotencyMismatch(ApplicationError):
    """The key was used before with a different body."""


class IdempotencyKeyInvalid(ApplicationError):
    """The header's value is not a usable key."""


def body_digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def key_checked(value: str) -> str:
    if not value or len(value) > KEY_MAX or not value.isprintable():
        raise IdempotencyKeyInvalid(f"Idempotency-Key must be 1 to {KEY_MAX} printable characters")
    return value


def create_once(
    *,
    key: str,
    body: Any,
    api_key: ApiKey | None,
    user: Any | None,
    create: Callable[[], DataSubjectRequest],
) -> tuple[DataSubjectRequest, bool]:
    """The request made under ``key`` by this caller, and whether this call made it."""
    digest = body_digest(body)
    owner: dict[str, Any] = {"api_key": api_key} if api_key is not None else {"user": user}
    try:
        with transaction.atomic():
            record = IdempotentCreate.objects.create(key=key, body_sha256=digest, **owner)
            request = create()
            record.request = request
            record.status = 201
            record.save(update_fields=["request", "status"])
    except IntegrityError:
        first = IdempotentCreate.objects.select_related("request").filter(key=key, **owner).first()
        if first is None:  # not a clash on the key: some other constraint
            raise
        if first.body_sha256 != digest:
            raise IdempotencyMismatch(
                "This Idempotency-Key was used with a different body: use a new key for a new request"
            ) from None
        if first.request is None:
            raise
        return first.request, False
    return request, True
