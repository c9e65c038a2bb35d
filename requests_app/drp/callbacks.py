"""Status callbacks to the agent (DRP v0.9.4 §2.03, §3.08): one per change of its request.

``callbacks_from_event`` is a consumer of the outbound event log
(``integrations.dispatch.CONSUMERS``): it takes the locked event row and writes one
``DrpCallback`` per (DRP request, event) in the same transaction, under a unique constraint,
so an event handed over twice makes one callback. The send is queued after commit;
``callback_send`` claims the row with a conditional update and a lease, posts the status as
it is now (§2.03.1: the agent should get a 200 for the most recent status) through
``infra.outbound_http``, and records the answer. A failed send is tried again with
exponential backoff up to ``DSAR_DRP_CALLBACK_MAX_ATTEMPTS``; a row whose message was lost is
sent again by the outbox sweeper.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from requests_app.drp.status import status_object
from requests_app.infra import outbound_http, queue
from requests_app.models import Channel, DrpCallback, DrpCallbackStatus, DrpRequest, EventKind
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from requests_app.models import RequestEvent

# The events that change what the status object says: a new state, a new deadline, the
# subject's own confirmation (need_user_verification ends). The request's creation is
# answered in the response to the agent's POST itself.
CALLBACK_EVENTS = frozenset(
    {EventKind.REQUEST_STATE_CHANGED, EventKind.REQUEST_EXTENDED, EventKind.REQUEST_EMAIL_CONFIRMED}
)
ACTOR = Actor.system("drp-callbacks")


class CallbackRetry(Exception):
    """The agent did not take the callback; try again after ``delay`` seconds."""

    def __init__(self, message: str, *, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


def _callback_request(event: RequestEvent) -> DrpRequest | None:
    """The agent's request that wants a callback for ``event``, if there is one."""
    if event.kind not in CALLBACK_EVENTS:
        return None
    return DrpRequest.objects.filter(request_id=event.request_id).exclude(status_callback="").first()


def callback_wanted(event: RequestEvent) -> bool:
    """Whether ``event`` calls for a status callback to an agent.

    Asked as the event is recorded, with its request in hand: only a request that came in by
    the Data Rights Protocol has an agent's request behind it, so no other is looked up.
    """
    return event.request.channel == Channel.DRP and _callback_request(event) is not None


def callbacks_from_event(event: RequestEvent) -> None:
    """Record the callback ``event`` calls for, if its request came from an agent with a callback URL."""
    drp = _callback_request(event)
    if drp is None:
        return
    callback, created = DrpCallback.objects.get_or_create(drp_request=drp, event=event)
    if created:
        queue.enqueue_on_commit(queue.SEND_DRP_CALLBACK, callback.pk)


def _claim(callback_pk: int) -> bool:
    now = timezone.now()
    due = Q(status=DrpCallbackStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=DrpCallbackStatus.SENDING, lease_expires_at__lt=now)
    claimed = (
        DrpCallback.objects.filter(due | abandoned, pk=callback_pk)
        .filter(drp_request__status_callback__gt="")
        .update(
            status=DrpCallbackStatus.SENDING,
            attempts=F("attempts") + 1,
            lease_expires_at=now + timedelta(seconds=settings.DSAR_DRP_CALLBACK_LEASE_SECONDS),
            updated_at=now,
        )
    )
    return claimed == 1


def callback_send(callback_pk: int) -> str:
    """Send one callback if it is due; say what happened ("delivered", "failed", "not_due").

    Raises ``CallbackRetry`` when the agent should be tried again later.
    """
    if not _claim(callback_pk):
        return "not_due"
    callback = DrpCallback.objects.select_related("drp_request__request", "drp_request__agent").get(pk=callback_pk)
    drp = callback.drp_request
    body = json.dumps(status_object(drp), separators=(",", ":")).encode("utf-8")
    try:
        response = outbound_http.post(drp.status_callback, body=body, headers={"Content-Type": "application/json"})
    except outbound_http.OutboundRefused as refused:
        # The URL resolves somewhere this product never sends to: trying again changes nothing.
        _finish(callback, DrpCallbackStatus.FAILED, error=refused.message)
        return "failed"
    except outbound_http.OutboundFailed as error:
        return _retry_or_fail(callback, error=f"{type(error).__name__}: {error}")
    if 200 <= response.status < 300:
        _finish(callback, DrpCallbackStatus.DELIVERED, status=response.status, answer=response.body)
        return "delivered"
    return _retry_or_fail(
        callback, error=f"The agent answered {response.status}", status=response.status, answer=response.body
    )


def _retry_or_fail(callback: DrpCallback, *, error: str, status: int | None = None, answer: bytes = b"") -> str:
    if callback.attempts >= settings.DSAR_DRP_CALLBACK_MAX_ATTEMPTS:
        _finish(callback, DrpCallbackStatus.FAILED, error=error, status=status, answer=answer)
        return "failed"
    base = settings.DSAR_DRP_CALLBACK_RETRY_SECONDS * 2 ** (callback.attempts - 1)
    delay = base + random.uniform(0, base / 2)  # noqa: S311 - jitter, not a secret
    DrpCallback.objects.filter(pk=callback.pk, status=DrpCallbackStatus.SENDING).update(
        status=DrpCallbackStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        lease_expires_at=None,
        last_error=error[:1000],
        response_status=status,
        response_body=answer.decode("utf-8", "replace"),
        updated_at=timezone.now(),
    )
    raise CallbackRetry(error, delay=delay)


def _finish(
    callback: DrpCallback, outcome: str, *, error: str = "", status: int | None = None, answer: bytes = b""
) -> None:
    """Record the last answer, and the delivery or the failure on the request's audit trail."""
    now = timezone.now()
    with transaction.atomic():
        DrpCallback.objects.filter(pk=callback.pk).update(
            status=outcome,
            lease_expires_at=None,
            next_attempt_at=None,
            last_error=error[:1000],
            response_status=status,
            response_body=answer.decode("utf-8", "replace"),
            delivered_at=now if outcome == DrpCallbackStatus.DELIVERED else None,
            updated_at=now,
        )
        audit_append(
            request=callback.drp_request.request,
            actor=ACTOR,
            action="drp.callback_delivered" if outcome == DrpCallbackStatus.DELIVERED else "drp.callback_failed",
            data={
                "agent_id": callback.drp_request.agent.agent_id,
                "event": callback.event_id,
                "attempts": callback.attempts,
                "status": status,
                **({"error": error[:300]} if error else {}),
            },
        )
