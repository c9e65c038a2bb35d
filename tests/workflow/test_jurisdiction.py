"""Changing the law a request answers to: counted again from receipt, on the record, or refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from requests_app.errors import ApplicationError, ExtensionNotAllowed, GuardFailed, UnknownJurisdiction
from requests_app.laws import deadlines
from requests_app.laws.registry import RuleNotInForce
from requests_app.models import AuditEvent, DataSubjectRequest, RequestType, State
from requests_app.workflow import jurisdiction as workflow
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.jurisdiction import request_jurisdiction_change
from requests_app.workflow.transitions import request_extend
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")
REASON = "The subject lives in Leeds: UK GDPR applies."


def received_on(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 11, 0))


def test_the_due_date_is_counted_again_from_receipt_under_the_new_law() -> None:
    received = date(2026, 3, 10)
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=received_on(received))

    request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="us-va", reason=REASON)

    stored = DataSubjectRequest.objects.get(pk=request.pk)
    virginia = deadlines.get_rule("us-va", received=received)
    assert (stored.jurisdiction, stored.rule_version) == ("us-va", virginia.version)
    assert stored.due_at == deadlines.due_date("us-va", received, request_type=stored.request_type).due
    assert stored.due_at == received + timedelta(days=45)
    assert request.jurisdiction == "us-va"  # the caller's copy is refreshed


def test_the_rule_version_is_the_one_in_force_on_the_day_of_receipt() -> None:
    received = date(2025, 6, 2)  # before the Data (Use and Access) Act's version of 2026-02-05
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=received_on(received))

    request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="uk", reason=REASON)

    request.refresh_from_db()
    assert request.rule_version == "2021-01-01"
    assert request.due_at == deadlines.due_date("uk", received, version="2021-01-01").due


def test_the_pauses_and_the_extension_carry_over_to_the_new_law() -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=timezone.now() - timedelta(days=3))
    request_extend(request=request, actor=SYSTEM, reason="Many systems to search")
    DataSubjectRequest.objects.filter(pk=request.pk).update(paused_days=5)
    received = timezone.localdate(request.received_at)

    request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="uk", reason=REASON)

    request.refresh_from_db()
    assert request.due_at == deadlines.due_date("uk", received, paused_days=5, extended=True).due


def test_an_alias_is_stored_as_its_rules_own_code() -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr")
    request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="CCPA", reason=REASON)
    assert DataSubjectRequest.objects.get(pk=request.pk).jurisdiction == "us-ca"


def test_the_change_is_on_the_audit_trail_with_both_laws_versions_and_due_dates() -> None:
    received = date(2026, 3, 10)
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=received_on(received))
    old_due, old_version = request.due_at, request.rule_version

    request_jurisdiction_change(request=request, actor=Actor(label="staff:bob"), jurisdiction="uk", reason=REASON)

    event = AuditEvent.objects.filter(request=request).last()
    assert event is not None
    assert (event.action, event.actor) == ("request.jurisdiction_changed", "staff:bob")
    assert event.data == {
        "from": "gdpr",
        "to": "uk",
        "from_version": old_version,
        "to_version": "2026-02-05",
        "from_due_at": old_due.isoformat(),
        "to_due_at": request.due_at.isoformat(),
    }
    assert audit_open(event).reason == REASON


def test_a_failed_audit_write_leaves_the_law_and_the_due_date_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr")
    before = DataSubjectRequest.objects.get(pk=request.pk)

    def refuse(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(workflow, "audit_append", refuse)
    with pytest.raises(RuntimeError):
        request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="uk", reason=REASON)

    after = DataSubjectRequest.objects.get(pk=request.pk)
    assert (after.jurisdiction, after.rule_version, after.due_at) == (
        before.jurisdiction,
        before.rule_version,
        before.due_at,
    )


def _extended() -> DataSubjectRequest:
    request = request_in_state(State.VERIFIED, received_at=timezone.now() - timedelta(days=3))
    request_extend(request=request, actor=SYSTEM, reason="Many systems to search")
    return request


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("closed", GuardFailed, "is closed"),
        ("empty reason", GuardFailed, "needs a reason"),
        ("unknown code", UnknownJurisdiction, "Unknown jurisdiction 'atlantis'"),
        ("not in force", RuleNotInForce, "applies to requests received on or after 2026-01-01"),
        ("same code", GuardFailed, "already answers to"),
        ("same code by its alias", GuardFailed, "already answers to"),
        ("extended, no extension in the new law", ExtensionNotAllowed, "allows no extension"),
    ],
)
def test_each_refusal_says_why_and_changes_nothing(case: str, error: type[ApplicationError], message: str) -> None:
    jurisdiction, reason = "uk", REASON
    if case == "closed":
        request = request_in_state(State.COMPLETED)
    elif case == "not in force":
        # Rhode Island's law applies from 2026-01-01; this request came a month before.
        request = request_in_state(State.VERIFIED, received_at=received_on(date(2025, 12, 1)))
        jurisdiction = "us-ri"
    elif case == "extended, no extension in the new law":
        request = _extended()
        jurisdiction = "lgpd"
    else:
        request = request_in_state(State.VERIFIED, jurisdiction="us-ca")
        jurisdiction = {"empty reason": "uk", "unknown code": "atlantis", "same code": "us-ca"}.get(case, "ccpa")
        reason = " \n" if case == "empty reason" else REASON
    before = DataSubjectRequest.objects.get(pk=request.pk)
    events = AuditEvent.objects.filter(request=request).count()

    with pytest.raises(error, match=message):
        request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction=jurisdiction, reason=reason)

    after = DataSubjectRequest.objects.get(pk=request.pk)
    assert (after.jurisdiction, after.rule_version, after.due_at, after.extended_at) == (
        before.jurisdiction,
        before.rule_version,
        before.due_at,
        before.extended_at,
    )
    assert AuditEvent.objects.filter(request=request).count() == events


def test_an_opt_out_cannot_move_to_a_law_that_gives_no_opt_out() -> None:
    request = request_in_state(State.IN_PROGRESS, jurisdiction="us-ca", request_type=RequestType.OPT_OUT)

    with pytest.raises(GuardFailed, match="gives no right to opt out"):
        request_jurisdiction_change(request=request, actor=SYSTEM, jurisdiction="pipeda", reason="Lives in Ontario")
    request.refresh_from_db()
    assert request.jurisdiction == "us-ca"
