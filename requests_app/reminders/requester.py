"""The subject's reminder to confirm their address before the verification window closes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from requests_app.models import DataSubjectRequest, ReminderKind, State
from requests_app.notifications.emails import notify
from requests_app.reminders.delivery import Recipients, reminder_send
from requests_app.services.requests import verification_links
from requests_app.workflow.transitions import verification_window_start, verification_window_started


def window_closes_at(request: DataSubjectRequest) -> datetime:
    return verification_window_start(request) + timedelta(days=settings.DSAR_VERIFICATION_WINDOW_DAYS)


def verification_reminders_send(now: datetime) -> int:
    """Remind each subject who has not confirmed, ``DSAR_VERIFICATION_REMINDER_HOURS`` before
    the window closes, with a fresh link and code (the first ones have expired by then)."""
    window = timedelta(days=settings.DSAR_VERIFICATION_WINDOW_DAYS)
    remind_from = window - timedelta(hours=settings.DSAR_VERIFICATION_REMINDER_HOURS)
    if remind_from <= timedelta(0):
        return 0  # the reminder would come with the first email
    candidates = DataSubjectRequest.objects.filter(
        verification_window_started(after=now - window, by=now - remind_from),
        state=State.PENDING_VERIFICATION,
        email_verified_at__isnull=True,
    ).exclude(reminders__kind=ReminderKind.VERIFICATION)
    count = 0
    for request in candidates:
        if _send(request, now):
            count += 1
    return count


def _send(request: DataSubjectRequest, now: datetime) -> bool:
    def send() -> None:
        closes = timezone.localtime(window_closes_at(request))
        context = {**verification_links(request), "closes_at": closes}
        notify(request=request, kind="verification_reminder", to=request.subject_email, context=context)

    return reminder_send(
        key=f"verification:{request.pk}",
        kind=ReminderKind.VERIFICATION,
        now=now,
        recipients=Recipients(addresses=[], label="subject"),
        email_kind="",
        context={},
        request=request,
        send=send,
    )
