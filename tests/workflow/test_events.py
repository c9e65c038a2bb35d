"""The outbound event log: an event exists exactly when its change does, and is dispatched once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.infra import queue
from requests_app.integrations.dispatch import event_dispatch
from requests_app.models import DrpAgent, DrpRequest, EventKind, RequestEvent, State, WebhookSubscription
from requests_app.services import outbox
from requests_app.webhooks.subscriptions import webhook_subscription_create
from requests_app.workflow.audit import Actor
from requests_app.workflow.events import event_record
from requests_app.workflow.transitions import request_extend, transition
from tests.factories import DataSubjectRequestFactory, request_in_state

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def subscribe(events: list[str] | None = None) -> None:
    """A consumer for the events: a webhook subscription (its URL is never called here)."""
    kinds = events or [EventKind.REQUEST_CREATED, EventKind.REQUEST_STATE_CHANGED, EventKind.REQUEST_COMPLETED]
    webhook_subscription_create(name="Ticketing", url="https://tickets.example.com/hook", events=kinds, actor=ACTOR)


def kinds(request) -> list[str]:
    return list(RequestEvent.objects.filter(request=request).order_by("id").values_list("kind", flat=True))


def test_a_new_request_records_a_created_event_without_personal_data():
    request = DataSubjectRequestFactory.create(subject_email="ada@example.org", subject_name="Ada Lovelace")
    event = RequestEvent.objects.get(request=request)
    assert event.kind == EventKind.REQUEST_CREATED
    assert event.data["request"]["id"] == request.reference
    assert event.data["request"]["state"] == State.PENDING_VERIFICATION
    assert "ada" not in str(event.data).lower()
    assert "lovelace" not in str(event.data).lower()


def test_each_transition_records_its_states_and_completion_its_own_event():
    request = request_in_state(State.COMPLETED)
    assert kinds(request) == [
        EventKind.REQUEST_CREATED,
        EventKind.REQUEST_STATE_CHANGED,
        EventKind.REQUEST_STATE_CHANGED,
        EventKind.REQUEST_STATE_CHANGED,
        EventKind.REQUEST_COMPLETED,
    ]
    last_change = RequestEvent.objects.filter(request=request, kind=EventKind.REQUEST_STATE_CHANGED).last()
    assert last_change is not None
    assert (last_change.data["from_state"], last_change.data["to_state"]) == (State.IN_PROGRESS, State.COMPLETED)
    assert last_change.data["request"]["state"] == State.COMPLETED


def test_a_refused_transition_records_no_event():
    request = request_in_state(State.PENDING_VERIFICATION)
    with pytest.raises(GuardFailed):
        transition(request, State.REJECTED, ACTOR, reason="")
    assert kinds(request) == [EventKind.REQUEST_CREATED]


def test_a_change_that_rolls_back_takes_its_event_with_it():
    request = request_in_state(State.PENDING_VERIFICATION)

    def verify_then_fail() -> None:
        with transaction.atomic():
            transition(request, State.VERIFIED, ACTOR)
            raise RuntimeError("the caller's transaction fails after the transition")

    with pytest.raises(RuntimeError):
        verify_then_fail()
    assert kinds(request) == [EventKind.REQUEST_CREATED]


def test_an_extension_records_the_old_and_new_due_dates():
    request = request_in_state(State.IN_PROGRESS, received_at=timezone.now())
    old_due = request.due_at
    request_extend(request=request, actor=ACTOR, reason="Many systems to search")
    event = RequestEvent.objects.get(request=request, kind=EventKind.REQUEST_EXTENDED)
    assert event.data["from_due_at"] == old_due.isoformat()
    assert event.data["to_due_at"] == request.due_at.isoformat()
    assert event.data["request"]["extended"] is True


def test_an_event_with_a_unique_key_is_recorded_once():
    request = request_in_state(State.IN_PROGRESS)
    with transaction.atomic():
        first = event_record(kind=EventKind.REQUEST_DUE_SOON, request=request, unique_key=f"due_soon:{request.pk}:x")
        second = event_record(kind=EventKind.REQUEST_DUE_SOON, request=request, unique_key=f"due_soon:{request.pk}:x")
    assert first is not None
    assert second is None
    assert RequestEvent.objects.filter(request=request, kind=EventKind.REQUEST_DUE_SOON).count() == 1


def test_an_event_is_dispatched_once():
    subscribe()
    request = request_in_state(State.PENDING_VERIFICATION)
    event = RequestEvent.objects.get(request=request)
    assert event_dispatch(event.pk) is True
    assert event_dispatch(event.pk) is False
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_the_sweeper_sends_again_an_event_whose_message_was_lost(monkeypatch):
    subscribe()
    request = request_in_state(State.PENDING_VERIFICATION)
    event = RequestEvent.objects.get(request=request)
    RequestEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(hours=1))
    sent: list[tuple[str, tuple[object, ...]]] = []

    def enqueue_now(name: str, *args: object) -> bool:
        sent.append((name, args))
        return True

    monkeypatch.setattr(queue, "enqueue_now", enqueue_now)
    outbox.outbox_sweep()
    assert (queue.DISPATCH_EVENT, (event.pk,)) in sent
    event_dispatch(event.pk)
    sent.clear()
    outbox.outbox_sweep()
    assert all(name != queue.DISPATCH_EVENT for name, _ in sent)


def _dispatch_messages(monkeypatch) -> list[tuple[object, ...]]:
    sent: list[tuple[object, ...]] = []

    def enqueue_on_commit(name: str, *args: object) -> None:
        if name == queue.DISPATCH_EVENT:
            sent.append(args)

    monkeypatch.setattr(queue, "enqueue_on_commit", enqueue_on_commit)
    return sent


def test_an_event_no_consumer_takes_is_recorded_as_dispatched_and_sends_no_message(monkeypatch):
    subscribe(events=[EventKind.REQUEST_COMPLETED])  # a consumer, but not of this kind
    sent = _dispatch_messages(monkeypatch)
    request = request_in_state(State.PENDING_VERIFICATION)
    event = RequestEvent.objects.get(request=request)
    assert event.dispatched_at is not None
    assert sent == []
    assert event_dispatch(event.pk) is False  # nothing left to hand over


def test_an_event_a_subscription_takes_waits_for_the_dispatcher(monkeypatch):
    subscribe(events=[EventKind.REQUEST_CREATED])
    sent = _dispatch_messages(monkeypatch)
    request = request_in_state(State.PENDING_VERIFICATION)
    event = RequestEvent.objects.get(request=request)
    assert event.dispatched_at is None
    assert sent == [(event.pk,)]


def test_an_inactive_subscription_is_no_consumer(monkeypatch):
    subscribe()
    WebhookSubscription.objects.update(is_active=False)
    sent = _dispatch_messages(monkeypatch)
    request = request_in_state(State.PENDING_VERIFICATION)
    assert RequestEvent.objects.get(request=request).dispatched_at is not None
    assert sent == []


def test_a_state_change_of_an_agents_request_with_a_callback_waits_for_the_dispatcher(monkeypatch):
    request = request_in_state(State.PENDING_VERIFICATION, channel="drp")  # an agent's request comes by DRP
    agent = DrpAgent.objects.create(agent_id="agent-1", name="Agent", email="agent@example.org", verify_key="k")
    DrpRequest.objects.create(
        request=request,
        agent=agent,
        drp_version="1.0",
        exercise="access",
        status_callback="https://agent.example/callback",
        message_digest="0" * 64,
    )
    sent = _dispatch_messages(monkeypatch)
    with transaction.atomic():
        transition(request, State.VERIFIED, ACTOR)
    change = RequestEvent.objects.filter(request=request, kind=EventKind.REQUEST_STATE_CHANGED).get()
    assert change.dispatched_at is None
    assert sent == [(change.pk,)]
