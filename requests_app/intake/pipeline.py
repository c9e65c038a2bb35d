"""One pipeline for every way mail comes in: store first, then understand.

``email_receive`` keeps the raw bytes and a row (once: the same Message-ID and bytes are one
message) and queues the work; ``email_process`` parses, threads and decides. A message that
cannot be parsed is kept and put in the triage queue, never dropped; machine mail
(auto-replies, bounces, bulk) never creates a request and is never answered, so no mail loop
can start; and the From address, not Reply-To, is where verification goes.
"""

from __future__ import annotations

import hashlib
import logging
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from requests_app.infra import queue
from requests_app.intake.email_language import detect_language
from requests_app.intake.email_parse import EmailParseError, ParsedEmail, mask_address, parse_email
from requests_app.intake.email_text import detect_request_type, find_reference, stated_name
from requests_app.models import (
    Channel,
    DataSubjectRequest,
    Direction,
    EmailAttachment,
    EmailMessage,
    EmailStatus,
    State,
)
from requests_app.services import requests as services
from requests_app.verification import fraud
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import transition

logger = logging.getLogger(__name__)


def _message_id(raw: bytes) -> str:
    """The Message-ID header alone, read leniently: deduplication must work on broken mail too."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024], headersonly=True)
        value = str(headers.get("Message-ID", "") or "")
    except Exception:
        return ""
    return value.strip().strip("<>")[:255]


def email_receive(raw: bytes, *, source: str) -> tuple[EmailMessage, bool]:
    """Keep the message as received and queue its processing; return (row, created).

    The same Message-ID with the same bytes is the same message: a second delivery (an IMAP
    poll after a crash, a webhook retried by the provider) returns the first row and does
    nothing more. The unique constraint decides, not a look-up, so two deliveries racing
    cannot both win.
    """
    digest = hashlib.sha256(raw).hexdigest()
    message_id = _message_id(raw)
    existing = EmailMessage.objects.filter(direction=Direction.INBOUND, message_id=message_id, sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            message = EmailMessage(
                direction=Direction.INBOUND,
                status=EmailStatus.RECEIVED,
                source=source,
                message_id=message_id,
                sha256=digest,
            )
            message.raw.save(f"in/{digest}.eml", ContentFile(raw), save=False)
            message.save()
            queue.enqueue_on_commit(queue.PROCESS_INBOUND_EMAIL, message.pk)
    except IntegrityError:
        return EmailMessage.objects.get(direction=Direction.INBOUND, message_id=message_id, sha256=digest), False
    return message, True


def email_process(message_pk: int) -> EmailMessage | None:
    """Understand a stored message once; a second call finds it claimed and does nothing."""
    with transaction.atomic():
        message = (
            EmailMessage.objects.select_for_update()
            .filter(pk=message_pk, direction=Direction.INBOUND, status=EmailStatus.RECEIVED)
            .first()
        )
        if message is None:
            return None
        raw = message.raw.read()
        message.raw.close()
        try:
            parsed = parse_email(raw, max_attachment_bytes=settings.DSAR_MAX_ATTACHMENT_BYTES)
        except EmailParseError as error:
            return _triage(message, f"The message could not be read: {error}")
        _record(message, parsed)
        if parsed.automated:
            message.status = EmailStatus.IGNORED
            message.save()
            return message
        request = _thread(parsed)
        if request is not None and request.is_minimised:
            # Attached, its text would outlive the rule that removed the request's: a person decides.
            return _triage(message, "It answers a request whose personal data was removed under the retention rule")
        if request is not None:
            return _attach(message, parsed, request)
        return _new_request_or_triage(message, parsed)


def _record(message: EmailMessage, parsed: ParsedEmail) -> None:
    message.subject = parsed.subject[:500]
    message.from_address = parsed.from_address[:254]
    message.to_addresses = list(parsed.to)
    message.reply_to = (parsed.reply_to or "")[:254]
    message.in_reply_to = parsed.in_reply_to[0][:255] if parsed.in_reply_to else ""
    message.references = list(parsed.references)
    message.body_text = parsed.text
    message.automated = parsed.automated or ""
    message.auth_results = {"spf": parsed.auth.spf, "dkim": parsed.auth.dkim, "dmarc": parsed.auth.dmarc}
    message.defects = list(parsed.defects)
    for attachment in parsed.attachments:
        stored = EmailAttachment(
            email=message,
            filename=attachment.filename,
            content_type=attachment.content_type[:200],
            size=attachment.size,
            sha256=attachment.sha256,
        )
        # Stored under its hash, so a name from the sender never becomes a path.
        stored.file.save(f"{attachment.sha256}.bin", ContentFile(attachment.payload), save=False)
        stored.save()


def _thread(parsed: ParsedEmail) -> DataSubjectRequest | None:
    """The request this message answers: by a Message-ID we sent, or by its reference."""
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        ours = (
            EmailMessage.objects.filter(direction=Direction.OUTBOUND, message_id__in=ids, request__isnull=False)
            .order_by("-created_at")
            .first()
        )
        if ours is not None:
            return ours.request
    reference = find_reference(parsed.subject, parsed.text_without_quotes)
    if reference:
        return DataSubjectRequest.objects.filter(reference=reference).first()
    return None


def _attach(message: EmailMessage, parsed: ParsedEmail, request: DataSubjectRequest) -> EmailMessage:
    message.request = request
    message.status = EmailStatus.ATTACHED
    message.save()
    audit_append(
        request=request,
        actor=Actor.system("email"),
        action="email.received",
        data={"email": message.pk},
        personal={"from": mask_address(parsed.from_address)},
    )
    from_requester = parsed.from_address.lower() in {request.subject_email.lower(), request.agent_email.lower()}
    if request.state == State.AWAITING_REQUESTER and from_requester:
        transition(request, request.paused_from_state, Actor.subject(), reason="The requester replied by email")
    return message


def _new_request_or_triage(message: EmailMessage, parsed: ParsedEmail) -> EmailMessage:
    request_type = detect_request_type(parsed.subject, parsed.text_without_quotes)
    if request_type is None:
        return _triage(message, "No request type could be read from the message")
    if not parsed.from_address:
        return _triage(message, "The message has no usable From address")
    new = NewRequest(
        channel=Channel.EMAIL,
        request_type=request_type,
        subject_email=parsed.from_address,
        subject_name=parsed.from_name,
        details=parsed.text_without_quotes[:20000],
        language=detect_language(
            content_language=parsed.content_language,
            subject=parsed.subject,
            text=parsed.text_without_quotes,
            supported=[code for code, _ in settings.LANGUAGES],
        )
        or "",
    )
    request = services.request_submit(
        new,
        other_name=stated_name(parsed.text_without_quotes),
        extra_signals=_authentication_signals(parsed),
    )
    message.request = request
    message.status = EmailStatus.ATTACHED
    message.save()
    # The request was inserted in this transaction, which holds its row.
    audit_append(
        request=request,
        request_locked=True,
        actor=Actor.system("email"),
        action="email.received",
        data={"email": message.pk, "created_request": True},
        personal={"from": mask_address(parsed.from_address)},
    )
    return message


def _authentication_signals(parsed: ParsedEmail) -> list[dict[str, str]]:
    """SPF, DKIM and DMARC results that did not pass, and a Reply-To that differs from From."""
    found = [
        fraud.signal(f"{check}_{result}", f"{check.upper()} result: {result}")
        for check, result in (("spf", parsed.auth.spf), ("dkim", parsed.auth.dkim), ("dmarc", parsed.auth.dmarc))
        if result not in ("pass", "unknown", "none")
    ]
    if parsed.reply_to and parsed.reply_to.lower() != parsed.from_address.lower():
        found.append(fraud.signal("reply_to_differs", "Reply-To differs from From; we answer only the From address."))
    return found


def _triage(message: EmailMessage, reason: str) -> EmailMessage:
    message.status = EmailStatus.TRIAGE
    message.triage_reason = reason[:200]
    message.save()
    logger.info("email %s to triage: %s", message.pk, reason)
    return message


def unprocessed() -> list[int]:
    """Stored messages whose processing never ran (a lost message): for the sweeper."""
    return list(
        EmailMessage.objects.filter(Q(direction=Direction.INBOUND) & Q(status=EmailStatus.RECEIVED)).values_list(
            "pk", flat=True
        )
    )
