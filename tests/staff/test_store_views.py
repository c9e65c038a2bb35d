"""Staff see each store's work on a request, retry a failed store, finish a manual step and
download the result, each on the record; an auditor sees but cannot act."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from requests_app.fulfilment.evidence import evidence_open
from requests_app.models import AuditEvent, DataSubjectRequest, State, StoreTask, StoreTaskState
from requests_app.services.downloads import bundle_open
from tests.factories import request_in_state, stored_bundle
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


def with_task(state: str, **fields: Any) -> tuple[DataSubjectRequest, StoreTask]:
    request = request_in_state(State.NEEDS_ATTENTION)
    task = StoreTask.objects.create(
        request=request, system="web_analytics", kind="manual", action="erase", step=0, state=state, **fields
    )
    return request, task


def test_the_request_page_lists_each_stores_work(cast: Cast) -> None:
    request, _ = with_task(StoreTaskState.FAILED, error="connection refused by the processor")
    StoreTask.objects.create(
        request=request, system="accounts", kind="sql", action="resolve", step=0, state="done",
        counts={"found": {"users": 1}},
    )  # fmt: skip
    StoreTask.objects.create(
        request=request, system="billing", kind="sql", action="erase", step=1, state="done",
        counts={"datasets": {"invoices": {"deleted": 0, "retained": 4}, "payments": {"deleted": 2}}},
    )  # fmt: skip
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Data stores" in body
    assert "web_analytics" in body and "connection refused by the processor" in body
    assert "Try web_analytics again" in body
    assert "users 1" in body
    assert "deleted 2, retained 4" in body


def test_an_analyst_retries_a_failed_store_and_the_request_goes_back_to_work(cast: Cast) -> None:
    request, task = with_task(StoreTaskState.FAILED, attempts=5, error="timeout")
    response = client_for(cast.bob).post(f"/staff/requests/{request.reference}/stores/{task.pk}/retry/")
    assert response.status_code == 302
    task.refresh_from_db()
    request.refresh_from_db()
    assert (task.state, task.attempts, request.state) == (StoreTaskState.QUEUED, 0, State.IN_PROGRESS)
    assert AuditEvent.objects.filter(request=request, action="store_task.retried", actor="staff:bob").exists()


def test_an_analyst_finishes_a_manual_step_with_a_note_and_a_confirmation(cast: Cast) -> None:
    request, task = with_task(StoreTaskState.MANUAL, instructions="Delete the visitor in the console.")
    upload = SimpleUploadedFile("../../confirmation.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/stores/{task.pk}/complete/",
        {"note": "Deleted visitor 123 <script>x</script>", "attachment": upload},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.outcome, task.note) == (
        StoreTaskState.RESOLVED,
        "done_by_hand",
        "Deleted visitor 123 <script>x</script>",
    )
    assert task.resolved_by == "Bob" and task.outcome_words == "Erased by hand"
    # The evidence is kept encrypted at rest, under a random name, with the given name cleaned.
    assert task.attachment_name == "confirmation.png"
    assert task.attachment.read() != b"\x89PNG\r\n\x1a\n"
    with evidence_open(task) as plain:
        assert plain.read() == b"\x89PNG\r\n\x1a\n"
    event = AuditEvent.objects.get(request=request, action="store_task.resolved")
    assert (event.actor, event.data["outcome"]) == ("staff:bob", "done_by_hand")
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "<script>x</script>" not in body
    assert "Erased by hand, recorded by Bob" in body


def test_an_outcome_recorded_for_a_failed_search_settles_the_stores_erasure_too(cast: Cast) -> None:
    request = request_in_state(State.NEEDS_ATTENTION, request_type="deletion")
    failed = StoreTask.objects.create(
        request=request, system="billing", kind="sql", action="resolve", step=1, state="failed", error="no such table"
    )
    erase = StoreTask.objects.create(request=request, system="billing", kind="sql", action="erase", step=3)
    other = StoreTask.objects.create(request=request, system="accounts", kind="sql", action="erase", step=4)
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/stores/{failed.pk}/outcome/",
        {"outcome": "retained", "note": "Legal hold: tax audit until 2027"},
    )
    assert response.status_code == 302
    for task in (failed, erase, other):
        task.refresh_from_db()
    assert (failed.state, erase.state, other.state) == ("resolved", "resolved", "pending")
    assert erase.outcome == "retained" and erase.outcome_words == "Kept for a legal reason"
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS


def test_an_outcome_the_work_cannot_have_is_refused(cast: Cast) -> None:
    request = request_in_state(State.NEEDS_ATTENTION, request_type="deletion")
    task = StoreTask.objects.create(
        request=request, system="", recipient="our affiliates", kind="manual", action="notify", step=5, state="manual"
    )
    client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/stores/{task.pk}/outcome/", {"outcome": "retained", "note": "x"}
    )
    task.refresh_from_db()
    assert task.state == "manual"
    assert not AuditEvent.objects.filter(request=request, action="store_task.resolved").exists()


def test_an_access_request_searched_by_hand_needs_the_export(cast: Cast) -> None:
    request = request_in_state(State.NEEDS_ATTENTION)
    task = StoreTask.objects.create(
        request=request, system="web_analytics", kind="manual", action="resolve", step=2, state="manual"
    )
    page = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/stores/{task.pk}/outcome/",
        {"outcome": "done_by_hand", "note": "Exported the visitor report"},
        follow=True,
    )
    assert "Attach the export" in page.content.decode()
    task.refresh_from_db()
    assert task.state == "manual"
    client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/stores/{task.pk}/outcome/",
        {"outcome": "no_data", "note": "The vendor confirmed it holds nothing for these cookies"},
    )
    task.refresh_from_db()
    assert (task.state, task.outcome_words) == ("resolved", "No data held")


@pytest.mark.parametrize("closing", ["cancel", "reject"])
def test_a_closed_request_offers_and_runs_no_store_action(cast: Cast, closing: str) -> None:
    from requests_app.services import requests as services
    from requests_app.workflow.audit import Actor

    request, task = with_task(StoreTaskState.FAILED, error="timeout")
    waiting = StoreTask.objects.create(request=request, system="billing", kind="sql", action="erase", step=3)
    close = services.request_cancel if closing == "cancel" else services.request_reject
    close(request=request, actor=Actor.system("tests"), reason="Duplicate request")
    task.refresh_from_db()
    waiting.refresh_from_db()
    assert (task.state, waiting.state) == (StoreTaskState.CANCELLED, StoreTaskState.CANCELLED)
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Try web_analytics again" not in body and "Record the outcome" not in body
    assert "Waiting for earlier stores" not in body
    for path in ("retry", "outcome"):
        response = client_for(cast.bob).post(
            f"/staff/requests/{request.reference}/stores/{task.pk}/{path}/", {"outcome": "no_data", "note": "x"}
        )
        assert response.status_code == 404
    task.refresh_from_db()
    assert task.state == StoreTaskState.CANCELLED


def test_a_manual_step_without_a_note_is_refused_and_stays_open(cast: Cast) -> None:
    request, task = with_task(StoreTaskState.MANUAL)
    client_for(cast.bob).post(f"/staff/requests/{request.reference}/stores/{task.pk}/complete/", {"note": " "})
    task.refresh_from_db()
    assert task.state == StoreTaskState.MANUAL


@pytest.mark.parametrize("who", ["carol", "dave", "anonymous"])
def test_people_who_may_not_act_cannot_retry_or_finish_a_store(cast: Cast, who: str) -> None:
    request, task = with_task(StoreTaskState.FAILED)
    user = cast.by_name(who)
    client = client_for(user) if user else Client()
    response = client.post(f"/staff/requests/{request.reference}/stores/{task.pk}/retry/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/staff/login/" in response["Location"]
    task.refresh_from_db()
    assert task.state == StoreTaskState.FAILED


def test_staff_download_the_result_and_the_download_is_on_the_record(cast: Cast, tmp_path: Path) -> None:
    request = request_in_state(State.COMPLETED)
    bundle = stored_bundle(request)
    with bundle_open(bundle) as handle:
        plain = handle.read()

    response = client_for(cast.bob).get(f"/staff/requests/{request.reference}/bundles/{bundle.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == plain  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(request=request, action="bundle.downloaded_by_staff", actor="staff:bob").exists()
    # Neither an auditor nor someone without a role gets a subject's data; both refusals are recorded.
    for who in (cast.carol, cast.dave):
        assert client_for(who).get(f"/staff/requests/{request.reference}/bundles/{bundle.pk}/").status_code == 403
        assert AuditEvent.objects.filter(action="access.refused", actor=f"staff:{who.username}").exists()


def test_an_analyst_replies_to_a_verified_requester_and_it_shows_on_the_status_page(cast: Cast) -> None:
    from django.utils import timezone

    from requests_app.models import EmailMessage
    from requests_app.verification.challenges import status_token

    request = request_in_state(State.IN_PROGRESS)
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=timezone.now())
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/reply/",
        {"reply-message": "We found two accounts <b>x</b>.", "reply-confirm": "on"},
    )
    assert response.status_code == 302
    reply = EmailMessage.objects.get(request=request, kind="reply")
    assert reply.to_addresses == [request.subject_email]
    assert "&lt;b&gt;x&lt;/b&gt;" in reply.body_html
    status = Client().get(f"/request/status/{status_token(request)}/").content.decode()
    assert "We found two accounts" in status
    assert AuditEvent.objects.filter(request=request, action="request.replied", actor="staff:bob").exists()


def test_no_reply_reaches_a_requester_before_their_address_is_confirmed(cast: Cast) -> None:
    from requests_app.models import EmailMessage

    request = request_in_state(State.PENDING_VERIFICATION)
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Reply to the requester" not in body
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/reply/", {"reply-message": "Hello", "reply-confirm": "on"}
    )
    assert response.status_code == 409
    assert not EmailMessage.objects.filter(request=request, kind="reply").exists()


def _correction_waiting_for_approval() -> DataSubjectRequest:
    from demo import DEMO_DATAMAP_PATH
    from requests_app.datamap import load_datamap_file
    from requests_app.datamap.schema import dump_datamap
    from requests_app.fulfilment.datamap_versions import datamap_import
    from requests_app.workflow.audit import Actor

    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    return request_in_state(State.AWAITING_APPROVAL, request_type="correction")


def test_approving_a_correction_records_the_changes_staff_accept(cast: Cast) -> None:
    request = _correction_waiting_for_approval()
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/approve/",
        {"approve-corrections": "accounts.users.phone = +44 20 7946 0000\n", "approve-confirm": "on"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.corrections == {"accounts": {"users": {"phone": "+44 20 7946 0000"}}}
    assert request.state == State.IN_PROGRESS
    assert set(StoreTask.objects.filter(request=request, action="correct").values_list("system", flat=True)) == {
        "accounts"
    }


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("accounts.users.id = 5", "accounts.users.id (not correctable)"),
        ("nowhere.users.phone = 1", "not in the data map"),
        ("phone = 1", "is not system.dataset.field"),
        ("", "Say which changes"),
    ],
)
def test_a_correction_is_not_approved_with_changes_the_map_does_not_allow(cast: Cast, lines: str, message: str) -> None:
    request = _correction_waiting_for_approval()
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/approve/", {"approve-corrections": lines, "approve-confirm": "on"}
    )
    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL


def test_the_stores_section_refreshes_itself_while_work_is_under_way_and_stops_after(cast: Cast) -> None:
    request = request_in_state(State.IN_PROGRESS)
    client = client_for(cast.carol)
    page = client.get(f"/staff/requests/{request.reference}/").content.decode()
    assert f'hx-get="/staff/requests/{request.reference}/stores/"' in page
    assert "htmx-2.0.11.min.js" in page
    part = client.get(f"/staff/requests/{request.reference}/stores/")
    assert part.status_code == 200
    assert part.content.decode().lstrip().startswith('<section id="stores"')
    assert "every 3s" in part.content.decode()

    DataSubjectRequest.objects.filter(pk=request.pk).update(state=State.COMPLETED)
    assert "hx-get" not in client.get(f"/staff/requests/{request.reference}/stores/").content.decode()
    assert client_for(cast.dave).get(f"/staff/requests/{request.reference}/stores/").status_code == 403


def test_a_request_stopped_by_a_broken_map_starts_again_once_it_is_fixed(cast: Cast) -> None:
    from demo import DEMO_DATAMAP_PATH
    from requests_app.datamap import load_datamap_file
    from requests_app.datamap.schema import dump_datamap
    from requests_app.fulfilment.datamap_versions import datamap_import
    from requests_app.models import Field
    from requests_app.services import requests as services
    from requests_app.workflow.audit import Actor

    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    Field.objects.filter(name="amount").update(erasure_reason="")  # retained without a reason: invalid
    request = request_in_state(State.VERIFIED)
    services.request_start(request=request, actor=Actor.system("tests"))
    request.refresh_from_db()
    assert request.state == State.NEEDS_ATTENTION
    assert AuditEvent.objects.filter(request=request, action="fanout.refused").exists()

    Field.objects.filter(name="amount").update(erasure_reason="Bookkeeping law")
    response = client_for(cast.bob).post(f"/staff/requests/{request.reference}/restart/", {"restart-confirm": "on"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    assert StoreTask.objects.filter(request=request).exists()
