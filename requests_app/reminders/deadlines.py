"""Reminders of due dates and of the duties before them, to the assignee or the team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from requests_app.laws import deadlines
from requests_app.models import OPEN_STATES, DataSubjectRequest, Direction, EmailMessage, EmailStatus, Reminder
from requests_app.notifications.emails import absolute_url
from requests_app.reminders.delivery import reminder_send, request_recipients
from requests_app.reminders.occasions import Occasion, RequestFacts, staff_occasions

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

# The emails that confirm receipt to the requester (11 CCR §7021(a)): the acknowledgement,
# or for a request made by an agent the verification sent to the subject.
RECEIPT_KINDS = ("acknowledgement", "verification")

HEADLINES = {
    "deadline": "Due {when}",
    "overdue": "Overdue: it was due {due}",
    "acknowledgement": "Confirm receipt to the requester by {duty}",
    "extension": "Decide on an extension by {duty}",
}


def open_request_facts() -> list[RequestFacts]:
    """The facts of every open request, read through the partial index of open requests."""
    rows = list(
        DataSubjectRequest.objects.filter(state__in=sorted(OPEN_STATES))
        .order_by("due_at", "pk")
        .values_list(
            "pk",
            "reference",
            "jurisdiction",
            "rule_version",
            "request_type",
            "state",
            "received_at",
            "due_at",
            "paused_days",
            "extended_at",
        )
    )
    with_receipt_duty = [
        row[0] for row in rows if deadlines.get_rule(row[2], version=row[3] or None).acknowledge_within is not None
    ]
    acknowledged = set(
        EmailMessage.objects.filter(
            request_id__in=with_receipt_duty,
            direction=Direction.OUTBOUND,
            kind__in=RECEIPT_KINDS,
            status=EmailStatus.SENT,
        ).values_list("request_id", flat=True)
    )
    return [
        RequestFacts(
            pk=pk,
            reference=reference,
            jurisdiction=jurisdiction,
            rule_version=rule_version,
            request_type=request_type,
            state=state,
            received=timezone.localdate(received_at),
            due=due_at,
            paused_days=paused_days,
            extended=extended_at is not None,
            acknowledged=pk in acknowledged,
        )
        for (
            pk,
            reference,
            jurisdiction,
            rule_version,
            request_type,
            state,
            received_at,
            due_at,
            paused_days,
            extended_at,
        ) in rows
    ]


def sent_keys(request_pks: Iterable[int]) -> set[str]:
    return set(Reminder.objects.filter(request_id__in=list(request_pks)).values_list("key", flat=True))


def deadline_reminders_send(now: datetime) -> int:
    """Send every staff reminder about open requests that is due and not yet sent."""
    today = timezone.localdate(now)
    facts = open_request_facts()
    sent = sent_keys(f.pk for f in facts)
    count = 0
    for request_facts in facts:
        for occasion in staff_occasions(
            request_facts, today, offsets=settings.DSAR_REMINDER_DAYS, warning_days=settings.DSAR_DUTY_WARNING_DAYS
        ):
            if occasion.key not in sent and _send(request_facts, occasion, now):
                count += 1
    return count


def _send(facts: RequestFacts, occasion: Occasion, now: datetime) -> bool:
    # Re-read under the scan's own eyes: a request closed since the list was read gets nothing.
    request = (
        DataSubjectRequest.objects.select_related("assignee").filter(pk=facts.pk, state__in=sorted(OPEN_STATES)).first()
    )
    if request is None:
        return False
    return reminder_send(
        key=occasion.key,
        kind=occasion.kind,
        now=now,
        recipients=request_recipients(request),
        email_kind="reminder",
        context=_context(request, occasion),
        request=request,
    )


def _when(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    return f"in {days_left} days"


def _context(request: DataSubjectRequest, occasion: Occasion) -> dict[str, object]:
    rule = deadlines.rule_of(request)
    headline = HEADLINES[occasion.kind].format(
        when=_when(occasion.days_left),
        due=occasion.duty_date.isoformat(),
        duty=occasion.duty_date.isoformat(),
    )
    return {
        "occasion": occasion,
        "headline": headline,
        "rule": rule,
        "late": occasion.days_left < 0,
        "overdue_days": -occasion.days_left,
        "due_at": request.due_at,
        "acknowledge_by": occasion.duty_date if occasion.kind == "acknowledgement" else None,
        "request_url": absolute_url(reverse("staff_request", args=[request.reference])),
        "state": request.get_state_display(),
        "type": request.get_request_type_display(),
    }
