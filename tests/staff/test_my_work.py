"""My work: the open requests assigned to me, most urgent first; an analyst's landing page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from requests_app.models import State, StoreTaskState
from requests_app.staff import roles, workload
from tests.staff.test_dashboard import due_on, task
from tests.staff.test_messages import reply_to
from tests.staff.test_permissions import FAST_HASHERS, PASSWORD, Cast, client_for, make_cast
from tests.staff.test_views import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DSAR_STAFF_REQUIRE_2FA = False
    return make_cast()


def rows(body: str, section: str) -> list[str]:
    """The references in one section of the page ("to-do" or "waiting"), in order."""
    match = re.search(rf'<section aria-labelledby="{section}-title">(.*?)</section>', body, re.S)
    assert match is not None, section
    return re.findall(r'<th scope="row"><a href="/staff/requests/(DSR-\w{4}-\w{4})/">', match.group(1))


def test_my_work_lists_my_open_requests_overdue_first_then_by_due_date(cast: Cast) -> None:
    today = timezone.localdate()
    in_5 = due_on(today + timedelta(days=5), assignee=cast.bob)
    overdue_1 = due_on(today - timedelta(days=1), State.IN_PROGRESS, assignee=cast.bob)
    due_today = due_on(today, State.AWAITING_APPROVAL, assignee=cast.bob)
    overdue_9 = due_on(today - timedelta(days=9), State.PENDING_VERIFICATION, assignee=cast.bob)
    in_30 = due_on(today + timedelta(days=30), State.NEEDS_ATTENTION, assignee=cast.bob)
    task(in_30, "crm", StoreTaskState.FAILED)
    task(in_30, "ledger", StoreTaskState.MANUAL)
    paused = due_on(today - timedelta(days=4), State.AWAITING_REQUESTER, jurisdiction="gdpr", assignee=cast.bob)
    running = due_on(today + timedelta(days=2), State.AWAITING_REQUESTER, assignee=cast.bob)
    # Not mine, or not open: not here.
    others = [
        due_on(today - timedelta(days=20), assignee=cast.alice),
        due_on(today - timedelta(days=20)),
        due_on(today - timedelta(days=20), State.COMPLETED, assignee=cast.bob),
        due_on(today - timedelta(days=20), State.CANCELLED, assignee=cast.bob),
    ]

    body = client_for(cast.bob).get("/staff/my-work/").content.decode()

    assert rows(body, "to-do") == [r.reference for r in (overdue_9, overdue_1, due_today, in_5, in_30)]
    assert rows(body, "waiting") == [paused.reference, running.reference]
    assert not any(other.reference in body for other in others)
    assert "7 open requests assigned to you, 2 of them waiting for the requester." in body
    for words in (
        "Overdue by 9 days",
        "Overdue by 1 day<",
        "Due today",
        "Due in 5 days",
        "Due in 30 days",
        "Clock paused",  # GDPR stops the clock while it waits
        "Due in 2 days",  # CCPA does not
        "The requester to confirm their email address",
        "Approval by staff",
        "The stores to finish their work",
        "A person: 1 failed store to retry or settle and 1 manual step in a store",
        "The requester&#x27;s answer",
        "Staff to start the work",
    ):
        assert words in body, words
    # Each row says the type and the state in words.
    assert "<td>Access (a copy of my data)</td>" in body and "<td>Waiting for approval</td>" in body


def test_my_work_says_so_when_nothing_is_assigned(cast: Cast) -> None:
    due_on(timezone.localdate(), assignee=cast.alice)
    body = client_for(cast.bob).get("/staff/my-work/").content.decode()
    assert "No open requests are assigned to you." in body
    assert 'href="/staff/requests/?state=open&amp;assignee=none"' in body
    assert "<table" not in body


def test_the_navigation_links_to_my_work_with_its_count_for_those_who_work_requests(cast: Cast) -> None:
    today = timezone.localdate()
    due_on(today, assignee=cast.bob)
    due_on(today, State.AWAITING_REQUESTER, assignee=cast.bob)
    due_on(today, State.COMPLETED, assignee=cast.bob)
    bob = client_for(cast.bob).get("/staff/requests/").content.decode()
    assert re.search(
        r'<a href="/staff/my-work/">My work <span class="nav-count">2<span class="visually-hidden"> '
        r"open requests</span></span></a>",
        bob,
    )
    current = client_for(cast.bob).get("/staff/my-work/").content.decode()
    assert '<a href="/staff/my-work/" aria-current="page">My work' in current
    # The auditor is never assigned requests: no link, though the page answers (empty).
    carol = client_for(cast.carol)
    assert 'href="/staff/my-work/"' not in carol.get("/staff/").content.decode()
    assert "No open requests are assigned to you." in carol.get("/staff/my-work/").content.decode()


def test_my_work_reads_the_database_a_bounded_number_of_times(cast: Cast, django_assert_max_num_queries: Any) -> None:
    today = timezone.localdate()
    for i in range(25):
        request = due_on(today + timedelta(days=i - 5), assignee=cast.bob)
        task(request, "crm", StoreTaskState.MANUAL)
    bob = client_for(cast.bob)
    with django_assert_max_num_queries(10):
        body = bob.get("/staff/my-work/").content.decode()
    assert len(rows(body, "to-do")) == 25


def sign_in(client: Client, username: str, next_url: str = "") -> Any:
    return client.post("/staff/login/", {"username": username, "password": PASSWORD, "next": next_url})


@pytest.mark.parametrize(
    ("who", "landing"),
    [("bob", "/staff/my-work/"), ("alice", "/staff/"), ("carol", "/staff/")],
)
def test_an_analyst_lands_on_my_work_and_an_admin_or_auditor_on_the_dashboard(
    cast: Cast, who: str, landing: str
) -> None:
    assert sign_in(Client(), who)["Location"] == landing
    # Signing in from the site's front door (the dashboard) is the same as asking for nothing.
    assert sign_in(Client(), who, next_url="/staff/")["Location"] == landing


def test_a_page_asked_for_before_signing_in_still_wins(cast: Cast) -> None:
    client = Client()
    login = client.get("/staff/requests/?due=soon")["Location"]
    assert login == "/staff/login/?next=/staff/requests/%3Fdue%3Dsoon"
    assert sign_in(client, "bob", next_url="/staff/requests/?due=soon")["Location"] == "/staff/requests/?due=soon"
    assert sign_in(Client(), "bob", next_url="https://evil.example/")["Location"] == "/staff/my-work/"
    assert sign_in(Client(), "bob", next_url="//evil.example/staff/")["Location"] == "/staff/my-work/"


def test_with_two_factor_the_analyst_lands_on_my_work_after_the_code(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    client = Client()
    assert sign_in(client, "bob", next_url="/staff/")["Location"] == "/staff/login/verify/"
    response = client.post("/staff/login/verify/", {"token": token_for(device), "next": ""})
    assert response["Location"] == "/staff/my-work/"
    # Already signed in, the login page sends them on to the same place.
    assert client.get("/staff/login/")["Location"] == "/staff/my-work/"


def test_an_admin_who_also_works_requests_lands_on_the_dashboard(cast: Cast) -> None:
    cast.alice.groups.add(Group.objects.get(name=roles.ANALYST))
    assert sign_in(Client(), "alice")["Location"] == "/staff/"


def test_the_waits_for_words_follow_the_store_work(cast: Cast) -> None:
    request = due_on(timezone.localdate(), State.IN_PROGRESS, assignee=cast.bob)
    for system in ("a", "b"):
        task(request, system, StoreTaskState.MANUAL)
    [item] = workload.my_work(cast.bob, timezone.localdate()).active
    assert item.waits_for == "A person: 2 manual steps in a store"


def test_my_work_marks_requests_with_unread_messages_and_counts_each_once(cast: Cast) -> None:
    request = due_on(timezone.localdate(), State.IN_PROGRESS, assignee=cast.bob)
    for system in ("a", "b"):
        task(request, system, StoreTaskState.MANUAL)
    reply_to(request)
    reply_to(request, "And one more thing.")
    quiet = due_on(timezone.localdate() + timedelta(days=3), State.IN_PROGRESS, assignee=cast.bob)

    items = {item.request.pk: item for item in workload.my_work(cast.bob, timezone.localdate()).active}
    # Two unread messages beside two manual steps: neither join multiplies the other's count.
    assert (items[request.pk].unread, items[request.pk].waits_for) == (2, "A person: 2 manual steps in a store")
    assert items[quiet.pk].unread == 0

    body = client_for(cast.bob).get("/staff/my-work/").content.decode()
    row = body[body.index(request.reference) : body.index("</tr>", body.index(request.reference))]
    assert '<span class="unread-badge">2 unread</span>' in row
    quiet_row = body[body.index(quiet.reference) : body.index("</tr>", body.index(quiet.reference))]
    assert "unread" not in quiet_row
