"""The request page's layout at work: the next step's panel and its one form, the other actions
one click away, and the timeline's filters and raw events, for each role."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from requests_app.models import AuditEvent, RequestType, State, StoreTask, StoreTaskState
from requests_app.workflow.audit import Actor, audit_append
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast
from tests.staff.test_views import without_raw_events

if TYPE_CHECKING:
    from django.test import Client


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


@pytest.fixture
def carol(cast: Cast) -> Client:
    return client_for(cast.carol)


def section(body: str, marker: str) -> str:
    start = body.index(marker)
    return body[start : body.index("</section>", start)]


def panel(body: str) -> str:
    return section(body, 'id="next-step"')


def timeline(body: str) -> str:
    return section(body, 'id="timeline-title"')


def page(client: Client, request: Any, query: str = "") -> str:
    response = client.get(f"/staff/requests/{request.reference}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def form_actions(html: str) -> list[str]:
    return re.findall(r'action="/staff/requests/DSR-\w{4}-\w{4}/(\w+)/"', html)


# --- The next step ---------------------------------------------------------------------------


def test_a_request_for_approval_offers_the_approve_form_in_the_panel_and_only_there(bob: Client) -> None:
    request = request_in_state(State.AWAITING_APPROVAL)
    body = page(bob, request)
    assert "Ready for approval." in panel(body)
    assert form_actions(panel(body)) == ["approve"]
    assert form_actions(body).count("approve") == 1
    assert 'name="approve-confirm"' in panel(body)
    # The other actions are still there, one click away, each posting to its own address.
    others = section(body, 'id="actions-title"')
    assert {"ask", "extend", "assign", "note", "reject", "cancel"} <= set(form_actions(others))
    assert re.search(r'<details class="action" id="action-note">\s*<summary>Add an internal note</summary>', others)


def test_a_store_waiting_for_a_person_is_recorded_from_the_panel(bob: Client) -> None:
    request = request_in_state(State.NEEDS_ATTENTION, request_type=RequestType.DELETION)
    task = StoreTask.objects.create(
        request=request, system="billing", kind="manual", action="erase", step=0, state=StoreTaskState.MANUAL
    )
    body = page(bob, request)
    here = panel(body)
    assert "Store &#x27;billing&#x27; needs a person" in here
    assert f'action="/staff/requests/{request.reference}/stores/{task.pk}/outcome/"' in here
    assert f'id="next-outcome-{task.pk}-done_by_hand"' in here  # its own ids, apart from the table's

    response = bob.post(
        f"/staff/requests/{request.reference}/stores/{task.pk}/outcome/",
        {"outcome": "done_by_hand", "note": "Deleted in the billing console"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == StoreTaskState.RESOLVED


def test_a_failed_store_offers_its_retry_in_the_panel(bob: Client) -> None:
    request = request_in_state(State.NEEDS_ATTENTION, request_type=RequestType.DELETION)
    task = StoreTask.objects.create(
        request=request, system="crm", kind="sql", action="erase", step=0, state=StoreTaskState.FAILED, error="timeout"
    )
    here = panel(page(bob, request))
    assert "A store failed: &#x27;crm&#x27;" in here
    assert f"/stores/{task.pk}/retry/" in here and "Try crm again" in here


def test_a_closed_request_says_nothing_is_to_be_done_and_offers_only_a_note(bob: Client) -> None:
    request = request_in_state(State.COMPLETED)
    body = page(bob, request)
    assert "nothing to do." in panel(body)
    assert form_actions(panel(body)) == []
    assert form_actions(body) == ["note"]


def test_the_auditor_reads_the_next_step_but_is_offered_no_form(carol: Client) -> None:
    request = request_in_state(State.AWAITING_APPROVAL)
    body = page(carol, request)
    assert "Ready for approval." in panel(body)
    assert form_actions(body) == []
    assert "You can see this request but not act on it." in body


# --- Confirmation of what cannot be undone -------------------------------------------------


@pytest.mark.parametrize(
    ("state", "action"), [(State.VERIFIED, "reject"), (State.VERIFIED, "cancel"), (State.IN_PROGRESS, "complete")]
)
def test_each_action_that_cannot_be_undone_asks_for_the_box_and_reopens_its_form(
    bob: Client, state: State, action: str
) -> None:
    request = request_in_state(state)
    body = page(bob, request)
    assert f'name="{action}-confirm"' in body and "this cannot be undone" in body.lower()
    events = AuditEvent.objects.filter(request=request).count()

    response = bob.post(f"/staff/requests/{request.reference}/{action}/", {f"{action}-reason": "Duplicate"})

    assert response.status_code == 400
    answer = response.content.decode()
    assert "Tick the box to confirm; this cannot be undone." in answer
    # The form that was sent is open again, with what was typed.
    assert re.search(rf'<details class="action[^"]*" id="action-{action}" open>', answer)
    assert "Duplicate" in section(answer, f'id="action-{action}"')
    request.refresh_from_db()
    assert request.state == state
    assert AuditEvent.objects.filter(request=request).count() == events


def test_a_reason_template_opens_the_rejection_form(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    body = page(bob, request, "?reason_template=no_data")
    assert '<details class="action action-danger" id="action-reject" open>' in body


# --- The timeline ---------------------------------------------------------------------------


def busy_request(cast: Cast, bob: Client) -> Any:
    request = request_in_state(State.VERIFIED)
    bob.post(f"/staff/requests/{request.reference}/ask/", {"ask-question": "Which account?", "ask-confirm": "on"})
    bob.post(f"/staff/requests/{request.reference}/note/", {"note-note": "Checked the CRM."})
    audit_append(request=request, actor=Actor.system("fanout"), action="store_task.done", data={"system": "accounts"})
    return request


def titles(html: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", timeline(html))


def test_the_timeline_filters_show_messages_store_work_or_staff_actions(cast: Cast, bob: Client) -> None:
    request = busy_request(cast, bob)

    every = titles(page(bob, request))
    assert {"Internal note", "Store done: accounts", "Email out: more_information", "Email queued"} <= set(every)

    messages = titles(page(bob, request, "?timeline=messages"))
    assert set(messages) == {"Email out: more_information", "Email queued"}

    stores = titles(page(bob, request, "?timeline=stores"))
    assert stores == ["Store done: accounts"]

    staff = titles(page(bob, request, "?timeline=staff"))
    assert "Internal note" in staff and "State changed" in staff
    assert "Personal data viewed" not in staff and "Store done: accounts" not in staff
    assert "Personal data viewed" in every


def test_the_chosen_filter_is_marked_and_each_is_a_plain_link(cast: Cast, bob: Client) -> None:
    request = busy_request(cast, bob)
    body = page(bob, request, "?timeline=stores")
    links = re.findall(r'<a href="\?timeline=(\w+)#timeline"( aria-current="true")?>', body)
    assert [name for name, _ in links] == ["all", "messages", "stores", "staff"]
    assert [name for name, current in links if current] == ["stores"]


def test_an_unknown_filter_shows_everything_and_is_not_echoed(cast: Cast, bob: Client) -> None:
    request = busy_request(cast, bob)
    body = page(bob, request, "?timeline=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in body and "alert(1)" not in body
    assert "Internal note" in titles(body) and "Store done: accounts" in titles(body)


def test_each_event_keeps_its_raw_record_with_the_chain_hash(cast: Cast, bob: Client) -> None:
    request = busy_request(cast, bob)
    body = page(bob, request)
    note = AuditEvent.objects.get(request=request, action="request.note")
    raw = body[body.index(f"Raw event #{note.seq}") :]
    raw = raw[: raw.index("</details>")]
    assert "<code>request.note</code>" in raw and "<code>staff:bob</code>" in raw
    assert note.hash in raw and note.prev_hash in raw
    assert "Checked the CRM." in raw  # bob may see personal data: the sealed text, opened


def test_the_auditor_sees_raw_events_without_their_personal_data(cast: Cast, bob: Client, carol: Client) -> None:
    request = request_in_state(State.VERIFIED, subject_name="Ada Lovelace")
    audit_append(
        request=request,
        actor=Actor.system("intake"),
        action="email.received",
        data={"email": 7},
        personal={"from": "ada.private@example.org"},
    )
    event = AuditEvent.objects.get(request=request, action="email.received")

    analyst = page(bob, request)
    assert "ada.private@example.org" in analyst

    auditor = page(carol, request)
    raw = auditor[auditor.index(f"Raw event #{event.seq}") :]
    raw = raw[: raw.index("</details>")]
    assert "<code>email.received</code>" in raw and event.hash in raw
    assert "Hidden: your role does not see personal data." in raw
    assert "ada.private@example.org" not in auditor and "Ada Lovelace" not in auditor
    assert request.subject_email not in auditor


def test_the_auditor_sees_neither_an_emails_subject_line_nor_what_staff_wrote(
    cast: Cast, bob: Client, carol: Client
) -> None:
    request = request_in_state(State.VERIFIED)
    request.emails.create(direction="in", status="attached", subject="Re: Ada Lovelace, born 1815")
    bob.post(f"/staff/requests/{request.reference}/note/", {"note-note": "Ada called from her office."})

    analyst = timeline(page(bob, request))
    assert "Re: Ada Lovelace, born 1815" in analyst and "Ada called from her office." in analyst

    auditor = timeline(page(carol, request))
    assert "Email in" in auditor and "Internal note" in auditor
    assert "Ada" not in auditor
    assert "hidden, since your role does not see what may be personal data" in auditor


def test_reads_of_the_page_one_after_another_by_one_person_show_as_one_entry(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    for _ in range(3):
        page(bob, request)
    bob.post(f"/staff/requests/{request.reference}/note/", {"note-note": "Called the requester."})
    body = timeline(page(bob, request))

    reads = AuditEvent.objects.filter(request=request, action="personal_data.viewed").count()
    assert reads == 4  # every look is on the record
    words = without_raw_events(body)
    # Newest first: the last read, the note, then the three reads before it as one entry.
    assert words.count("Personal data viewed") == 2
    assert "(3 times since" in words
    assert words.index("Personal data viewed") < words.index("Internal note") < words.index("(3 times since")


def test_the_fraud_section_says_whether_a_signal_holds_the_request(cast: Cast, bob: Client) -> None:
    risky = request_in_state(
        State.AWAITING_APPROVAL, fraud_signals=[{"code": "disposable_email", "detail": "A throwaway address."}]
    )
    mild = request_in_state(State.VERIFIED, fraud_signals=[{"code": "many_for_subject", "detail": "Two more."}])

    held = section(page(bob, risky), 'id="signals-title"')
    assert "disposable_email</strong> (high risk)" in held
    assert "no store is searched until a person approves it" in held
    calm = section(page(bob, mild), 'id="signals-title"')
    assert "(high risk)" not in calm and "None of these is high risk" in calm


def test_the_page_without_its_raw_events_names_actions_in_words(cast: Cast, bob: Client) -> None:
    request = busy_request(cast, bob)
    words = without_raw_events(timeline(page(bob, request)))
    assert "request.note" not in words and "store_task.done" not in words
