"""The workflow verbs through the API: the same services as the staff UI, refused when not possible."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from requests_app.models import ApiScope, AuditEvent, EmailMessage, State
from requests_app.staff import roles
from tests.api.helpers import ApiClient, error_code, key_with
from tests.factories import UserFactory, request_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor() -> tuple[str, ApiClient]:
    key, raw = key_with(ApiScope.REQUESTS_ACT, ApiScope.REQUESTS_READ)
    return key.prefix, ApiClient(raw)


def url(request, action: str) -> str:
    return f"/api/v1/requests/{request.reference}/{action}/"


def test_verify_moves_a_pending_request_on_and_names_the_key(actor):
    prefix, client = actor
    request = request_in_state(State.PENDING_VERIFICATION)
    response = client.post(url(request, "verify"), {"note": "Checked the signed letter against our records"})
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert request.verified_at is not None
    event = AuditEvent.objects.get(request=request, to_state=State.VERIFIED)
    assert event.actor.startswith(f"api_key:{prefix}")


def test_request_information_pauses_and_emails_the_question(actor):
    _, client = actor
    request = request_in_state(State.VERIFIED, request_type="deletion")
    client.post(url(request, "request-information"), {"question": "Which account number?"})
    request.refresh_from_db()
    assert request.state == State.AWAITING_REQUESTER
    assert EmailMessage.objects.filter(request=request, body_text__contains="Which account number?").exists()


def test_approve_starts_work_on_a_request_waiting_for_approval(actor):
    _, client = actor
    request = request_in_state(State.AWAITING_APPROVAL)
    body = client.post(url(request, "approve"), {"note": "ok"}).json()
    assert body["state"] in (State.IN_PROGRESS, State.NEEDS_ATTENTION, State.COMPLETED)


def test_reject_records_its_ground(actor):
    _, client = actor
    request = request_in_state(State.VERIFIED)
    client.post(url(request, "reject"), {"reason": "We could not confirm it is you.", "category": "not_verified"})
    request.refresh_from_db()
    assert (request.state, request.rejection_category) == (State.REJECTED, "not_verified")


def test_extend_moves_the_due_date_once(actor):
    _, client = actor
    request = request_in_state(State.IN_PROGRESS, received_at=timezone.now())
    old_due = request.due_at
    assert client.post(url(request, "extend"), {"reason": "Many systems"}).status_code == 200
    request.refresh_from_db()
    assert request.due_at > old_due
    again = client.post(url(request, "extend"), {"reason": "More"})
    assert again.status_code == 409
    assert error_code(again) == "action_not_available"


def test_assign_by_username_and_to_nobody(actor):
    _, client = actor
    request = request_in_state(State.VERIFIED)
    roles.roles_sync()
    analyst = UserFactory.create(username="grace")
    analyst.groups.add(Group.objects.get(name=roles.ANALYST))
    assert client.post(url(request, "assign"), {"assignee": "grace"}).json()["assignee"] == "grace"
    assert client.post(url(request, "assign"), {"assignee": None}).json()["assignee"] is None
    refused = client.post(url(request, "assign"), {"assignee": "nobody-by-that-name"})
    assert refused.status_code == 400


def test_cancel_closes_the_request(actor):
    _, client = actor
    request = request_in_state(State.PENDING_VERIFICATION)
    assert client.post(url(request, "cancel"), {"reason": "Duplicate"}).json()["state"] == State.CANCELLED


def test_an_action_the_state_does_not_allow_is_a_409_and_recorded(actor):
    _, client = actor
    request = request_in_state(State.COMPLETED)
    response = client.post(url(request, "cancel"), {"reason": "too late"})
    assert response.status_code == 409
    assert error_code(response) == "action_not_available"
    assert response.json()["error"]["details"]["state"] == State.COMPLETED
    assert AuditEvent.objects.filter(request=request, action="action.refused").exists()


def test_an_action_without_its_required_text_changes_nothing(actor):
    _, client = actor
    request = request_in_state(State.VERIFIED)
    response = client.post(url(request, "reject"), {"category": "other"})
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.state == State.VERIFIED


def test_a_read_only_key_cannot_act():
    _, raw = key_with(ApiScope.REQUESTS_READ)
    request = request_in_state(State.PENDING_VERIFICATION)
    response = ApiClient(raw).post(url(request, "cancel"), {"reason": "x"})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION


def test_a_store_task_that_does_not_exist_is_a_404(actor):
    _, client = actor
    request = request_in_state(State.IN_PROGRESS)
    response = client.post(f"/api/v1/requests/{request.reference}/store-tasks/999999/retry/")
    assert response.status_code == 404
