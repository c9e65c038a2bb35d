"""Two workers given the same delivery at the same moment: one sends, the other sends nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.infra import queue
from requests_app.integrations.dispatch import event_dispatch
from requests_app.models import DeliveryState, EventKind, RequestEvent, State, WebhookAttempt, WebhookDelivery
from requests_app.webhooks.deliveries import webhook_deliver
from requests_app.webhooks.subscriptions import webhook_subscription_create
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.concurrency import run_together
from tests.factories import request_in_state

if TYPE_CHECKING:
    from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor.system("tests")


@pytest.mark.parametrize("answer", [200, 500])
def test_concurrent_claims_of_one_delivery_send_it_once(
    outbound: Any, receiver: Receiver, answer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The six callers below are the only senders: the delivery's own message must not reach a
    # real worker that an earlier test of this process left running (it would claim it first).
    monkeypatch.setattr(queue, "enqueue_now", lambda *args: True)
    receiver.statuses = [answer]
    receiver.delay = 0.3  # the winner is still sending while the others try
    request = request_in_state(State.PENDING_VERIFICATION)
    RequestEvent.objects.update(dispatched_at=timezone.now())
    webhook_subscription_create(
        name="Receiver", url=receiver.url, events=[EventKind.REQUEST_STATE_CHANGED], actor=ACTOR
    )
    transition(request, State.VERIFIED, ACTOR)
    (event,) = RequestEvent.objects.filter(dispatched_at__isnull=True)
    event_dispatch(event.pk)
    delivery = WebhookDelivery.objects.get()

    errors = run_together(lambda: webhook_deliver(delivery.pk), threads=6)

    assert errors == []
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.state == (DeliveryState.SUCCEEDED if answer == 200 else DeliveryState.PENDING)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
