"""The dashboard's figures: each counts a known set of requests, and links to exactly those."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.models import DataSubjectRequest, State, StoreTask, StoreTaskState
from requests_app.staff import selectors, workload
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import request_assign
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


def due_on(
    day: date, state: State = State.VERIFIED, *, assignee: Any = None, jurisdiction: str = "ccpa", **kwargs: Any
) -> DataSubjectRequest:
    """A request in ``state`` whose last day to answer is ``day``."""
    request = request_in_state(state, jurisdiction=jurisdiction, **kwargs)
    DataSubjectRequest.objects.filter(pk=request.pk).update(due_at=day)
    if assignee is not None:
        request_assign(request=request, actor=Actor.system("tests"), assignee=assignee)
    request.refresh_from_db()
    return request


def task(request: DataSubjectRequest, system: str, state: StoreTaskState, action: str = "resolve") -> StoreTask:
    return StoreTask.objects.create(request=request, system=system, kind="sql", action=action, step=0, state=state)


def queue_links(body: str) -> dict[str, int]:
    """Every number on the page that links to the queue: {link: number}, the first per link.

    (The completion table gives one link to a week's completions for its count, median and
    90th percentile alike; the first is the count.)"""
    links: dict[str, int] = {}
    pattern = r'<a(?: class="[^"]*")? href="(/staff/requests/\?[^"]*)">(?:<span class="tile-number">)?(\d+)<'
    for href, number in re.findall(pattern, body):
        links.setdefault(html.unescape(href), int(number))
    return links


def queue_references(client: Client, link: str) -> set[str]:
    body = client.get(link).content.decode()
    count = re.search(r'<p class="result-summary" role="status">\s*(\d+) request', body)
    assert count is not None, link
    found = set(re.findall(r'<th scope="row"><a href="/staff/requests/(DSR-\w{4}-\w{4})/">', body))
    assert len(found) == int(count.group(1)), link
    return found


@pytest.fixture
def known(cast: Cast) -> dict[str, DataSubjectRequest]:
    """A known set of requests around today's edges, assigned to bob, alice and nobody."""
    today = timezone.localdate()
    made = {
        "overdue": due_on(today - timedelta(days=1), assignee=cast.bob),
        "today": due_on(today, assignee=cast.bob),
        "in_7_days": due_on(today + timedelta(days=7), assignee=cast.alice),
        "in_8_days": due_on(today + timedelta(days=8)),
        # Under GDPR the clock stops while the request waits for the requester: not overdue.
        "paused": due_on(today - timedelta(days=3), State.AWAITING_REQUESTER, jurisdiction="gdpr", assignee=cast.bob),
        # Under CCPA it does not: this one is overdue, and waiting for the requester too.
        "waiting_running": due_on(today - timedelta(days=2), State.AWAITING_REQUESTER, assignee=cast.alice),
        "manual": due_on(today + timedelta(days=20), State.IN_PROGRESS),
        "failed": due_on(today + timedelta(days=3), State.NEEDS_ATTENTION, assignee=cast.alice),
    }
    task(made["manual"], "crm", StoreTaskState.MANUAL)
    task(made["manual"], "crm", StoreTaskState.MANUAL, action="erase")
    task(made["failed"], "billing", StoreTaskState.FAILED)
    task(made["failed"], "crm", StoreTaskState.DONE)
    # Closed requests count nowhere, however overdue, assigned or stuck their store work.
    for state in (State.COMPLETED, State.REJECTED, State.CANCELLED, State.CLOSED_UNVERIFIED):
        closed = due_on(today - timedelta(days=5), state, assignee=cast.bob)
        task(closed, "crm", StoreTaskState.MANUAL)
        task(closed, "billing", StoreTaskState.FAILED)
    return made


def test_each_figure_counts_the_right_requests_at_the_edges_of_today_and_the_week(
    known: dict[str, DataSubjectRequest],
) -> None:
    today = timezone.localdate()
    counts = selectors.dashboard_counts(today)

    assert counts.open_total == 8
    assert counts.overdue == 2, "yesterday's, and the CCPA one whose clock runs while it waits"
    assert counts.due_soon == 3, "due today, in 3 days and in exactly 7 days; not in 8, not the paused one"
    assert counts.awaiting_requester == 2
    assert counts.unassigned == 2
    assert workload.requests_waiting_for_a_person() == 1
    assert workload.manual_steps_by_system() == [workload.ManualSteps(system="crm", steps=2, requests=1)]
    assert [(row.system, row.failed_now) for row in selectors.failing_systems(timezone.now())] == [("billing", 1)]


def test_work_per_person_counts_open_overdue_due_this_week_and_waiting_with_nobody_last(
    cast: Cast, known: dict[str, DataSubjectRequest]
) -> None:
    rows = workload.assignee_workload(timezone.localdate(), selectors.clock_stopped_filter())
    assert [(r.assignee, r.name, r.open, r.overdue, r.due_soon, r.waiting_for_requester) for r in rows] == [
        (str(cast.alice.pk), "Alice", 3, 1, 2, 1),
        (str(cast.bob.pk), "Bob", 3, 1, 1, 1),
        ("none", "Not assigned", 2, 0, 0, 0),
    ]


def test_every_number_on_the_dashboard_opens_a_queue_of_exactly_that_many_requests(
    cast: Cast, known: dict[str, DataSubjectRequest]
) -> None:
    alice = client_for(cast.alice)
    links = queue_links(alice.get("/staff/").content.decode())

    expected = {
        "/staff/requests/?state=open&due=overdue": {"overdue", "waiting_running"},
        "/staff/requests/?state=open&due=soon": {"today", "in_7_days", "failed"},
        "/staff/requests/?state=awaiting_requester": {"paused", "waiting_running"},
        "/staff/requests/?state=open&waiting=manual": {"manual"},
        "/staff/requests/?state=open&waiting=manual&system=crm": {"manual"},
        "/staff/requests/?state=open&waiting=failed&system=billing": {"failed"},
        "/staff/requests/?state=open&assignee=none": {"in_8_days", "manual"},
        f"/staff/requests/?state=open&assignee={cast.bob.pk}": {"overdue", "today", "paused"},
        f"/staff/requests/?state=open&assignee={cast.bob.pk}&due=overdue": {"overdue"},
        f"/staff/requests/?state=open&assignee={cast.bob.pk}&due=soon": {"today"},
        f"/staff/requests/?state=awaiting_requester&assignee={cast.bob.pk}": {"paused"},
        f"/staff/requests/?state=open&assignee={cast.alice.pk}&due=overdue": {"waiting_running"},
        f"/staff/requests/?state=open&assignee={cast.alice.pk}&due=soon": {"in_7_days", "failed"},
    }
    for link, names in expected.items():
        assert links.get(link) == len(names), link
        assert queue_references(alice, link) == {known[name].reference for name in names}, link
    # And every other number linking to the queue (states, weeks of the charts) matches it too.
    assert len(links) > len(expected)
    for link, number in links.items():
        assert len(queue_references(alice, link)) == number, link


def test_a_person_whose_role_was_taken_away_still_has_their_open_requests_listed(cast: Cast) -> None:
    """They cannot be given new requests, but the ones they hold must not vanish from the figures."""
    gone = due_on(timezone.localdate() + timedelta(days=2), assignee=cast.bob)
    cast.bob.groups.clear()
    alice = client_for(cast.alice)
    links = queue_links(alice.get("/staff/").content.decode())
    link = f"/staff/requests/?state=open&assignee={cast.bob.pk}"
    assert links[link] == 1
    assert queue_references(alice, link) == {gone.reference}


def test_today_is_the_calendar_day_of_the_company_time_zone(cast: Cast, settings: Any) -> None:
    """Near midnight the company's day and UTC's differ: the company's decides what is overdue."""
    now = timezone.now()
    # Whatever the hour, one of these zones is on another calendar day than UTC.
    zone = "Pacific/Kiritimati" if now.astimezone(ZoneInfo("Pacific/Kiritimati")).date() != now.date() else "Etc/GMT+11"
    settings.TIME_ZONE = zone
    local_today = now.astimezone(ZoneInfo(zone)).date()
    assert local_today != now.date() and timezone.localdate() == local_today
    utc_today = now.date()
    # Due on UTC's day: overdue by the company's day when that is ahead, due today when behind.
    request = due_on(utc_today)
    counts = selectors.dashboard_counts(timezone.localdate())
    if local_today > utc_today:
        assert (counts.overdue, counts.due_soon) == (1, 0)
    else:
        assert (counts.overdue, counts.due_soon) == (0, 1)
    body = client_for(cast.alice).get("/staff/").content.decode()
    assert f"Today is {local_today:%A} {local_today.day} {local_today:%B %Y} ({zone})" in body
    window = "overdue" if local_today > utc_today else "soon"
    assert queue_references(client_for(cast.alice), f"/staff/requests/?state=open&due={window}") == {request.reference}


def test_the_week_of_a_request_received_near_midnight_is_the_company_s(cast: Cast, settings: Any) -> None:
    """A request received late on a Sunday, company time, is in that week's bar, not the next."""
    settings.TIME_ZONE = "America/New_York"
    today = timezone.localdate()
    sunday = today - timedelta(days=today.weekday() + 1)
    received = datetime(sunday.year, sunday.month, sunday.day, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    request_in_state(State.VERIFIED, received_at=received)  # 04:30 UTC on the Monday
    weeks = selectors.weekly_received(today)
    assert (weeks[-2].total, weeks[-1].total) == (1, 0)


def test_the_dashboard_reads_the_database_a_bounded_number_of_times(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    """The same number of queries for 10 requests as for 40, and no more than a known few."""
    today = timezone.localdate()
    people = [cast.alice, cast.bob, None]
    alice = client_for(cast.alice)

    def make(first: int, last: int) -> None:
        for i in range(first, last):
            request = due_on(today + timedelta(days=i - 10), assignee=people[i % 3])
            if i % 5 == 0:
                task(request, f"manual-{i}", StoreTaskState.MANUAL)
            if i % 7 == 0:
                task(request, f"failed-{i}", StoreTaskState.FAILED)
        due_on(today, State.AWAITING_REQUESTER, jurisdiction=["gdpr", "uk"][first % 2], assignee=cast.bob)

    make(0, 10)
    with CaptureQueriesContext(connection) as few:
        alice.get("/staff/")
    make(10, 40)
    with django_assert_max_num_queries(24):  # with the unread messages card
        response = alice.get("/staff/")
    with CaptureQueriesContext(connection) as many:
        alice.get("/staff/")
    assert len(many) == len(few)
    assert response.status_code == 200
    assert len(re.findall(r'<tr>\s*<th scope="row">(Alice|Bob)</th>', response.content.decode())) == 2


def test_hostile_queue_filters_are_refused_quietly_and_change_nothing(cast: Cast) -> None:
    request = due_on(timezone.localdate())
    task(request, "crm", StoreTaskState.MANUAL)
    alice = client_for(cast.alice)
    for query in (
        "waiting=<script>alert(1)</script>",
        "waiting=manual&system=" + "x" * 500,
        "waiting=manual&system=%27%20OR%201%3D1--",
        "assignee=-1",
        "assignee=99999999999999999999",
        "due=week%00",
    ):
        response = alice.get(f"/staff/requests/?{query}")
        assert response.status_code == 200, query
        assert "<script>alert(1)</script>" not in response.content.decode()
    # A system name that is no store's finds nothing; the real one finds the request.
    assert queue_references(alice, "/staff/requests/?waiting=manual&system=%27%20OR%201%3D1--") == set()
    assert queue_references(alice, "/staff/requests/?waiting=manual&system=crm") == {request.reference}
    assert DataSubjectRequest.objects.get(pk=request.pk).state == State.VERIFIED


def test_the_dashboard_is_laid_out_as_cards_with_every_chart_also_a_table(cast: Cast) -> None:
    body = client_for(cast.carol).get("/staff/").content.decode()
    assert '<main id="main" tabindex="-1" class="wide">' in body
    assert body.count('class="card') >= 7
    assert body.count('role="img"') == 2
    assert body.count("<summary>Show as a table</summary>") == 2
    for heading in ("Open requests now", "Work per person", "Waiting for a person", "Failing systems"):
        assert f">{heading}</h2>" in body
    assert "No manual step is waiting." in body
