"""The stores section of a request page: each store's work, and what staff may do about it.

Which actions a store offers is decided here, from the task and the request, never in the
template: on a closed request nothing is offered; a failed store can be retried or given an
outcome; a store waiting for a person can be given an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from requests_app.fulfilment import fanout
from requests_app.models import (
    NEEDS_PERSON_STATES,
    DataSubjectRequest,
    RequestType,
    State,
    StoreAction,
    StoreOutcome,
    StoreTask,
    StoreTaskState,
)

WORK_WORDS = {
    StoreAction.RESOLVE: "find",
    StoreAction.ERASE: "erase",
    StoreAction.CORRECT: "correct",
    StoreAction.NOTIFY: "tell",
    StoreAction.APPLY: "apply the decision",
}
# How each outcome reads on the form, for the work it settles.
OUTCOME_HINTS = {
    StoreOutcome.DONE_BY_HAND: "Done by hand (say how; attach the vendor's confirmation or the export)",
    StoreOutcome.NO_DATA: "No data held here for this subject (say how you know)",
    StoreOutcome.RETAINED: "Kept for a legal reason (name the law or the hold)",
    StoreOutcome.NOT_DONE: "Not done (say why: the subject is told)",
}
# A decision (opt-out, limit, restriction, objection) applied in one system, in its own words.
APPLY_HINTS = {
    StoreOutcome.DONE_BY_HAND: "Applied (say what you changed; attach the confirmation if there is one)",
    StoreOutcome.NO_DATA: "No data held here for this subject (say how you know)",
    StoreOutcome.RETAINED: "Not applied: a legal ground to continue (name the ground: the subject is told it)",
    StoreOutcome.NOT_DONE: "Not applied (say why: the subject is told)",
}


@dataclass(frozen=True)
class StoreRow:
    task: StoreTask
    can_retry: bool
    outcomes: tuple[tuple[str, str], ...]  # (value, label): a person may record one of these
    covers: str  # the work an outcome settles, in words: "billing: find and erase"
    needs_export: bool  # an access request's "done by hand" must come with the export
    recorded_by_person: bool = False  # a person recorded its outcome: say who, when and why
    waits_for_person: bool = False  # a person must record its outcome: show that form open


def _row(task: StoreTask, request: DataSubjectRequest, *, can_act: bool) -> StoreRow:
    open_request = request.state in (State.IN_PROGRESS, State.NEEDS_ATTENTION)
    actionable = can_act and open_request and task.state in NEEDS_PERSON_STATES
    recorded = task.state == StoreTaskState.RESOLVED
    if not actionable:
        return StoreRow(task, can_retry=False, outcomes=(), covers="", needs_export=False, recorded_by_person=recorded)
    work = [t for t in fanout.open_work_of(task) if t.state in (*NEEDS_PERSON_STATES, StoreTaskState.PENDING)]
    hints = APPLY_HINTS if task.action == StoreAction.APPLY else OUTCOME_HINTS
    outcomes = tuple((o.value, hints[o]) for o in fanout.outcome_choices(work or [task]))
    covers = f"{task.target}: {' and '.join(WORK_WORDS[StoreAction(t.action)] for t in work or [task])}"
    return StoreRow(
        task=task,
        can_retry=task.state == StoreTaskState.FAILED,
        outcomes=outcomes,
        covers=covers,
        needs_export=request.request_type == RequestType.ACCESS and task.action == StoreAction.RESOLVE,
        recorded_by_person=recorded,
        waits_for_person=task.state == StoreTaskState.MANUAL,
    )


def store_rows(request: DataSubjectRequest, *, can_act: bool) -> list[StoreRow]:
    return [_row(task, request, can_act=can_act) for task in request.store_tasks.order_by("step", "id")]


def stores_live(request: DataSubjectRequest) -> bool:
    """Whether work is under way, so the section refreshes itself."""
    return request.state == State.IN_PROGRESS
