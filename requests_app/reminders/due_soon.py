"""The ``request.due_soon`` event: recorded once per request and due date, for webhooks and agents.

An open request whose due date is at most ``DSAR_WEBHOOK_DUE_SOON_DAYS`` days away gets one
event; an extension moves the due date, and the new date gets its own. The event's unique
key decides "once" (``event_record``); keys already recorded are skipped before any insert
is tried, so a scan every quarter of an hour costs one query when nothing is new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app.models import OPEN_STATES, DataSubjectRequest, EventKind, RequestEvent
from requests_app.workflow.events import event_record

if TYPE_CHECKING:
    from datetime import date, datetime


def due_soon_key(request_pk: int, due: date) -> str:
    return f"due_soon:{request_pk}:{due.isoformat()}"


def due_soon_events_record(now: datetime) -> int:
    """Record the due-soon event of every open request that is due soon and has none; say how many."""
    today = timezone.localdate(now)
    horizon = today + timedelta(days=settings.DSAR_WEBHOOK_DUE_SOON_DAYS)
    rows = list(
        DataSubjectRequest.objects.filter(state__in=sorted(OPEN_STATES), due_at__gte=today, due_at__lte=horizon)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")
    )
    keys = {pk: due_soon_key(pk, due) for pk, due in rows}
    recorded = set(RequestEvent.objects.filter(unique_key__in=list(keys.values())).values_list("unique_key", flat=True))
    count = 0
    for pk, due in rows:
        if keys[pk] in recorded:
            continue
        with transaction.atomic():
            # Re-read under the row lock: a request closed or extended since the list was read gets nothing.
            request = (
                DataSubjectRequest.objects.select_for_update()
                .filter(pk=pk, state__in=sorted(OPEN_STATES), due_at=due)
                .first()
            )
            if request is None:
                continue
            days_left = (due - today).days
            if event_record(
                kind=EventKind.REQUEST_DUE_SOON, request=request, data={"days_left": days_left}, unique_key=keys[pk]
            ):
                count += 1
    return count
