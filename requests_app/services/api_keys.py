"""Making, finding and revoking the API keys integrations call with.

A key is ``dsar_<prefix>_<secret>``: the prefix (8 characters) names it in lists and on the
audit trail, the secret is 32 random bytes. Only the SHA-256 of the whole key is stored, so
the key is shown once, when made, and a database dump holds nothing that calls the API.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.models import ApiKey, ApiScope, IdempotentCreate
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from collections.abc import Iterable

KEY_START = "dsar_"
NAME_MAX = 100
MAX_DAYS = 3 * 365
# last_used_at is written at most this often per key: a busy key does not write on every call.
TOUCH_INTERVAL = timedelta(minutes=1)
# How long the API keeps a create's answer for a retry with the same Idempotency-Key.
IDEMPOTENCY_KEEP = timedelta(days=1)


def api_key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def scopes_checked(scopes: Iterable[str]) -> list[str]:
    """The scopes, de-duplicated in the order of ``ApiScope``; unknown ones are refused by name."""
    given = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(given - set(ApiScope.values))
    if unknown:
        raise GuardFailed(f"Unknown scope {', '.join(unknown)}; the scopes are {', '.join(ApiScope.values)}")
    if not given:
        raise GuardFailed("A key needs at least one scope")
    return [scope for scope in ApiScope.values if scope in given]


def api_key_create(
    *, name: str, scopes: Iterable[str], days: int, actor: Actor, created_by: Any | None = None
) -> tuple[ApiKey, str]:
    """Make a key valid for ``days``; return it and the key itself (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise GuardFailed(f"A key needs a name of 1 to {NAME_MAX} characters")
    if not 1 <= days <= MAX_DAYS:
        raise GuardFailed(f"A key lasts 1 to {MAX_DAYS} days")
    checked = scopes_checked(scopes)
    prefix = secrets.token_hex(4)
    raw = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            key_hash=api_key_hash(raw),
            scopes=checked,
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_append(
            actor=actor,
            action="api_key.created",
            data={"key": prefix, "name": name, "scopes": checked, "expires_at": key.expires_at},
        )
    return key, raw


def api_key_revoke(*, key: ApiKey, actor: Actor, revoked_by: Any | None = None) -> ApiKey:
    """Revoke a key at once; a key already revoked stays as it was."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=revoked_by
        )
        if revoked != 1:
            raise GuardFailed(f"The key {key.prefix} is already revoked")
        audit_append(actor=actor, action="api_key.revoked", data={"key": key.prefix, "name": key.name})
    key.refresh_from_db()
    return key


def api_key_find(raw: str) -> ApiKey | None:
    """The key ``raw`` is, whatever its state (the caller decides what a revoked key gets)."""
    if not raw.startswith(KEY_START) or len(raw) > 200:
        return None
    return ApiKey.objects.filter(key_hash=api_key_hash(raw)).first()


def api_key_touch(key: ApiKey, now: datetime) -> None:
    """Record that the key was used, at most once per ``TOUCH_INTERVAL``."""
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_INTERVAL:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def idempotent_creates_purge(now: datetime | None = None) -> int:
    """Forget the answers kept for Idempotency-Key retries after ``IDEMPOTENCY_KEEP``."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEEP
    deleted, _ = IdempotentCreate.objects.filter(created_at__lt=cutoff).delete()
    return deleted
