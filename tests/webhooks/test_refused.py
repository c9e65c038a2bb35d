"""Addresses the product never sends to: plain http in production mode, loopback, private and
link-local addresses (checked on the resolved address, not the name), unless explicitly allowed.
A refused delivery fails at once, with the reason, and the receiver is never contacted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.integrations.dispatch import event_dispatch
from requests_app.models import DeliveryState, EventKind, RequestEvent, State, WebhookAttempt, WebhookDelivery
from requests_app.webhooks.deliveries import webhook_deliver
from requests_app.webhooks.subscriptions import SubscriptionInvalid, webhook_subscription_create
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.factories import request_in_state

if TYPE_CHECKING:
    from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def delivery_to(url: str) -> WebhookDelivery:
    request = request_in_state(State.PENDING_VERIFICATION)
    RequestEvent.objects.update(dispatched_at=timezone.now())
    webhook_subscription_create(name="Receiver", url=url, events=[EventKind.REQUEST_STATE_CHANGED], actor=ACTOR)
    transition(request, State.VERIFIED, ACTOR)
    (event,) = RequestEvent.objects.filter(dispatched_at__isnull=True)
    event_dispatch(event.pk)
    return WebhookDelivery.objects.get()


def assert_refused_at_once(delivery: WebhookDelivery, receiver: Receiver, reason: str) -> None:
    assert webhook_deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert reason in delivery.last_error
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and reason in attempt.error
    assert receiver.received == []


def test_loopback_is_refused_unless_its_network_is_allowed(outbound: Any, receiver: Receiver) -> None:
    delivery = delivery_to(receiver.url)
    outbound.DSAR_OUTBOUND_ALLOWED_NETWORKS = []
    assert_refused_at_once(delivery, receiver, "loopback")


def test_a_name_is_judged_by_the_address_it_resolves_to(outbound: Any, receiver: Receiver) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    delivery = delivery_to(f"http://localhost:{port}/hooks")
    outbound.DSAR_OUTBOUND_ALLOWED_NETWORKS = []
    assert_refused_at_once(delivery, receiver, "loopback")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/hooks", "private"),
        ("http://192.168.0.10:8080/hooks", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:9/hooks", "loopback"),
        ("http://0.0.0.0:9/hooks", "private"),
    ],
)
def test_private_link_local_and_unspecified_addresses_are_never_contacted(
    outbound: Any, receiver: Receiver, url: str, reason: str
) -> None:
    assert_refused_at_once(delivery_to(url), receiver, reason)


def test_plain_http_is_refused_in_production_mode_both_when_subscribing_and_when_sending(
    outbound: Any, receiver: Receiver
) -> None:
    delivery = delivery_to(receiver.url)
    outbound.DSAR_OUTBOUND_ALLOW_HTTP = False
    with pytest.raises(SubscriptionInvalid, match="https"):
        webhook_subscription_create(name="Plain", url=receiver.url, events=[EventKind.REQUEST_CREATED], actor=ACTOR)
    assert_refused_at_once(delivery, receiver, "https")
