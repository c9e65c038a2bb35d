"""The webhook pages: only a Privacy admin sees or changes anything; the fixed cast is refused
(analyst, auditor, signed in without a role, anonymous), and hostile form input is refused."""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from requests_app.models import AuditEvent, EventKind, WebhookSubscription
from requests_app.staff import roles
from requests_app.webhooks.sealing import secret_open
from requests_app.webhooks.subscriptions import webhook_subscription_create
from requests_app.workflow.audit import Actor
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/dsar"
REFUSED = {"bob": 403, "carol": 403, "dave": 403, "anonymous": 302}


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def subscription() -> WebhookSubscription:
    created, _ = webhook_subscription_create(
        name="Ticketing", url=URL, events=[EventKind.REQUEST_CREATED], actor=Actor.system("tests")
    )
    return created


def pages(subscription: WebhookSubscription) -> list[str]:
    return ["/staff/webhooks/", "/staff/webhooks/new/", f"/staff/webhooks/{subscription.pk}/"]


def test_an_admin_sees_every_webhook_page_and_the_link_to_them(cast: Cast, subscription: WebhookSubscription) -> None:
    client = client_for(cast.alice)
    for page in pages(subscription):
        response = client.get(page)
        assert response.status_code == 200, page
        assert 'href="/staff/webhooks/"' in response.content.decode()
    assert "Ticketing" in client.get("/staff/webhooks/").content.decode()
    assert 'href="/staff/webhooks/"' not in client_for(cast.bob).get("/staff/").content.decode()


@pytest.mark.parametrize("who", sorted(REFUSED))
def test_everyone_else_is_refused_every_page_and_every_action(
    cast: Cast, subscription: WebhookSubscription, who: str
) -> None:
    client = client_for(cast.by_name(who))
    for page in pages(subscription):
        response = client.get(page)
        assert response.status_code == REFUSED[who], page
        assert "Ticketing" not in response.content.decode()
    posts = [
        ("/staff/webhooks/new/", {"name": "Mine", "url": URL, "events": ["request.created"]}),
        (f"/staff/webhooks/{subscription.pk}/", {"name": "Changed", "url": URL, "events": ["request.created"]}),
        *[
            (f"/staff/webhooks/{subscription.pk}/{action}/", {"confirm": "on"})
            for action in ("disable", "rotate", "delete")
        ],
    ]
    before = WebhookSubscription.objects.values_list("name", "url", "events", "is_active", "secret_sealed").get()
    for page, data in posts:
        response = client.post(page, data)
        assert response.status_code == REFUSED[who], page
        assert "whsec_" not in response.content.decode()
    assert (
        WebhookSubscription.objects.values_list("name", "url", "events", "is_active", "secret_sealed").get() == before
    )
    if who in ("bob", "carol", "dave"):
        assert AuditEvent.objects.filter(action="access.refused", actor=f"staff:{who}").exists()


def shown_secret(response: Any) -> str:
    match = re.search(r'value="(whsec_[A-Za-z0-9+/=]+)"', response.content.decode())
    assert match, "the secret is shown"
    return match.group(1)


def test_an_admin_creates_a_subscription_and_is_shown_its_secret_once(cast: Cast) -> None:
    client = client_for(cast.alice)
    response = client.post(
        "/staff/webhooks/new/", {"name": "Ticketing", "url": URL, "events": ["request.created", "request.due_soon"]}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = shown_secret(response)
    subscription = WebhookSubscription.objects.get()
    assert secret_open(subscription.secret_sealed) == secret
    assert (subscription.events, subscription.created_by) == (["request.created", "request.due_soon"], cast.alice)
    assert AuditEvent.objects.filter(action="webhook.created", actor="staff:alice").exists()
    for page in ("/staff/webhooks/", f"/staff/webhooks/{subscription.pk}/"):
        assert secret not in client.get(page).content.decode()


def form_errors(client: Client, data: dict[str, Any]) -> str:
    response = client.post("/staff/webhooks/new/", data)
    assert response.status_code == 400
    assert not WebhookSubscription.objects.exists()
    return response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "javascript:alert(1)"}, "The URL must start with https://"),
        ({"url": "https://user:pw@hooks.example.com/"}, "user name or password"),
        ({"url": "https://" + "a" * 2100}, "at most 2000 characters"),
        ({"events": ["request.hacked"]}, "Select a valid choice"),
        ({"events": []}, "Choose at least one event"),
        ({"name": "<script>alert(1)</script>", "url": "ftp://x"}, "The URL must start with https://"),
    ],
)
def test_hostile_form_input_is_refused_and_shown_as_an_error(
    cast: Cast, settings: Any, data: dict[str, Any], message: str
) -> None:
    settings.DSAR_OUTBOUND_ALLOW_HTTP = False
    body = form_errors(client_for(cast.alice), {"name": "Receiver", "url": URL, "events": ["request.created"], **data})
    assert message in body
    assert "<script>alert(1)</script>" not in body


def test_plain_http_is_refused_by_the_form_in_production_mode(cast: Cast, settings: Any) -> None:
    settings.DSAR_OUTBOUND_ALLOW_HTTP = False
    body = form_errors(
        client_for(cast.alice), {"name": "Plain", "url": "http://hooks.example.com/", "events": ["request.created"]}
    )
    assert "Only https:// URLs are allowed" in body


def test_an_admin_edits_disables_enables_rotates_and_deletes(cast: Cast, subscription: WebhookSubscription) -> None:
    client = client_for(cast.alice)
    page = f"/staff/webhooks/{subscription.pk}/"
    response = client.post(page, {"name": "Renamed", "url": URL, "events": ["store_task.failed"]})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.events) == ("Renamed", ["store_task.failed"])
    assert client.post(page, {"name": "Renamed", "url": URL}).status_code == 400

    client.post(f"{page}disable/")
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason == "Disabled by staff:alice"
    assert "Disabled by staff:alice" in client.get(page).content.decode()
    client.post(f"{page}enable/")
    subscription.refresh_from_db()
    assert subscription.is_active

    old = subscription.secret_sealed
    rotated = client.post(f"{page}rotate/")
    assert rotated.status_code == 200
    subscription.refresh_from_db()
    assert subscription.secret_sealed != old and secret_open(subscription.secret_sealed) == shown_secret(rotated)
    assert client.get(f"{page}rotate/").status_code == 405
    assert client.post(f"{page}explode/").status_code == 404

    unconfirmed = client.post(f"{page}delete/")
    assert unconfirmed.status_code == 400 and WebhookSubscription.objects.exists()
    assert client.post(f"{page}delete/", {"confirm": "on"}).status_code == 302
    assert not WebhookSubscription.objects.exists()
    assert client.get(page).status_code == 404
    actions = set(AuditEvent.objects.filter(actor="staff:alice").values_list("action", flat=True))
    assert {"webhook.updated", "webhook.secret_rotated", "webhook.deleted"} <= actions


def test_the_webhooks_migration_holds_the_roles_of_the_code_and_gives_them_the_new_permissions(
    cast: Cast,
) -> None:
    migration = importlib.import_module("requests_app.migrations.0018_webhooks")
    assert migration.ROLES == roles.ROLES
    admin, auditor = Group.objects.get(name=roles.ADMIN), Group.objects.get(name=roles.AUDITOR)
    new = Permission.objects.filter(content_type__model__in=migration.MODELS)
    admin.permissions.remove(*new)
    auditor.permissions.remove(*new)
    historical = MigrationLoader(connection).project_state(("requests_app", "0018_webhooks")).apps

    migration.grant(historical, None)

    assert admin.permissions.filter(codename="change_webhooksubscription").exists()
    assert admin.permissions.filter(codename="change_apikey").exists()
    given = auditor.permissions.filter(content_type__model__in=migration.MODELS).values_list("codename", flat=True)
    assert set(given) == {
        "view_webhooksubscription",
        "view_webhookdelivery",
        "view_webhookattempt",
        "view_apikey",
        "view_idempotentcreate",
    }


def test_the_pages_show_recent_deliveries_with_each_attempts_answer(
    cast: Cast, subscription: WebhookSubscription
) -> None:
    from django.utils import timezone

    from requests_app.models import DeliveryState, RequestEvent, WebhookAttempt, WebhookDelivery
    from tests.factories import DataSubjectRequestFactory

    request = DataSubjectRequestFactory.create()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event=RequestEvent.objects.get(request=request), message_id="msg_shown",
        state=DeliveryState.PENDING, attempts=1, next_attempt_at=timezone.now(),
    )  # fmt: skip
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, started_at=timezone.now(), duration_ms=12, status_code=500,
        response_excerpt="<b>upstream down</b>", error="The receiver answered 500",
    )  # fmt: skip
    client = client_for(cast.alice)
    detail = client.get(f"/staff/webhooks/{subscription.pk}/").content.decode()
    assert "msg_shown" in detail and request.reference in detail
    assert "&lt;b&gt;upstream down&lt;/b&gt;" in detail and "The receiver answered 500" in detail
    listing = client.get("/staff/webhooks/").content.decode()
    assert "Waiting to be sent" in listing
