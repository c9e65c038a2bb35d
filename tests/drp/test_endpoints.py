"""The /drp/v1/ endpoints against a real signing agent: key set-up, the validation order of
DRP v0.9.4 §3.07, hostile bodies, and one agent kept out of another's requests."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pytest

from requests_app.models import AuditEvent, Channel, DataSubjectRequest, DrpAgentToken, DrpRequest, State
from tests.drp.agent import SigningAgent, moment

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


def refusals() -> list[dict[str, Any]]:
    return [e.data for e in AuditEvent.objects.filter(action="drp.refused").order_by("seq")]


def refused_with(response: Any, status: int, words: str, step: str) -> dict[str, Any]:
    """The answer is the §3.06 error shape, the refusal is audited at ``step``, and nothing was made."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == str(status)
    assert words in body["message"]
    assert refusals()[-1]["step"] == step
    assert not DataSubjectRequest.objects.exists()
    return body


# --- Key set-up (§2.05) and agent information (§2.06) -----------------------------------------


def test_key_setup_issues_a_token_of_which_only_a_hash_is_kept(client: Client) -> None:
    agent = SigningAgent("GAMMA_AGENT").register().set_up(client)
    (row,) = DrpAgentToken.objects.filter(agent__agent_id="GAMMA_AGENT")
    assert agent.token and agent.token not in row.token_hash and len(row.token_hash) == 64
    assert client.get("/drp/v1/agent/GAMMA_AGENT", headers=agent.headers()).json() == {}
    assert AuditEvent.objects.filter(action="drp.token_issued").count() == 1


def test_a_new_token_replaces_the_old_one(client: Client, alpha: SigningAgent) -> None:
    old = alpha.token
    alpha.set_up(client)
    assert client.get("/drp/v1/agent/ALPHA_AGENT", headers=alpha.headers(old)).status_code == 401
    assert client.get("/drp/v1/agent/ALPHA_AGENT", headers=alpha.headers()).status_code == 200


@pytest.mark.parametrize(
    ("case", "step"),
    [
        ("unknown agent", "agent"),
        ("signed by another key", "signature"),
        ("other agent-id", "agent-id"),
        ("other business", "business-id"),
        ("issued in the future", "issued-at"),
        ("expired", "expires-at"),
        ("replayed", "replay"),
    ],
)
def test_a_key_setup_that_fails_any_check_gets_403_with_no_body_and_is_audited(
    client: Client, case: str, step: str
) -> None:
    agent = SigningAgent("GAMMA_AGENT").register()
    url = "/drp/v1/agent/GAMMA_AGENT"
    claims = agent.envelope()
    body = agent.sign(claims)
    if case == "unknown agent":
        url = "/drp/v1/agent/NOBODY"
    elif case == "signed by another key":
        body = SigningAgent("GAMMA_AGENT").sign(claims)
    elif case == "other agent-id":
        body = agent.sign(agent.envelope(**{"agent-id": "OTHER"}))
    elif case == "other business":
        body = agent.sign(agent.envelope(**{"business-id": "OTHER_CO"}))
    elif case == "issued in the future":
        body = agent.sign(agent.envelope(**{"issued-at": moment(3600)}))
    elif case == "expired":
        body = agent.sign(agent.envelope(**{"expires-at": moment(-1)}))
    elif case == "replayed":
        assert client.post(url, body, content_type="text/plain").status_code == 200
    response = client.post(url, body, content_type="text/plain")
    assert (response.status_code, response.content) == (403, b"")
    assert refusals()[-1]["step"] == step
    assert DrpAgentToken.objects.count() == (1 if case == "replayed" else 0)


def test_agent_information_refuses_a_token_of_another_agent(
    client: Client, alpha: SigningAgent, beta: SigningAgent
) -> None:
    assert client.get("/drp/v1/agent/BETA_AGENT", headers=alpha.headers()).status_code == 403


def test_a_deactivated_agents_token_stops_working(client: Client, alpha: SigningAgent) -> None:
    from requests_app.services.drp_agents import agent_set_active
    from tests.drp.agent import STAFF

    assert alpha.row is not None
    agent_set_active(agent=alpha.row, active=False, actor=STAFF)
    response = alpha.exercise(client, alpha.sign(alpha.exercise_claims()))
    refused_with(response, 401, "not valid", "token")


def test_the_endpoints_do_not_exist_until_the_business_id_is_set(client: Client, settings: Any) -> None:
    settings.DSAR_DRP_BUSINESS_ID = ""
    agent = SigningAgent("GAMMA_AGENT").register()
    assert (
        client.post("/drp/v1/agent/GAMMA_AGENT", agent.sign(agent.envelope()), content_type="text/plain").status_code
        == 404
    )
    assert client.post("/drp/v1/data-rights-request", b"", content_type="text/plain").status_code == 404


# --- The exercise endpoint (§2.01) in §3.07's order ---------------------------------------------


def test_an_exercise_request_becomes_an_agent_request_waiting_for_the_subject(
    client: Client, alpha: SigningAgent
) -> None:
    response = alpha.exercise(client, alpha.sign(alpha.exercise_claims()))
    assert response.status_code == 200, response.content
    status = response.json()
    drp = DrpRequest.objects.get()
    request = drp.request
    assert (request.channel, request.request_type, request.state) == (Channel.DRP, "access", State.PENDING_VERIFICATION)
    assert (request.agent_name, request.agent_email) == ("Agent ALPHA_AGENT", "alpha_agent@agent.example")
    assert request.is_agent_request and request.verification_policy == "email+staff"
    assert (request.subject_email, request.subject_name, request.jurisdiction) == (
        "ada@example.org",
        "Ada Lovelace",
        "us-ca",
    )
    assert request.subject_identifiers == {"phone": "+15555550100"}
    assert (status["status"], status["reason"]) == ("in_progress", "need_user_verification")
    assert status["request_id"] == str(drp.drp_id) and status["agent_request_id"] == "agent-req-1"
    assert status["user_verification_url"].endswith(f"/request/verify/?reference={request.reference}")
    page = client.get(f"/request/verify/?reference={request.reference}").content.decode()
    assert f'value="{request.reference}"' in page  # the subject types only the code from their email
    assert status["expected_by"].startswith(request.due_at.isoformat())
    # Only the names of the claims are kept beside the request, not their values.
    assert drp.claims_received == ["name", "email", "phone_number"] and drp.claims_verified == ["email"]
    assert "ada" not in json.dumps([drp.claims_received, drp.claims_verified, drp.relationships])
    sent = {(kind, tuple(to)) for kind, to in request.emails.values_list("kind", "to_addresses")}
    assert ("acknowledgement", ("alpha_agent@agent.example",)) in sent
    assert ("verification", ("ada@example.org",)) in sent


def test_many_requests_from_one_agents_server_are_not_a_fraud_signal(client: Client, alpha: SigningAgent) -> None:
    from requests_app.verification.fraud import MANY_FROM_ONE_ADDRESS

    for n in range(MANY_FROM_ONE_ADDRESS + 1):
        claims = alpha.exercise_claims(email=f"person{n}@example.org", **{"agent-request-id": f"r{n}"})
        assert alpha.exercise(client, alpha.sign(claims)).status_code == 200
    signals = [s["code"] for r in DataSubjectRequest.objects.all() for s in r.fraud_signals]
    assert "many_from_ip" not in signals
    assert set(DataSubjectRequest.objects.values_list("source_ip_hash", flat=True)) == {""}


def test_the_status_of_a_request_is_read_back(client: Client, alpha: SigningAgent) -> None:
    first = alpha.exercise(client, alpha.sign(alpha.exercise_claims())).json()
    assert alpha.status(client, first["request_id"]).json() == first


def test_the_trailing_slash_of_earlier_versions_is_accepted(client: Client, alpha: SigningAgent) -> None:
    response = client.post(
        "/drp/v1/data-rights-request/",
        alpha.sign(alpha.exercise_claims()),
        content_type="text/plain",
        headers=alpha.headers(),
    )
    assert response.status_code == 200


def test_no_bearer_token_is_refused_first(client: Client, alpha: SigningAgent) -> None:
    response = client.post("/drp/v1/data-rights-request", b"not even base64!", content_type="text/plain")
    refused_with(response, 401, "bearer token", "token")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client: Client, alpha: SigningAgent) -> None:
    refused_with(alpha.exercise(client, alpha.sign(alpha.exercise_claims()), token="forged"), 401, "not valid", "token")


def test_a_body_that_is_not_base64_is_refused_before_the_signature(client: Client, alpha: SigningAgent) -> None:
    refused_with(alpha.exercise(client, b'{"agent-id": "ALPHA_AGENT"}'), 400, "not base64", "base64")


def test_a_body_too_short_for_a_signature_is_refused(client: Client, alpha: SigningAgent) -> None:
    refused_with(alpha.exercise(client, base64.b64encode(b"short")), 400, "too short", "base64")


def test_a_huge_body_is_refused_unread(client: Client, alpha: SigningAgent, settings: Any) -> None:
    body = alpha.sign(alpha.exercise_claims(details="x" * (settings.DSAR_DRP_MAX_BODY_BYTES + 10)))
    response = refused_with(alpha.exercise(client, body), 413, "larger than", "size")
    assert response["code"] == "413"


def test_a_message_signed_by_another_agent_is_refused_at_the_signature(
    client: Client, alpha: SigningAgent, beta: SigningAgent
) -> None:
    # Beta's message, with Alpha's token: the key of the token's agent decides.
    refused_with(alpha.exercise(client, beta.sign(beta.exercise_claims())), 403, "signature", "signature")


def test_a_tampered_message_is_refused_at_the_signature(client: Client, alpha: SigningAgent) -> None:
    signed = bytearray(base64.b64decode(alpha.sign(alpha.exercise_claims())))
    signed[-3] ^= 1
    refused_with(alpha.exercise(client, base64.b64encode(bytes(signed))), 403, "signature", "signature")


def test_a_signed_message_that_is_not_json_is_refused(client: Client, alpha: SigningAgent) -> None:
    refused_with(alpha.exercise(client, alpha.sign_bytes(b"\xff\xfe not json")), 400, "not JSON", "json")
    refused_with(alpha.exercise(client, alpha.sign_bytes(b"[1, 2]")), 400, "not a JSON object", "json")


def test_a_request_signed_by_the_agent_for_another_agent_id_is_refused(
    client: Client, alpha: SigningAgent, beta: SigningAgent
) -> None:
    body = alpha.sign(alpha.exercise_claims(**{"agent-id": "BETA_AGENT"}))
    refused_with(alpha.exercise(client, body), 403, "agent-id", "agent-id")


def test_a_request_for_another_business_is_refused(client: Client, alpha: SigningAgent) -> None:
    body = alpha.sign(alpha.exercise_claims(**{"business-id": "OTHER_CO"}))
    refused_with(alpha.exercise(client, body), 403, "business-id", "business-id")


def test_the_checks_run_in_the_protocols_order(client: Client, alpha: SigningAgent) -> None:
    """Wrong agent-id, wrong business, issued in the future and expired at once: the agent-id
    is named; then, one put right at a time, each next check in §3.07's order."""
    wrong = {"agent-id": "X", "business-id": "Y", "issued-at": moment(3600), "expires-at": moment(-3600)}
    expected = ["agent-id", "business-id", "issued-at", "expires-at"]
    good = alpha.exercise_claims()
    for step in expected:
        alpha.exercise(client, alpha.sign(alpha.exercise_claims(**wrong)))
        assert refusals()[-1]["step"] == step
        wrong.pop(step)
    assert alpha.exercise(client, alpha.sign(good)).status_code == 200


def test_a_request_not_yet_valid_is_refused_beyond_the_clock_skew(client: Client, alpha: SigningAgent) -> None:
    refused_with(
        alpha.exercise(client, alpha.sign(alpha.exercise_claims(**{"issued-at": moment(600)}))),
        403,
        "future",
        "issued-at",
    )
    # Within the allowance (60 s by default) a fast clock is forgiven.
    assert alpha.exercise(client, alpha.sign(alpha.exercise_claims(**{"issued-at": moment(30)}))).status_code == 200


def test_an_expired_request_is_refused_as_fatal(client: Client, alpha: SigningAgent) -> None:
    body = refused_with(
        alpha.exercise(client, alpha.sign(alpha.exercise_claims(**{"expires-at": moment(-5)}))),
        403,
        "expired",
        "expires-at",
    )
    assert body["fatal"] is True


@pytest.mark.parametrize("value", ["yesterday", "2026-12-02T10:00:00", 1733133600])
def test_a_timestamp_that_names_no_moment_is_refused(client: Client, alpha: SigningAgent, value: object) -> None:
    refused_with(
        alpha.exercise(client, alpha.sign(alpha.exercise_claims(**{"issued-at": value}))), 403, "issued-at", "issued-at"
    )


def test_a_replayed_request_creates_nothing_more_and_is_audited(client: Client, alpha: SigningAgent) -> None:
    body = alpha.sign(alpha.exercise_claims())
    assert alpha.exercise(client, body).status_code == 200
    response = alpha.exercise(client, body)
    assert response.status_code == 403 and "already received" in response.json()["message"]
    assert refusals()[-1]["step"] == "replay"
    assert DataSubjectRequest.objects.count() == 1


def test_the_refusal_keeps_the_bodys_size_and_hash_never_the_body(client: Client, alpha: SigningAgent) -> None:
    body = alpha.sign(alpha.exercise_claims(**{"business-id": "OTHER_CO", "name": "Hostile Payload Person"}))
    alpha.exercise(client, body)
    event = AuditEvent.objects.filter(action="drp.refused").latest("seq")
    assert event.data["body_bytes"] == len(body) and len(event.data["body_sha256"]) == 64
    assert event.actor == "drp-agent:ALPHA_AGENT"
    assert "Hostile" not in json.dumps(event.data) and body.decode() not in json.dumps(event.data)


# --- The request's own content -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"email": None}, "email claim is required"),
        ({"email": ["ada@example.org"]}, "email claim must be a string"),
        ({"email": "not an address"}, "address is not valid"),
        ({"email_verified": "yes"}, "true or false"),
        ({"relationships": "customer"}, "list of short strings"),
        ({"address": ["1 Main St"]}, "address object"),
        ({"exercise": None}, "exercise claim is missing"),
        ({"exercise": 7}, "exercise claim must be a string"),
        ({"drp.version": None}, "drp.version claim is missing"),
        ({"drp.version": "0.7"}, "not supported"),
        ({"regime": "narnia"}, "regime"),
        ({"status_callback": "ftp://agent.example/cb"}, "status_callback"),
        ({"name": "x" * 500}, "longer than"),
    ],
)
def test_a_request_with_a_bad_claim_gets_a_clear_error_and_no_request(
    client: Client, alpha: SigningAgent, changes: dict[str, Any], words: str
) -> None:
    response = alpha.exercise(client, alpha.sign(alpha.exercise_claims(**changes)))
    refused_with(response, 400, words, "content")


@pytest.mark.parametrize(
    "action", ["sale:opt_out", "sale:opt-out", "sale:opt_in", "access:categories", "access:specific", "correction"]
)
def test_an_action_the_product_does_not_carry_out_is_unsupported(
    client: Client, alpha: SigningAgent, action: str
) -> None:
    body = refused_with(
        alpha.exercise(client, alpha.sign(alpha.exercise_claims(exercise=action))),
        400,
        "Unsupported rights actions",
        "content",
    )
    assert body["fatal"] is True


def test_an_action_the_agent_is_not_registered_for_is_refused(client: Client) -> None:
    agent = SigningAgent("ACCESS_ONLY").register(actions=("access",)).set_up(client)
    refused_with(
        agent.exercise(client, agent.sign(agent.exercise_claims(exercise="deletion"))), 403, "not registered", "content"
    )


def test_a_deletion_request_without_a_regime_is_taken_under_the_default_rule(
    client: Client, alpha: SigningAgent, settings: Any
) -> None:
    response = alpha.exercise(client, alpha.sign(alpha.exercise_claims(exercise="deletion", regime=None)))
    assert response.status_code == 200
    request = DataSubjectRequest.objects.get()
    assert (request.request_type, request.jurisdiction) == ("deletion", settings.DSAR_DEFAULT_JURISDICTION)


def test_the_power_of_attorney_reference_and_hints_are_shown_to_staff(client: Client, alpha: SigningAgent) -> None:
    claims = alpha.exercise_claims(
        power_of_attorney="https://agent.example/poa/123", relationships=["customer", "marketing"]
    )
    alpha.exercise(client, alpha.sign(claims))
    details = DataSubjectRequest.objects.get().details
    assert "https://agent.example/poa/123" in details and "customer, marketing" in details
    assert "ALPHA_AGENT" in details


# --- One agent, its own requests (§2.02.1) ------------------------------------------------------


def test_an_agent_cannot_see_or_revoke_another_agents_request(
    client: Client, alpha: SigningAgent, beta: SigningAgent
) -> None:
    request_id = alpha.exercise(client, alpha.sign(alpha.exercise_claims())).json()["request_id"]
    seen = beta.status(client, request_id)
    assert seen.status_code == 403 and "another agent" in seen.json()["message"]
    assert "ada" not in seen.content.decode().lower()
    revoked = beta.revoke(client, request_id, beta.sign({"reason": "mine now"}))
    assert revoked.status_code == 403
    assert DataSubjectRequest.objects.get().state == State.PENDING_VERIFICATION
    assert [r["step"] for r in refusals()[-2:]] == ["request", "request"]


def test_an_unknown_request_id_is_not_found(client: Client, alpha: SigningAgent) -> None:
    assert alpha.status(client, "c789ff35-7644-4ceb-9981-4b35c264aac3").status_code == 404
    assert alpha.status(client, "not-a-uuid").status_code == 404


# --- Revoke (§2.04) ---------------------------------------------------------------------------------


def test_revoking_cancels_the_request_through_the_workflow(client: Client, alpha: SigningAgent) -> None:
    request_id = alpha.exercise(client, alpha.sign(alpha.exercise_claims())).json()["request_id"]
    response = alpha.revoke(client, request_id, alpha.sign({"reason": "I changed my mind"}))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    request = DataSubjectRequest.objects.get()
    assert request.state == State.CANCELLED
    event = AuditEvent.objects.filter(request=request, action="request.transition").latest("seq")
    assert (event.to_state, event.actor) == (State.CANCELLED, "drp-agent:ALPHA_AGENT")
    # Revoking again answers the same; a GET says so too.
    assert alpha.revoke(client, request_id, alpha.sign({"reason": "again"})).json()["status"] == "revoked"
    assert alpha.status(client, request_id).json()["status"] == "revoked"


def test_a_revoke_with_an_envelope_is_checked_like_any_message(client: Client, alpha: SigningAgent) -> None:
    request_id = alpha.exercise(client, alpha.sign(alpha.exercise_claims())).json()["request_id"]
    stale = alpha.sign(alpha.envelope(reason="late", **{"expires-at": moment(-1)}))
    assert alpha.revoke(client, request_id, stale).status_code == 403
    unsigned = base64.b64encode(b"\0" * 64 + b'{"reason": "forged"}')
    assert alpha.revoke(client, request_id, unsigned).status_code == 403
    assert DataSubjectRequest.objects.get().state == State.PENDING_VERIFICATION


def test_a_closed_request_cannot_be_revoked(client: Client, alpha: SigningAgent) -> None:
    from requests_app.services import requests as services
    from tests.drp.agent import STAFF

    request_id = alpha.exercise(client, alpha.sign(alpha.exercise_claims())).json()["request_id"]
    services.request_reject(
        request=DataSubjectRequest.objects.get(), actor=STAFF, reason="Not our customer", category="not_a_consumer"
    )
    response = alpha.revoke(client, request_id, alpha.sign({"reason": "too late"}))
    assert response.status_code == 409 and "rejected" in response.json()["message"]
    status = alpha.status(client, request_id).json()
    assert (status["status"], status["reason"]) == ("denied", "no_match")
