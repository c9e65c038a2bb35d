from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from requests_app.errors import ExtensionNotAllowed, GuardFailed, TransitionNotAllowed, UnknownJurisdiction
from requests_app.laws import deadlines
from requests_app.models import OPEN_STATES, TERMINAL_STATES, AuditEvent, DataSubjectRequest, RequestType, State
from requests_app.services.requests import requests_close_unverified
from requests_app.workflow import transitions as workflow
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import (
    TRANSITIONS,
    request_assign,
    request_create,
    request_extend,
    transition,
)
from tests.factories import REASON, DataSubjectRequestFactory, UserFactory, request_in_state

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")
NON_PAUSED_STATES = [s for s in State if s != State.AWAITING_REQUESTER]
ALL_PAIRS = list(itertools.product(NON_PAUSED_STATES, State))


def _expected_allowed(source: State, target: State) -> bool:
    """The transitions DESIGN.md draws, written out independently of workflow.TRANSITIONS."""
    if source in TERMINAL_STATES:
        return False
    if target in (State.REJECTED, State.CANCELLED, State.AWAITING_REQUESTER):
        return True
    return (source, target) in {
        (State.PENDING_VERIFICATION, State.VERIFIED),
        (State.PENDING_VERIFICATION, State.CLOSED_UNVERIFIED),
        (State.VERIFIED, State.AWAITING_APPROVAL),
        (State.VERIFIED, State.IN_PROGRESS),
        (State.AWAITING_APPROVAL, State.IN_PROGRESS),
        (State.IN_PROGRESS, State.NEEDS_ATTENTION),
        (State.IN_PROGRESS, State.COMPLETED),
        (State.NEEDS_ATTENTION, State.IN_PROGRESS),
        (State.NEEDS_ATTENTION, State.COMPLETED),
    }


# Allowed only for a request the law forbids verifying (an opt-out): refused by a guard otherwise.
UNVERIFIED_STARTS = {
    (State.PENDING_VERIFICATION, State.IN_PROGRESS),
    (State.PENDING_VERIFICATION, State.AWAITING_APPROVAL),
}


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{s.value}->{t.value}" for s, t in ALL_PAIRS])
def test_every_transition_is_allowed_or_refused_as_the_design_says(source: State, target: State) -> None:
    request = request_in_state(source)
    events_before = AuditEvent.objects.filter(request=request).count()

    if (source, target) in UNVERIFIED_STARTS:
        with pytest.raises(GuardFailed, match="identity must be verified first"):
            transition(request, target, SYSTEM, reason=REASON)
        assert AuditEvent.objects.filter(request=request).count() == events_before
    elif _expected_allowed(source, target):
        transition(request, target, SYSTEM, reason=REASON)
        request.refresh_from_db()
        assert request.state == target
        event = AuditEvent.objects.filter(request=request).last()
        assert event is not None
        assert (event.from_state, event.to_state, audit_open(event).reason) == (source, target, REASON)
        assert AuditEvent.objects.filter(request=request).count() == events_before + 1
    else:
        with pytest.raises(TransitionNotAllowed):
            transition(request, target, SYSTEM, reason=REASON)
        request.refresh_from_db()
        assert request.state == source
        assert AuditEvent.objects.filter(request=request).count() == events_before


@pytest.mark.parametrize("target", [State.IN_PROGRESS, State.AWAITING_APPROVAL])
def test_an_opt_out_the_law_forbids_verifying_goes_to_work_without_being_verified(target: State) -> None:
    request = request_in_state(State.PENDING_VERIFICATION, jurisdiction="us-ca", request_type=RequestType.OPT_OUT)

    transition(request, target, SYSTEM, reason="The law lets no proof of identity be asked for this request")
    request.refresh_from_db()
    assert request.state == target
    assert request.verified_at is None
    assert request.email_verified_at is None


PAUSED_FROM = [s for s in State if s in OPEN_STATES and s != State.AWAITING_REQUESTER]


@pytest.mark.parametrize("paused_from", PAUSED_FROM, ids=[s.value for s in PAUSED_FROM])
@pytest.mark.parametrize("target", list(State), ids=[s.value for s in State])
def test_a_paused_request_goes_back_only_where_it_paused_or_closes(paused_from: State, target: State) -> None:
    request = request_in_state(State.AWAITING_REQUESTER, paused_from=paused_from)
    assert request.paused_from_state == paused_from

    if target in (State.REJECTED, State.CANCELLED, paused_from) or (
        target == State.CLOSED_UNVERIFIED and paused_from == State.PENDING_VERIFICATION
    ):
        transition(request, target, SYSTEM, reason=REASON)
        assert request.state == target
        assert request.paused_at is None
        assert request.paused_from_state == ""
        return
    expected_error = TransitionNotAllowed if target not in TRANSITIONS[State.AWAITING_REQUESTER] else GuardFailed
    with pytest.raises(expected_error):
        transition(request, target, SYSTEM, reason=REASON)
    request.refresh_from_db()
    assert request.state == State.AWAITING_REQUESTER


def test_the_table_covers_every_state_and_terminal_states_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(State)
    assert all(TRANSITIONS[state] == frozenset() for state in TERMINAL_STATES)


@pytest.mark.parametrize("target", [State.REJECTED, State.AWAITING_REQUESTER])
def test_rejecting_or_asking_the_requester_needs_a_reason(target: State) -> None:
    request = request_in_state(State.VERIFIED)
    with pytest.raises(GuardFailed, match="needs a reason"):
        transition(request, target, SYSTEM, reason="   ")
    request.refresh_from_db()
    assert request.state == State.VERIFIED


def test_a_stale_copy_cannot_win_a_race_the_database_already_decided() -> None:
    request = request_in_state(State.PENDING_VERIFICATION)
    stale = DataSubjectRequest.objects.get(pk=request.pk)
    transition(request, State.REJECTED, SYSTEM, reason="Fraud")

    with pytest.raises(TransitionNotAllowed):
        transition(stale, State.VERIFIED, SYSTEM)
    assert DataSubjectRequest.objects.get(pk=request.pk).state == State.REJECTED


def test_a_failed_audit_write_leaves_the_state_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    request = request_in_state(State.PENDING_VERIFICATION)

    def refuse(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(workflow, "audit_append", refuse)
    with pytest.raises(RuntimeError):
        transition(request, State.VERIFIED, SYSTEM)
    assert DataSubjectRequest.objects.get(pk=request.pk).state == State.PENDING_VERIFICATION


def test_closing_unverified_waits_for_the_verification_window_to_end() -> None:
    request = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=3))
    with pytest.raises(GuardFailed, match="window"):
        transition(request, State.CLOSED_UNVERIFIED, SYSTEM)


def test_terminal_states_record_when_the_request_closed() -> None:
    request = request_in_state(State.COMPLETED)
    assert request.closed_at is not None
    assert not request.is_open


def test_a_new_request_waits_for_verification_with_its_due_date_and_audit_event() -> None:
    received = timezone.make_aware(datetime(2026, 1, 31, 10, 0))
    request = request_create(
        NewRequest(
            request_type=RequestType.DELETION,
            channel="email",
            subject_email="Person@Example.ORG",
            subject_name="  A Person ",
            jurisdiction="GDPR",
            received_at=received,
        ),
        actor=Actor.subject(),
    )
    assert request.state == State.PENDING_VERIFICATION
    assert request.jurisdiction == "gdpr"
    assert request.subject_email == "Person@example.org"
    assert request.subject_name == "A Person"
    assert request.due_at == deadlines.due_date("gdpr", date(2026, 1, 31)).due
    event = AuditEvent.objects.get(request=request)
    assert (event.action, event.to_state, event.actor) == ("request.received", State.PENDING_VERIFICATION, "subject")
    assert event.data["due_at"] == request.due_at.isoformat()


def test_the_reference_is_random_and_not_the_primary_key() -> None:
    first, second = DataSubjectRequestFactory.create(), DataSubjectRequestFactory.create()
    assert first.reference != second.reference
    assert str(first.pk) not in first.reference
    assert first.reference.startswith("DSR-")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("request_type", "portability", "Unknown request type"),
        ("channel", "fax", "Unknown channel"),
        ("subject_email", "not-an-address", "not valid"),
        ("subject_email", "x@y.com\nBcc: victim@example.com", "not valid"),
        ("identifiers", {"phone": 12345}, "identifiers"),
    ],
)
def test_a_new_request_with_bad_input_is_refused_clearly_and_nothing_is_stored(
    field: str, value: object, message: str
) -> None:
    fields: dict[str, object] = {
        "request_type": RequestType.ACCESS,
        "channel": "web",
        "subject_email": "person@example.org",
        field: value,
    }
    with pytest.raises(GuardFailed, match=message):
        request_create(NewRequest(**fields), actor=Actor.subject())  # type: ignore[arg-type]
    assert not DataSubjectRequest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_unknown_jurisdiction_is_refused() -> None:
    with pytest.raises(UnknownJurisdiction):
        DataSubjectRequestFactory.create(jurisdiction="atlantis")


def test_portability_is_a_variant_of_access_only() -> None:
    assert DataSubjectRequestFactory.create(request_type=RequestType.ACCESS, portability=True).portability
    assert not DataSubjectRequestFactory.create(request_type=RequestType.DELETION, portability=True).portability


def _pause_for(request: DataSubjectRequest, days: int) -> None:
    transition(request, State.AWAITING_REQUESTER, SYSTEM, reason="Which account is yours?")
    # Pretend the pause started `days` ago (not a state change, so not through the workflow).
    DataSubjectRequest.objects.filter(pk=request.pk).update(paused_at=timezone.now() - timedelta(days=days))
    request.refresh_from_db()


def test_waiting_for_the_requester_stops_the_gdpr_clock() -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr")
    received = timezone.localdate(request.received_at)
    _pause_for(request, 10)

    transition(request, State.VERIFIED, SYSTEM)
    assert request.paused_days == 10
    assert request.due_at == deadlines.due_date("gdpr", received, paused_days=10).due
    assert AuditEvent.objects.filter(request=request).last().data["paused_days"] == 10  # type: ignore[union-attr]


def test_waiting_for_the_requester_does_not_stop_the_ccpa_clock() -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="ccpa")
    due_before = request.due_at
    _pause_for(request, 10)

    transition(request, State.VERIFIED, SYSTEM)
    assert request.paused_days == 0
    assert request.due_at == due_before


def test_a_gdpr_extension_adds_two_months_and_is_on_the_record() -> None:
    request = request_in_state(State.IN_PROGRESS, jurisdiction="gdpr")
    received = timezone.localdate(request.received_at)

    request_extend(request=request, actor=SYSTEM, reason="Many systems to search")
    assert request.due_at == deadlines.due_date("gdpr", received, extended=True).due
    assert request.extension_reason == "Many systems to search"
    event = AuditEvent.objects.filter(request=request).last()
    assert event is not None
    assert event.action == "request.extended"
    assert event.data["to_due_at"] == request.due_at.isoformat()


def test_a_ccpa_extension_adds_45_days() -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="ccpa")
    received = timezone.localdate(request.received_at)
    request_extend(request=request, actor=SYSTEM, reason="Complex request")
    assert request.due_at == received + timedelta(days=90)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("twice", "already been extended"),
        ("lgpd", "does not allow"),
        ("too_late", "Too late"),
        ("closed", "closed"),
    ],
)
def test_an_extension_is_refused_when_the_law_or_the_request_does_not_allow_it(setup: str, message: str) -> None:
    if setup == "twice":
        request = request_in_state(State.VERIFIED)
        request_extend(request=request, actor=SYSTEM, reason="First")
    elif setup == "lgpd":
        request = request_in_state(State.VERIFIED, jurisdiction="lgpd", received_at=timezone.now())
    elif setup == "too_late":
        request = request_in_state(State.VERIFIED, received_at=timezone.now() - timedelta(days=70))
    else:
        request = request_in_state(State.COMPLETED)
    due_before = DataSubjectRequest.objects.get(pk=request.pk).due_at

    with pytest.raises(ExtensionNotAllowed, match=message):
        request_extend(request=request, actor=SYSTEM, reason="Again")
    assert DataSubjectRequest.objects.get(pk=request.pk).due_at == due_before


def test_an_extension_without_a_reason_is_refused() -> None:
    request = request_in_state(State.VERIFIED)
    with pytest.raises(GuardFailed, match="reason"):
        request_extend(request=request, actor=SYSTEM, reason=" ")


def test_assigning_a_request_is_on_the_record() -> None:
    alice = UserFactory.create(username="alice")
    request = request_in_state(State.VERIFIED)
    request_assign(request=request, actor=Actor.staff(alice), assignee=alice)
    assert request.assignee == alice
    event = AuditEvent.objects.filter(request=request).last()
    assert event is not None
    assert (event.action, event.actor, event.actor_user_id) == ("request.assigned", "staff:alice", alice.pk)
    assert event.data == {"from": None, "to": "alice"}


def test_only_requests_past_their_verification_window_are_closed_unverified() -> None:
    stale = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=15))
    fresh = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=13))
    verified = request_in_state(State.VERIFIED, received_at=timezone.now() - timedelta(days=30))

    assert requests_close_unverified() == 1
    assert DataSubjectRequest.objects.get(pk=stale.pk).state == State.CLOSED_UNVERIFIED
    assert DataSubjectRequest.objects.get(pk=fresh.pk).state == State.PENDING_VERIFICATION
    assert DataSubjectRequest.objects.get(pk=verified.pk).state == State.VERIFIED
    assert requests_close_unverified() == 0
