"""Record retention by minimisation: a closed request keeps its record, not its subject.

The CCPA regulations (11 CCR § 7101(a)) have a business keep records of consumer requests,
and of how it answered them, for at least 24 months; § 7101(e) says it need not keep
personal information only to answer a request, and storage limitation (GDPR Art. 5(1)(e))
asks for it to go once it is no longer needed. So ``DSAR_REQUEST_RETENTION_DAYS`` (730 by default) after a request
closed, everything that names or describes its subject is replaced by a keyed hash (who
asked, so staff can still answer "did this address ask?") or deleted (emails' text, files,
the key that seals its audit text), and what the record and the metrics need stays: type,
channel, law, states and their times, due dates, store outcomes and counts, bundle digests.

Each request is minimised in its own transaction, claimed by a conditional update so two
runs at once never both work on it, with its audit event; files go after the commit.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app.models import (
    TERMINAL_STATES,
    AuditEvent,
    Bundle,
    DataSubjectRequest,
    EmailAttachment,
    EmailMessage,
    RequestAttachment,
    RequestSealKey,
    StoreTask,
    VerificationChallenge,
    counts_without_personal,
)
from requests_app.verification.identity_hash import identity_hash, is_identity_hash
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from django.core.files.storage import Storage
    from django.db.models import QuerySet
    from django.db.models.fields.files import FieldFile

ACTOR = Actor.system("retention")
BATCH_SIZE = 100

# The request's own fields that name or describe the subject, and the kind each is hashed as.
_REQUEST_TEXT_FIELDS = {
    "subject_email": "email",
    "subject_name": "name",
    "agent_email": "email",
    "agent_name": "name",
    "details": "text",
    "verification_note": "text",
    "extension_reason": "text",
    "completion_note": "text",
}


@dataclass
class Minimisation:
    """What minimising one request removed (or, in a dry run, would remove), by kind and count."""

    reference: str
    removed: Counter[str] = field(default_factory=Counter)
    # What could not be removed, and why it stays: events written before sealing existed.
    kept: Counter[str] = field(default_factory=Counter)
    files: list[tuple[Storage, str]] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.removed.items()) if count)
        line = f"{self.reference}: {kinds or 'nothing left to remove'}"
        if self.kept:
            line += "; kept " + ", ".join(f"{kind} {count}" for kind, count in sorted(self.kept.items()))
        return line


def retention_cutoff(now: datetime) -> datetime:
    """Requests closed at or before this moment have passed their retention period."""
    return now - timedelta(days=settings.DSAR_REQUEST_RETENTION_DAYS)


def requests_due_for_minimisation(now: datetime) -> QuerySet[DataSubjectRequest]:
    """Closed requests past the retention period whose personal data is still there."""
    return DataSubjectRequest.objects.filter(
        state__in=TERMINAL_STATES, closed_at__lte=retention_cutoff(now), minimised_at__isnull=True
    )


def requests_minimise(
    *, now: datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> list[Minimisation]:
    """Minimise every request past its retention period, a batch of ids at a time."""
    now = now or timezone.now()
    done: list[Minimisation] = []
    last_pk = 0
    while True:
        batch = list(
            requests_due_for_minimisation(now)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return done
        for pk in batch:
            result = request_minimise(request_pk=pk, now=now, dry_run=dry_run)
            if result is not None:
                done.append(result)
        last_pk = batch[-1]


def request_minimise(*, request_pk: int, now: datetime | None = None, dry_run: bool = False) -> Minimisation | None:
    """Remove one closed request's personal data; None if it is not due (or another run took it).

    A dry run counts what would go and changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = requests_due_for_minimisation(now).filter(pk=request_pk)
        if dry_run:
            request = due.first()
        else:
            # The claim: of two runs at once, the second waits for the first's row lock, then
            # finds minimised_at set and updates nothing.
            if due.update(minimised_at=now, updated_at=now) != 1:
                return None
            request = DataSubjectRequest.objects.select_for_update().get(pk=request_pk)
        if request is None:
            return None
        result = Minimisation(reference=request.reference)
        _minimise_request_row(request, result, apply=not dry_run)
        _minimise_emails(request, result, apply=not dry_run)
        _minimise_challenges(request, result, apply=not dry_run)
        _minimise_store_tasks(request, result, apply=not dry_run)
        _minimise_bundles(request, result, now=now, apply=not dry_run)
        _unseal_audit_text(request, result, apply=not dry_run)
        if dry_run:
            return result
        audit_append(
            request=request,
            actor=ACTOR,
            action="request.minimised",
            data={
                "removed": dict(sorted(result.removed.items())),
                "kept": dict(sorted(result.kept.items())),
                "retention_days": settings.DSAR_REQUEST_RETENTION_DAYS,
                "closed_at": request.closed_at,
            },
        )
        # The files hold what the rows described: they go once the rows' change is committed,
        # so a rollback never leaves a row pointing at a file that is gone.
        transaction.on_commit(functools.partial(_delete_files, list(result.files)))
    return result


def _hashed(value: Any, kind: str) -> Any:
    """Every text or number inside ``value`` (dicts and lists kept in shape) as a keyed hash."""
    if isinstance(value, dict):
        return {key: _hashed(item, kind) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_hashed(item, kind) for item in value]
    if value is None or isinstance(value, bool) or value == "" or is_identity_hash(value):
        return value
    return identity_hash(kind, str(value))


def _leaves(value: Any) -> int:
    """How many values ``_hashed`` would change."""
    if isinstance(value, dict):
        return sum(_leaves(item) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(_leaves(item) for item in value)
    return int(not (value is None or isinstance(value, bool) or value == "" or is_identity_hash(value)))


def _take_file(file: FieldFile, result: Minimisation, kind: str) -> bool:
    if not file.name:
        return False
    result.files.append((file.storage, file.name))
    result.removed[kind] += 1
    return True


def _minimise_request_row(request: DataSubjectRequest, result: Minimisation, *, apply: bool) -> None:
    changed: dict[str, Any] = {}
    for name, kind in _REQUEST_TEXT_FIELDS.items():
        value = getattr(request, name)
        if value and not is_identity_hash(value):
            changed[name] = identity_hash(kind, value)
    result.removed["request_fields"] += len(changed)
    for name, kind in (("subject_identifiers", "identifier"), ("corrections", "text")):
        if count := _leaves(getattr(request, name)):
            changed[name] = _hashed(getattr(request, name), kind)
            result.removed[f"{name}_values"] += count
    signals = [
        {**signal, "detail": _hashed(signal.get("detail", ""), "text")} if isinstance(signal, dict) else signal
        for signal in request.fraud_signals
    ]
    if signals != request.fraud_signals:
        changed["fraud_signals"] = signals
        result.removed["fraud_signal_details"] += sum(
            a != b for a, b in zip(signals, request.fraud_signals, strict=True)
        )
    if _take_file(request.agent_authorisation, result, "agent_authorisation_files"):
        changed["agent_authorisation"] = ""
    if apply and changed:
        DataSubjectRequest.objects.filter(pk=request.pk).update(**changed)
    # The files staff received with it (a scanned letter): gone; size and digest stay.
    attachments = RequestAttachment.objects.filter(request=request).exclude(file="").order_by("pk")
    for attachment in attachments:
        _take_file(attachment.file, result, "request_attachments")
    if apply:
        attachments.update(file="", filename="", content_type="")


def _minimise_emails(request: DataSubjectRequest, result: Minimisation, *, apply: bool) -> None:
    for message in EmailMessage.objects.filter(request=request).order_by("pk"):
        result.removed["emails"] += 1
        _take_file(message.raw, result, "email_files")
        for attachment in EmailAttachment.objects.filter(email=message).order_by("pk"):
            _take_file(attachment.file, result, "email_attachments")
        if not apply:
            continue
        EmailAttachment.objects.filter(email=message).delete()
        # What the message said and who it was between: gone, or kept as keyed hashes. Its
        # Message-ID, digest, kind, status and times stay, for the record and the threading.
        EmailMessage.objects.filter(pk=message.pk).update(
            subject="",
            from_address=_hashed(message.from_address, "email"),
            to_addresses=_hashed(message.to_addresses, "email"),
            reply_to=_hashed(message.reply_to, "email"),
            body_text="",
            body_html="",
            raw="",
            error="",
            auth_results={},
            defects=[],
            triage_reason="",
        )


def _minimise_challenges(request: DataSubjectRequest, result: Minimisation, *, apply: bool) -> None:
    for challenge in VerificationChallenge.objects.filter(request=request).order_by("pk"):
        if not challenge.email or is_identity_hash(challenge.email):
            continue
        result.removed["verification_addresses"] += 1
        if apply:
            VerificationChallenge.objects.filter(pk=challenge.pk).update(email=identity_hash("email", challenge.email))


def _minimise_store_tasks(request: DataSubjectRequest, result: Minimisation, *, apply: bool) -> None:
    for task in StoreTask.objects.filter(request=request).order_by("pk"):
        changed: dict[str, Any] = {}
        for name in ("searched_with", "identifiers"):
            if count := _leaves(getattr(task, name)):
                changed[name] = _hashed(getattr(task, name), "identifier")
                result.removed["store_task_identifiers"] += count
        if task.note and not is_identity_hash(task.note):
            changed["note"] = identity_hash("text", task.note)
        # A failed connector's error and a manual step's instructions may quote the subject;
        # a checkpoint may hold the last key erased.
        changed.update({name: "" for name in ("error", "instructions", "attachment_name") if getattr(task, name)})
        if task.checkpoint:
            changed["checkpoint"] = {}
        # The counts stay (the record and the metrics read them), without a manual step's
        # instructions or a correction's old values.
        if (counts := counts_without_personal(task.counts)) != task.counts:
            changed["counts"] = counts
        if _take_file(task.attachment, result, "evidence_files"):
            changed["attachment"] = ""
        if changed:
            result.removed["store_tasks"] += 1
        if apply and changed:
            StoreTask.objects.filter(pk=task.pk).update(**changed)


def _minimise_bundles(request: DataSubjectRequest, result: Minimisation, *, now: datetime, apply: bool) -> None:
    """Files still in storage go; the row (kind, size, sha256, downloads) stays as the record."""
    for bundle in Bundle.objects.filter(request=request, purged_at__isnull=True).order_by("pk"):
        _take_file(bundle.file, result, "bundle_files")
        if apply:
            Bundle.objects.filter(pk=bundle.pk).update(purged_at=now)


def _unseal_audit_text(request: DataSubjectRequest, result: Minimisation, *, apply: bool) -> None:
    """Delete the key that seals the request's audit text: the ciphertext stays, unreadable.

    Events written before sealing existed keep their reason in plain text (the chain forbids
    changing them); the event says how many, so nobody believes them gone.
    """
    events = AuditEvent.objects.filter(request=request)
    if RequestSealKey.objects.filter(request=request).exists():
        result.removed["audit_texts"] += events.exclude(sealed="").count()
        if apply:
            RequestSealKey.objects.filter(request=request).delete()
    if kept := events.filter(sealed="").exclude(reason="").count():
        result.kept["audit_texts_in_plain_text"] = kept


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        storage.delete(name)
