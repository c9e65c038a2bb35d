"""Deciding an appeal of a refused request, and what the subject is told before and after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, RequestType, State
from requests_app.services import appeals
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import request_create, request_extend
from tests.factories import appeal_in_state, request_in_state

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")
EXPLANATION = "The data is kept to defend a pending legal claim (Va. Code §59.1-582(A)(4))."


def refused_virginia_deletion() -> DataSubjectRequest:
    original = request_in_state(State.VERIFIED, request_type=RequestType.DELETION, jurisdiction="us-va")
    services.request_reject(request=original, actor=STAFF, reason="We must keep this data.", category="exempt")
    original.refresh_from_db()
    return original


def test_an_appeal_of_a_refused_virginia_deletion_is_due_60_days_after_its_receipt() -> None:
    original = refused_virginia_deletion()
    received = timezone.now()
    appeal = request_create(
        NewRequest(
            channel="staff",
            request_type=RequestType.APPEAL,
            subject_email=original.subject_email,
            appeal_of=original.reference,
            received_at=received,
        ),
        actor=STAFF,
    )
    assert appeal.appeal_of == original
    assert appeal.jurisdiction == "us-va"
    # Va. Code §59.1-577(C): 60 calendar days from the appeal's own receipt (not the original's).
    assert appeal.due_at == timezone.localdate(received) + timedelta(days=60)


def test_the_rejection_of_a_virginia_request_says_how_to_appeal() -> None:
    original = refused_virginia_deletion()
    text = EmailMessage.objects.get(request=original, kind="rejection").body_text
    assert "You can appeal this decision: reply to this email" in text
    assert "within 60 days" in text and "Va. Code §59.1-577(C)" in text


def test_a_gdpr_rejection_offers_no_appeal_the_law_does_not_give() -> None:
    request = request_in_state(State.VERIFIED)
    services.request_reject(request=request, actor=STAFF, reason="Not one of ours.")
    text = EmailMessage.objects.get(request=request, kind="rejection").body_text
    assert "You can appeal" not in text
    assert "If you disagree, reply to this email" in text


def test_an_upheld_appeal_completes_and_tells_the_outcome_why_and_whom_to_complain_to() -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    appeals.appeal_decide(request=appeal, actor=STAFF, outcome="upheld", explanation=EXPLANATION)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.COMPLETED, "upheld")
    event = AuditEvent.objects.get(request=appeal, action="appeal.decided")
    assert event.data == {"outcome": "upheld", "appeal_of": original.reference}
    assert EXPLANATION not in str(event.data)
    assert audit_open(event).reason == EXPLANATION  # sealed under the request's key
    email = EmailMessage.objects.get(request=appeal, kind="appeal_decision")
    assert email.to_addresses == [original.subject_email]
    text = email.body_text
    assert "the original decision stands" in text
    assert EXPLANATION in text
    assert "submit a complaint to the Attorney General of Virginia" in text
    assert "carry out your request" not in text


def test_a_reversed_appeal_says_the_request_will_be_carried_out_and_names_no_regulator() -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    appeals.appeal_decide(request=appeal, actor=STAFF, outcome="reversed", explanation="The exemption does not apply.")
    text = EmailMessage.objects.get(request=appeal, kind="appeal_decision").body_text
    assert "the original decision is reversed" in text
    assert "We will now carry out your request" in text
    assert "Attorney General" not in text


def test_a_partly_reversed_appeal_says_both() -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    appeals.appeal_decide(request=appeal, actor=STAFF, outcome="partly_reversed", explanation="Some of it.")
    text = EmailMessage.objects.get(request=appeal, kind="appeal_decision").body_text
    assert "We will now carry out your request" in text
    assert "Attorney General of Virginia" in text


def test_deciding_a_request_that_is_not_an_appeal_is_refused() -> None:
    request = request_in_state(State.IN_PROGRESS, jurisdiction="us-va")
    with pytest.raises(GuardFailed, match="is not an appeal"):
        appeals.appeal_decide(request=request, actor=STAFF, outcome="upheld", explanation=EXPLANATION)
    request.refresh_from_db()
    assert (request.state, request.appeal_outcome) == (State.IN_PROGRESS, "")


@pytest.mark.parametrize("state", [State.PENDING_VERIFICATION, State.VERIFIED, State.CANCELLED])
def test_an_appeal_not_in_progress_is_not_decided(state: State) -> None:
    appeal = appeal_in_state(state, of=refused_virginia_deletion())
    with pytest.raises(GuardFailed, match="only an appeal in progress"):
        appeals.appeal_decide(request=appeal, actor=STAFF, outcome="upheld", explanation=EXPLANATION)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (state, "")
    assert not EmailMessage.objects.filter(request=appeal, kind="appeal_decision").exists()


@pytest.mark.parametrize(
    ("outcome", "explanation", "message"),
    [("upheld", "   ", "Explain the decision"), ("granted", EXPLANATION, "Unknown appeal outcome")],
)
def test_an_empty_explanation_or_an_unknown_outcome_changes_nothing(
    outcome: str, explanation: str, message: str
) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    with pytest.raises(GuardFailed, match=message):
        appeals.appeal_decide(request=appeal, actor=STAFF, outcome=outcome, explanation=explanation)
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.IN_PROGRESS, "")
    assert not AuditEvent.objects.filter(request=appeal, action="appeal.decided").exists()


def test_a_decided_appeal_is_not_decided_twice() -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    appeals.appeal_decide(request=appeal, actor=STAFF, outcome="upheld", explanation=EXPLANATION)
    with pytest.raises(GuardFailed):
        appeals.appeal_decide(request=appeal, actor=STAFF, outcome="reversed", explanation="Changed our mind.")
    appeal.refresh_from_db()
    assert appeal.appeal_outcome == "upheld"
    assert EmailMessage.objects.filter(request=appeal, kind="appeal_decision").count() == 1


def test_the_regulator_is_read_from_the_law_of_the_appeal() -> None:
    from requests_app.laws import deadlines

    assert appeals.complaint_to(deadlines.get_rule("us-va")) == "the Attorney General of Virginia"
    assert appeals.complaint_to(deadlines.get_rule("us-co")) == "the Attorney General of Colorado"
    assert appeals.complaint_to(deadlines.get_rule("gdpr")) == ""


def test_the_completion_of_a_virginia_request_says_how_to_appeal_and_a_gdpr_one_does_not() -> None:
    from requests_app.fulfilment.results import request_complete

    virginia = request_in_state(State.IN_PROGRESS, jurisdiction="us-va")
    gdpr = request_in_state(State.IN_PROGRESS)
    for request in (virginia, gdpr):
        request_complete(request=request, actor=STAFF, reason="No personal data held.")
    text = EmailMessage.objects.get(request=virginia, kind="completion").body_text
    assert "If you think we did not fully carry out your request, you can appeal: reply to this email" in text
    assert "within 60 days" in text
    assert "appeal" not in EmailMessage.objects.get(request=gdpr, kind="completion").body_text


def test_a_colorado_appeal_is_extended_by_the_appeals_own_60_days() -> None:
    original = request_in_state(State.VERIFIED, request_type=RequestType.DELETION, jurisdiction="us-co")
    services.request_reject(request=original, actor=STAFF, reason="We must keep this data.", category="exempt")
    received = timezone.now()
    appeal = request_create(
        NewRequest(
            channel="staff",
            request_type=RequestType.APPEAL,
            subject_email=original.subject_email,
            appeal_of=original.reference,
            received_at=received,
        ),
        actor=STAFF,
    )
    day = timezone.localdate(received)
    # C.R.S. §6-1-1306(3): an appeal is answered within 45 days, extendable by 60 more.
    assert appeal.due_at == day + timedelta(days=45)

    request_extend(request=appeal, actor=STAFF, reason="The appeal needs the store owners' review.")
    appeal.refresh_from_db()
    assert appeal.due_at == day + timedelta(days=105)
