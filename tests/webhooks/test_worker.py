"""End to end on a real Celery worker: a state change commits, the worker hands the event to
the webhooks, sends the delivery, is answered 500, retries after its backoff and succeeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from requests_app.models import DeliveryState, EventKind, State, WebhookAttempt, WebhookDelivery
from requests_app.webhooks.subscriptions import webhook_subscription_create
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.factories import request_in_state
from tests.waiting import wait_for
from tests.webhooks.receiver import signature_valid

if TYPE_CHECKING:
    from tests.conftest import Worker
    from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ACTOR = Actor.system("tests")


def test_a_committed_state_change_reaches_the_receiver_through_the_worker_with_a_retry(
    celery_worker: Worker, receiver: Receiver
) -> None:
    receiver.statuses = [500, 200]
    _subscription, secret = webhook_subscription_create(
        name="Ticketing", url=receiver.url, events=[EventKind.REQUEST_STATE_CHANGED], actor=ACTOR
    )
    request = request_in_state(State.PENDING_VERIFICATION)
    transition(request, State.VERIFIED, ACTOR)

    def delivered() -> bool:
        return WebhookDelivery.objects.filter(state=DeliveryState.SUCCEEDED).exists()

    wait_for(delivered, celery_worker)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True)) == [500, 200]
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert signature_valid(secret, first) and signature_valid(secret, second)
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 4, "the backoff"
