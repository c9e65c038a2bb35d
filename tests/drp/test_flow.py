"""An agent's access request from its signed POST to fulfilled, through the real services: the
subject confirms it themselves, staff check the authorisation, the stores are worked, and the
agent's own HTTP receiver is told each change (DRP v0.9.4 §2.03, §3.08)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.drp import callbacks
from requests_app.drp.callbacks import CallbackRetry
from requests_app.drp.status import expected_by
from requests_app.fulfilment import fanout
from requests_app.fulfilment import results as fulfilment
from requests_app.infra import queue
from requests_app.integrations.dispatch import event_dispatch
from requests_app.models import (
    AuditEvent,
    DataSubjectRequest,
    DrpCallback,
    DrpCallbackStatus,
    RequestEvent,
    State,
    StoreTask,
    StoreTaskState,
    VerificationChallenge,
)
from requests_app.services import outbox
from requests_app.services import requests as services
from tests.drp.agent import STAFF, Receiver, SigningAgent
from tests.fanout_helpers import do_by_hand, use_manual_map
from tests.staff.test_permissions import FAST_HASHERS, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


def deliver() -> list[str]:
    """What the worker does after each commit: hand the events over, send the callbacks."""
    for pk in RequestEvent.objects.filter(dispatched_at__isnull=True).order_by("id").values_list("pk", flat=True):
        event_dispatch(pk)
    pending = DrpCallback.objects.filter(status=DrpCallbackStatus.PENDING).order_by("id")
    return [callbacks.callback_send(pk) for pk in pending.values_list("pk", flat=True)]


def submit(client: Client, agent: SigningAgent, receiver: Receiver, **changes: Any) -> tuple[str, DataSubjectRequest]:
    claims = agent.exercise_claims(status_callback=receiver.url, **changes)
    response = agent.exercise(client, agent.sign(claims))
    assert response.status_code == 200, response.content
    request_id = response.json()["request_id"]
    return request_id, DataSubjectRequest.objects.get(drp__drp_id=request_id)


def run_to_completion(request: DataSubjectRequest) -> None:
    """Work the stores as the worker would: the manual step done by hand, then the result made."""
    fanout.request_advance(request.pk)
    for task in StoreTask.objects.filter(request=request, state=StoreTaskState.QUEUED):
        fanout.store_task_run(task.pk)
    for task in StoreTask.objects.filter(request=request, state=StoreTaskState.MANUAL):
        do_by_hand(task)
    fanout.request_advance(request.pk)
    fulfilment.request_fulfil(request.pk)


def test_an_access_request_from_an_agent_runs_to_fulfilled_and_the_agent_hears_each_change(
    client: Client, alpha: SigningAgent, receiver: Receiver
) -> None:
    use_manual_map()
    request_id, request = submit(client, alpha, receiver)
    assert request.state == State.PENDING_VERIFICATION and request.is_agent_request
    assert deliver() == []  # the creation is answered in the POST's response

    # The subject confirms at their own address, with the code the agent never saw.
    challenge = VerificationChallenge.objects.filter(request=request).latest("created_at")
    services.request_confirm_email(challenge, method="link")
    assert deliver() == ["delivered"]
    assert receiver.statuses() == [("in_progress", "")]
    assert "reviewing the agent's authorisation" in receiver.bodies[-1]["processing_details"]
    assert "user_verification_url" not in receiver.bodies[-1]
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION  # an agent's request waits for staff

    # Staff check the signed authorisation; access needs no approval, so work starts.
    services.request_verify_manually(request=request, actor=STAFF, note="Checked the agent's signed authorisation")
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    assert deliver() == ["delivered", "delivered"]
    first_due = request.due_at
    assert receiver.bodies[-1]["expected_by"] == expected_by(first_due)

    # An extension moves expected_by and says why (§3.08).
    services.request_extend_with_notice(request=request, actor=STAFF, reason="Many systems to search")
    request.refresh_from_db()
    assert request.due_at > first_due
    assert deliver() == ["delivered"]
    extended = receiver.bodies[-1]
    assert extended["expected_by"] == expected_by(request.due_at)
    assert "extended" in extended["processing_details"] and "Many systems to search" in extended["processing_details"]

    run_to_completion(request)
    request.refresh_from_db()
    assert request.state == State.COMPLETED
    deliver()
    assert receiver.statuses()[-1] == ("fulfilled", "")
    assert all(body["request_id"] == request_id for body in receiver.bodies)
    assert all(body["agent_request_id"] == "agent-req-1" for body in receiver.bodies)
    # One callback per change, each delivered and on the request's audit trail.
    changes = RequestEvent.objects.filter(request=request, kind__in=callbacks.CALLBACK_EVENTS).count()
    assert DrpCallback.objects.filter(status=DrpCallbackStatus.DELIVERED).count() == changes == len(receiver.bodies)
    assert AuditEvent.objects.filter(request=request, action="drp.callback_delivered").count() == changes
    assert alpha.status(client, request_id).json()["status"] == "fulfilled"


def test_a_rejection_reaches_the_agent_as_the_protocols_denial_reason(
    client: Client, alpha: SigningAgent, receiver: Receiver
) -> None:
    _request_id, request = submit(client, alpha, receiver)
    services.request_reject(request=request, actor=STAFF, reason="We cannot verify you", category="not_verified")
    deliver()
    assert receiver.statuses() == [("denied", "insuf_verification")]
    assert "expected_by" not in receiver.bodies[-1]


def test_a_request_never_confirmed_is_denied_for_insufficient_verification(
    client: Client, alpha: SigningAgent, receiver: Receiver, settings: Any
) -> None:
    _request_id, request = submit(client, alpha, receiver)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        received_at=timezone.now() - timedelta(days=settings.DSAR_VERIFICATION_WINDOW_DAYS + 1)
    )
    assert services.requests_close_unverified() == 1
    deliver()
    assert receiver.statuses() == [("denied", "insuf_verification")]


def test_a_revocation_is_called_back_as_revoked(client: Client, alpha: SigningAgent, receiver: Receiver) -> None:
    request_id, _request = submit(client, alpha, receiver)
    alpha.revoke(client, request_id, alpha.sign({"reason": "Changed my mind"}))
    deliver()
    assert receiver.statuses() == [("revoked", "")]


def test_a_callback_the_agent_refuses_is_tried_again_with_backoff_then_delivered(
    client: Client, alpha: SigningAgent, receiver: Receiver
) -> None:
    _request_id, request = submit(client, alpha, receiver)
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    receiver.answers.extend([503])
    with pytest.raises(CallbackRetry) as retry:
        deliver()
    callback = DrpCallback.objects.get()
    assert (callback.status, callback.attempts, callback.response_status) == (DrpCallbackStatus.PENDING, 1, 503)
    assert callback.next_attempt_at is not None and retry.value.delay >= 30
    assert callbacks.callback_send(callback.pk) == "not_due"  # before its time nothing is sent
    DrpCallback.objects.filter(pk=callback.pk).update(next_attempt_at=timezone.now())
    assert callbacks.callback_send(callback.pk) == "delivered"
    assert receiver.statuses() == [("denied", "no_match")]


def test_a_callback_is_given_up_after_its_attempts_and_recorded(
    client: Client, alpha: SigningAgent, receiver: Receiver, settings: Any
) -> None:
    settings.DSAR_DRP_CALLBACK_MAX_ATTEMPTS = 2
    _request_id, request = submit(client, alpha, receiver)
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    receiver.answers.extend([500, 500])
    with pytest.raises(CallbackRetry):
        deliver()
    callback = DrpCallback.objects.get()
    DrpCallback.objects.filter(pk=callback.pk).update(next_attempt_at=timezone.now())
    assert callbacks.callback_send(callback.pk) == "failed"
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (DrpCallbackStatus.FAILED, 2)
    assert AuditEvent.objects.filter(request=request, action="drp.callback_failed").exists()
    # Staff see it on the request's timeline.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    page = client_for(make_cast().bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Status could not be sent to the agent" in page


def test_a_callback_to_an_address_the_product_never_sends_to_fails_without_retrying(
    client: Client, alpha: SigningAgent, receiver: Receiver, settings: Any
) -> None:
    _request_id, request = submit(client, alpha, receiver)
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = []  # loopback is private: refused
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    assert deliver() == ["failed"]
    assert receiver.bodies == []


def test_an_event_handed_over_twice_makes_one_callback(client: Client, alpha: SigningAgent, receiver: Receiver) -> None:
    _request_id, request = submit(client, alpha, receiver)
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    event = RequestEvent.objects.get(request=request, kind="request.state_changed")
    callbacks.callbacks_from_event(event)
    callbacks.callbacks_from_event(event)
    assert DrpCallback.objects.count() == 1


def test_a_lost_callback_message_is_sent_again_by_the_sweeper(
    client: Client, alpha: SigningAgent, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _request_id, request = submit(client, alpha, receiver)
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    event_dispatch(RequestEvent.objects.get(request=request, kind="request.state_changed").pk)
    callback = DrpCallback.objects.get()
    sent: list[tuple[str, tuple[object, ...]]] = []

    def enqueue_now(name: str, *args: object) -> bool:
        sent.append((name, args))
        return True

    monkeypatch.setattr(queue, "enqueue_now", enqueue_now)
    outbox.outbox_sweep()
    assert (queue.SEND_DRP_CALLBACK, (callback.pk,)) not in sent  # still within the grace period
    DrpCallback.objects.filter(pk=callback.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    outbox.outbox_sweep()
    assert (queue.SEND_DRP_CALLBACK, (callback.pk,)) in sent
    assert callbacks.callback_send(callback.pk) == "delivered"
    # A sender that died mid-send leaves its lease; once it expires the sweeper sends again.
    DrpCallback.objects.filter(pk=callback.pk).update(
        status=DrpCallbackStatus.SENDING, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    sent.clear()
    outbox.outbox_sweep()
    assert (queue.SEND_DRP_CALLBACK, (callback.pk,)) in sent


def test_a_request_without_a_callback_url_makes_no_callbacks(client: Client, alpha: SigningAgent) -> None:
    response = alpha.exercise(client, alpha.sign(alpha.exercise_claims()))
    request = DataSubjectRequest.objects.get(drp__drp_id=response.json()["request_id"])
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")
    assert deliver() == []
    assert not DrpCallback.objects.exists()
