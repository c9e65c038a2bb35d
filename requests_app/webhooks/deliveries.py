"""Webhook deliveries: made from a recorded event, sent after commit, retried, recorded.

``webhook_deliveries_create`` is an event consumer (``integrations.dispatch``): in the
dispatch transaction it writes one delivery per active subscription that wants the event's
kind (the unique (subscription, event) pair makes a second hand-over write nothing) and
sends each to Celery once that commits. ``webhook_deliver`` claims one attempt with a
conditional update, signs and posts the body, and records the attempt with its answer.
A failed attempt is retried on the Standard Webhooks schedule; after
``DSAR_WEBHOOK_MAX_ATTEMPTS`` the delivery has failed for good, and after
``DSAR_WEBHOOK_DISABLE_AFTER`` such deliveries in a row the subscription is disabled and the
people who manage webhooks are told, once. The sweeper sends again what a lost message, a
retry that waits longer than a task should, or a dead worker left behind.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from requests_app.infra import outbound_http, queue
from requests_app.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from requests_app.notifications.emails import absolute_url, staff_notify
from requests_app.webhooks.sealing import SecretUnreadable, secret_open
from requests_app.webhooks.signing import message_id_generate, sign
from requests_app.webhooks.subscriptions import url_for_audit
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from requests_app.models import RequestEvent

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("webhooks")

# Seconds before each attempt after the first: the schedule the specification suggests
# (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h); attempts beyond it wait 24 h.
BACKOFF_SECONDS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
# Up to this share of a delay is added at random, so receivers that failed together are
# not all retried in the same second.
JITTER = 0.1
# A claim outlasts the longest post (the timeout, for the connection and again for the
# answer) by this much before another worker may take the delivery over.
LEASE_MARGIN_SECONDS = 60
EXCERPT_CHARS = 1000
ERROR_CHARS = 500
SWEEP_BATCH = 500


def subscriptions_wanting(kind: str) -> list[int]:
    """The active subscriptions that take events of ``kind``."""
    # Subscriptions are few; filtering their event lists here works on every database
    # (SQLite has no JSON containment).
    active = WebhookSubscription.objects.filter(is_active=True).values_list("pk", "events")
    return [pk for pk, events in active if kind in events]


def webhook_deliveries_create(event: RequestEvent) -> int:
    """Write the deliveries of ``event`` (locked by the dispatcher) and send them after commit.

    Returns how many deliveries the event now has waiting to be sent.
    """
    wanted = subscriptions_wanting(event.kind)
    if not wanted:
        return 0
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription_id=pk, event=event, message_id=message_id_generate(), next_attempt_at=now)
            for pk in wanted
        ],
        ignore_conflicts=True,
    )
    pending = list(
        WebhookDelivery.objects.filter(event=event, state=DeliveryState.PENDING).values_list("pk", flat=True)
    )
    for pk in pending:
        queue.enqueue_on_commit(queue.DELIVER_WEBHOOK, pk)
    return len(pending)


def message_body(event: RequestEvent) -> bytes:
    """The body of every attempt of a delivery of ``event``: compact JSON, the same bytes each time.

    Keys inside ``data`` are sorted, so the bytes do not depend on how the database hands
    the JSON back.
    """
    moment = event.created_at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    data = json.dumps(event.data, sort_keys=True, separators=(",", ":"))
    head = json.dumps({"type": event.kind, "timestamp": moment}, separators=(",", ":"))
    return f'{head[:-1]},"data":{data}}}'.encode()


def response_excerpt(body: bytes) -> str:
    """The start of an answer as text that can be shown: undecodable bytes replaced, no NULs."""
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text[:EXCERPT_CHARS]


def retry_delay(attempts_made: int) -> timedelta:
    """How long to wait after ``attempts_made`` failed attempts, with jitter."""
    base = BACKOFF_SECONDS[min(attempts_made, len(BACKOFF_SECONDS)) - 1]
    return timedelta(seconds=base * (1 + random.uniform(0, JITTER)))  # noqa: S311 - jitter, not a secret


def _lease_seconds() -> int:
    return 2 * settings.DSAR_WEBHOOK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS


def _claim(delivery_pk: int) -> uuid.UUID | None:
    """Take the next attempt of a delivery that is due; None if it is not, or someone else took it.

    One conditional update decides: of two workers (a retry and the sweeper's message, or
    a late original), one sets its token and the other changes nothing. A claim whose lease
    ran out (its worker died mid-send) is taken over: a receiver may then see the message
    twice, with the same ``webhook-id`` to tell.
    """
    now = timezone.now()
    token = uuid.uuid4()
    claimed = WebhookDelivery.objects.filter(
        Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        | Q(state=DeliveryState.DELIVERING, lease_expires_at__lt=now),
        pk=delivery_pk,
        # A subquery on the subscriptions, not a join: with a join Django updates through
        # "id IN (SELECT ...)", and PostgreSQL would not recheck the state of a row another
        # claim changed meanwhile; conditions on the updated table itself are rechecked.
        subscription_id__in=WebhookSubscription.objects.filter(is_active=True).values("pk"),
    ).update(
        state=DeliveryState.DELIVERING,
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=_lease_seconds()),
        attempts=F("attempts") + 1,
    )
    return token if claimed == 1 else None


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    started_at: datetime
    duration_ms: int
    status: int | None = None
    excerpt: str = ""
    error: str = ""
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_deliver(delivery_pk: int) -> datetime | None:
    """Make the next attempt of a delivery if it is due; return when to try again, if a retry waits.

    Returns None when the delivery succeeded, failed for good, or was not this worker's to
    send (not due, claimed by another, gone, or its subscription disabled).
    """
    token = _claim(delivery_pk)
    if token is None:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription", "event").filter(pk=delivery_pk).first()
    if delivery is None:
        return None
    started = timezone.now()
    clock = time.monotonic()
    try:
        secrets = _signing_secrets(delivery.subscription, started)
    except SecretUnreadable as error:
        outcome = Outcome(started_at=started, duration_ms=0, error=f"{error}: rotate the secret", refused=True)
        return _record(delivery, token, outcome)
    body = message_body(delivery.event)
    timestamp = int(started.timestamp())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret=secret, message_id=delivery.message_id, timestamp=timestamp, body=body) for secret in secrets
        ),
    }
    try:
        response = outbound_http.post(
            delivery.subscription.url, body=body, headers=headers, timeout=settings.DSAR_WEBHOOK_TIMEOUT_SECONDS
        )
    except outbound_http.OutboundRefused as error:
        outcome = Outcome(started_at=started, duration_ms=_since(clock), error=error.message, refused=True)
    except outbound_http.OutboundFailed as error:
        outcome = Outcome(started_at=started, duration_ms=_since(clock), error=str(error) or type(error).__name__)
    else:
        outcome = Outcome(
            started_at=started,
            duration_ms=_since(clock),
            status=response.status,
            excerpt=response_excerpt(response.body),
            error="" if 200 <= response.status < 300 else f"The receiver answered {response.status}",
        )
    return _record(delivery, token, outcome)


def _signing_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The current secret, and the one it replaced while that still signs beside it."""
    secrets = [secret_open(subscription.secret_sealed)]
    until = subscription.previous_secret_until
    if subscription.previous_secret_sealed and until is not None and until > now:
        try:
            secrets.append(secret_open(subscription.previous_secret_sealed))
        except SecretUnreadable:
            logger.warning("webhook subscription %s: its previous secret does not open", subscription.pk)
    return secrets


def _since(clock: float) -> int:
    return round((time.monotonic() - clock) * 1000)


def _record(delivery: WebhookDelivery, token: uuid.UUID, outcome: Outcome) -> datetime | None:
    """Record the attempt and what follows from it, if the claim is still this worker's."""
    with transaction.atomic():
        # One lock order for everyone: the subscription, then its delivery (as the delete
        # of a subscription takes them).
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=delivery.subscription_id).first()
        current = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, state=DeliveryState.DELIVERING, lease_token=token)
            .first()
        )
        if subscription is None or current is None:
            logger.warning("webhook delivery %s: the claim was lost before its attempt was recorded", delivery.pk)
            return None
        WebhookAttempt.objects.create(
            delivery=current,
            number=current.attempts,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status,
            response_excerpt=outcome.excerpt,
            error=outcome.error[:ERROR_CHARS],
        )
        current.last_status, current.last_error = outcome.status, outcome.error[:ERROR_CHARS]
        current.lease_token, current.lease_expires_at = None, None
        if outcome.succeeded:
            current.state, current.delivered_at, current.next_attempt_at = DeliveryState.SUCCEEDED, timezone.now(), None
            current.save()
            if subscription.consecutive_failures:
                subscription.consecutive_failures = 0
                subscription.save(update_fields=["consecutive_failures"])
            return None
        gone = outcome.status == 410
        if outcome.refused or gone or current.attempts >= settings.DSAR_WEBHOOK_MAX_ATTEMPTS:
            current.state, current.next_attempt_at = DeliveryState.FAILED, None
            current.save()
            _failed_for_good(subscription, gone=gone)
            return None
        current.state = DeliveryState.PENDING
        current.next_attempt_at = timezone.now() + retry_delay(current.attempts)
        current.save()
        return current.next_attempt_at


def _failed_for_good(subscription: WebhookSubscription, *, gone: bool) -> None:
    """Count a delivery that failed for good; disable the subscription at the limit (or on 410 Gone).

    The caller holds the subscription's row lock, and the subscription is disabled only
    while it is active, so the notice goes out once per disabling.
    """
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    if not subscription.is_active:
        return
    if gone:
        reason = "The receiver answered 410 Gone: it wants no more deliveries"
    elif subscription.consecutive_failures >= settings.DSAR_WEBHOOK_DISABLE_AFTER:
        reason = f"{subscription.consecutive_failures} deliveries in a row failed after every retry"
    else:
        return
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = False, timezone.now(), reason
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    audit_append(
        actor=SYSTEM,
        action="webhook.disabled",
        reason=reason,
        data={"subscription": subscription.pk, "consecutive_failures": subscription.consecutive_failures},
    )
    recipients = notice_recipients()
    if not recipients:
        logger.error("webhook subscription %s was disabled and nobody could be told: %s", subscription.pk, reason)
        return
    staff_notify(
        kind="webhook_disabled",
        to=recipients,
        context={
            "subscription": subscription,
            "reason": reason,
            # Without its query: a receiver's URL may carry a token, and emails are kept.
            "receiver": url_for_audit(subscription.url),
            "subscription_url": absolute_url(reverse("staff_webhook_detail", args=[subscription.pk])),
        },
    )


def notice_recipients() -> list[str]:
    """DSAR_TEAM_EMAIL, or else every active person who may manage webhooks and has an address."""
    if settings.DSAR_TEAM_EMAIL:
        return [settings.DSAR_TEAM_EMAIL]
    managers = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                groups__permissions__content_type__app_label="requests_app",
                groups__permissions__codename="change_webhooksubscription",
            )
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(managers))


def webhook_deliveries_due(now: datetime | None = None) -> list[int]:
    """Deliveries whose attempt is due and whose message may be lost, or whose worker died: for the sweeper.

    A pending delivery is sent again once it has been due for the outbox's grace period
    (its own message had that long); retries that wait longer than a task should hold are
    sent only from here.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DSAR_OUTBOX_GRACE_SECONDS)
    return list(
        WebhookDelivery.objects.filter(subscription__is_active=True)
        .filter(
            Q(state=DeliveryState.PENDING, next_attempt_at__lte=cutoff)
            | Q(state=DeliveryState.DELIVERING, lease_expires_at__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def webhook_deliveries_sweep(now: datetime | None = None) -> int:
    """Send again the deliveries a lost message or a dead worker left behind; say how many."""
    return sum(queue.enqueue_now(queue.DELIVER_WEBHOOK, pk) for pk in webhook_deliveries_due(now))
