"""Emails to requesters: rendered from templates, recorded, and sent by Celery after commit.

Each notification is an ``EmailMessage`` row (its text, its HTML, its Message-ID) written in
the caller's transaction together with an audit event, so the record of what the subject
was told exists exactly when the change that caused it does. A Celery task sends it once
the transaction commits; SMTP failures are retried.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.infra import queue
from requests_app.infra.language import with_language
from requests_app.models import DataSubjectRequest, Direction, EmailMessage, EmailStatus
from requests_app.workflow.audit import Actor, audit_append

logger = logging.getLogger(__name__)

KINDS = frozenset(
    {
        "acknowledgement",  # reference, what happens next, due date (and, for the subject, how to verify)
        "verification",  # the link and code, to the subject (re-sends, and agent requests)
        "status_link",  # identity confirmed: the link to the status page
        "more_information",  # the privacy team needs something from the requester
        "extension",  # the deadline moved, and why
        "completion",  # the request is done: see the status page
        "rejection",  # refused, why, and the right to complain
        "closed_unverified",  # closed because nobody verified in time
        "download_code",  # a one-time code to download the result
        "reply",  # a message from the privacy team
        "verification_reminder",  # the verification window closes soon: a fresh link and code
        "appeal_decision",  # an appeal decided: the outcome, why, and where to complain if denied
    }
)
# Emails to the privacy team (templates under emails/staff/): never to a requester.
STAFF_KINDS = frozenset(
    {
        "reminder",  # a deadline or a duty before it is near, or passed
        "digest",  # one person's open requests by urgency, once a day
        "alert",  # a store failed after its retries, or a manual step waits too long
        "webhook_disabled",  # a webhook subscription was disabled after its deliveries kept failing
        "invitation",  # an invitation to join the privacy team: the link to choose a password
        "second_factor_reset",  # a Privacy admin removed the person's authenticator app
    }
)

# Marks our mail as machine-sent (RFC 3834) so auto-responders do not answer it, and
# Exchange suppresses its out-of-office replies: no mail loops.
LOOP_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def absolute_url(path: str) -> str:
    return f"{settings.DSAR_PUBLIC_BASE_URL}{path}"


def _base_context(request: DataSubjectRequest) -> dict[str, Any]:
    return {
        "request": request,
        "company_name": settings.DSAR_COMPANY_NAME,
        "reply_to": settings.DSAR_REPLY_TO_EMAIL,
        "supervisory_authority": settings.DSAR_SUPERVISORY_AUTHORITY,
        "verify_code_url": with_language(absolute_url("/request/verify/"), request.language),
        "request_form_url": with_language(absolute_url("/request/"), request.language),
    }


def _render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
    return subject, render_to_string(f"emails/{kind}.txt", context), render_to_string(f"emails/{kind}.html", context)


def notify(*, request: DataSubjectRequest, kind: str, to: str, context: dict[str, Any] | None = None) -> EmailMessage:
    """Record a notification to ``to`` and send it once the caller's transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    context = {**_base_context(request), **(context or {})}
    # The requester is answered in their language: text, dates and the links to our pages.
    for name in ("status_url", "verify_url"):
        if name in context:
            context[name] = with_language(context[name], request.language)
    with translation.override(request.language):
        rendered = _render(kind, context)
    return _queue(kind=kind, request=request, to=[to], rendered=rendered)


def staff_notify(
    *, kind: str, to: list[str], context: dict[str, Any], request: DataSubjectRequest | None = None
) -> EmailMessage:
    """Record an email to members of the privacy team and send it after commit.

    On the request's timeline when it is about one request (a reminder, an alert); a digest
    is about many and belongs to none.
    """
    if kind not in STAFF_KINDS:
        raise ValueError(f"Unknown staff notification kind {kind!r}")
    base = {
        "company_name": settings.DSAR_COMPANY_NAME,
        "staff_url": absolute_url(reverse("staff_dashboard")),
        "request": request,
    }
    with translation.override(settings.LANGUAGE_CODE):  # the privacy team's language, not a requester's
        rendered = _render(f"staff/{kind}", {**base, **context})
    return _queue(kind=f"staff_{kind}", request=request, to=to, rendered=rendered)


def _queue(
    *, kind: str, request: DataSubjectRequest | None, to: list[str], rendered: tuple[str, str, str]
) -> EmailMessage:
    subject, text, html = rendered
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message_id = make_msgid(domain=domain).strip("<>")
    # No savepoint: the queued email belongs to the caller's transaction and fails with it.
    with transaction.atomic(savepoint=False):
        message = EmailMessage.objects.create(
            direction=Direction.OUTBOUND,
            status=EmailStatus.QUEUED,
            kind=kind,
            request=request,
            message_id=message_id,
            subject=subject,
            from_address=settings.DEFAULT_FROM_EMAIL,
            to_addresses=to,
            body_text=text,
            body_html=html,
        )
        audit_append(
            request=request,
            actor=Actor.system("notifications"),
            action="email.queued",
            data={"kind": kind, "message_id": message_id},
        )
        queue.enqueue_on_commit(queue.SEND_EMAIL, message.pk)
    return message


def email_send(message_pk: int) -> bool:
    """Send one queued email; return False when there is nothing (more) to send.

    The claim is a conditional update, so of two deliveries of the same message (the
    sweeper's and a late original) one sends and the other finds nothing to do. A message a
    worker claimed and never finished (it died mid-send) is taken over once its claim is
    older than ``DSAR_EMAIL_SEND_LEASE_SECONDS``: a duplicate notice is better than a lost
    one, and it happens only if the worker died between handing the message to the mail
    server and recording that. A failed attempt hands the message back to the queue.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DSAR_EMAIL_SEND_LEASE_SECONDS)
    claimed = EmailMessage.objects.filter(
        Q(status=EmailStatus.QUEUED) | Q(status=EmailStatus.SENDING, sending_since__lt=stale),
        pk=message_pk,
        direction=Direction.OUTBOUND,
    ).update(status=EmailStatus.SENDING, sending_since=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    message = EmailMessage.objects.get(pk=message_pk)
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        reason = f"{type(error).__name__}: {error}"
        if message.attempts >= settings.DSAR_EMAIL_MAX_ATTEMPTS:
            email_failed(message_pk, reason)
        else:
            EmailMessage.objects.filter(pk=message_pk, status=EmailStatus.SENDING).update(
                status=EmailStatus.QUEUED, sending_since=None, error=reason[:2000]
            )
        raise
    return True


def _language_of(message: EmailMessage) -> str:
    """The language the message was written in: the requester's for their mail (``notify``
    renders it in their language), the team's for the team's own."""
    if message.kind.startswith("staff_") or message.request is None:
        return settings.LANGUAGE_CODE
    return message.request.language or settings.LANGUAGE_CODE


class _BuiltOnce(EmailMultiAlternatives):
    """An email whose MIME message is built once: the copy kept is the message sent.

    Django builds the message again each time it is asked for it, with a new multipart
    boundary (and a new Date, a second later), so a copy taken before sending would differ
    from what the mail server was given.
    """

    _built: Any = None

    def message(self, *args: Any, **kwargs: Any) -> Any:
        if self._built is None:
            self._built = super().message(*args, **kwargs)
        return self._built


def _deliver(message: EmailMessage) -> None:
    mail = _BuiltOnce(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_address,
        to=message.to_addresses,
        # The team's own mail is answered to the colleague who sent it, never to the intake
        # mailbox, where a reply would become a new request.
        reply_to=[] if message.kind.startswith("staff_") else [settings.DSAR_REPLY_TO_EMAIL],
        headers={
            "Message-ID": f"<{message.message_id}>",
            "Content-Language": _language_of(message),
            **LOOP_HEADERS,
        },
    )
    mail.attach_alternative(message.body_html, "text/html")
    raw = mail.message().as_bytes()
    mail.send(fail_silently=False)
    name = f"out/{hashlib.sha256(message.message_id.encode()).hexdigest()}.eml"
    message.raw.save(name, ContentFile(raw), save=False)
    message.sha256 = hashlib.sha256(raw).hexdigest()
    message.status, message.sent_at, message.error = EmailStatus.SENT, timezone.now(), ""
    message.save(update_fields=["raw", "sha256", "status", "sent_at", "error"])


def emails_unsent(*, older_than: timedelta) -> list[int]:
    """Outbound emails still waiting to be sent whose message may be lost: for the sweeper."""
    now = timezone.now()
    stale_claim = now - timedelta(seconds=settings.DSAR_EMAIL_SEND_LEASE_SECONDS)
    return list(
        EmailMessage.objects.filter(direction=Direction.OUTBOUND)
        .filter(
            Q(status=EmailStatus.QUEUED, created_at__lt=now - older_than)
            | Q(status=EmailStatus.SENDING, sending_since__lt=stale_claim)
        )
        .values_list("pk", flat=True)[:500]
    )


def email_failed(message_pk: int, error: str) -> None:
    """Record that an email could not be sent after every retry, on the request's record."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().filter(pk=message_pk).first()
        if message is None or message.status in (EmailStatus.SENT, EmailStatus.FAILED):
            return
        message.status, message.error = EmailStatus.FAILED, error[:2000]
        message.save(update_fields=["status", "error"])
        audit_append(
            request=message.request,
            actor=Actor.system("notifications"),
            action="email.failed",
            reason=error[:500],
            data={"kind": message.kind, "message_id": message.message_id},
        )
    logger.error("email %s (%s) could not be sent: %s", message.pk, message.kind, error)
