"""Deliveries on a real receiver: made from the workflow's events, signed, retried, recorded,
given up on, and the subscription disabled with one notice; the refused addresses never reached.

The events come from real transitions; the dispatch and each attempt are called as the
Celery tasks call them, so every step can be watched.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests_app.infra import queue
from requests_app.integrations.dispatch import event_dispatch
from requests_app.models import (
    AuditEvent,
    DeliveryState,
    EmailMessage,
    EventKind,
    RequestEvent,
    State,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from requests_app.webhooks import deliveries
from requests_app.webhooks.deliveries import webhook_deliver, webhook_deliveries_create
from requests_app.webhooks.sealing import secret_open
from requests_app.webhooks.subscriptions import webhook_subscription_create
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.factories import request_in_state
from tests.webhooks.receiver import Receiver, signature_valid

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")
ALL_REQUEST_EVENTS = [EventKind.REQUEST_CREATED, EventKind.REQUEST_STATE_CHANGED, EventKind.REQUEST_COMPLETED]


def subscribe(url: str, events: list[str] | None = None, name: str = "Ticketing") -> tuple[WebhookSubscription, str]:
    return webhook_subscription_create(name=name, url=url, events=events or ALL_REQUEST_EVENTS, actor=ACTOR)


def dispatch_all() -> list[WebhookDelivery]:
    """Hand every undispatched event to the consumers, as the dispatch task does."""
    for pk in RequestEvent.objects.filter(dispatched_at__isnull=True).order_by("pk").values_list("pk", flat=True):
        event_dispatch(pk)
    return list(WebhookDelivery.objects.order_by("pk"))


def make_due(delivery: WebhookDelivery) -> None:
    """Move a waiting retry's time to now, as if its backoff had passed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def a_state_change_delivery(receiver: Receiver) -> tuple[WebhookDelivery, str]:
    """A subscription to state changes, one real transition, and its one delivery."""
    request = request_in_state(State.PENDING_VERIFICATION)
    RequestEvent.objects.update(dispatched_at=timezone.now())  # only what comes next
    _subscription, secret = subscribe(receiver.url, [EventKind.REQUEST_STATE_CHANGED])
    transition(request, State.VERIFIED, ACTOR)
    (delivery,) = dispatch_all()
    return delivery, secret


def test_a_real_state_change_is_delivered_once_signed_with_the_subscriptions_secret(
    outbound: Any, receiver: Receiver
) -> None:
    request = request_in_state(State.PENDING_VERIFICATION)
    subscription, secret = subscribe(receiver.url, [EventKind.REQUEST_STATE_CHANGED])
    uninterested, _ = subscribe(receiver.url, [EventKind.STORE_TASK_FAILED], name="Pager")
    transition(request, State.VERIFIED, ACTOR)

    made = dispatch_all()
    assert [(d.subscription_id, d.event.kind) for d in made] == [(subscription.pk, EventKind.REQUEST_STATE_CHANGED)]
    (delivery,) = made
    assert webhook_deliver(delivery.pk) is None

    (got,) = receiver.received
    assert got.path == "/hooks/dsar?token=abc"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == delivery.message_id and delivery.message_id.startswith("msg_")
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 30
    assert signature_valid(secret, got)
    assert not signature_valid(subscribe(receiver.url, name="Other")[1], got)
    body = json.loads(got.body)
    assert body["type"] == "request.state_changed"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["request"]["id"] == request.reference
    assert (body["data"]["from_state"], body["data"]["to_state"]) == ("pending_verification", "verified")
    assert request.subject_email not in got.body.decode()
    assert got.body == deliveries.message_body(delivery.event)
    assert b" " not in got.body.replace(b"A request", b""), "compact JSON"

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (DeliveryState.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.response_excerpt, attempt.error) == (
        1,
        200,
        '{"ok": true}',
        "",
    )
    assert not WebhookDelivery.objects.filter(subscription=uninterested).exists()


def test_an_event_handed_over_twice_makes_one_delivery_and_a_sent_one_is_not_sent_again(
    outbound: Any, receiver: Receiver
) -> None:
    delivery, _ = a_state_change_delivery(receiver)
    webhook_deliveries_create(delivery.event)
    assert WebhookDelivery.objects.count() == 1
    webhook_deliver(delivery.pk)
    webhook_deliver(delivery.pk)
    assert len(receiver.received) == 1


def test_an_answer_of_500_is_retried_after_its_backoff_with_the_same_id_and_bytes(
    outbound: Any, receiver: Receiver
) -> None:
    receiver.statuses = [500, 204]
    receiver.answer = b"\xff\x00 broken <script>" + b"x" * 5000
    delivery, secret = a_state_change_delivery(receiver)

    retry_at = webhook_deliver(delivery.pk)
    assert retry_at is not None
    assert timedelta(seconds=4) < retry_at - timezone.now() <= timedelta(seconds=6)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (DeliveryState.PENDING, 1, 500)
    first = WebhookAttempt.objects.get(delivery=delivery, number=1)
    assert first.error == "The receiver answered 500"
    assert first.response_excerpt.startswith("\ufffd\ufffd broken <script>")
    assert len(first.response_excerpt) == deliveries.EXCERPT_CHARS

    assert webhook_deliver(delivery.pk) is None, "not due yet"
    assert len(receiver.received) == 1
    make_due(delivery)
    assert webhook_deliver(delivery.pk) is None

    first_sent, second_sent = receiver.received
    assert first_sent.headers["webhook-id"] == second_sent.headers["webhook-id"] == delivery.message_id
    assert first_sent.body == second_sent.body
    assert signature_valid(secret, first_sent) and signature_valid(secret, second_sent)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (DeliveryState.SUCCEEDED, 2, 204)
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "status_code")) == [
        (1, 500),
        (2, 204),
    ]


def test_the_backoff_follows_the_specifications_schedule_with_a_little_jitter() -> None:
    expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400, 86400]
    for made, seconds in enumerate(expected, start=1):
        delay = deliveries.retry_delay(made).total_seconds()
        assert seconds <= delay <= seconds * 1.1


def test_a_delivery_fails_for_good_after_the_maximum_attempts(outbound: Any, receiver: Receiver) -> None:
    outbound.DSAR_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [503]
    delivery, _ = a_state_change_delivery(receiver)
    results = []
    for _ in range(3):
        make_due(delivery)
        results.append(webhook_deliver(delivery.pk))
    assert results[0] is not None and results[1] is not None and results[2] is None
    assert webhook_deliver(delivery.pk) is None
    assert len(receiver.received) == 3
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (DeliveryState.FAILED, 3, None)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 3
    subscription = WebhookSubscription.objects.get()
    assert (subscription.consecutive_failures, subscription.is_active) == (1, True)


def test_a_receiver_that_cannot_be_reached_is_retried(outbound: Any, receiver: Receiver) -> None:
    delivery, _ = a_state_change_delivery(receiver)
    receiver.stop()
    assert webhook_deliver(delivery.pk) is not None
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and attempt.error
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


def test_repeated_failures_disable_the_subscription_and_tell_the_team_once(outbound: Any, receiver: Receiver) -> None:
    outbound.DSAR_WEBHOOK_MAX_ATTEMPTS = 1
    outbound.DSAR_WEBHOOK_DISABLE_AFTER = 2
    receiver.statuses = [500]
    request = request_in_state(State.PENDING_VERIFICATION)
    RequestEvent.objects.update(dispatched_at=timezone.now())
    subscription, _ = subscribe(receiver.url, [EventKind.REQUEST_STATE_CHANGED])

    transition(request, State.VERIFIED, ACTOR)
    transition(request, State.IN_PROGRESS, ACTOR)
    first, second = dispatch_all()
    webhook_deliver(first.pk)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 1)
    webhook_deliver(second.pk)

    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_at is not None
    assert subscription.disabled_reason == "2 deliveries in a row failed after every retry"
    (notice,) = EmailMessage.objects.filter(kind="staff_webhook_disabled")
    assert notice.to_addresses == ["privacy-team@example.com"]
    assert "Ticketing" in notice.subject and "Ticketing" in notice.body_text
    assert "token=abc" not in notice.body_text, "the URL's query may hold a token"
    assert f"/staff/webhooks/{subscription.pk}/" in notice.body_text
    assert AuditEvent.objects.filter(action="webhook.disabled").count() == 1

    # Disabled: a new event makes no delivery, and a delivery still waiting is not sent.
    transition(request, State.NEEDS_ATTENTION, ACTOR)
    assert len(dispatch_all()) == 2
    waiting = WebhookDelivery.objects.create(
        subscription=subscription, event=RequestEvent.objects.latest("pk"), message_id="msg_waiting",
        next_attempt_at=timezone.now(),
    )  # fmt: skip
    assert webhook_deliver(waiting.pk) is None
    assert len(receiver.received) == 2
    assert EmailMessage.objects.filter(kind="staff_webhook_disabled").count() == 1


def test_a_success_clears_the_count_of_failures_in_a_row(outbound: Any, receiver: Receiver) -> None:
    outbound.DSAR_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500, 200]
    request = request_in_state(State.PENDING_VERIFICATION)
    RequestEvent.objects.update(dispatched_at=timezone.now())
    subscription, _ = subscribe(receiver.url, [EventKind.REQUEST_STATE_CHANGED])
    transition(request, State.VERIFIED, ACTOR)
    transition(request, State.IN_PROGRESS, ACTOR)
    first, second = dispatch_all()
    webhook_deliver(first.pk)
    assert WebhookSubscription.objects.get().consecutive_failures == 1
    webhook_deliver(second.pk)
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.is_active) == (0, True)


def test_an_answer_of_410_gone_disables_the_subscription_at_once(outbound: Any, receiver: Receiver) -> None:
    receiver.statuses = [410]
    delivery, _ = a_state_change_delivery(receiver)
    assert webhook_deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    subscription = WebhookSubscription.objects.get()
    assert not subscription.is_active and "410" in subscription.disabled_reason
    assert EmailMessage.objects.filter(kind="staff_webhook_disabled").count() == 1


def test_the_sweeper_sends_again_a_delivery_whose_message_was_lost(
    outbound: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery, secret = a_state_change_delivery(receiver)
    sent: list[tuple[str, tuple[object, ...]]] = []

    def enqueue_now(name: str, *args: object) -> bool:
        sent.append((name, args))
        return True

    monkeypatch.setattr(queue, "enqueue_now", enqueue_now)

    assert deliveries.webhook_deliveries_sweep() == 0, "its own message has the grace period"
    later = timezone.now() + timedelta(seconds=outbound.DSAR_OUTBOX_GRACE_SECONDS + 1)
    assert deliveries.webhook_deliveries_sweep(later) == 1
    assert sent == [(queue.DELIVER_WEBHOOK, (delivery.pk,))]

    webhook_deliver(delivery.pk)
    (got,) = receiver.received
    assert signature_valid(secret, got)
    assert deliveries.webhook_deliveries_sweep(later) == 0, "nothing is due once it succeeded"


def test_a_delivery_whose_worker_died_mid_send_is_taken_over_after_its_lease(
    outbound: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery, _ = a_state_change_delivery(receiver)
    assert deliveries._claim(delivery.pk) is not None  # a worker took it, and died
    assert webhook_deliver(delivery.pk) is None, "its lease still holds"
    assert deliveries.webhook_deliveries_due() == []
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert deliveries.webhook_deliveries_due() == [delivery.pk]

    webhook_deliver(delivery.pk)
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SUCCEEDED, 2)
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("number", flat=True)) == [2]


def test_the_delivery_task_waits_for_a_short_retry_and_leaves_a_long_one_to_the_sweeper(
    outbound: Any, receiver: Receiver
) -> None:
    from celery.exceptions import Retry

    from requests_app.tasks import deliver_webhook as task

    receiver.statuses = [500]
    delivery, _ = a_state_change_delivery(receiver)
    with pytest.raises(Retry):
        task.apply(args=(delivery.pk,), throw=True)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=3, next_attempt_at=timezone.now())
    task.apply(args=(delivery.pk,), throw=True)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - timezone.now() > timedelta(hours=1)


def test_the_secret_is_kept_sealed_in_the_database(outbound: Any, receiver: Receiver) -> None:
    subscription, secret = subscribe(receiver.url)
    stored = WebhookSubscription.objects.values_list("secret_sealed", flat=True).get(pk=subscription.pk)
    assert secret.removeprefix("whsec_") not in stored
    assert secret_open(stored) == secret


def test_without_a_team_address_the_notice_goes_to_the_active_admins_with_an_address(settings: Any) -> None:
    from django.contrib.auth.models import User

    from tests.staff.test_permissions import FAST_HASHERS, make_cast

    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DSAR_TEAM_EMAIL = ""
    cast = make_cast()
    User.objects.create(username="root", email="root@example.com", is_superuser=True)
    User.objects.create(username="gone", email="gone@example.com", is_superuser=True, is_active=False)
    assert deliveries.notice_recipients() == [cast.alice.email, "root@example.com"]


def test_after_a_rotation_both_secrets_sign_for_the_overlap_then_only_the_new_one(
    outbound: Any, receiver: Receiver
) -> None:
    from requests_app.webhooks.subscriptions import webhook_secret_rotate

    receiver.statuses = [500]
    delivery, old = a_state_change_delivery(receiver)
    new = webhook_secret_rotate(subscription=delivery.subscription, actor=ACTOR)
    webhook_deliver(delivery.pk)
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split()) == 2
    assert signature_valid(new, during) and signature_valid(old, during)

    WebhookSubscription.objects.update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    make_due(delivery)
    webhook_deliver(delivery.pk)
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split()) == 1
    assert signature_valid(new, after) and not signature_valid(old, after)
