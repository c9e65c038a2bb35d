"""Staff decisions on mail in the triage queue: a new request, part of a request, or not a request."""

from __future__ import annotations

from django.db import transaction

from requests_app.errors import GuardFailed
from requests_app.models import Channel, DataSubjectRequest, Direction, EmailMessage, EmailStatus
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.new_request import NewRequest


def _claim(message: EmailMessage) -> EmailMessage:
    locked = EmailMessage.objects.select_for_update().get(pk=message.pk, direction=Direction.INBOUND)
    if locked.status != EmailStatus.TRIAGE:
        raise GuardFailed("This email is no longer waiting for triage")
    return locked


def triage_new_request(
    *, message: EmailMessage, actor: Actor, request_type: str, jurisdiction: str | None = None
) -> DataSubjectRequest:
    """Make a request of the email; verification goes to its From address, as for any email."""
    with transaction.atomic():
        locked = _claim(message)
        if not locked.from_address:
            raise GuardFailed("The email has no usable From address to verify; attach it or mark it instead")
        new = NewRequest(
            channel=Channel.EMAIL,
            request_type=request_type,
            subject_email=locked.from_address,
            jurisdiction=jurisdiction,
            details=locked.body_text[:20000],
        )
        request = services.request_submit(new, actor=actor)
        _attach(locked, request, actor, created=True)
    return request


def triage_attach(*, message: EmailMessage, actor: Actor, request: DataSubjectRequest) -> None:
    """Put the email on an existing request's timeline."""
    request.refresh_from_db(fields=["minimised_at"])
    if request.is_minimised:
        raise GuardFailed(
            f"The personal data of {request.reference} was removed under the retention rule: "
            "attach the email to a new request instead"
        )
    with transaction.atomic():
        _attach(_claim(message), request, actor, created=False)


def triage_dismiss(*, message: EmailMessage, actor: Actor, reason: str) -> None:
    """Mark the email as not a request; it stays stored, with who decided and why."""
    if not reason.strip():
        raise GuardFailed("Say why this is not a request")
    with transaction.atomic():
        locked = _claim(message)
        locked.status, locked.triage_reason = EmailStatus.IGNORED, f"Not a request: {reason}"[:200]
        locked.save(update_fields=["status", "triage_reason"])
        audit_append(actor=actor, action="email.dismissed", reason=reason, data={"email": locked.pk})


def _attach(message: EmailMessage, request: DataSubjectRequest, actor: Actor, *, created: bool) -> None:
    message.request, message.status = request, EmailStatus.ATTACHED
    message.save(update_fields=["request", "status"])
    audit_append(
        request=request, actor=actor, action="email.triaged", data={"email": message.pk, "created_request": created}
    )
