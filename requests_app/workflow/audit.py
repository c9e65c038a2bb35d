"""The tamper-evident audit trail: append events to the hash chain, and verify it.

Each event's hash is ``sha256(prev_hash + canonical_json(event))``. The canonical form is
JSON with sorted keys and no spaces over the stored values, so anyone holding a database
dump can recompute the chain with a few lines of code and no knowledge of Django.

An event about a request keeps its free text (``reason``) and any personal data the caller
passes as ``personal`` sealed: AES-256-GCM under the request's own random key
(``RequestSealKey``), in ``sealed``. The hash covers the ciphertext, not the text, so when
the request is minimised under the retention rule its key row is deleted, the text can no
longer be read by anyone, and the chain still verifies. Read events through ``audit_open``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from requests_app.errors import AuditChainBroken, GuardFailed
from requests_app.models import AuditChainHead, AuditEvent, DataSubjectRequest, RequestSealKey

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.models import AbstractBaseUser

    from requests_app.models import ApiKey

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff member, the data subject, or a part of the system."""

    label: str
    user: AbstractBaseUser | None = None

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> Actor:
        return cls(label=f"staff:{user.get_username()}", user=user)

    @classmethod
    def api_key(cls, key: ApiKey) -> Actor:
        """A call made with an API key: the key (by its prefix and name), not a person."""
        return cls(label=f"api_key:{key.prefix} {key.name}"[:200])

    @classmethod
    def subject(cls) -> Actor:
        return cls(label="subject")

    @classmethod
    def system(cls, part: str) -> Actor:
        return cls(label=f"system:{part}")


def _canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_content(event: AuditEvent) -> bytes:
    """The bytes that the event's hash covers (everything but the hashes themselves)."""
    content = {
        "seq": event.seq,
        "request_id": event.request_id,
        "created_at": _canonical_time(event.created_at),
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "data": event.data,
    }
    # Only when set: every event written before sealing existed keeps the hash it has.
    if event.sealed:
        content["sealed"] = event.sealed
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_content(event)).hexdigest()


def _json_safe(data: dict[str, Any] | None) -> dict[str, Any]:
    """Turn dates and decimals into the JSON the database will hand back, before hashing."""
    result: dict[str, Any] = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    return result


def audit_append(
    *,
    actor: Actor,
    action: str,
    request: DataSubjectRequest | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    personal: dict[str, Any] | None = None,
    request_locked: bool = False,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    The chain head row is locked for the rest of the transaction, so concurrent appends
    queue up instead of forking the chain; the unique ``seq`` would reject a fork anyway.
    ``data`` is kept as given; ``reason`` and ``personal`` (values that name or describe the
    subject) are sealed under the request's key when there is a request.

    ``request_locked`` says the caller's transaction already holds the request's row lock
    (``select_for_update``, or it created the row) and that ``request`` was read under it,
    so its ``minimised_at`` is current: the row is not locked and read a second time.
    """
    # No savepoint: the event belongs to the caller's transaction and fails with it.
    with transaction.atomic(savepoint=False):
        minimised = False
        if request is not None and request_locked:
            minimised = request.minimised_at is not None
        elif request is not None:
            # One lock order for everyone: the request's row, then the chain head. The event's
            # foreign key would otherwise take a share lock on the request row while this
            # transaction holds the head, and one that holds the row (a worker finishing a
            # store task) and waits for the head would wait for each other for ever.
            minimised = _lock_request_row(request.pk)
        if request is None and personal:
            raise GuardFailed("Personal data in the audit trail belongs to a request")
        if request is not None and (reason or personal) and minimised:
            # Its key is gone on purpose, and a new one would keep text the retention rule
            # removed. The services refuse staff text on such a request; what still comes
            # (a refusal's explanation) is recorded without its text, and says so.
            reason, personal, data = "", None, {**(data or {}), "text_removed": "retention"}
        sealed_text = _seal_for(request, reason=reason, personal=personal)
        head = _lock_head()
        event = AuditEvent(
            seq=head.seq + 1,
            request=request,
            created_at=timezone.now(),
            actor=actor.label,
            actor_user_id=actor.user.pk if actor.user is not None else None,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason="" if request is not None else reason,
            data=_json_safe(data),
            prev_hash=head.hash,
        )
        if sealed_text is not None:
            event.sealed = sealed_text(event.seq)
        event.hash = chain_hash(head.hash, event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(seq=event.seq, hash=event.hash)
    return event


SEAL_PREFIX = "v1:"
REMOVED_TEXT = "removed under the retention rule"


def _aad(request_id: int, seq: int) -> bytes:
    """Bind a ciphertext to its event: moved to another event or request, it fails to open."""
    return f"dsar-audit-seal:{request_id}:{seq}".encode("ascii")


def _lock_request_row(request_pk: int) -> bool:
    """Lock the request's row for the rest of the transaction; return whether it is minimised."""
    row = DataSubjectRequest.objects.select_for_update().filter(pk=request_pk).values_list("minimised_at").first()
    return row is not None and row[0] is not None


def _seal_for(
    request: DataSubjectRequest | None, *, reason: str, personal: dict[str, Any] | None
) -> Callable[[int], str] | None:
    """A function of the event's seq giving its sealed text, or None when nothing is sealed.

    The caller holds the request's row lock, so creating the key here cannot race: it is
    read, and made when there is none, with no savepoint around the insert.
    """
    if request is None or not (reason or personal):
        return None
    key_row = RequestSealKey.objects.filter(request_id=request.pk).first()
    if key_row is None:
        key_row = RequestSealKey.objects.create(request_id=request.pk, key=os.urandom(32))
    plain = json.dumps({"reason": reason, "personal": _json_safe(personal)}, sort_keys=True, ensure_ascii=False).encode(
        "utf-8"
    )
    key = bytes(key_row.key)

    def seal(seq: int) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plain, _aad(request.pk, seq))
        return SEAL_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    return seal


@dataclass(frozen=True)
class OpenedEvent:
    """An event's text as a reader may show it: the reason, its personal data, or that both were removed."""

    reason: str
    personal: dict[str, Any] = field(default_factory=dict)
    removed: bool = False

    @property
    def text(self) -> str:
        return REMOVED_TEXT if self.removed else self.reason


def audit_seal_keys(request_ids: Iterable[int]) -> dict[int, bytes]:
    """The seal keys of these requests (those not minimised), for ``audit_open`` over many events."""
    rows = RequestSealKey.objects.filter(request_id__in=set(request_ids)).values_list("request_id", "key")
    return {request_id: bytes(key) for request_id, key in rows}


def audit_open(event: AuditEvent, keys: dict[int, bytes] | None = None) -> OpenedEvent:
    """The one way to read an event's reason and personal data, sealed or not.

    ``keys`` (from ``audit_seal_keys``) saves a query per event; without it the key is read.
    """
    if not event.sealed:
        return OpenedEvent(reason=event.reason)
    if event.request_id is None:
        return OpenedEvent(reason="", removed=True)
    if keys is None:
        keys = audit_seal_keys([event.request_id])
    key = keys.get(event.request_id)
    if key is None:
        return OpenedEvent(reason="", removed=True)
    try:
        raw = base64.b64decode(event.sealed.removeprefix(SEAL_PREFIX), validate=True)
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(event.request_id, event.seq))
    except (binascii.Error, ValueError, InvalidTag):
        # verify_audit reports a changed event; a reader shows nothing rather than failing.
        return OpenedEvent(reason="", removed=True)
    content = json.loads(plain)
    return OpenedEvent(reason=str(content.get("reason", "")), personal=dict(content.get("personal") or {}))


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # The first append creates the head; the primary key makes two first appends queue up
    # (the second insert waits for the first to commit, then finds the row).
    _, created = AuditChainHead.objects.get_or_create(pk=1, defaults={"hash": GENESIS_HASH})
    if created and AuditEvent.objects.exists():
        # Events without a head: the head row was removed. Refuse to write rather than
        # start a second chain that would hide what happened.
        raise AuditChainBroken("The audit chain head is missing while events exist; run verify_audit")
    return AuditChainHead.objects.select_for_update().get(pk=1)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    problem: str = ""
    broken_seq: int | None = None


def audit_verify(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Walk the whole chain in order and report the first event that does not verify."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(
                ok=False,
                events=count,
                problem=f"event #{expected_seq} is missing (found #{event.seq})",
                broken_seq=expected_seq,
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                ok=False,
                events=count,
                problem=f"event #{event.seq} does not link to the event before it",
                broken_seq=event.seq,
            )
        if chain_hash(prev_hash, event) != event.hash:
            return ChainReport(
                ok=False,
                events=count,
                problem=f"event #{event.seq} was changed after it was written",
                broken_seq=event.seq,
            )
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
    return _check_head(count, prev_hash)


def _check_head(count: int, last_hash: str) -> ChainReport:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if count == 0:
            return ChainReport(ok=True, events=0)
        return ChainReport(ok=False, events=count, problem="the chain head is missing", broken_seq=count)
    if head.seq != count or head.hash != last_hash:
        problem = f"the chain head says #{head.seq} but the last event is #{count}: events were removed"
        return ChainReport(ok=False, events=count, problem=problem, broken_seq=count)
    return ChainReport(ok=True, events=count)
