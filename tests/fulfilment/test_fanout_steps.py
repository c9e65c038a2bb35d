"""How one step of the fan-out follows another: in the transaction of the step's last task.

The store tasks run here in this process, one after the other, on the demo estate; the
messages they would send after commit are recorded instead of sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment import fanout
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.infra import queue
from requests_app.models import DataSubjectRequest, State, StoreTask, StoreTaskState
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor, audit_verify
from requests_app.workflow.transitions import transition
from tests.factories import DataSubjectRequestFactory

if TYPE_CHECKING:
    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

STAFF = Actor.system("tests")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    messages: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(queue, "enqueue_on_commit", lambda name, *args: messages.append((name, args)))
    return messages


@pytest.fixture
def started(estate: Estate, sent: list[tuple[str, tuple[Any, ...]]]) -> DataSubjectRequest:
    seed_estate(estate.sql_url, estate.redis_url, subjects=4, rows_per_subject=3, heavy_subjects=0, reset=True,
                auth_db=estate.auth_db)  # fmt: skip
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    request = DataSubjectRequestFactory.create(subject_email="subject-0001@example.com", request_type="access")
    transition(request, State.VERIFIED, STAFF)
    services.request_start(request=request, actor=STAFF)
    return request


def states(request: DataSubjectRequest) -> dict[int, list[str]]:
    by_step: dict[int, list[str]] = {}
    for step, state in StoreTask.objects.filter(request=request).order_by("step", "id").values_list("step", "state"):
        by_step.setdefault(step, []).append(state)
    return by_step


def test_starting_queues_the_first_step_and_its_last_task_queues_the_next(
    started: DataSubjectRequest, sent: list[tuple[str, tuple[Any, ...]]]
) -> None:
    first = list(StoreTask.objects.filter(request=started, step=0).order_by("id").values_list("pk", flat=True))
    assert states(started)[0] == [StoreTaskState.QUEUED] * len(first)
    assert sent == [(queue.RUN_STORE_TASK, (pk,)) for pk in first]  # no advance message
    sent.clear()
    for pk in first[:-1]:
        fanout.store_task_run(pk)
    assert set(states(started)[1]) == {StoreTaskState.PENDING}, "the step is not over yet"
    assert sent == []
    fanout.store_task_run(first[-1])
    second = list(StoreTask.objects.filter(request=started, step=1).order_by("id").values_list("pk", flat=True))
    assert states(started)[1] == [StoreTaskState.QUEUED] * len(second)
    assert sent == [(queue.RUN_STORE_TASK, (pk,)) for pk in second]
    assert audit_verify().ok


def test_the_last_task_of_all_records_the_fulfilment_and_asks_for_the_bundle(
    started: DataSubjectRequest, sent: list[tuple[str, tuple[Any, ...]]]
) -> None:
    while pks := list(
        StoreTask.objects.filter(request=started, state=StoreTaskState.QUEUED).values_list("pk", flat=True)
    ):
        for pk in pks:
            fanout.store_task_run(pk)
    started.refresh_from_db()
    assert started.fulfilled_at is not None
    assert sent[-1] == (queue.FULFIL_REQUEST, (started.pk,))
    assert started.audit_events.filter(action="fanout.fulfilled").count() == 1


def test_an_advance_that_fails_keeps_the_tasks_result_and_is_left_to_the_advance_task(
    started: DataSubjectRequest, sent: list[tuple[str, tuple[Any, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = list(StoreTask.objects.filter(request=started, step=0).order_by("id").values_list("pk", flat=True))
    for pk in first[:-1]:
        fanout.store_task_run(pk)

    def broken(*_args: object) -> None:
        StoreTask.objects.filter(request=started, step=1).update(error="written, then rolled back")
        raise RuntimeError("a bug in the advance")

    monkeypatch.setattr(fanout, "_advance_locked", broken)
    sent.clear()
    fanout.store_task_run(first[-1])
    assert StoreTask.objects.get(pk=first[-1]).state == StoreTaskState.DONE
    assert not StoreTask.objects.filter(request=started, step=1).exclude(error="").exists()
    assert sent == [(queue.ADVANCE_REQUEST, (started.pk,))]
    monkeypatch.undo()
    fanout.request_advance(started.pk)
    assert set(states(started)[1]) == {StoreTaskState.QUEUED}
    assert audit_verify().ok
