"""The request page's next step: what a request waits for, read from its facts alone.

The function is pure, so each state and each mix of store work is checked here without a
database; the page tests below check that the panel offers that one action and nothing it
cannot do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from requests_app.models import RequestType, State, StoreAction, StoreTaskState, VerificationPolicy
from requests_app.staff.actions import ACTIONS
from requests_app.staff.next_step import (
    NOBODY,
    REQUESTER,
    STAFF,
    STORE_RESOLVE,
    STORE_RETRY,
    SYSTEM,
    UNKNOWN,
    EmailFacts,
    RequestFacts,
    TaskFacts,
    next_step,
)

DEC_3 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
DEC_5 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
DEC_7 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def facts(state: State, **kwargs: object) -> RequestFacts:
    kwargs.setdefault("request_type", RequestType.ACCESS)
    return RequestFacts(state=state, **kwargs)  # type: ignore[arg-type]


def task(pk: int, target: str, state: StoreTaskState) -> TaskFacts:
    return TaskFacts(pk=pk, target=target, state=state)


def test_every_state_has_a_next_step_whose_action_is_a_real_one() -> None:
    known = {*ACTIONS, STORE_RESOLVE, STORE_RETRY, ""}
    for state in State:
        step = next_step(facts(state))
        assert step.sentence
        assert step.action in known
        assert step.waits_for in (STAFF, REQUESTER, SYSTEM, NOBODY, UNKNOWN)


def test_an_unconfirmed_email_waits_for_the_requester_since_the_link_was_sent() -> None:
    step = next_step(facts(State.PENDING_VERIFICATION, link_sent_at=DEC_3))
    assert step.sentence == "Waiting for the requester to confirm their email (link sent 3 Dec)."
    assert (step.kind, step.action, step.waits_for) == ("wait_email", "", REQUESTER)


def test_without_a_link_on_record_the_page_does_not_claim_the_requester_can_confirm() -> None:
    step = next_step(facts(State.PENDING_VERIFICATION))
    assert step.action == "verify"
    assert "no confirmation link is on record" in step.sentence


def test_a_confirmed_email_under_the_staff_policy_is_an_identity_to_verify() -> None:
    step = next_step(
        facts(
            State.PENDING_VERIFICATION,
            email_verified_at=DEC_3,
            link_sent_at=DEC_3,
            verification_policy=VerificationPolicy.EMAIL_AND_STAFF,
        )
    )
    assert (step.kind, step.action, step.waits_for) == ("verify", "verify", STAFF)
    assert step.sentence.startswith("Identity to verify")


def test_the_detail_on_file_check_waits_for_the_system_until_it_fails_to_match() -> None:
    checking = facts(
        State.PENDING_VERIFICATION,
        email_verified_at=DEC_3,
        verification_policy=VerificationPolicy.EMAIL_AND_FACT,
    )
    assert (next_step(checking).action, next_step(checking).waits_for) == ("", SYSTEM)
    mismatch = facts(
        State.PENDING_VERIFICATION,
        email_verified_at=DEC_3,
        verification_policy=VerificationPolicy.EMAIL_AND_FACT,
        second_factor_mismatch=True,
    )
    step = next_step(mismatch)
    assert (step.action, step.waits_for) == ("verify", STAFF)
    assert "did not match" in step.sentence


@pytest.mark.parametrize("state", [State.VERIFIED, State.AWAITING_APPROVAL])
def test_a_verified_request_not_at_work_is_for_approval(state: State) -> None:
    step = next_step(facts(state, email_verified_at=DEC_3))
    assert (step.kind, step.action) == ("approve", "approve")


def test_ready_for_approval_says_so_and_warns_of_fraud_signals() -> None:
    assert next_step(facts(State.AWAITING_APPROVAL)).sentence == "Ready for approval."
    step = next_step(facts(State.AWAITING_APPROVAL, has_fraud_signals=True))
    assert step.notes == ("It has fraud signals: read them before approving.",)


def test_a_correction_is_approved_with_its_changes() -> None:
    step = next_step(facts(State.AWAITING_APPROVAL, request_type=RequestType.CORRECTION))
    assert step.action == "approve" and "changes" in step.sentence


def test_a_paused_request_waits_for_the_answer_and_offers_to_resume() -> None:
    step = next_step(facts(State.AWAITING_REQUESTER, paused_at=DEC_3, email_verified_at=DEC_3))
    assert step.sentence == (
        "Waiting for the requester to answer our question (since 3 Dec). When they answer, resume the request."
    )
    assert (step.action, step.waits_for) == ("resume", REQUESTER)


def test_an_answer_after_the_pause_is_to_read_then_resume() -> None:
    emails = (
        EmailFacts(direction="out", kind="more_information", status="sent", at=DEC_3),
        EmailFacts(direction="in", kind="", status="attached", at=DEC_5),
    )
    step = next_step(facts(State.AWAITING_REQUESTER, paused_at=DEC_3, emails=emails))
    assert (step.kind, step.action, step.waits_for) == ("resume", "resume", STAFF)
    assert step.sentence.startswith("The requester wrote on 5 Dec")


def test_a_failed_store_comes_before_one_waiting_for_a_person() -> None:
    tasks = (
        task(1, "accounts", StoreTaskState.DONE),
        task(2, "billing", StoreTaskState.MANUAL),
        task(3, "analytics", StoreTaskState.FAILED),
    )
    step = next_step(facts(State.NEEDS_ATTENTION, tasks=tasks))
    assert (step.kind, step.action, step.task_pk) == ("store_failed", STORE_RETRY, 3)
    assert step.sentence == "A store failed: 'analytics'. Retry it, or record its outcome."


def test_a_manual_step_names_its_store_and_the_form_to_record_it() -> None:
    tasks = (task(1, "accounts", StoreTaskState.DONE), task(2, "billing", StoreTaskState.MANUAL))
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks))
    assert step.sentence == "Store 'billing' needs a person: do the manual step and record it done."
    assert (step.action, step.task_pk) == (STORE_RESOLVE, 2)


def test_a_recipient_to_tell_is_called_a_recipient_not_a_store() -> None:
    tasks = (
        task(1, "accounts", StoreTaskState.DONE),
        TaskFacts(pk=2, target="our affiliates", state=StoreTaskState.MANUAL, action=StoreAction.NOTIFY),
    )
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks))
    assert step.sentence == "Recipient 'our affiliates' is to be told of the change: tell them and record it done."
    assert (step.action, step.task_pk) == (STORE_RESOLVE, 2)


def test_stores_at_work_count_their_outcomes_and_ask_nothing_of_staff() -> None:
    tasks = (task(1, "accounts", StoreTaskState.DONE), task(2, "billing", StoreTaskState.RUNNING))
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks))
    assert step.sentence == "The stores are at work: 1 of 2 have an outcome. Nothing to do unless one fails."
    assert (step.action, step.waits_for) == ("", SYSTEM)


def test_every_outcome_and_the_result_made_is_ready_to_complete() -> None:
    tasks = (task(1, "accounts", StoreTaskState.DONE), task(2, "billing", StoreTaskState.RESOLVED))
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks, has_result=True))
    assert (step.kind, step.action) == ("complete", "complete")
    assert step.sentence.startswith("Ready to complete")


def test_every_outcome_without_the_result_waits_for_it_or_asks_to_make_it_again() -> None:
    tasks = (task(1, "accounts", StoreTaskState.DONE),)
    making = next_step(facts(State.IN_PROGRESS, tasks=tasks, fulfilled_at=DEC_3))
    assert (making.kind, making.waits_for) == ("making_result", SYSTEM)
    failed = next_step(facts(State.NEEDS_ATTENTION, tasks=tasks, fulfilled_at=DEC_3))
    assert (failed.kind, failed.action) == ("remake", "remake")


def test_stores_that_could_not_start_are_started_again() -> None:
    step = next_step(facts(State.NEEDS_ATTENTION))
    assert (step.kind, step.action) == ("restart", "restart")


def test_in_progress_without_store_work_says_it_cannot_tell() -> None:
    step = next_step(facts(State.IN_PROGRESS))
    assert (step.kind, step.action, step.waits_for) == ("unknown", "", UNKNOWN)
    assert "may still be being planned" in step.sentence


def test_cancelled_store_work_is_not_called_ready() -> None:
    tasks = (task(1, "accounts", StoreTaskState.DONE), task(2, "billing", StoreTaskState.CANCELLED))
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks, has_result=True))
    assert (step.kind, step.action) == ("unknown", "")


def test_an_appeal_is_decided_then_completed() -> None:
    assert next_step(facts(State.IN_PROGRESS, request_type=RequestType.APPEAL)).action == "decide_appeal"
    decided = facts(State.IN_PROGRESS, request_type=RequestType.APPEAL, appeal_outcome="upheld")
    assert next_step(decided).action == "complete"


@pytest.mark.parametrize("state", [State.COMPLETED, State.REJECTED, State.CANCELLED, State.CLOSED_UNVERIFIED])
def test_a_closed_request_has_nothing_to_do(state: State) -> None:
    step = next_step(facts(state, closed_at=DEC_7))
    assert (step.kind, step.action, step.waits_for) == ("closed", "", NOBODY)
    assert step.sentence == f"Closed ({str(state.label).lower()}) on 7 Dec: nothing to do."


def test_a_message_after_our_last_email_is_to_answer_while_the_stores_work() -> None:
    tasks = (task(1, "accounts", StoreTaskState.RUNNING),)
    emails = (
        EmailFacts(direction="out", kind="status_link", status="sent", at=DEC_3),
        EmailFacts(direction="in", kind="", status="attached", at=DEC_5),
    )
    step = next_step(facts(State.IN_PROGRESS, tasks=tasks, emails=emails, email_verified_at=DEC_3))
    assert (step.kind, step.action) == ("answer", "reply")
    assert step.sentence == "The requester wrote on 5 Dec, after our last email: answer them."
    assert step.notes[0].startswith("The stores are at work")


def test_a_message_already_answered_or_before_verification_asks_for_no_reply() -> None:
    tasks = (task(1, "accounts", StoreTaskState.RUNNING),)
    answered = (
        EmailFacts(direction="in", kind="", status="attached", at=DEC_3),
        EmailFacts(direction="out", kind="reply", status="sent", at=DEC_5),
    )
    assert next_step(facts(State.IN_PROGRESS, tasks=tasks, emails=answered, email_verified_at=DEC_3)).kind == "working"
    unverified = (EmailFacts(direction="in", kind="", status="attached", at=DEC_5),)
    assert next_step(facts(State.IN_PROGRESS, tasks=tasks, emails=unverified)).kind == "working"


def test_a_staff_step_is_not_displaced_by_a_message() -> None:
    emails = (EmailFacts(direction="in", kind="", status="attached", at=DEC_5),)
    step = next_step(facts(State.AWAITING_APPROVAL, emails=emails, email_verified_at=DEC_3))
    assert step.action == "approve"


def test_emails_not_sent_are_noted_truthfully() -> None:
    emails = (
        EmailFacts(direction="out", kind="acknowledgement", status="failed", at=DEC_3),
        EmailFacts(direction="out", kind="reply", status="queued", at=DEC_5),
        EmailFacts(direction="out", kind="status_link", status="sent", at=DEC_5),
    )
    step = next_step(facts(State.PENDING_VERIFICATION, link_sent_at=DEC_3, emails=emails))
    assert step.notes == (
        "The acknowledgement email could not be sent (3 Dec): see the timeline.",
        "The reply email is waiting to be sent (since 5 Dec).",
    )


def test_a_state_the_page_does_not_know_is_named_not_guessed() -> None:
    step = next_step(RequestFacts(state="on_hold", request_type=RequestType.ACCESS))
    assert (step.kind, step.action, step.waits_for) == ("unknown", "", UNKNOWN)
    assert "on_hold" in step.sentence
