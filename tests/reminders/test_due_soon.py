"""The ``request.due_soon`` event: recorded by the reminder scan once per request and due date,
within DSAR_WEBHOOK_DUE_SOON_DAYS of it, for open requests only; and delivered like any event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests_app.models import EventKind, RequestEvent, State
from requests_app.reminders.due_soon import due_soon_events_record
from requests_app.reminders.scan import reminders_send
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import request_extend
from tests.concurrency import run_together
from tests.factories import request_in_state

ACTOR = Actor.system("tests")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def due_soon_events(request: Any) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request=request, kind=EventKind.REQUEST_DUE_SOON).order_by("pk"))


@pytest.fixture
def window(settings: Any) -> Any:
    settings.DSAR_WEBHOOK_DUE_SOON_DAYS = 7
    settings.DSAR_HOLIDAY_COUNTRY = ""
    return settings


def open_request() -> Any:
    return request_in_state(State.IN_PROGRESS, received_at=at(date(2026, 11, 2), 10))


@pytest.mark.django_db
def test_an_open_request_is_announced_once_when_it_comes_within_the_window(window: Any) -> None:
    request = open_request()
    assert request.due_at == date(2026, 12, 2)
    assert due_soon_events_record(at(date(2026, 11, 24), 23)) == 0, "eight days before: not yet"
    for day in (date(2026, 11, 25), date(2026, 11, 26), date(2026, 12, 2)):
        reminders_send(now=at(day))
    (event,) = due_soon_events(request)
    assert event.unique_key == f"due_soon:{request.pk}:2026-12-02"
    assert event.data["days_left"] == 7
    assert event.data["request"]["id"] == request.reference
    assert event.data["request"]["due_at"] == "2026-12-02"


@pytest.mark.django_db
def test_a_closed_or_overdue_request_is_not_announced(window: Any) -> None:
    closed = request_in_state(State.COMPLETED, received_at=at(date(2026, 11, 2), 10))
    overdue = open_request()
    assert due_soon_events_record(at(date(2026, 12, 3))) == 0
    assert due_soon_events(closed) == [] and due_soon_events(overdue) == []


@pytest.mark.django_db
def test_an_extension_gives_the_new_due_date_its_own_announcement(window: Any) -> None:
    # Received 20 days ago, so still within its first period today: the law lets it be extended.
    request = request_in_state(State.IN_PROGRESS, received_at=timezone.now() - timedelta(days=20))
    first_due = request.due_at
    due_soon_events_record(at(first_due - timedelta(days=6)))
    request = request_extend(request=request, actor=ACTOR, reason="Many stores to search.")
    assert request.due_at > first_due
    due_soon_events_record(at(request.due_at - timedelta(days=3)))
    keys = [event.unique_key for event in due_soon_events(request)]
    assert keys == [
        f"due_soon:{request.pk}:{first_due.isoformat()}",
        f"due_soon:{request.pk}:{request.due_at.isoformat()}",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_record_one_event(window: Any) -> None:
    request = open_request()
    errors = run_together(lambda: due_soon_events_record(at(date(2026, 11, 27))), threads=3)
    assert errors == []
    assert len(due_soon_events(request)) == 1
