"""Requests through the API: create (and hostile bodies), read, list, timeline, store tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.models import ApiScope, AuditEvent, Channel, DataSubjectRequest, EmailMessage, State
from tests.api.helpers import ApiClient, error_code, key_with
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"
BODY = {"type": "access", "email": "ada@example.org", "name": "Ada Lovelace", "jurisdiction": "gdpr"}


@pytest.fixture
def creator() -> ApiClient:
    _, raw = key_with(ApiScope.REQUESTS_CREATE, ApiScope.REQUESTS_READ)
    return ApiClient(raw)


def test_a_created_request_waits_for_the_subject_to_verify_as_from_the_form(creator):
    response = creator.post(LIST, BODY)
    assert response.status_code == 201, response.json()
    body = response.json()
    request = DataSubjectRequest.objects.get(reference=body["id"])
    assert request.channel == Channel.API
    assert request.state == State.PENDING_VERIFICATION
    assert body["state"] == State.PENDING_VERIFICATION
    assert body["subject"]["email"] == "ada@example.org"
    assert EmailMessage.objects.filter(request=request, kind="acknowledgement").exists()
    received = AuditEvent.objects.get(request=request, action="request.received")
    assert received.actor.startswith("api_key:")


def test_a_key_that_may_create_but_not_read_gets_no_subject_back():
    _, raw = key_with(ApiScope.REQUESTS_CREATE)
    body = ApiClient(raw).post(LIST, BODY).json()
    assert body["subject"] is None
    assert "ada@example.org" not in str(body)


def test_a_back_dated_request_counts_its_deadline_from_receipt(creator):
    received = timezone.now() - timedelta(days=10)
    body = creator.post(LIST, {**BODY, "received_at": received.isoformat()}).json()
    request = DataSubjectRequest.objects.get(reference=body["id"])
    assert request.received_at == received
    assert request.created_at > received


def test_a_request_received_in_the_future_is_refused(creator):
    response = creator.post(LIST, {**BODY, "received_at": (timezone.now() + timedelta(days=3)).isoformat()})
    assert response.status_code == 400
    assert "future" in response.json()["error"]["message"]
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "type": "everything"}, "type"),
        ({**BODY, "email": "not an address"}, "email"),
        ({k: v for k, v in BODY.items() if k != "email"}, "email"),
        ({**BODY, "details": "x" * 5001}, "details"),
        ({**BODY, "identifiers": {"phone": {"nested": "object"}}}, "identifiers"),
        ({**BODY, "identifiers": ["a", "b"]}, "identifiers"),
        ({**BODY, "portability": "perhaps"}, "portability"),
        ({**BODY, "verified_by": "trust me"}, "verified_by"),
        ({**BODY, "received_at": "last tuesday"}, "received_at"),
        ([1, 2, 3], "non_field_errors"),
    ],
)
def test_hostile_bodies_get_a_clear_error_and_create_nothing(creator, body, field):
    response = creator.post(LIST, body)
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert field in response.json()["error"]["details"]["fields"]
    assert not DataSubjectRequest.objects.exists()


def test_an_unknown_jurisdiction_is_refused_by_name(creator):
    response = creator.post(LIST, {**BODY, "jurisdiction": "atlantis"})
    assert response.status_code == 400
    assert error_code(response) == "unknown_jurisdiction"
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"), [("ccpa", "us-ca"), ("US-VA", "us-va"), ("ca-qc", "ca-qc"), ("br", "lgpd")]
)
def test_a_jurisdiction_is_taken_by_code_or_alias_and_answered_with_its_code(creator, given, stored):
    response = creator.post(LIST, {**BODY, "jurisdiction": given})
    assert response.status_code == 201
    assert response.json()["jurisdiction"] == stored
    assert DataSubjectRequest.objects.get().jurisdiction == stored


def test_malformed_json_is_a_400_in_the_error_shape(creator):
    response = creator.post_raw(LIST, b'{"type": "access", ', "application/json")
    assert response.status_code == 400
    assert error_code(response) == "malformed_body"


def test_a_body_that_is_not_json_is_refused(creator):
    response = creator.post_raw(LIST, b"type=access", "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


# --- Verified intake -----------------------------------------------------------------------------


def test_declaring_the_subject_verified_needs_its_own_scope(creator):
    response = creator.post(LIST, {**BODY, "verified_by": "session"})
    assert response.status_code == 403
    assert error_code(response) == "scope_missing"
    assert not DataSubjectRequest.objects.exists()
    assert AuditEvent.objects.filter(action="api.refused", data__code="scope_missing").exists()


def test_a_trusted_caller_creates_a_verified_request_and_its_declaration_is_recorded():
    key, raw = key_with(ApiScope.REQUESTS_CREATE, ApiScope.REQUESTS_CREATE_VERIFIED, ApiScope.REQUESTS_READ)
    body = ApiClient(raw).post(LIST, {**BODY, "verified_by": "session"}).json()
    request = DataSubjectRequest.objects.get(reference=body["id"])
    assert request.verified_at is not None
    assert request.email_verified_at is None  # the product did not confirm the address itself
    assert request.state in (State.IN_PROGRESS, State.NEEDS_ATTENTION, State.COMPLETED)
    verified = AuditEvent.objects.get(request=request, action="request.transition", to_state=State.VERIFIED)
    assert verified.actor.startswith(f"api_key:{key.prefix}")
    assert verified.data["verified_by"] == "session"
    assert "session" in request.verification_note
    status_link = EmailMessage.objects.get(request=request, kind="status_link")
    assert "signed-in account" in status_link.body_text
    assert not EmailMessage.objects.filter(request=request, kind="verification").exists()


def test_a_verified_deletion_still_waits_for_approval():
    _, raw = key_with(ApiScope.REQUESTS_CREATE, ApiScope.REQUESTS_CREATE_VERIFIED)
    body = ApiClient(raw).post(LIST, {**BODY, "type": "deletion", "verified_by": "session"}).json()
    assert DataSubjectRequest.objects.get(reference=body["id"]).state == State.AWAITING_APPROVAL


def test_other_verification_needs_a_note():
    _, raw = key_with(ApiScope.REQUESTS_CREATE, ApiScope.REQUESTS_CREATE_VERIFIED)
    response = ApiClient(raw).post(LIST, {**BODY, "verified_by": "other"})
    assert response.status_code == 400
    assert "verification_note" in response.json()["error"]["details"]["fields"]


# --- Reading -------------------------------------------------------------------------------------


@pytest.fixture
def reader() -> ApiClient:
    _, raw = key_with(ApiScope.REQUESTS_READ)
    return ApiClient(raw)


def test_a_request_is_read_by_its_reference(reader):
    request = request_in_state(State.VERIFIED, subject_email="grace@example.org")
    body = reader.get(f"{LIST}{request.reference}/").json()
    assert body["id"] == request.reference
    assert body["state"] == State.VERIFIED
    assert body["due_at"] == request.due_at.isoformat()
    assert "reject" in body["available_actions"]
    assert "verify" not in body["available_actions"]


def test_an_unknown_reference_is_a_404_in_the_error_shape(reader):
    response = reader.get(f"{LIST}DSR-0000-0000/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_an_address_the_api_does_not_have_is_a_404_in_the_error_shape(reader):
    response = reader.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_the_list_filters_by_state_type_and_due_window_across_every_state(reader):
    completed = request_in_state(State.COMPLETED, subject_email="done@example.org")
    pending = request_in_state(State.PENDING_VERIFICATION, request_type="deletion")
    everything = {row["id"] for row in reader.get(LIST).json()["results"]}
    assert {completed.reference, pending.reference} <= everything
    assert [r["id"] for r in reader.get(LIST, {"state": "completed"}).json()["results"]] == [completed.reference]
    assert [r["id"] for r in reader.get(LIST, {"type": "deletion"}).json()["results"]] == [pending.reference]
    open_ids = {r["id"] for r in reader.get(LIST, {"state": "open"}).json()["results"]}
    assert pending.reference in open_ids
    assert completed.reference not in open_ids
    later = reader.get(LIST, {"due_after": (pending.due_at + timedelta(days=1)).isoformat()}).json()
    assert later["results"] == []


def test_search_finds_a_completed_request_by_email(reader):
    completed = request_in_state(State.COMPLETED, subject_email="found@example.org")
    results = reader.get(LIST, {"search": "found@example.org"}).json()["results"]
    assert [r["id"] for r in results] == [completed.reference]


def test_the_list_pages_with_a_cursor(reader):
    made = {request_in_state(State.PENDING_VERIFICATION).reference for _ in range(5)}
    seen: list[str] = []
    page = reader.get(LIST, {"page_size": 2}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = reader.client.get(page["next"], **reader.headers).json()
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made


def test_a_bad_filter_is_explained(reader):
    response = reader.get(LIST, {"state": "sideways"})
    assert response.status_code == 400
    assert "state" in response.json()["error"]["details"]["fields"]


def test_the_timeline_lists_the_audit_trail_with_its_text_for_a_reader(reader):
    request = request_in_state(State.REJECTED)
    events = reader.get(f"{LIST}{request.reference}/timeline/").json()
    actions = [event["action"] for event in events]
    assert actions[0] == "request.received"
    rejection = next(event for event in events if event["to_state"] == State.REJECTED)
    assert rejection["text"]
    assert rejection["title"]


def test_an_auditor_reads_the_timeline_without_its_text(staff_client):
    request = request_in_state(State.REJECTED)
    events = staff_client("auditor").get(f"{LIST}{request.reference}/timeline/").json()
    assert all(event["text"] is None for event in events)


def test_store_tasks_are_listed(reader):
    request = request_in_state(State.PENDING_VERIFICATION)
    assert reader.get(f"{LIST}{request.reference}/store-tasks/").json() == []


def test_the_data_map_is_read_without_connections():
    _, raw = key_with(ApiScope.DATAMAP_READ)
    body = ApiClient(raw).get("/api/v1/datamap/").json()
    assert "document" in body
    assert all("connection" not in system for system in body["document"]["systems"])


def test_the_metrics_of_a_year_are_read_and_a_bad_year_is_explained():
    _, raw = key_with(ApiScope.METRICS_READ)
    client = ApiClient(raw)
    request_in_state(State.COMPLETED)
    body = client.get("/api/v1/metrics/", {"year": timezone.localdate().year}).json()
    assert body["received"] >= 1
    response = client.get("/api/v1/metrics/", {"year": "soon"})
    assert response.status_code == 400
    assert error_code(response) == "report_refused"
