"""The sweeper of work whose broker message may be lost: the database row is the truth.

Every minute (beat), this finds rows that say work is due but whose message never arrived
(the broker was down when their transaction committed, or Redis restarted and lost its
queue) and sends the message again: outbound emails still queued, requests whose stores are
done but whose result was never made, second factors never checked, inbound mail never
processed, events never handed to webhooks and agents, status callbacks to agents never
sent. Each task claims its row before working, so a message sent twice does the work once.
Store tasks have their own sweeper (``fanout.store_tasks_sweep``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from requests_app.infra import queue, ratelimit
from requests_app.models import (
    Bundle,
    DataSubjectRequest,
    Direction,
    DrpCallback,
    DrpCallbackStatus,
    EmailMessage,
    EmailStatus,
    RequestEvent,
    State,
    VerificationPolicy,
)
from requests_app.notifications import emails as notifications
from requests_app.services import api_keys, second_factor

BATCH = 500


def _results_not_made(cutoff: datetime) -> list[int]:
    made = Bundle.objects.filter(request=OuterRef("pk"))
    return list(
        DataSubjectRequest.objects.filter(state=State.IN_PROGRESS, fulfilled_at__lt=cutoff)
        .exclude(Exists(made))
        .values_list("pk", flat=True)[:BATCH]
    )


def _second_factors_not_checked(cutoff: datetime) -> list[int]:
    waiting = DataSubjectRequest.objects.filter(
        state=State.PENDING_VERIFICATION,
        verification_policy=VerificationPolicy.EMAIL_AND_FACT,
        email_verified_at__lt=cutoff,
    )
    # A check that ran and left the request for staff says so in a signal: not again.
    return [
        pk
        for pk, signals in waiting.values_list("pk", "fraud_signals")[:BATCH]
        if not any(s.get("code") in second_factor.CHECK_SIGNALS for s in signals)
    ]


def _inbound_not_processed(cutoff: datetime) -> list[int]:
    return list(
        EmailMessage.objects.filter(
            direction=Direction.INBOUND, status=EmailStatus.RECEIVED, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:BATCH]
    )


def _events_not_dispatched(cutoff: datetime) -> list[int]:
    return list(
        RequestEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )


def _drp_callbacks_unsent(now: datetime, cutoff: datetime) -> list[int]:
    """Status callbacks to agents that are due (or whose sender died) and were not sent."""
    due = Q(status=DrpCallbackStatus.PENDING, updated_at__lt=cutoff) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=DrpCallbackStatus.SENDING, lease_expires_at__lt=now)
    return list(DrpCallback.objects.filter(due | abandoned).order_by("created_at").values_list("pk", flat=True)[:BATCH])


def outbox_sweep(now: datetime | None = None) -> dict[str, int]:
    """Send again the messages of work still due after the grace period; say how many."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.DSAR_OUTBOX_GRACE_SECONDS)
    cutoff = now - grace
    due = {
        queue.SEND_EMAIL: notifications.emails_unsent(older_than=grace),
        queue.FULFIL_REQUEST: _results_not_made(cutoff),
        queue.CHECK_SECOND_FACTOR: _second_factors_not_checked(cutoff),
        queue.PROCESS_INBOUND_EMAIL: _inbound_not_processed(cutoff),
        queue.DISPATCH_EVENT: _events_not_dispatched(cutoff),
        queue.SEND_DRP_CALLBACK: _drp_callbacks_unsent(now, cutoff),
    }
    sent = {name.rsplit(".", 1)[1]: sum(queue.enqueue_now(name, pk) for pk in pks) for name, pks in due.items()}
    sent["rate_counters_purged"] = ratelimit.counters_purge()
    sent["idempotency_answers_purged"] = api_keys.idempotent_creates_purge(now)
    return sent
