"""The rows the reports read: requests of a year and their state changes, non-personal fields only.

A year is the calendar year in settings.TIME_ZONE, and a request belongs to the year it was
received in: 31 December 23:30 in Los Angeles is that year, whatever UTC says.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from requests_app.errors import ReportRefused
from requests_app.models import AuditEvent, DataSubjectRequest, State, StoreTask, StoreTaskState
from requests_app.reports.metrics import IN_PART_OUTCOMES, Metrics, RequestRow, StateChange, metrics_compute

if TYPE_CHECKING:
    from django.db.models import QuerySet

FIRST_YEAR, LAST_YEAR = 2000, 2999
# The audit events that put a request into a state: its arrival and every transition.
STATE_ACTIONS = ("request.received", "request.transition")
# The fields the rows are made of: none of them is personal data.
ROW_FIELDS = (
    "id",
    "request_type",
    "channel",
    "jurisdiction",
    "state",
    "rejection_category",
    "received_at",
    "due_at",
    "closed_at",
    "extended_at",
)


def year_checked(value: object) -> int:
    """The year asked for, as a number, or ReportRefused saying what is wrong with it."""
    text = str(value).strip()
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise ReportRefused(f"The year must be a number from {FIRST_YEAR} to {LAST_YEAR}, not {str(value)[:20]!r}")
    return int(text)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first moment of ``year`` and of the next, in the company's time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def requests_of_year(year: int | None) -> QuerySet[DataSubjectRequest]:
    """The requests received in ``year`` (every request for None), oldest first."""
    requests = DataSubjectRequest.objects.order_by("received_at", "id")
    if year is None:
        return requests
    start, end = year_bounds(year)
    return requests.filter(received_at__gte=start, received_at__lt=end)


def with_partial_flag(requests: QuerySet[DataSubjectRequest]) -> QuerySet[DataSubjectRequest]:
    """Annotate ``has_partial_task``: some store task's recorded outcome was retained or not done."""
    partial = StoreTask.objects.filter(
        request=OuterRef("pk"), state=StoreTaskState.RESOLVED, outcome__in=sorted(IN_PART_OUTCOMES)
    )
    return requests.annotate(has_partial_task=Exists(partial))


def _local(moment: datetime | None) -> date | None:
    return None if moment is None else timezone.localtime(moment).date()


def row_from_values(values: dict[str, Any]) -> RequestRow:
    """A row for the figures from ``.values(*ROW_FIELDS, "has_partial_task")``."""
    received = _local(values["received_at"])
    assert received is not None  # noqa: S101 - received_at is not nullable
    return RequestRow(
        id=values["id"],
        request_type=values["request_type"],
        channel=values["channel"],
        jurisdiction=values["jurisdiction"],
        state=values["state"],
        rejection_category=values["rejection_category"],
        received_on=received,
        due_on=values["due_at"],
        closed_on=_local(values["closed_at"]),
        extended=values["extended_at"] is not None,
        has_partial_task=values["has_partial_task"],
    )


def request_rows(year: int | None) -> list[RequestRow]:
    requests = with_partial_flag(requests_of_year(year))
    return [row_from_values(values) for values in requests.values(*ROW_FIELDS, "has_partial_task")]


def state_changes(requests: QuerySet[DataSubjectRequest]) -> list[StateChange]:
    """The events that moved these requests into a state: only request, to_state and created_at."""
    events = (
        AuditEvent.objects.filter(request__in=requests.values("pk"), action__in=STATE_ACTIONS)
        .exclude(to_state="")
        .order_by("seq")
        .values_list("request_id", "to_state", "created_at")
    )
    return [StateChange(request_id=rid, to_state=to, at=at) for rid, to, at in events.iterator(chunk_size=5000)]


def metrics_for_year(year: int, *, today: date | None = None) -> Metrics:
    """The figures of the requests received in ``year``; overdue counted as of ``today``."""
    rows = request_rows(year)
    return metrics_compute(
        rows,
        state_changes(requests_of_year(year)),
        year=year,
        as_of=today or timezone.localdate(),
        state_order=tuple(State.values),
    )
