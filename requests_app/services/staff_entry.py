"""Requests the privacy team enters: a phone call, a letter or a visit, written down by staff.

The staff page and ``manage.py request_create`` both call :func:`request_enter`. The request
counts from the day it was received (a letter's date, not the day it was typed in), and goes
the way its identity check says: checked by staff, it is verified with their note on the
audit trail and the subject gets their status link; not checked yet, the subject gets the
verification email, as for any other request.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import date, datetime, time, timedelta
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.errors import GuardFailed
from requests_app.fulfilment import bundle_keys
from requests_app.fulfilment.bundles.crypto import decrypt_stream, encrypt_stream
from requests_app.fulfilment.evidence import evidence_name
from requests_app.laws import deadlines
from requests_app.models import Channel, DataSubjectRequest, ReceivedVia, RequestAttachment
from requests_app.services.requests import request_submit, request_verify_manually
from requests_app.verification import fraud
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.transitions import request_create

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.files.uploadedfile import UploadedFile

    from requests_app.workflow.new_request import NewRequest

# A letter found in a drawer a year on is still a request, but its deadline passed long ago:
# older than this is far more likely a typing mistake (2006 for 2026) than a real date.
OLDEST_RECEIVED_DAYS = 366
MAX_ATTACHMENTS = 10


class IdentityCheck(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Not checked yet: send the subject the verification email")
    CHECKED_BY_STAFF = "checked_by_staff", _("Checked by staff (say how below)")


def received_on(day: date) -> datetime:
    """The moment a request received on ``day`` counts from: now for today, else that day's noon.

    Noon, in the company's time zone, keeps the day the same whatever a clock change does.
    """
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time(12)))


def received_at_problem(received_at: datetime, *, now: datetime | None = None) -> str:
    """Why ``received_at`` cannot be the day a request was received, or "" when it can."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    received = timezone.localdate(received_at)
    if received > today:
        return f"The received date {received.isoformat()} is in the future: give the day the request reached us."
    if received < today - timedelta(days=OLDEST_RECEIVED_DAYS):
        return (
            f"The received date {received.isoformat()} is more than {OLDEST_RECEIVED_DAYS} days ago: "
            "check the year. The deadline counts from this date."
        )
    return ""


def attachment_problem(upload: UploadedFile) -> str:
    """Why ``upload`` cannot be kept with a request, or "" when it can."""
    size = upload.size or 0
    name = evidence_name(upload)
    if size > settings.DSAR_MAX_UPLOAD_BYTES:
        limit = settings.DSAR_MAX_UPLOAD_BYTES // (1024 * 1024)
        return f"The file {name} is larger than {limit} MB."
    if size == 0:
        return f"The file {name} is empty."
    return ""


def request_enter(
    new: NewRequest,
    *,
    actor: Actor,
    identity: str,
    identity_note: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> DataSubjectRequest:
    """Record a request staff received another way, with its files, and verify or send verification.

    Everything is checked before anything is written; the request, its files' rows, the
    entry's audit event and the first emails are one transaction.
    """
    _check(new, identity=identity, identity_note=identity_note, attachments=attachments)
    stored: list[tuple[RequestAttachment, str]] = []
    try:
        with transaction.atomic():
            if identity == IdentityCheck.CHECKED_BY_STAFF:
                # No verification email: staff verify it below, and the subject gets the status link.
                request = request_create(
                    new,
                    actor=actor,
                    verification_policy=settings.DSAR_VERIFY_POLICY[new.request_type],
                    fraud_signals=fraud.signals_for_new_request(
                        email=new.subject_email, name=new.subject_name, source_ip_hash="", is_agent=False
                    ),
                )
            else:
                request = request_submit(new, actor=actor)
            for upload in attachments:
                stored.append(_attachment_store(request, upload))
            audit_append(
                request=request,
                actor=actor,
                action="request.entered_by_staff",
                data={
                    "received_via": new.received_via,
                    "identity": identity,
                    "attachments": [{"size": a.size, "sha256": a.sha256} for a, _name in stored],
                },
                personal={"attachments": [a.filename for a, _name in stored]} if stored else None,
            )
            if identity == IdentityCheck.CHECKED_BY_STAFF:
                request = request_verify_manually(request=request, actor=actor, note=identity_note.strip())
    except BaseException:
        # The rows rolled back: their encrypted files must not outlive them.
        for attachment, name in stored:
            attachment.file.storage.delete(name)
        raise
    return request


def _check(new: NewRequest, *, identity: str, identity_note: str, attachments: Sequence[UploadedFile]) -> None:
    if new.channel != Channel.STAFF:
        raise GuardFailed("A request staff enter has the channel 'staff'")
    if new.received_via not in ReceivedVia.values:
        raise GuardFailed(f"Say how the request reached us: one of {', '.join(ReceivedVia.values)}")
    if new.received_at is None:
        raise GuardFailed("Give the day the request was received: the deadline counts from it")
    if problem := received_at_problem(new.received_at):
        raise GuardFailed(problem)
    # UnknownJurisdiction, or RuleNotInForce for a law that took effect after that day.
    deadlines.get_rule(
        new.jurisdiction or settings.DSAR_DEFAULT_JURISDICTION, received=timezone.localdate(new.received_at)
    )
    if identity not in IdentityCheck.values:
        raise GuardFailed(f"Say whether the identity was checked: one of {', '.join(IdentityCheck.values)}")
    if identity == IdentityCheck.CHECKED_BY_STAFF and not identity_note.strip():
        raise GuardFailed("Say how the identity was checked, e.g. 'called back on the number on file'")
    if len(attachments) > MAX_ATTACHMENTS:
        raise GuardFailed(f"At most {MAX_ATTACHMENTS} files can come with a request")
    for upload in attachments:
        if problem := attachment_problem(upload):
            raise GuardFailed(problem)


def _attachment_store(request: DataSubjectRequest, upload: UploadedFile) -> tuple[RequestAttachment, str]:
    """Encrypt ``upload`` into storage under a random name, with its row; return both."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = RequestAttachment(
        request=request,
        filename=evidence_name(upload),
        content_type=(upload.content_type or "")[:200],
        size=upload.size or 0,
        sha256=digest.hexdigest(),
    )
    with tempfile.TemporaryFile() as sealed:
        encrypt_stream(upload, sealed, bundle_keys.encryption_key())
        sealed.seek(0)
        attachment.file.save(f"{uuid.uuid4().hex}.enc", File(sealed), save=False)
    attachment.save()
    return attachment, attachment.file.name


def request_attachment_open(*, request: DataSubjectRequest, attachment_pk: int) -> tuple[RequestAttachment, IO[bytes]]:
    """One of the request's files, decrypted into a temporary file (bounded memory).

    Raises ``RequestAttachment.DoesNotExist`` for a file of another request, or one the
    retention rule removed.
    """
    attachment = RequestAttachment.objects.exclude(file="").get(pk=attachment_pk, request=request)
    plain = tempfile.TemporaryFile()  # noqa: SIM115 - the caller (a FileResponse) closes it
    with attachment.file.open("rb") as sealed:
        decrypt_stream(sealed, plain, bundle_keys.encryption_key())
    plain.seek(0)
    return attachment, plain
