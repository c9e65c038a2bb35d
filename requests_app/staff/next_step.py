"""What a request waits for, and the one thing staff can do about it now.

A pure function over plain facts (``RequestFacts``), so every state and every mix of store
work can be checked without a database. It says only what the facts show: where they do not
tell (a request in progress with no store work on record), it says so instead of guessing.
The action it names is one of ``actions.ACTIONS`` (a form posted to ``staff_request_action``)
or a store's own form (``STORE_RESOLVE``, ``STORE_RETRY``) with the task it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import dateformat, timezone

from requests_app.models import (
    OUTCOME_STATES,
    RequestType,
    State,
    StoreAction,
    StoreTaskState,
    VerificationPolicy,
)

if TYPE_CHECKING:
    from datetime import datetime

# The store forms the panel can offer, besides the request's own actions.
STORE_RESOLVE = "store_resolve"
STORE_RETRY = "store_retry"

# Who the request waits for: the panel's heading says it.
STAFF, REQUESTER, SYSTEM, NOBODY, UNKNOWN = "staff", "requester", "system", "nobody", "unknown"

# Emails whose words are known; any other kind is named by its code.
EMAIL_WORDS = {
    "acknowledgement": "acknowledgement",
    "verification": "confirmation link",
    "verification_reminder": "reminder to confirm",
    "status_link": "status link",
    "more_information": "question",
    "reply": "reply",
    "rejection": "rejection",
    "extension": "extension notice",
    "completion": "completion notice",
    "closed_unverified": "closing notice",
    "download_code": "download code",
}


@dataclass(frozen=True)
class TaskFacts:
    pk: int
    target: str  # the store, or the recipient a notify task tells
    state: str  # a StoreTaskState value
    action: str = "resolve"  # a StoreAction value


@dataclass(frozen=True)
class EmailFacts:
    direction: str  # "in" or "out"
    kind: str
    status: str  # an EmailStatus value
    at: datetime


@dataclass(frozen=True)
class RequestFacts:
    """What the next step is read from; built from a request by ``selectors.request_next_step``."""

    state: str
    request_type: str
    verification_policy: str = VerificationPolicy.EMAIL
    email_verified_at: datetime | None = None
    link_sent_at: datetime | None = None  # the last confirmation link issued, if any
    second_factor_mismatch: bool = False
    paused_at: datetime | None = None
    paused_from_state: str = ""
    fulfilled_at: datetime | None = None
    has_result: bool = False
    appeal_outcome: str = ""
    has_fraud_signals: bool = False
    closed_at: datetime | None = None
    tasks: tuple[TaskFacts, ...] = ()
    emails: tuple[EmailFacts, ...] = ()


@dataclass(frozen=True)
class NextStep:
    kind: str
    sentence: str
    action: str = ""  # an ACTIONS name, STORE_RESOLVE or STORE_RETRY; "" when nothing is to be done
    waits_for: str = STAFF
    task_pk: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _day(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j M")


def _email_notes(emails: tuple[EmailFacts, ...]) -> tuple[str, ...]:
    notes = []
    for email in emails:
        if email.direction != "out":
            continue
        words = EMAIL_WORDS.get(email.kind, email.kind or "email")
        if email.status == "failed":
            notes.append(f"The {words} email could not be sent ({_day(email.at)}): see the timeline.")
        elif email.status in ("queued", "sending"):
            notes.append(f"The {words} email is waiting to be sent (since {_day(email.at)}).")
    return tuple(notes)


def _unanswered_since(facts: RequestFacts, after: datetime | None = None) -> datetime | None:
    """When the requester wrote last, if they wrote after our last email (and after ``after``)."""
    inbound = [e.at for e in facts.emails if e.direction == "in" and (after is None or e.at > after)]
    if not inbound:
        return None
    outbound = [e.at for e in facts.emails if e.direction == "out" and e.status == "sent"]
    last_in = max(inbound)
    return last_in if not outbound or last_in > max(outbound) else None


def _names(tasks: list[TaskFacts]) -> str:
    names = list(dict.fromkeys(t.target for t in tasks))
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _pending_verification(facts: RequestFacts) -> NextStep:
    if facts.email_verified_at is None:
        if facts.link_sent_at is None:
            return NextStep(
                "verify",
                "Identity to verify: no confirmation link is on record for this request, "
                "so the requester cannot confirm it themselves.",
                action="verify",
            )
        return NextStep(
            "wait_email",
            f"Waiting for the requester to confirm their email (link sent {_day(facts.link_sent_at)}).",
            waits_for=REQUESTER,
        )
    if facts.verification_policy == VerificationPolicy.EMAIL_AND_FACT and not facts.second_factor_mismatch:
        return NextStep(
            "wait_check",
            "Email confirmed; the check of the detail on file has not reported yet. "
            "If the detail does not match, the request comes to you.",
            waits_for=SYSTEM,
        )
    if facts.second_factor_mismatch:
        return NextStep(
            "verify",
            "Identity to verify: the email is confirmed, but the detail on file did not match.",
            action="verify",
        )
    return NextStep("verify", "Identity to verify: the email is confirmed; a person checks the identity.", "verify")


def _stores(facts: RequestFacts) -> NextStep | None:
    """The store work's own next step, when one store needs a person or every store is done."""
    failed = [t for t in facts.tasks if t.state == StoreTaskState.FAILED]
    manual = [t for t in facts.tasks if t.state == StoreTaskState.MANUAL]
    if failed:
        return NextStep(
            "store_failed",
            f"A store failed: {_names(failed)}. Retry it, or record its outcome.",
            action=STORE_RETRY,
            task_pk=failed[0].pk,
        )
    if manual and manual[0].action == StoreAction.NOTIFY:
        return NextStep(
            "store_manual",
            f"Recipient {_names(manual[:1])} is to be told of the change: tell them and record it done.",
            action=STORE_RESOLVE,
            task_pk=manual[0].pk,
        )
    if manual:
        return NextStep(
            "store_manual",
            f"Store {_names(manual)} needs a person: do the manual step and record it done.",
            action=STORE_RESOLVE,
            task_pk=manual[0].pk,
        )
    return None


def _at_work(facts: RequestFacts) -> NextStep:
    if facts.request_type == RequestType.APPEAL:
        if facts.appeal_outcome:
            return NextStep("complete", "The appeal is decided: ready to complete.", action="complete")
        return NextStep("decide_appeal", "Appeal to decide: review the earlier decision.", action="decide_appeal")
    if not facts.tasks:
        if facts.state == State.NEEDS_ATTENTION:
            return NextStep(
                "restart",
                "The stores could not start (see the timeline for why): fix the data map, then start them.",
                action="restart",
            )
        return NextStep(
            "unknown",
            "No store work is on record yet. It may still be being planned; if this request needs "
            "no store, complete it saying why.",
            waits_for=UNKNOWN,
        )
    store_step = _stores(facts)
    if store_step is not None:
        return store_step
    open_tasks = [t for t in facts.tasks if t.state not in OUTCOME_STATES and t.state != StoreTaskState.CANCELLED]
    if open_tasks:
        done = sum(1 for t in facts.tasks if t.state in OUTCOME_STATES)
        return NextStep(
            "working",
            f"The stores are at work: {done} of {len(facts.tasks)} have an outcome. Nothing to do unless one fails.",
            waits_for=SYSTEM,
        )
    if any(t.state == StoreTaskState.CANCELLED for t in facts.tasks):
        return NextStep(
            "unknown",
            "Some store work was cancelled, so the request cannot complete as it is: see the timeline.",
            waits_for=UNKNOWN,
        )
    if facts.has_result:
        return NextStep("complete", "Ready to complete: every store has an outcome and the result is made.", "complete")
    if facts.state == State.NEEDS_ATTENTION and facts.fulfilled_at is not None:
        return NextStep(
            "remake",
            "Every store has an outcome, but the result could not be made: make it again.",
            action="remake",
        )
    return NextStep("making_result", "Every store has an outcome; the result is being made.", waits_for=SYSTEM)


def next_step(facts: RequestFacts) -> NextStep:
    """What ``facts`` wait for, in a sentence, and the one action that moves them on."""
    step = _next_step(facts)
    notes = _email_notes(facts.emails)
    if facts.state in (State.AWAITING_APPROVAL, State.VERIFIED) and facts.has_fraud_signals:
        notes = ("It has fraud signals: read them before approving.", *notes)
    if step.waits_for in (SYSTEM, UNKNOWN):
        wrote = _unanswered_since(facts)
        if wrote is not None and facts.email_verified_at is not None:
            return NextStep(
                "answer",
                f"The requester wrote on {_day(wrote)}, after our last email: answer them.",
                action="reply",
                notes=(step.sentence, *notes),
            )
    return NextStep(step.kind, step.sentence, step.action, step.waits_for, step.task_pk, notes)


def _next_step(facts: RequestFacts) -> NextStep:
    state = facts.state
    if state not in State.values:
        return NextStep("unknown", f"The request is in a state this page does not know ({state}).", waits_for=UNKNOWN)
    if state in (State.COMPLETED, State.REJECTED, State.CANCELLED, State.CLOSED_UNVERIFIED):
        label = str(State(state).label)
        when = f" on {_day(facts.closed_at)}" if facts.closed_at else ""
        return NextStep("closed", f"Closed ({label.lower()}){when}: nothing to do.", waits_for=NOBODY)
    if state == State.PENDING_VERIFICATION:
        return _pending_verification(facts)
    if state == State.VERIFIED:
        return NextStep("approve", "Identity verified, but work has not started: approve to start it.", "approve")
    if state == State.AWAITING_APPROVAL:
        if facts.request_type == RequestType.CORRECTION:
            return NextStep("approve", "Ready for approval: approve the changes the requester asked for.", "approve")
        return NextStep("approve", "Ready for approval.", action="approve")
    if state == State.AWAITING_REQUESTER:
        since = f" (since {_day(facts.paused_at)})" if facts.paused_at else ""
        wrote = _unanswered_since(facts, after=facts.paused_at)
        if wrote is not None:
            return NextStep(
                "resume",
                f"The requester wrote on {_day(wrote)} while the request waited{since}: "
                "read their answer, then resume.",
                action="resume",
            )
        return NextStep(
            "wait_requester",
            f"Waiting for the requester to answer our question{since}. When they answer, resume the request.",
            action="resume",
            waits_for=REQUESTER,
        )
    return _at_work(facts)
