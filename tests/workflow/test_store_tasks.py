"""A store task's states follow one table, and one function writes them, counting what it moved."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from requests_app.fulfilment import fanout
from requests_app.models import AuditEvent, State, StoreTask, StoreTaskState
from requests_app.workflow.store_tasks import (
    INITIAL_STATES,
    STORE_TASK_TRANSITIONS,
    StoreTaskMoveNotAllowed,
    store_task_move,
    unfinished_states,
)
from tests.factories import request_in_state
from tests.paths import ROOT as PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

S = StoreTaskState
APP = PROJECT_ROOT / "requests_app"


def test_the_table_is_this_one() -> None:
    # Restated by hand: a change to the table must be a change to this test too.
    assert {
        S.PENDING: {S.QUEUED, S.RESOLVED, S.CANCELLED},
        S.QUEUED: {S.RUNNING, S.RESOLVED, S.CANCELLED},
        S.RUNNING: {S.RUNNING, S.DONE, S.MANUAL, S.QUEUED, S.FAILED, S.RESOLVED, S.CANCELLED},
        S.MANUAL: {S.RESOLVED, S.CANCELLED},
        S.FAILED: {S.QUEUED, S.RESOLVED, S.CANCELLED},
        S.DONE: set(),
        S.RESOLVED: set(),
        S.CANCELLED: set(),
    } == STORE_TASK_TRANSITIONS
    assert {S.PENDING, S.MANUAL} == INITIAL_STATES


def test_every_state_is_in_the_table_and_reachable() -> None:
    assert set(STORE_TASK_TRANSITIONS) == set(StoreTaskState)
    reached = set(INITIAL_STATES)
    for targets in STORE_TASK_TRANSITIONS.values():
        reached |= targets
    assert reached == set(StoreTaskState)
    assert set(unfinished_states()) == {S.PENDING, S.QUEUED, S.RUNNING, S.MANUAL, S.FAILED}


def task_in(state: StoreTaskState, **fields: object) -> StoreTask:
    request = request_in_state(State.IN_PROGRESS)
    return StoreTask.objects.create(
        request=request, system="billing", kind="sql", action="erase", step=0, state=state, **fields
    )


@pytest.mark.django_db
@pytest.mark.parametrize("finished", [S.DONE, S.RESOLVED, S.CANCELLED])
def test_a_move_out_of_a_finished_state_is_refused_and_writes_nothing(finished: StoreTaskState) -> None:
    task = task_in(finished)
    with pytest.raises(StoreTaskMoveNotAllowed):
        store_task_move(StoreTask.objects.filter(pk=task.pk), S.QUEUED, from_states=(finished,))
    task.refresh_from_db()
    assert task.state == finished


@pytest.mark.django_db
def test_a_move_from_a_state_the_task_has_left_moves_nothing() -> None:
    task = task_in(S.DONE)
    moved = store_task_move(StoreTask.objects.filter(pk=task.pk), S.QUEUED, from_states=(S.FAILED,))
    task.refresh_from_db()
    assert (moved, task.state) == (0, S.DONE)


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_does_not_release_the_task_or_record_a_retry() -> None:
    lease = timezone.now() + timedelta(minutes=5)
    task = task_in(S.RUNNING, lease_token="the-new-owner", lease_expires_at=lease, attempts=2)
    fanout._release(task, "the-old-owner", error="timeout", retry_in=0)
    task.refresh_from_db()
    assert (task.state, task.lease_token, task.attempts) == (S.RUNNING, "the-new-owner", 2)
    assert not AuditEvent.objects.filter(request=task.request, action="store_task.retrying").exists()


@pytest.mark.django_db
def test_the_worker_that_holds_the_lease_releases_the_task_and_records_the_retry() -> None:
    lease = timezone.now() + timedelta(minutes=5)
    task = task_in(S.RUNNING, lease_token="mine", lease_expires_at=lease, attempts=1)
    fanout._release(task, "mine", error="timeout", retry_in=0)
    task.refresh_from_db()
    assert (task.state, task.lease_token) == (S.QUEUED, "")
    assert AuditEvent.objects.filter(request=task.request, action="store_task.retrying").count() == 1


def _is_update_of_state(call: ast.Call) -> bool:
    is_update = isinstance(call.func, ast.Attribute) and call.func.attr == "update"
    return is_update and any(keyword.arg == "state" for keyword in call.keywords)


def state_writes(path: Path) -> list[int]:
    """Lines of `path` that write a `state` with a queryset update or by assigning `.state`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_update_of_state(node):
            lines.append(node.lineno)
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            # `self.state` is an object's own attribute (a checkpoint's), not a row's state.
            if any(
                isinstance(t, ast.Attribute)
                and t.attr == "state"
                and not (isinstance(t.value, ast.Name) and t.value.id == "self")
                for t in targets
            ):
                lines.append(node.lineno)
    return lines


def test_only_the_workflow_writes_a_state() -> None:
    # A webhook delivery's own state (pending, delivering, ...) has its one writer too.
    writers = {
        APP / "workflow" / "transitions.py",
        APP / "workflow" / "store_tasks.py",
        APP / "webhooks" / "deliveries.py",
    }
    elsewhere = {
        str(path.relative_to(APP)): lines
        for path in APP.rglob("*.py")
        if path not in writers and "migrations" not in path.parts and (lines := state_writes(path))
    }
    assert elsewhere == {}


def test_no_template_decides_by_comparing_a_state() -> None:
    # What a page offers for a task or request is computed in code (staff/stores.py, progress).
    templates = PROJECT_ROOT / "templates"
    comparing = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(r"\.state\s*(==|!=|in)\s", path.read_text(encoding="utf-8"))
    ]
    assert comparing == []
