"""The staff UI at work: queue, dashboard, one request and its actions, and signing in."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

# django-otp ships no type information.
from django_otp.oath import totp  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from requests_app.models import AuditEvent, Channel, DataSubjectRequest, EmailMessage, RequestType, State
from requests_app.staff import selectors
from requests_app.workflow.audit import Actor, audit_append, audit_open
from requests_app.workflow.transitions import request_assign
from tests.factories import DataSubjectRequestFactory, request_in_state
from tests.fanout_helpers import use_manual_map
from tests.staff.test_permissions import FAST_HASHERS, PASSWORD, Cast, client_for, make_cast


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


def references_in(body: str) -> list[str]:
    """The request references in the queue's rows, in order."""
    return re.findall(r'<th scope="row"><a href="/staff/requests/(DSR-\w{4}-\w{4})/">', body)


def page_title(body: str) -> str:
    match = re.search(r"<title>(.*?)</title>", body, re.S)
    assert match is not None
    return match.group(1)


def ccpa_due_in(days: int, **kwargs: Any) -> DataSubjectRequest:
    """A request under CCPA (45 calendar days, never moved) due ``days`` from today."""
    received = timezone.now() - timedelta(days=45 - days)
    return request_in_state(State.VERIFIED, jurisdiction="ccpa", received_at=received, **kwargs)


# --- The queue ------------------------------------------------------------------------------


def test_the_queue_shows_open_requests_soonest_due_first(bob: Client) -> None:
    later, overdue, soon = ccpa_due_in(30), ccpa_due_in(-3), ccpa_due_in(2)
    closed = request_in_state(State.COMPLETED)

    body = bob.get("/staff/requests/").content.decode()

    assert references_in(body) == [overdue.reference, soon.reference, later.reference]
    assert closed.reference not in body


def test_sorting_by_received_date_newest_first_reverses_the_order(bob: Client) -> None:
    old, new = ccpa_due_in(1), ccpa_due_in(20)
    body = bob.get("/staff/requests/?sort=-received").content.decode()
    assert references_in(body) == [new.reference, old.reference]
    assert 'aria-sort="descending"' in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=awaiting_approval", "approval"),
        ("request_type=deletion", "deletion"),
        ("channel=email", "email"),
        ("jurisdiction=lgpd", "lgpd"),
        ("assignee=me", "mine"),
        ("assignee=none&state=any", "unassigned"),
        ("fraud=on", "fraud"),
        ("state=any", "all"),
    ],
)
def test_the_queue_filters_by_each_property(cast: Cast, bob: Client, query: str, expected: str) -> None:
    made = {
        "approval": request_in_state(State.AWAITING_APPROVAL),
        "deletion": request_in_state(State.VERIFIED, request_type=RequestType.DELETION),
        "email": request_in_state(State.VERIFIED, channel=Channel.EMAIL),
        "lgpd": request_in_state(State.VERIFIED, jurisdiction="lgpd"),
        "mine": request_in_state(State.VERIFIED),
        "fraud": request_in_state(State.VERIFIED, fraud_signals=[{"code": "disposable_email", "detail": "x"}]),
        "closed": request_in_state(State.CANCELLED),
    }
    request_assign(request=made["mine"], actor=Actor.system("tests"), assignee=cast.bob)
    others = [r for key, r in made.items() if key != "mine"]
    for request in others:
        request_assign(request=request, actor=Actor.system("tests"), assignee=cast.alice)
    unassigned = request_in_state(State.IN_PROGRESS)

    found = set(references_in(bob.get(f"/staff/requests/?{query}").content.decode()))

    if expected == "all":
        assert found == {r.reference for r in [*made.values(), unassigned]}
    elif expected == "unassigned":
        assert found == {unassigned.reference}
    else:
        assert found == {made[expected].reference}


def test_the_due_window_separates_overdue_next_seven_days_and_later(bob: Client) -> None:
    overdue, soon, later = ccpa_due_in(-5), ccpa_due_in(3), ccpa_due_in(35)
    for window, request in (("overdue", overdue), ("soon", soon), ("later", later)):
        assert references_in(bob.get(f"/staff/requests/?due={window}").content.decode()) == [request.reference]


def test_due_dates_say_their_urgency_in_words_not_only_in_colour(bob: Client) -> None:
    ccpa_due_in(-2), ccpa_due_in(0), ccpa_due_in(3), ccpa_due_in(30)
    body = bob.get("/staff/requests/").content.decode()
    for words in ("Overdue by 2 days", "Due today", "Due in 3 days", "Due in 30 days"):
        assert words in body


def test_an_invalid_filter_value_is_ignored_rather_than_an_error(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    response = bob.get("/staff/requests/?state=bogus&due=whenever&received_from=notadate")
    assert response.status_code == 200
    assert references_in(response.content.decode()) == [request.reference]


@pytest.mark.parametrize("term", ["ADA.LOVELACE@EXAMPLE.ORG", "lovelace", "ada lovelace", "{reference_lower}"])
def test_search_finds_a_request_by_reference_email_or_name_ignoring_case(bob: Client, term: str) -> None:
    wanted = request_in_state(State.VERIFIED, subject_email="ada.lovelace@example.org", subject_name="Ada Lovelace")
    request_in_state(State.VERIFIED, subject_email="grace@example.org", subject_name="Grace Hopper")

    bob.post("/staff/requests/search/", {"q": term.format(reference_lower=wanted.reference.lower())})
    body = bob.get("/staff/requests/").content.decode()

    assert references_in(body) == [wanted.reference]


def test_a_search_from_the_default_view_finds_a_closed_request_too(bob: Client) -> None:
    done = request_in_state(State.CANCELLED, subject_email="ada.lovelace@example.org")
    still_open = request_in_state(State.VERIFIED, subject_email="ada.lovelace@example.org")
    request_in_state(State.VERIFIED, subject_email="grace@example.org")

    bob.post("/staff/requests/search/", {"q": "ada.lovelace@example.org"})
    body = bob.get("/staff/requests/").content.decode()
    assert set(references_in(body)) == {done.reference, still_open.reference}
    assert '<option value="any" selected>' in body

    # A state chosen on purpose still narrows the search.
    narrowed = bob.get("/staff/requests/?state=open").content.decode()
    assert references_in(narrowed) == [still_open.reference]


def test_an_email_search_never_appears_in_a_url_or_the_page_title(bob: Client) -> None:
    request_in_state(State.VERIFIED, subject_email="ada.lovelace@example.org")

    response = bob.post(
        "/staff/requests/search/", {"q": "ada.lovelace@example.org", "filters": "state=open&sort=-due&evil=x"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/requests/?state=open&sort=-due"
    page = bob.get(response["Location"])
    body = page.content.decode()
    assert "ada.lovelace@example.org" not in page_title(body)
    assert "ada.lovelace" not in " ".join(re.findall(r'(?:href|action)="([^"]*)"', body))
    assert "matching “ada.lovelace@example.org”" in body


def test_clearing_the_search_shows_every_request_again(bob: Client) -> None:
    first, second = request_in_state(State.VERIFIED), request_in_state(State.VERIFIED)
    bob.post("/staff/requests/search/", {"q": first.reference})
    assert references_in(bob.get("/staff/requests/").content.decode()) == [first.reference]

    bob.post("/staff/requests/search/", {"q": first.reference, "clear": "1"})

    assert set(references_in(bob.get("/staff/requests/").content.decode())) == {first.reference, second.reference}


def test_the_queue_shows_fifty_requests_a_page(bob: Client) -> None:
    for _ in range(selectors.PAGE_SIZE + 1):
        DataSubjectRequestFactory.create()
    first = bob.get("/staff/requests/").content.decode()
    second = bob.get("/staff/requests/?page=2").content.decode()
    assert len(references_in(first)) == 50
    assert len(references_in(second)) == 1
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first


def test_bulk_assign_assigns_each_request_through_the_workflow_on_the_record(cast: Cast, bob: Client) -> None:
    chosen = [request_in_state(State.VERIFIED) for _ in range(3)]
    untouched = request_in_state(State.VERIFIED)

    response = bob.post(
        "/staff/requests/assign/",
        {"references": [r.reference for r in chosen], "assignee": str(cast.alice.pk), "filters": "due=soon"},
    )

    assert response["Location"] == "/staff/requests/?due=soon"
    for request in chosen:
        request.refresh_from_db()
        assert request.assignee == cast.alice
        event = AuditEvent.objects.get(request=request, action="request.assigned")
        assert (event.actor, event.data) == ("staff:bob", {"from": None, "to": "alice"})
    untouched.refresh_from_db()
    assert untouched.assignee is None
    assert "3 requests assigned to alice." in bob.get(response["Location"]).content.decode()


def test_bulk_assign_without_a_selection_changes_nothing_and_says_so(cast: Cast, bob: Client) -> None:
    response = bob.post("/staff/requests/assign/", {"assignee": str(cast.alice.pk)}, follow=True)
    assert "Choose some requests." in response.content.decode()
    assert not AuditEvent.objects.filter(action="request.assigned").exists()


# --- The dashboard --------------------------------------------------------------------------


def test_the_dashboard_counts_open_due_overdue_and_waiting_requests_with_links(bob: Client) -> None:
    ccpa_due_in(-1), ccpa_due_in(2), ccpa_due_in(40)
    request_in_state(State.AWAITING_REQUESTER)
    request_in_state(State.COMPLETED)

    body = bob.get("/staff/").content.decode()

    assert re.search(r'href="/staff/requests/\?state=open"><span class="tile-number">4</span>', body)
    assert re.search(r'href="/staff/requests/\?state=open&amp;due=overdue"><span class="tile-number">1</span>', body)
    assert re.search(r'href="/staff/requests/\?state=open&amp;due=soon"><span class="tile-number">1</span>', body)
    assert re.search(r'href="/staff/requests/\?state=awaiting_requester"><span class="tile-number">1</span>', body)


def test_the_dashboard_charts_are_svg_images_with_a_title_and_a_table(bob: Client) -> None:
    DataSubjectRequestFactory.create(request_type=RequestType.DELETION)
    body = bob.get("/staff/").content.decode()
    assert body.count('role="img"') == 2
    assert '<title id="chart-received-title">Requests received per week, by type</title>' in body
    assert '<title id="chart-completion-title">Days to complete a request, per week</title>' in body
    assert "<caption>Requests received per week (week starting), by type</caption>" in body
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    link = (
        f"/staff/requests/?state=any&amp;request_type=deletion&amp;received_from={monday.isoformat()}"
        f"&amp;received_to={(monday + timedelta(days=6)).isoformat()}"
    )
    assert f'<a href="{link}">1</a>' in body


def test_days_to_complete_are_the_median_and_90th_percentile_of_each_week(db: None) -> None:
    for days in (5, 10, 20):
        request_in_state(State.COMPLETED, received_at=timezone.now() - timedelta(days=days))

    this_week = selectors.weekly_completion(timezone.localdate())[-1]

    assert (this_week.completed, this_week.median_days, this_week.p90_days) == (3, 10, 20)


def test_the_nearest_rank_percentile_takes_a_value_that_occurred() -> None:
    assert selectors.percentile_nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert selectors.percentile_nearest_rank([7], 90) == 7


def test_weeks_received_count_each_type_in_the_week_it_arrived(db: None) -> None:
    today = date(2026, 3, 11)  # a Wednesday
    weeks = selectors.chart_weeks(today)
    assert len(weeks) == 12
    assert weeks[-1] == date(2026, 3, 9)
    assert weeks[0] == date(2025, 12, 22)


# --- One request ----------------------------------------------------------------------------


def test_the_request_page_shows_facts_signals_the_rule_and_one_timeline(bob: Client) -> None:
    request = request_in_state(
        State.VERIFIED,
        subject_name="Ada Lovelace",
        details="Please send everything.",
        fraud_signals=[{"code": "disposable_email", "detail": "The email address is at a disposable-mail provider."}],
    )
    bob.post(f"/staff/requests/{request.reference}/ask/", {"ask-question": "Which account?", "ask-confirm": "on"})

    body = bob.get(f"/staff/requests/{request.reference}/").content.decode()

    assert "Ada Lovelace" in body and request.subject_email in body and "Please send everything." in body
    assert "disposable_email" in body
    assert selectors.request_deadline(request).explain() in body
    timeline = body[body.index('id="timeline-title"') :]
    for entry in ("Request received", "State changed", "Email queued", "Email out: more_information"):
        assert entry in timeline
    times = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert len(times) == AuditEvent.objects.filter(request=request).count() + 1  # and the one email
    assert times == sorted(times, reverse=True)  # newest first
    assert "Which account?" in timeline


def test_only_the_actions_the_workflow_allows_are_offered(bob: Client) -> None:
    waiting = request_in_state(State.PENDING_VERIFICATION)
    body = bob.get(f"/staff/requests/{waiting.reference}/").content.decode()
    for action in ("verify", "ask", "extend", "assign", "note", "reject", "cancel"):
        assert f"/{action}/" in body
    for action in ("approve", "complete", "resume"):
        assert f"/{action}/" not in body

    done = request_in_state(State.COMPLETED)
    body = bob.get(f"/staff/requests/{done.reference}/").content.decode()
    assert re.findall(r'action="/staff/requests/DSR-\w{4}-\w{4}/(\w+)/"', body) == ["note"]


def post_action(client: Client, request: DataSubjectRequest, action: str, data: dict[str, str]) -> Any:
    return client.post(f"/staff/requests/{request.reference}/{action}/", {f"{action}-{k}": v for k, v in data.items()})


def last_event(request: DataSubjectRequest) -> AuditEvent:
    event = AuditEvent.objects.filter(request=request).exclude(action__startswith="email.").last()
    assert event is not None
    return event


def test_verifying_manually_records_how_and_moves_the_request_on(bob: Client) -> None:
    request = request_in_state(State.PENDING_VERIFICATION)

    response = post_action(bob, request, "verify", {"note": "Called the number on the account", "confirm": "on"})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state != State.PENDING_VERIFICATION
    assert request.verification_note == "Called the number on the account"
    event = AuditEvent.objects.get(request=request, to_state=State.VERIFIED)
    assert (event.actor, audit_open(event).reason) == ("staff:bob", "Called the number on the account")


def test_asking_the_requester_pauses_the_request_and_emails_the_question(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    post_action(bob, request, "ask", {"question": "Which account did you use?", "confirm": "on"})
    request.refresh_from_db()
    assert request.state == State.AWAITING_REQUESTER
    assert EmailMessage.objects.get(request=request, kind="more_information").body_text.count("Which account") == 1
    assert audit_open(last_event(request)).reason == "Which account did you use?"


def test_resuming_returns_a_paused_request_to_where_it_paused(bob: Client) -> None:
    request = request_in_state(State.AWAITING_REQUESTER, paused_from=State.AWAITING_APPROVAL)
    post_action(bob, request, "resume", {"note": "They sent the account id"})
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL
    assert (last_event(request).actor, audit_open(last_event(request)).reason) == (
        "staff:bob",
        "They sent the account id",
    )


def test_approving_starts_work_on_the_request(bob: Client) -> None:
    use_manual_map()
    request = request_in_state(State.AWAITING_APPROVAL, request_type=RequestType.DELETION)
    post_action(bob, request, "approve", {"note": "", "confirm": "on"})
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    event = AuditEvent.objects.get(request=request, to_state=State.IN_PROGRESS)
    assert (event.actor, event.from_state) == ("staff:bob", State.AWAITING_APPROVAL)


def test_rejecting_records_the_reason_and_tells_the_requester(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    post_action(
        bob, request, "reject", {"category": "not_a_consumer", "reason": "We hold no data about you.", "confirm": "on"}
    )
    request.refresh_from_db()
    assert (request.state, request.rejection_category) == (State.REJECTED, "not_a_consumer")
    assert audit_open(last_event(request)).reason == "We hold no data about you."
    assert last_event(request).data["rejection_category"] == "not_a_consumer"
    assert (
        "Not made by a consumer (or data subject) of ours"
        in bob.get(f"/staff/requests/{request.reference}/").content.decode()
    )
    assert "We hold no data about you." in EmailMessage.objects.get(request=request, kind="rejection").body_text


def test_a_reason_template_fills_the_rejection_form_for_editing(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    body = bob.get(f"/staff/requests/{request.reference}/?reason_template=no_data").content.decode()
    reject_form = body[body.index('id="action-reject"') :]
    assert "After searching our systems we found no personal data about you" in reject_form


def test_extending_moves_the_due_date_and_tells_the_requester(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, received_at=timezone.now() - timedelta(days=3))
    old_due = request.due_at
    post_action(bob, request, "extend", {"reason": "Many systems to search", "confirm": "on"})
    request.refresh_from_db()
    assert request.due_at > old_due
    assert last_event(request).action == "request.extended"
    assert EmailMessage.objects.filter(request=request, kind="extension").exists()


def test_assigning_and_adding_a_note_are_on_the_record(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    post_action(bob, request, "assign", {"assignee": str(cast.bob.pk)})
    post_action(bob, request, "note", {"note": "Spoke to support about the account."})
    request.refresh_from_db()
    assert request.assignee == cast.bob
    note = last_event(request)
    assert (note.action, note.actor, audit_open(note).reason) == (
        "request.note",
        "staff:bob",
        "Spoke to support about the account.",
    )
    assert note.to_state == "" and note.from_state == ""


def test_cancelling_records_the_reason_and_closes_the_request(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    post_action(bob, request, "cancel", {"reason": "A duplicate of another request", "confirm": "on"})
    request.refresh_from_db()
    assert request.state == State.CANCELLED
    assert (
        audit_open(AuditEvent.objects.get(request=request, to_state=State.CANCELLED)).reason
        == "A duplicate of another request"
    )


def test_completing_a_request_that_reached_no_store_records_why_and_tells_the_subject(bob: Client) -> None:
    request = request_in_state(State.IN_PROGRESS)
    why = "No personal data held: the subject is in none of our systems."
    post_action(bob, request, "complete", {"reason": why, "confirm": "on"})
    request.refresh_from_db()
    assert request.state == State.COMPLETED
    assert request.completion_note == why
    completion = EmailMessage.objects.get(request=request, kind="completion")
    assert why in completion.body_text


def test_completing_without_a_store_or_a_reason_is_refused(bob: Client) -> None:
    request = request_in_state(State.IN_PROGRESS)
    response = post_action(bob, request, "complete", {"confirm": "on"})
    assert response.status_code == 409
    assert "No store has been searched for this request" in response.content.decode()
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    assert not EmailMessage.objects.filter(request=request, kind="completion").exists()


def test_completing_with_a_store_that_has_no_outcome_is_refused_naming_it(bob: Client) -> None:
    from requests_app.models import StoreTask

    request = request_in_state(State.NEEDS_ATTENTION, request_type="deletion")
    StoreTask.objects.create(request=request, system="accounts", kind="sql", action="resolve", step=0, state="done")
    StoreTask.objects.create(request=request, system="billing", kind="sql", action="resolve", step=1, state="failed")
    StoreTask.objects.create(request=request, system="billing", kind="sql", action="erase", step=2, state="pending")
    response = post_action(bob, request, "complete", {"reason": "It is fine", "confirm": "on"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "billing (find the subject and count their records) is failed" in body
    assert "billing (erase) is waiting for earlier stores" in body
    request.refresh_from_db()
    assert request.state == State.NEEDS_ATTENTION
    assert not EmailMessage.objects.filter(request=request, kind="completion").exists()


@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        (State.PENDING_VERIFICATION, "verify", {"note": "Checked"}),
        (State.AWAITING_APPROVAL, "approve", {"note": ""}),
        (State.VERIFIED, "ask", {"question": "Which account?"}),
        (State.VERIFIED, "reject", {"category": "other", "reason": "No data"}),
        (State.VERIFIED, "extend", {"reason": "Busy"}),
        (State.VERIFIED, "cancel", {"reason": "Duplicate"}),
        (State.IN_PROGRESS, "complete", {}),
    ],
)
def test_an_action_that_cannot_be_undone_needs_the_confirmation_box(
    bob: Client, state: State, action: str, data: dict[str, str]
) -> None:
    request = request_in_state(state)
    events = AuditEvent.objects.filter(request=request).count()

    response = post_action(bob, request, action, data)

    assert response.status_code == 400
    assert "Tick the box to confirm; this cannot be undone." in response.content.decode()
    request.refresh_from_db()
    assert (request.state, request.is_extended) == (state, False)
    assert AuditEvent.objects.filter(request=request).count() == events


def test_a_change_the_workflow_refuses_is_explained_on_the_page_not_a_server_error(bob: Client) -> None:
    request = request_in_state(State.COMPLETED)
    response = post_action(
        bob, request, "reject", {"category": "other", "reason": "Too late for this", "confirm": "on"}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "This could not be done" in body and "cannot move to rejected" in body
    assert page_title(body).startswith("Error: Request ")
    request.refresh_from_db()
    assert request.state == State.COMPLETED


def test_an_extension_after_the_first_period_is_refused_with_the_reason(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, received_at=timezone.now() - timedelta(days=70))
    response = post_action(bob, request, "extend", {"reason": "Busy", "confirm": "on"})
    assert response.status_code == 409
    assert "Too late: GDPR requires telling the subject by" in response.content.decode()
    request.refresh_from_db()
    assert not request.is_extended


def test_a_paused_request_cannot_be_verified_behind_the_workflows_back(bob: Client) -> None:
    request = request_in_state(State.AWAITING_REQUESTER, paused_from=State.PENDING_VERIFICATION)
    response = post_action(bob, request, "verify", {"note": "Checked", "confirm": "on"})
    assert response.status_code == 409
    assert "goes back to waiting for identity verification" in response.content.decode()


def test_an_unknown_action_or_request_is_not_found(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    assert bob.post(f"/staff/requests/{request.reference}/explode/", {}).status_code == 404
    assert bob.get("/staff/requests/DSR-0000-0000/").status_code == 404


HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_DETAILS = '<img src=x onerror="alert(1)">'


def test_requester_text_with_html_is_escaped_on_every_page(bob: Client) -> None:
    request = request_in_state(
        State.VERIFIED,
        subject_name=HOSTILE_NAME,
        details=HOSTILE_DETAILS,
        subject_identifiers={"phone": "<b>555</b>"},
        fraud_signals=[{"code": "names_differ", "detail": "<i>Other</i>"}],
    )
    post_action(bob, request, "note", {"note": "<u>note</u>"})
    bob.post("/staff/requests/search/", {"q": "<script>"})

    pages = [bob.get(url).content.decode() for url in ("/staff/", "/staff/requests/")]
    pages.append(bob.get(f"/staff/requests/{request.reference}/").content.decode())

    for body in pages:
        for raw in (HOSTILE_NAME, HOSTILE_DETAILS, "<b>555</b>", "<i>Other</i>", "<u>note</u>", "“<script>”"):
            assert raw not in body
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in pages[1]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pages[2]


def test_page_titles_carry_no_personal_data(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, subject_name="Ada Lovelace", subject_email="ada@example.org")
    title = page_title(bob.get(f"/staff/requests/{request.reference}/").content.decode())
    assert title == f"Request {request.reference} · Privacy team · Example Company"


# --- Signing in -----------------------------------------------------------------------------


def sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    return client.post("/staff/login/", {"username": username, "password": password, "next": next_url})


def test_a_staff_member_signs_in_with_a_password_when_two_factor_is_off(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = False
    client = Client()
    assert client.get("/staff/requests/")["Location"] == "/staff/login/?next=/staff/requests/"

    response = sign_in(client, "bob", next_url="/staff/requests/")

    assert response["Location"] == "/staff/requests/"
    assert client.get("/staff/requests/").status_code == 200


def test_a_wrong_password_gets_the_same_answer_whether_or_not_the_user_exists(cast: Cast) -> None:
    known = sign_in(Client(), "bob", "wrong password")
    unknown = sign_in(Client(), "nobody", "wrong password")
    assert known.status_code == unknown.status_code == 400
    message = "Please enter a correct username and password."
    assert message in known.content.decode() and message in unknown.content.decode()


def test_the_login_sends_only_to_pages_of_this_site(cast: Cast) -> None:
    response = sign_in(Client(), "bob", next_url="https://evil.example/")
    assert response["Location"] == "/staff/my-work/", "an analyst's own landing page, not the other site"


def test_after_the_failure_limit_even_the_right_password_is_refused(cast: Cast, settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "bob", "wrong password").status_code == 400

    locked = sign_in(client, "bob", "wrong password")
    after = sign_in(client, "bob")

    assert locked.status_code == after.status_code == 429
    assert "Too many failed sign-ins" in after.content.decode()
    assert "_auth_user_id" not in client.session
    # Another person at the same address is not locked out by bob's mistakes.
    assert sign_in(Client(), "carol").status_code == 302


def test_signing_out_ends_the_session(cast: Cast) -> None:
    client = client_for(cast.bob)
    assert client.post("/staff/logout/")["Location"] == "/staff/login/"
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


def test_the_session_lapses_after_the_idle_timeout_and_each_request_renews_it(cast: Cast, settings: Any) -> None:
    assert (settings.SESSION_COOKIE_AGE, settings.SESSION_SAVE_EVERY_REQUEST) == (30 * 60, True)
    client = client_for(cast.bob)
    response = client.get("/staff/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def token_for(device: Any) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def test_with_two_factor_on_a_password_alone_opens_no_staff_page(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    client = Client()

    response = sign_in(client, "bob", next_url="/staff/requests/")

    assert response["Location"] == "/staff/login/verify/?next=%2Fstaff%2Frequests%2F"
    assert client.get("/staff/requests/")["Location"] == "/staff/login/verify/?next=%2Fstaff%2Frequests%2F"
    assert client.get(response["Location"])["Location"] == "/staff/login/two-factor/?next=%2Fstaff%2Frequests%2F"


def test_setting_up_totp_shows_a_qr_code_and_the_secret_and_a_token_confirms_it(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    client = Client()
    sign_in(client, "bob")

    page = client.get("/staff/login/two-factor/?next=/staff/requests/")
    device = TOTPDevice.objects.get(user=cast.bob, confirmed=False)
    body = page.content.decode()
    assert '<svg width="240" height="240" role="img" aria-label="QR code' in body
    assert re.search(r"<code>([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>", body)
    assert "Cache-Control" in page and "no-store" in page["Cache-Control"]

    response = client.post("/staff/login/two-factor/", {"token": token_for(device), "next": "/staff/requests/"})

    assert response["Location"] == "/staff/requests/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/requests/").status_code == 200


def test_with_a_device_signing_in_takes_a_valid_token_from_it(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no waiting after the wrong code below
    device = TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "bob")

    wrong = client.post("/staff/login/verify/", {"token": "000000" if token_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    right = client.post("/staff/login/verify/", {"token": token_for(device), "next": "/staff/"})

    assert right["Location"] == "/staff/my-work/", "the dashboard is the front door: an analyst lands on My work"
    assert client.get("/staff/").status_code == 200


def test_a_session_with_only_the_password_cannot_add_a_device_of_its_own(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "bob")

    response = client.get("/staff/login/two-factor/")

    assert response["Location"].startswith("/staff/login/verify/")
    assert TOTPDevice.objects.filter(user=cast.bob).count() == 1


def test_someone_without_a_staff_role_is_refused_before_any_second_factor(cast: Cast, settings: Any) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    client = Client()
    sign_in(client, "dave")
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/login/two-factor/").status_code == 403
    assert not TOTPDevice.objects.filter(user=cast.dave).exists()


def test_the_timeline_names_store_work_in_words_not_codes(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    audit_append(request=request, actor=Actor.system("fanout"), action="fanout.created", data={"tasks": 2})
    audit_append(request=request, actor=Actor.system("fanout"), action="store_task.done", data={"system": "accounts"})

    body = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Store work planned" in body
    assert "Store done: accounts" in body
    # The codes are only in each entry's raw event, for those who open it.
    words = without_raw_events(body)
    assert "fanout.created" not in words and "store_task.done" not in words
    assert "<code>fanout.created</code>" in body and "<code>store_task.done</code>" in body


def without_raw_events(body: str) -> str:
    """The page without the raw audit events that each timeline entry keeps in a disclosure."""
    return re.sub(r'<details class="raw-event">.*?</details>', "", body, flags=re.S)
