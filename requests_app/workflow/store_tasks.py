"""The states of a store task, the moves allowed between them, and the one writer of them.

Like the request's :data:`~requests_app.workflow.transitions.TRANSITIONS`, the table is
data; :func:`store_task_move` alone assigns ``StoreTask.state``. Each move is one
conditional UPDATE (``WHERE state IN (...)``, plus whatever the caller holds, such as its
lease token), so two workers, or a worker and a person, can never both move the same task:
the loser's count is 0 and it does nothing more (no audit event, no message).

A task is created ``pending`` (waiting for earlier steps) or, for a notice to a recipient a
person must send, ``manual``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from requests_app.models import StoreTask, StoreTaskState

if TYPE_CHECKING:
    from collections.abc import Collection

    from django.db.models import QuerySet

S = StoreTaskState

INITIAL_STATES = frozenset({S.PENDING, S.MANUAL})

STORE_TASK_TRANSITIONS: dict[StoreTaskState, frozenset[StoreTaskState]] = {
    # Its step came: queued for a worker. A person settles the store, or the request closes.
    S.PENDING: frozenset({S.QUEUED, S.RESOLVED, S.CANCELLED}),
    # A worker claims it.
    S.QUEUED: frozenset({S.RUNNING, S.RESOLVED, S.CANCELLED}),
    # Done; handed to a person; given back after a transient error or when its worker's lease
    # expired; failed for good. RUNNING -> RUNNING: a live worker takes over an expired lease.
    S.RUNNING: frozenset({S.RUNNING, S.DONE, S.MANUAL, S.QUEUED, S.FAILED, S.RESOLVED, S.CANCELLED}),
    # A person records what happened.
    S.MANUAL: frozenset({S.RESOLVED, S.CANCELLED}),
    # Staff try it again, or record what happened.
    S.FAILED: frozenset({S.QUEUED, S.RESOLVED, S.CANCELLED}),
    # Finished: nothing moves a finished task.
    S.DONE: frozenset(),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}


class StoreTaskMoveNotAllowed(ValueError):
    """A programming error: the code asked for a move the table does not have."""


def store_task_move(
    tasks: QuerySet[StoreTask], to: StoreTaskState, *, from_states: Collection[StoreTaskState], **changes: Any
) -> int:
    """Move the tasks of ``tasks`` that are in one of ``from_states`` to ``to``; return how many moved.

    ``changes`` are the other fields written in the same UPDATE (timestamps, lease, counts).
    The caller acts on the count: a task that another writer moved first is not counted, and
    whoever gets 0 must not record anything about it.
    """
    refused = sorted(str(state) for state in from_states if to not in STORE_TASK_TRANSITIONS[StoreTaskState(state)])
    if refused or not from_states:
        raise StoreTaskMoveNotAllowed(f"a store task cannot move from {refused or 'nothing'} to {to}")
    changes.setdefault("state_changed_at", timezone.now())
    return tasks.filter(state__in=list(from_states)).update(state=to, **changes)


def unfinished_states() -> tuple[StoreTaskState, ...]:
    """The states a task can still leave."""
    return tuple(state for state, targets in STORE_TASK_TRANSITIONS.items() if targets)
