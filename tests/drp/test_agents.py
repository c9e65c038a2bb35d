"""Registering DRP agents: the staff pages (Privacy admin only) and the command."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import CommandError, call_command

from requests_app.models import AuditEvent, DrpAgent, DrpAgentToken
from tests.drp.agent import SigningAgent
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/staff/drp-agents/", "/staff/drp-agents/new/", "/staff/drp-agents/{pk}/"]


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def alice(cast: Cast) -> Client:
    return client_for(cast.alice)


def form(agent: SigningAgent, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "agent_id": agent.agent_id,
        "name": "Consumer Reports Permission Slip",
        "email": "drp@agent.example",
        "verify_key": agent.verify_key,
        "allowed_actions": ["access", "deletion"],
    }
    return data | changes


@pytest.mark.parametrize("person", ["bob", "carol", "dave"])
def test_only_a_privacy_admin_sees_or_changes_agents(cast: Cast, person: str) -> None:
    agent = SigningAgent("SOME_AGENT").register()
    assert agent.row is not None
    client = client_for(cast.by_name(person))
    for page in PAGES:
        assert client.get(page.format(pk=agent.row.pk)).status_code == 403
    assert client.post("/staff/drp-agents/new/", form(SigningAgent("NEW_AGENT"))).status_code == 403
    assert client.post(f"/staff/drp-agents/{agent.row.pk}/active/", {"active": "0"}).status_code == 403
    assert not DrpAgent.objects.filter(agent_id="NEW_AGENT").exists()
    assert DrpAgent.objects.get(pk=agent.row.pk).active
    assert "/staff/drp-agents/" not in client.get("/staff/").content.decode()


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(cast: Cast) -> None:
    response = client_for(None).get("/staff/drp-agents/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_an_admin_registers_an_agent_that_can_then_set_up_its_token(
    alice: Client, client: Client, settings: Any
) -> None:
    assert 'href="/staff/drp-agents/"' in alice.get("/staff/").content.decode()
    agent = SigningAgent("PERMISSION_SLIP")
    response = alice.post("/staff/drp-agents/new/", form(agent), follow=True)
    assert response.redirect_chain == [("/staff/drp-agents/", 302)]
    body = response.content.decode()
    assert "PERMISSION_SLIP" in body and "access, deletion" in body
    # The strict CSP allows no inline script or style.
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None and "style=" not in body
    row = DrpAgent.objects.get(agent_id="PERMISSION_SLIP")
    assert row.registered_by is not None and row.registered_by.get_username() == "alice"
    event = AuditEvent.objects.filter(action="drp.agent_registered").latest("seq")
    assert (event.actor, event.data["agent_id"]) == ("staff:alice", "PERMISSION_SLIP")
    agent.set_up(client)
    assert DrpAgentToken.objects.filter(agent=row, revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"verify_key": "not base64!"}, "not base64"),
        ({"verify_key": "c2hvcnQ="}, "is 5 bytes"),
        ({"allowed_actions": []}, "This field is required"),
        ({"allowed_actions": ["sale:opt_out"]}, "not one of the available choices"),
        ({"email": "nope"}, "valid email"),
    ],
)
def test_a_bad_registration_is_explained_and_records_nothing(
    alice: Client, changes: dict[str, Any], words: str
) -> None:
    response = alice.post("/staff/drp-agents/new/", form(SigningAgent("BAD_AGENT"), **changes))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not DrpAgent.objects.exists()


def test_an_agent_id_is_registered_once(alice: Client) -> None:
    SigningAgent("TWICE").register()
    response = alice.post("/staff/drp-agents/new/", form(SigningAgent("TWICE")))
    assert response.status_code == 400 and "already registered" in response.content.decode()


def test_a_new_key_ends_the_agents_tokens(alice: Client, client: Client) -> None:
    agent = SigningAgent("ROTATING").register().set_up(client)
    assert agent.row is not None
    new_key = SigningAgent("ROTATING")
    response = alice.post(f"/staff/drp-agents/{agent.row.pk}/", form(new_key, allowed_actions=["access"]))
    assert response.status_code == 302
    row = DrpAgent.objects.get(pk=agent.row.pk)
    assert (row.verify_key, row.allowed_actions) == (new_key.verify_key, ["access"])
    assert client.get("/drp/v1/agent/ROTATING", headers=agent.headers()).status_code == 401
    # The old key no longer sets up a token; the new one does.
    assert (
        client.post("/drp/v1/agent/ROTATING", agent.sign(agent.envelope()), content_type="text/plain").status_code
        == 403
    )
    new_key.set_up(client)


def test_a_deactivated_agent_is_shut_out_and_can_be_let_back_in(alice: Client, client: Client) -> None:
    agent = SigningAgent("PAUSED").register().set_up(client)
    assert agent.row is not None
    assert alice.post(f"/staff/drp-agents/{agent.row.pk}/active/", {"active": "0"}).status_code == 302
    assert client.get("/drp/v1/agent/PAUSED", headers=agent.headers()).status_code == 401
    assert (
        client.post("/drp/v1/agent/PAUSED", agent.sign(agent.envelope()), content_type="text/plain").status_code == 403
    )
    assert "Deactivated" in alice.get("/staff/drp-agents/").content.decode()
    alice.post(f"/staff/drp-agents/{agent.row.pk}/active/", {"active": "1"})
    agent.set_up(client)
    actions = list(AuditEvent.objects.filter(action__startswith="drp.agent_").values_list("action", flat=True))
    assert actions[-2:] == ["drp.agent_deactivated", "drp.agent_activated"]


def test_the_command_registers_an_agent(cast: Cast) -> None:
    agent = SigningAgent("SCRIPTED")
    output = io.StringIO()
    call_command(
        "drp_agent_register", "--id", "SCRIPTED", "--name", "Scripted Agent", "--email", "drp@agent.example",
        "--verify-key", agent.verify_key, "--actions", "access,deletion", "--actor", "alice", stdout=output,
    )  # fmt: skip
    assert output.getvalue().strip() == "Registered SCRIPTED (Scripted Agent): access, deletion"
    row = DrpAgent.objects.get(agent_id="SCRIPTED")
    assert row.registered_by == cast.alice
    assert AuditEvent.objects.filter(action="drp.agent_registered", actor="staff:alice").exists()


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--verify-key", "AAAA"], "is 3 bytes"),
        (["--actions", "access,sale:opt_out"], "Unknown actions sale:opt_out"),
        (["--actor", "bob"], "not an active Privacy admin"),
    ],
)
def test_the_command_refuses_a_bad_registration(cast: Cast, arguments: list[str], words: str) -> None:
    base = {
        "--id": "SCRIPTED",
        "--name": "Scripted Agent",
        "--email": "drp@agent.example",
        "--verify-key": SigningAgent("SCRIPTED").verify_key,
        "--actions": "access",
    }
    base.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))
    with pytest.raises(CommandError, match=words):
        call_command("drp_agent_register", *[part for pair in base.items() for part in pair])
    assert not DrpAgent.objects.exists()


def test_the_admin_site_shows_drp_requests_and_callbacks_read_only(alice: Client, client: Client) -> None:
    from requests_app.integrations.dispatch import event_dispatch
    from requests_app.models import DrpCallback, DrpRequest, RequestEvent
    from requests_app.services import requests as services
    from tests.drp.agent import STAFF

    agent = SigningAgent("ADMIN_VIEW").register().set_up(client)
    claims = agent.exercise_claims(status_callback="https://agent.example/status")
    assert agent.exercise(client, agent.sign(claims)).status_code == 200
    drp = DrpRequest.objects.get()
    services.request_reject(request=drp.request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    for event in RequestEvent.objects.filter(dispatched_at__isnull=True):
        event_dispatch(event.pk)
    callback = DrpCallback.objects.get()
    for page in (
        "/admin/requests_app/drprequest/",
        f"/admin/requests_app/drprequest/{drp.pk}/change/",
        "/admin/requests_app/drpcallback/",
        f"/admin/requests_app/drpcallback/{callback.pk}/change/",
    ):
        response = alice.get(page)
        assert response.status_code == 200, page
        assert drp.message_digest not in response.content.decode()
    assert alice.get("/admin/requests_app/drpcallback/add/").status_code == 403
