"""A rejection records its ground (11 CCR § 7102(a)(2)), on the request and on the audit trail."""

from __future__ import annotations

import pytest

from requests_app.errors import GuardFailed
from requests_app.models import AuditEvent, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


def test_a_rejection_keeps_its_ground_and_audits_it() -> None:
    request = request_in_state(State.VERIFIED)
    services.request_reject(request=request, actor=STAFF, reason="Not one of ours.", category="not_a_consumer")
    request.refresh_from_db()
    assert (request.state, request.rejection_category) == (State.REJECTED, "not_a_consumer")
    event = AuditEvent.objects.get(request=request, to_state=State.REJECTED)
    assert event.data["rejection_category"] == "not_a_consumer"


def test_a_rejection_without_a_ground_counts_as_other() -> None:
    request = request_in_state(State.VERIFIED)
    services.request_reject(request=request, actor=STAFF, reason="No.")
    request.refresh_from_db()
    assert request.rejection_category == "other"
    other = request_in_state(State.PENDING_VERIFICATION)
    transition(other, State.REJECTED, STAFF, reason="No.")
    other.refresh_from_db()
    assert other.rejection_category == "other"


def test_an_unknown_ground_changes_nothing() -> None:
    request = request_in_state(State.VERIFIED)
    with pytest.raises(GuardFailed, match="Unknown rejection category"):
        services.request_reject(request=request, actor=STAFF, reason="No.", category="because")
    request.refresh_from_db()
    assert (request.state, request.rejection_category) == (State.VERIFIED, "")


def test_other_closings_record_no_ground() -> None:
    request = request_in_state(State.CANCELLED)
    assert request.rejection_category == ""
