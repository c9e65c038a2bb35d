"""Who may call the API: keys with scopes, staff sessions; every refusal on the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.models import ApiKey, ApiScope, AuditEvent, State
from requests_app.services.api_keys import api_key_revoke
from requests_app.workflow.audit import Actor
from tests.api.helpers import ApiClient, error_code, key_with
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"


def refusals(code: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="api.refused", data__code=code))


def test_a_call_without_credentials_is_refused_with_the_error_shape():
    response = ApiClient().get(LIST)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_refused_and_the_refusal_recorded():
    response = ApiClient("dsar_00000000_not-a-real-key").get(LIST)
    assert response.status_code == 401
    assert error_code(response) == "key_unknown"
    (event,) = refusals("key_unknown")
    assert event.actor == "anonymous"
    assert event.data["path"] == LIST
    assert "not-a-real-key" not in str(event.data)


def test_a_revoked_key_is_refused_and_the_refusal_names_the_key():
    key, raw = key_with(ApiScope.REQUESTS_READ)
    api_key_revoke(key=key, actor=Actor.system("tests"))
    response = ApiClient(raw).get(LIST)
    assert response.status_code == 401
    assert error_code(response) == "key_revoked"
    (event,) = refusals("key_revoked")
    assert event.actor.startswith(f"api_key:{key.prefix}")


def test_an_expired_key_is_refused_and_the_refusal_recorded():
    key, raw = key_with(ApiScope.REQUESTS_READ)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = ApiClient(raw).get(LIST)
    assert response.status_code == 401
    assert error_code(response) == "key_expired"
    assert len(refusals("key_expired")) == 1


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer dsar_\u00e9"])
def test_malformed_credentials_are_refused(client, header):
    response = client.get(LIST, HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    assert response.status_code == 401
    assert error_code(response) in {"malformed_credentials", "key_unknown"}


def test_a_key_without_the_scope_is_refused_and_the_refusal_recorded():
    key, raw = key_with(ApiScope.METRICS_READ)
    response = ApiClient(raw).get(LIST)
    assert response.status_code == 403
    assert error_code(response) == "scope_missing"
    (event,) = refusals("scope_missing")
    assert event.actor.startswith(f"api_key:{key.prefix}")
    assert "requests:read" in event.reason


def test_every_call_with_a_key_is_on_the_audit_trail_with_the_key_named():
    key, raw = key_with(ApiScope.REQUESTS_READ)
    request = request_in_state(State.PENDING_VERIFICATION)
    assert ApiClient(raw).get(f"{LIST}{request.reference}/").status_code == 200
    event = AuditEvent.objects.filter(action="api.called").last()
    assert event is not None
    assert event.request_id == request.pk
    assert event.actor.startswith(f"api_key:{key.prefix}")
    assert event.data == {"method": "GET", "path": f"{LIST}{request.reference}/", "status": 200}
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_each_key_has_its_own_budget_of_calls(settings):
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "api_caller": (2, 3600)}
    _, first = key_with(ApiScope.REQUESTS_READ)
    _, second = key_with(ApiScope.REQUESTS_READ)
    busy = ApiClient(first)
    assert [busy.get(LIST).status_code for _ in range(3)] == [200, 200, 429]
    refused = busy.get(LIST)
    assert error_code(refused) == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    assert ApiClient(second).get(LIST).status_code == 200


def test_guessing_keys_is_slowed_down(settings):
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "api_auth_failure": (2, 3600)}
    guesser = ApiClient("dsar_00000000_guess")
    assert [guesser.get(LIST).status_code for _ in range(3)] == [401, 401, 429]
    assert len(refusals("key_unknown")) == 2


# --- Staff sessions ----------------------------------------------------------------------------


def test_an_analyst_session_reads_requests_and_their_subjects(staff_client):
    request = request_in_state(State.PENDING_VERIFICATION, subject_email="ada@example.org")
    response = staff_client("analyst").get(f"{LIST}{request.reference}/")
    assert response.status_code == 200
    assert response.json()["subject"]["email"] == "ada@example.org"


def test_an_auditor_session_reads_requests_without_their_subjects_and_cannot_act(staff_client):
    request = request_in_state(State.PENDING_VERIFICATION, subject_email="ada@example.org")
    auditor = staff_client("auditor")
    body = auditor.get(f"{LIST}{request.reference}/").json()
    assert body["subject"] is None
    assert "ada@example.org" not in str(body)
    response = auditor.post(f"{LIST}{request.reference}/cancel/", {"reason": "no"}, content_type="application/json")
    assert response.status_code == 403
    assert error_code(response) == "scope_missing"


def test_a_session_post_without_the_csrf_token_is_refused(staff_client):
    request = request_in_state(State.PENDING_VERIFICATION)
    client = staff_client("analyst", enforce_csrf=True)
    response = client.post(f"{LIST}{request.reference}/cancel/", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION


def test_a_signed_in_user_without_a_staff_role_gets_nothing(staff_client):
    response = staff_client(None).get(LIST)
    assert response.status_code == 403
