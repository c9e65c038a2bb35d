"""Webhook subscriptions through the API: the staff UI's services, the secret shown once."""

from __future__ import annotations

import pytest

from requests_app.models import ApiScope, AuditEvent, WebhookSubscription
from tests.api.helpers import ApiClient, error_code, key_with

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
BODY = {"name": "ticketing", "url": "https://hooks.example.com/dsar", "events": ["request.created"]}


@pytest.fixture
def manager() -> ApiClient:
    _, raw = key_with(ApiScope.WEBHOOKS_MANAGE)
    return ApiClient(raw)


def test_a_subscription_is_made_with_its_secret_shown_once(manager):
    response = manager.post(URL, BODY)
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["request.created"]
    listed = manager.get(URL).json()
    assert [s["id"] for s in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert made["secret"] not in str(manager.get(f"{URL}{made['id']}/").json())
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.actor.startswith("api_key:")
    assert made["secret"] not in str(event.data)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "url": "ftp://hooks.example.com/"}, "url"),
        ({**BODY, "url": "https://user:pw@hooks.example.com/"}, "url"),
        ({**BODY, "events": ["request.exploded"]}, "events"),
        ({**BODY, "events": []}, "events"),
        ({**BODY, "name": ""}, "name"),
    ],
)
def test_a_bad_subscription_is_explained_and_not_made(manager, body, field):
    response = manager.post(URL, body)
    assert response.status_code == 400
    assert field in str(response.json()["error"])
    assert not WebhookSubscription.objects.exists()


def test_plain_http_is_refused_in_production_mode(manager, settings):
    settings.DSAR_OUTBOUND_ALLOW_HTTP = False
    response = manager.post(URL, {**BODY, "url": "http://hooks.example.com/"})
    assert response.status_code == 400
    assert "https" in response.json()["error"]["message"]


def test_a_subscription_is_changed_disabled_given_a_new_secret_and_deleted(manager):
    made = manager.post(URL, BODY).json()
    path = f"{URL}{made['id']}/"
    changed = manager.client.patch(
        path, '{"is_active": false, "events": ["request.completed"]}', content_type="application/json",
        **manager.headers,
    ).json()  # fmt: skip
    assert (changed["is_active"], changed["events"]) == (False, ["request.completed"])
    rotated = manager.post(f"{path}rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_")
    assert rotated != made["secret"]
    assert manager.client.delete(path, **manager.headers).status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert error_code(manager.get(path)) == "not_found"


def test_managing_webhooks_needs_its_scope():
    _, raw = key_with(ApiScope.REQUESTS_READ, ApiScope.REQUESTS_ACT)
    response = ApiClient(raw).post(URL, BODY)
    assert response.status_code == 403
    assert error_code(response) == "scope_missing"
    assert not WebhookSubscription.objects.exists()


def test_only_the_admin_role_manages_webhooks_from_a_session(staff_client):
    assert staff_client("analyst").get(URL).status_code == 403
    assert staff_client("admin").get(URL).status_code == 200
