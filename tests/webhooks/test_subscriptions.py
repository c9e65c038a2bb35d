"""The subscription services the staff UI and the API call: validated, audited, no secret kept
in the audit trail, and of a URL only what carries no token."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests_app.models import AuditEvent, EventKind, WebhookSubscription
from requests_app.webhooks.sealing import secret_open
from requests_app.webhooks.subscriptions import (
    SubscriptionInvalid,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from requests_app.workflow.audit import Actor

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")
URL = "https://hooks.example.com/dsar?token=s3cr3t"


def audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values("action", "reason", "data")))


def test_a_subscription_is_created_active_with_its_events_in_order_and_audited_without_secrets() -> None:
    subscription, secret = webhook_subscription_create(
        name="  Ticketing   system ", url=URL, events=["request.completed", "request.created", "request.created"],
        actor=ACTOR,
    )  # fmt: skip
    assert (subscription.name, subscription.url, subscription.is_active) == ("Ticketing system", URL, True)
    assert subscription.events == ["request.created", "request.completed"]
    assert secret_open(subscription.secret_sealed) == secret
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.request_id is None and event.actor == "system:tests"
    assert event.data["url"] == "https://hooks.example.com/dsar"
    assert secret.removeprefix("whsec_") not in audit_text() and "s3cr3t" not in audit_text()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "javascript:alert(1)"}, "url", "https://"),
        ({"url": "ftp://files.example.com/x"}, "url", "https://"),
        ({"url": "https://user:password@hooks.example.com/"}, "url", "user name or password"),
        ({"url": "https:///no-host"}, "url", "no host"),
        ({"url": "https://hooks.example.com/" + "a" * 2000}, "url", "characters"),
        ({"url": ""}, "url", "characters"),
        ({"events": ["request.hacked"]}, "events", "Unknown event: request.hacked"),
        ({"events": []}, "events", "at least one"),
        ({"name": "   "}, "name", "name"),
        ({"name": "x" * 101}, "name", "name"),
    ],
)
def test_hostile_input_is_refused_with_a_reason_and_nothing_is_written(
    fields: dict[str, Any], field: str, message: str
) -> None:
    values: dict[str, Any] = {"name": "Receiver", "url": URL, "events": [EventKind.REQUEST_CREATED], **fields}
    with pytest.raises(SubscriptionInvalid, match=message) as refused:
        webhook_subscription_create(actor=ACTOR, **values)
    assert refused.value.extra == {"field": field}
    assert not WebhookSubscription.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()


def test_an_update_changes_only_what_is_given_and_records_what_changed() -> None:
    subscription, _ = webhook_subscription_create(name="A", url=URL, events=["request.created"], actor=ACTOR)
    webhook_subscription_update(subscription=subscription, actor=ACTOR, events=["store_task.failed"])
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.events) == ("A", URL, ["store_task.failed"])
    event = AuditEvent.objects.get(action="webhook.updated")
    assert event.data == {"subscription": subscription.pk, "changed": {"events": ["store_task.failed"]}}
    webhook_subscription_update(subscription=subscription, actor=ACTOR, name="A")
    assert AuditEvent.objects.filter(action="webhook.updated").count() == 1, "no change, no event"
    with pytest.raises(SubscriptionInvalid):
        webhook_subscription_update(subscription=subscription, actor=ACTOR, url="http://10.0.0.1/", events=[])
    subscription.refresh_from_db()
    assert subscription.url == URL


def test_disabling_by_hand_says_who_and_enabling_clears_the_failures() -> None:
    subscription, _ = webhook_subscription_create(name="A", url=URL, events=["request.created"], actor=ACTOR)
    webhook_subscription_update(subscription=subscription, actor=ACTOR, is_active=False)
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason == "Disabled by system:tests"
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=7)
    webhook_subscription_update(subscription=subscription, actor=ACTOR, is_active=True)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.disabled_at, subscription.consecutive_failures) == (True, None, 0)


def test_a_rotated_secret_replaces_the_old_one_and_is_not_audited() -> None:
    subscription, old = webhook_subscription_create(name="A", url=URL, events=["request.created"], actor=ACTOR)
    new = webhook_secret_rotate(subscription=subscription, actor=ACTOR)
    subscription.refresh_from_db()
    assert new != old and secret_open(subscription.secret_sealed) == new
    assert secret_open(subscription.previous_secret_sealed) == old
    assert subscription.previous_secret_until is not None
    assert timedelta(hours=23) < subscription.previous_secret_until - timezone.now() <= timedelta(hours=24)
    newest = webhook_secret_rotate(subscription=subscription, actor=ACTOR)
    subscription.refresh_from_db()
    assert secret_open(subscription.previous_secret_sealed) == new, "only the secret just replaced goes on"
    assert secret_open(subscription.secret_sealed) == newest
    assert AuditEvent.objects.filter(action="webhook.secret_rotated").count() == 2
    assert new.removeprefix("whsec_") not in audit_text() and newest.removeprefix("whsec_") not in audit_text()


def test_a_deleted_subscription_is_gone_and_the_audit_trail_says_it_was() -> None:
    subscription, _ = webhook_subscription_create(name="A", url=URL, events=["request.created"], actor=ACTOR)
    webhook_subscription_delete(subscription=subscription, actor=ACTOR)
    assert not WebhookSubscription.objects.exists()
    event = AuditEvent.objects.get(action="webhook.deleted")
    assert event.data["name"] == "A" and event.data["url"] == "https://hooks.example.com/dsar"
    webhook_subscription_delete(subscription=subscription, actor=ACTOR)
    with pytest.raises(SubscriptionInvalid):
        webhook_secret_rotate(subscription=subscription, actor=ACTOR)
