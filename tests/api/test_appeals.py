"""Appeals through the API: created by reference, decided with decide-appeal, under the scopes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.models import ApiScope, AuditEvent, DataSubjectRequest, EmailMessage, RequestType, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from tests.api.helpers import ApiClient, error_code, key_with
from tests.factories import appeal_in_state, request_in_state

pytestmark = pytest.mark.django_db
EXPLANATION = "The data is kept to defend a pending legal claim."


def refused_virginia_deletion() -> DataSubjectRequest:
    original = request_in_state(State.VERIFIED, request_type=RequestType.DELETION, jurisdiction="us-va")
    services.request_reject(request=original, actor=Actor.system("tests"), reason="Kept.", category="exempt")
    original.refresh_from_db()
    return original


def client_with(*scopes: str) -> ApiClient:
    return ApiClient(key_with(*scopes)[1])


def decide_url(request: DataSubjectRequest) -> str:
    return f"/api/v1/requests/{request.reference}/decide-appeal/"


def test_an_appeal_is_created_by_the_reference_it_appeals_and_due_60_days_on() -> None:
    original = refused_virginia_deletion()
    client = client_with(ApiScope.REQUESTS_CREATE)
    body = {"type": "appeal", "email": original.subject_email, "appeal_of": original.reference.lower()}
    response = client.post("/api/v1/requests/", body)
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (answer["type"], answer["appeal_of"], answer["appeal_outcome"]) == ("appeal", original.reference, "")
    assert answer["jurisdiction"] == "us-va"
    assert answer["due_at"] == (timezone.localdate() + timedelta(days=60)).isoformat()


def test_an_appeal_needs_its_reference_and_only_an_appeal_names_one() -> None:
    original = refused_virginia_deletion()
    client = client_with(ApiScope.REQUESTS_CREATE)
    missing = client.post("/api/v1/requests/", {"type": "appeal", "email": original.subject_email})
    assert missing.status_code == 400
    assert "appeal_of" in missing.json()["error"]["details"]["fields"]
    stray = client.post(
        "/api/v1/requests/", {"type": "access", "email": original.subject_email, "appeal_of": original.reference}
    )
    assert stray.status_code == 400
    assert not DataSubjectRequest.objects.filter(appeal_of=original).exists()


def test_an_appeal_of_another_subjects_request_is_refused_like_an_unknown_one() -> None:
    original = refused_virginia_deletion()
    client = client_with(ApiScope.REQUESTS_CREATE)
    response = client.post(
        "/api/v1/requests/", {"type": "appeal", "email": "someone-else@example.org", "appeal_of": original.reference}
    )
    assert response.status_code in (400, 409)
    assert "No earlier request of this subject has that reference" in response.json()["error"]["message"]


def test_a_request_shows_no_appeal_of_when_it_is_not_one() -> None:
    original = refused_virginia_deletion()
    answer = client_with(ApiScope.REQUESTS_READ).get(f"/api/v1/requests/{original.reference}/").json()
    assert (answer["appeal_of"], answer["appeal_outcome"]) == (None, "")


def test_decide_appeal_completes_it_and_tells_the_subject() -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    client = client_with(ApiScope.REQUESTS_ACT, ApiScope.REQUESTS_READ)
    assert "decide-appeal" in client.get(f"/api/v1/requests/{appeal.reference}/").json()["available_actions"]
    response = client.post(decide_url(appeal), {"outcome": "upheld", "explanation": EXPLANATION})
    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["appeal_outcome"]) == ("completed", "upheld")
    assert AuditEvent.objects.get(request=appeal, action="appeal.decided").actor.startswith("api_key:")
    assert EXPLANATION in EmailMessage.objects.get(request=appeal, kind="appeal_decision").body_text


@pytest.mark.parametrize("scopes", [(ApiScope.REQUESTS_READ,), (ApiScope.REQUESTS_CREATE, ApiScope.DATAMAP_READ)])
def test_a_key_without_the_act_scope_cannot_decide(scopes: tuple[str, ...]) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    response = client_with(*scopes).post(decide_url(appeal), {"outcome": "reversed", "explanation": "Let me."})
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.IN_PROGRESS, "")


def test_deciding_what_is_not_an_appeal_in_progress_is_not_available() -> None:
    client = client_with(ApiScope.REQUESTS_ACT)
    not_an_appeal = request_in_state(State.IN_PROGRESS, jurisdiction="us-va")
    waiting = appeal_in_state(State.VERIFIED, of=refused_virginia_deletion())
    for request in (not_an_appeal, waiting):
        response = client.post(decide_url(request), {"outcome": "upheld", "explanation": EXPLANATION})
        assert response.status_code == 409
        assert error_code(response) == "action_not_available"
        request.refresh_from_db()
        assert request.appeal_outcome == ""


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "granted", "explanation": EXPLANATION},
        {"outcome": "upheld", "explanation": "x" * 10_240},
        {"outcome": "upheld", "explanation": ""},
        {"outcome": "upheld"},
        {"outcome": ["upheld"], "explanation": {"a": 1}},
    ],
)
def test_a_hostile_body_is_refused_and_changes_nothing(body: dict[str, object]) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    response = client_with(ApiScope.REQUESTS_ACT).post(decide_url(appeal), body)
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.IN_PROGRESS, "")
    assert not EmailMessage.objects.filter(request=appeal, kind="appeal_decision").exists()


def test_decide_appeal_is_in_the_openapi_schema() -> None:
    schema = client_with(ApiScope.REQUESTS_READ).client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/requests/{reference}/decide-appeal/"]["post"]
    assert operation["operationId"] == "requests_decide_appeal"
    assert "appeal_of" in schema["components"]["schemas"]["RequestCreateRequest"]["properties"]
