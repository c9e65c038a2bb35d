"""Fan-out: one store task per system, run by Celery workers in dependency order.

The database drives progress. Starting a request writes its store tasks in the same
transaction as the move to ``in_progress``; each Celery message only says "look at task N"
or "advance request N", and every step re-reads the rows, claims work with a conditional
update, and decides what comes next. A lost message, a duplicated message or a dead worker
costs time, never work: the sweeper finds what a lost message left behind.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from requests_app.datamap.schema import DataMap, DataMapError, System, waves
from requests_app.errors import GuardFailed
from requests_app.fulfilment import decisions, evidence, recipients
from requests_app.fulfilment.connectors import ActionCounts, ConnectorError, ConnectorPending, Subject, connector_for
from requests_app.fulfilment.connectors.manual import ManualConnector
from requests_app.fulfilment.datamap_versions import datamap_of, datamap_snapshot
from requests_app.infra import queue
from requests_app.laws import deadlines
from requests_app.models import (
    DECISION_TYPES,
    FINISHED_STATES,
    NEEDS_PERSON_STATES,
    OUTCOMES_FOR,
    DataSubjectRequest,
    EventKind,
    RequestType,
    State,
    StoreAction,
    StoreOutcome,
    StoreTask,
    StoreTaskState,
    counts_without_personal,
)
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.events import event_record
from requests_app.workflow.store_tasks import store_task_move, unfinished_states
from requests_app.workflow.transitions import transition

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.files.uploadedfile import UploadedFile

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("fanout")

# What each request type does once its stores are found.
SECOND_PHASE = {RequestType.DELETION: StoreAction.ERASE, RequestType.CORRECTION: StoreAction.CORRECT}


class LeaseLost(Exception):
    """Another worker, the sweeper or a cancellation took the task: stop without writing."""


def fanout_create(request: DataSubjectRequest) -> list[StoreTask]:
    """Write the request's store tasks; call inside the transaction that starts the request,
    which holds the request's row (``request`` as the move to work left it).

    Every system first resolves the subject (forward waves: email, then what the email
    leads to). A deletion then erases in the reverse order, and a correction corrects, so a
    row that maps an email to a user id goes last. A manual system is searched by a person
    for an access request (they upload the export, or record that nothing is held); for a
    deletion or correction its one task is the person's erasure or correction. A decision
    (opt-out, limit, restriction, objection) is one task for a person per system it affects.
    """
    version = datamap_snapshot()
    datamap = datamap_of(version)
    if not datamap.systems:
        # Nothing to search is not "searched and found nothing": a person says why, or
        # describes the stores and starts them.
        raise DataMapError(["systems: the data map lists no system, so no store can be searched"])
    DataSubjectRequest.objects.filter(pk=request.pk).update(datamap_version=version)
    request.datamap_version = version
    if request.request_type in DECISION_TYPES:
        return _created(request, _decision_tasks(request, datamap), version.digest)
    plan = waves(datamap)
    is_access = request.request_type == RequestType.ACCESS
    rows = [
        StoreTask(request=request, system=system.name, kind=system.kind, action=StoreAction.RESOLVE, step=index)
        for index, wave in enumerate(plan)
        for system in wave
        if is_access or system.kind != "manual"
    ]
    second = SECOND_PHASE.get(RequestType(request.request_type))
    # A correction touches only the systems whose changes staff approved.
    approved = DataSubjectRequest.objects.filter(pk=request.pk).values_list("corrections", flat=True).first() or {}
    if second is not None:
        rows += [
            StoreTask(request=request, system=system.name, kind=system.kind, action=second, step=len(plan) + index)
            for index, wave in enumerate(reversed(plan))
            for system in wave
            if second != StoreAction.CORRECT or system.name in approved
        ]
    return _created(request, rows, version.digest)


def _created(request: DataSubjectRequest, rows: list[StoreTask], digest: str) -> list[StoreTask]:
    created = StoreTask.objects.bulk_create(rows, ignore_conflicts=True)
    audit_append(
        request=request,
        request_locked=True,
        actor=SYSTEM,
        action="fanout.created",
        data={"datamap": digest, "tasks": len(rows), "steps": max((r.step for r in rows), default=-1) + 1},
    )
    if not _queue_first_step(request):
        queue.enqueue_on_commit(queue.ADVANCE_REQUEST, request.pk)
    return created


def _queue_first_step(request: DataSubjectRequest) -> bool:
    """Queue the first step's tasks at once when all of them are for a program; say whether.

    The caller's transaction holds the request's row (it just moved it to work). A first
    step with work for a person (a decision, a manual store) is left to the advance task,
    which moves the request to needs attention after this transaction, as for a later step.
    """
    first = list(StoreTask.objects.filter(request_id=request.pk, step=0).order_by("id").values_list("pk", "state"))
    if not first or any(state != StoreTaskState.PENDING for _pk, state in first):
        return False
    _queue([pk for pk, _state in first])
    return True


def _decision_tasks(request: DataSubjectRequest, datamap: DataMap) -> list[StoreTask]:
    """One task for a person per system the decision affects: no connector runs for a decision.

    Whether a system still sells, shares, targets or processes is a setting or a process a
    person changes (a vendor's console, an advertising audience, a suppression list); the
    data map names where, and the instructions say what, with the law.
    """
    citation = decisions.decision_citation(request.request_type, deadlines.rule_of(request))
    now = timezone.now()
    return [
        StoreTask(
            request=request,
            system=affected.system,
            kind="manual",
            action=StoreAction.APPLY,
            step=0,
            state=StoreTaskState.MANUAL,
            instructions=decisions.apply_instructions(
                affected,
                decision=request.request_type,
                subject_email=request.subject_email,
                citation=citation,
                gpc=request.gpc_signal,
            ),
            queued_at=now,
        )
        for affected in decisions.affected_systems(datamap, request.request_type)
    ]


def request_advance(request_pk: int) -> None:
    """Queue the next step's tasks, or record that every store is done. Safe to run twice."""
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().filter(pk=request_pk).first()
        if request is None:
            return
        _advance_locked(request, list(request.store_tasks.order_by("step", "id")))


def _advance_locked(request: DataSubjectRequest, tasks: list[StoreTask]) -> None:
    """``request_advance`` for a caller that holds the request's row lock and has read its tasks.

    ``request`` was read under the lock, and ``tasks`` after it, in step and id order.
    """
    if request.state not in (State.IN_PROGRESS, State.NEEDS_ATTENTION):
        return
    unfinished = [t for t in tasks if t.state not in FINISHED_STATES]
    if not unfinished:
        unfinished = _recipient_tasks(request, tasks)
    if not unfinished:
        _fulfilled(request, tasks)
        return
    step = unfinished[0].step
    current = [t for t in unfinished if t.step == step]
    if any(t.state in (StoreTaskState.FAILED, StoreTaskState.MANUAL) for t in current):
        _needs_attention(request, current)
    _queue([t.pk for t in current if t.state == StoreTaskState.PENDING])


def _queue(pending: list[int]) -> None:
    """Queue these pending tasks in one UPDATE, and send each its message after commit."""
    if not pending:
        return
    claimed = store_task_move(
        StoreTask.objects.filter(pk__in=pending), StoreTaskState.QUEUED,
        from_states=(StoreTaskState.PENDING,), queued_at=timezone.now(),
    )  # fmt: skip
    if claimed != len(pending):
        # Some moved meanwhile (a person settled a store): send only those this queued.
        pending = list(
            StoreTask.objects.filter(pk__in=pending, state=StoreTaskState.QUEUED).values_list("pk", flat=True)
        )
    for pk in pending:
        queue.enqueue_on_commit(queue.RUN_STORE_TASK, pk)


def _fulfilled(request: DataSubjectRequest, tasks: list[StoreTask]) -> None:
    if request.fulfilled_at is not None:
        return
    request.fulfilled_at = timezone.now()
    request.save(update_fields=["fulfilled_at", "updated_at"])
    counts = {
        f"{t.system}.{t.action}": ActionCounts.from_dict(t.counts).changes if t.action != StoreAction.RESOLVE else None
        for t in tasks
    }
    audit_append(request=request, actor=SYSTEM, action="fanout.fulfilled", data={"tasks": counts}, request_locked=True)
    queue.enqueue_on_commit(queue.FULFIL_REQUEST, request.pk)


def _recipient_tasks(request: DataSubjectRequest, tasks: list[StoreTask]) -> list[StoreTask]:
    """Once a deletion's erasures or a correction's changes have outcomes: a task per recipient.

    Made once (the request row is locked, and a notify task existing means they were made),
    after the stores, because only data that was really erased or changed is communicated.
    Recipients that are systems of the map were told by that system's own task.
    """
    second = SECOND_PHASE.get(RequestType(request.request_type))
    if second is None or request.datamap_version is None or any(t.action == StoreAction.NOTIFY for t in tasks):
        return []
    notices = recipients.recipients_to_tell(datamap_of(request.datamap_version), tasks, request.corrections)
    to_tell = [n for n in notices.values() if not n.told_by_system]
    if not to_tell:
        return []
    step = max(t.step for t in tasks) + 1
    StoreTask.objects.bulk_create(
        [
            StoreTask(
                request=request,
                system="",
                recipient=notice.recipient[:200],
                kind="manual",
                action=StoreAction.NOTIFY,
                step=step,
                state=StoreTaskState.MANUAL,
                instructions=recipients.notify_instructions(
                    notice, request_type=request.request_type, subject_email=request.subject_email
                ),
                queued_at=timezone.now(),
            )
            for notice in to_tell
        ],
        ignore_conflicts=True,
    )
    audit_append(
        request=request,
        request_locked=True,
        actor=SYSTEM,
        action="fanout.recipients",
        data={
            "to_tell": [n.recipient for n in to_tell],
            "told_by_systems": {n.recipient: n.told_by_system for n in notices.values() if n.told_by_system},
        },
    )
    return list(request.store_tasks.filter(action=StoreAction.NOTIFY).order_by("step", "id"))


def _needs_attention(request: DataSubjectRequest, tasks: list[StoreTask]) -> None:
    if request.state != State.IN_PROGRESS:
        return
    waiting = ", ".join(
        f"{t.target} ({t.get_state_display().lower()})"
        for t in tasks
        if t.state in (StoreTaskState.FAILED, StoreTaskState.MANUAL)
    )
    transition(request, State.NEEDS_ATTENTION, SYSTEM, reason=f"Stores need a person: {waiting}")


def store_task_run(task_pk: int) -> None:
    """Claim the task, run its connector action, and record the result; raise to retry.

    Raises ConnectorError for a transient failure (the caller retries with backoff) after
    recording it; a permanent failure, or the last attempt, marks the task failed.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    claimable = StoreTask.objects.filter(
        Q(state=StoreTaskState.QUEUED) | Q(state=StoreTaskState.RUNNING, lease_expires_at__lt=now),
        pk=task_pk,
        request__state__in=(State.IN_PROGRESS, State.NEEDS_ATTENTION),
    )
    claimed = store_task_move(
        claimable,
        StoreTaskState.RUNNING,
        from_states=(StoreTaskState.QUEUED, StoreTaskState.RUNNING),
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=settings.DSAR_STORE_TASK_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), now),
    )
    if claimed != 1:
        return
    # The map's document is read only when this process has not parsed that version yet.
    task = (
        StoreTask.objects.select_related("request__datamap_version")
        .defer("request__datamap_version__document")
        .get(pk=task_pk)
    )
    try:
        result = _run_action(task, token)
    except LeaseLost:
        logger.info("store task %s: lease lost, stopping", task_pk)
        return
    except ConnectorPending as pending:
        _release(task, token, error=str(pending), retry_in=pending.retry_after, count_attempt=False)
        raise
    except ConnectorError as error:
        if error.transient and task.attempts < settings.DSAR_STORE_TASK_MAX_ATTEMPTS:
            _release(task, token, error=str(error), retry_in=retry_delay(task.attempts))
            raise
        _fail(task, token, str(error))
        return
    _finish(task, token, result)


def retry_delay(attempts: int) -> float:
    """Exponential backoff with full jitter: the n-th retry waits up to base * 2**(n-1)."""
    base = settings.DSAR_STORE_TASK_RETRY_SECONDS
    return random.uniform(0, base * 2 ** max(0, attempts - 1))  # noqa: S311 - jitter, not security


def _subject(task: StoreTask) -> Subject:
    """The subject's email plus every identifier the stores before this one resolved."""
    subject = Subject.from_dict({"email": [task.request.subject_email]})
    if task.step == 0:
        return subject  # no store came before the first step
    earlier = StoreTask.objects.filter(request=task.request, state=StoreTaskState.DONE, step__lt=task.step)
    for identifiers in earlier.values_list("identifiers", flat=True):
        subject = subject.merged(identifiers)
    return subject


def _heartbeat(task: StoreTask, token: str) -> Callable[[], None]:
    def renew() -> None:
        renewed = StoreTask.objects.filter(pk=task.pk, lease_token=token, state=StoreTaskState.RUNNING).update(
            lease_expires_at=timezone.now() + timedelta(seconds=settings.DSAR_STORE_TASK_LEASE_SECONDS)
        )
        if renewed != 1:
            raise LeaseLost

    return renew


class _TaskCheckpoint:
    """The connector's progress, saved on the task row after every committed batch."""

    def __init__(self, task: StoreTask, token: str) -> None:
        self.task, self.token = task, token

    def get(self) -> dict[str, Any]:
        return dict(self.task.checkpoint)

    def save(self, state: dict[str, Any]) -> None:
        saved = StoreTask.objects.filter(pk=self.task.pk, lease_token=self.token).update(
            checkpoint=state,
            lease_expires_at=timezone.now() + timedelta(seconds=settings.DSAR_STORE_TASK_LEASE_SECONDS),
        )
        if saved != 1:
            raise LeaseLost
        self.task.checkpoint = state


def _searched_with(system: System, subject: Subject) -> dict[str, list[str]]:
    """The identifiers the system is searched by that the subject has: the record of the search."""
    return {name: list(subject.values(name)) for name in system.searched_by if subject.values(name)}


def _run_action(task: StoreTask, token: str) -> dict[str, Any]:
    assert task.request.datamap_version is not None  # noqa: S101 - set when the tasks were created
    datamap: DataMap = datamap_of(task.request.datamap_version)
    system = datamap.get_system(task.system)
    if system is None:
        raise ConnectorError(f"system {task.system!r} is not in the data map", transient=False, system=task.system)
    subject = _subject(task)
    searched_with = _searched_with(system, subject)
    if not searched_with:
        # Nothing the subject is known by can find them here (no account, so no user id): the
        # store is not searched, and the record says so rather than "searched, nothing found".
        return {"counts": {"not_searched": "no_identifiers", "missing": list(system.searched_by)}, "searched_with": {}}
    if system.kind == "manual" and task.action == StoreAction.RESOLVE:
        counts = ManualConnector(system).export_instructions(subject)
        return {"counts": counts.to_dict(), "manual": True, "searched_with": searched_with}
    result = _run_connector(task, token, system, subject)
    return {**result, "searched_with": searched_with}


def _run_connector(task: StoreTask, token: str, system: System, subject: Subject) -> dict[str, Any]:
    heartbeat = _heartbeat(task, token)
    checkpoint = _TaskCheckpoint(task, token)
    with connector_for(system) as connector:
        if task.action == StoreAction.RESOLVE:
            resolved, found = connector.search(subject)
            identifiers = {name: list(values) for name, values in resolved.items()}
            return {"identifiers": identifiers, "counts": {"found": found}}
        if task.action == StoreAction.ERASE:
            counts = connector.erase(
                subject, checkpoint, batch_size=settings.DSAR_ERASE_BATCH_SIZE, heartbeat=heartbeat
            )
        else:
            counts = connector.correct(subject, task.request.corrections.get(task.system, {}), checkpoint)
    manual = counts.status == "manual" or any(d.status == "manual" for d in counts.datasets.values())
    return {"counts": counts.to_dict(), "manual": manual}


def _has_personal_counts(counts: Any) -> bool:
    return bool(counts_without_personal(counts) != counts)


def _finish(task: StoreTask, token: str, result: dict[str, Any]) -> None:
    state = StoreTaskState.MANUAL if result.get("manual") else StoreTaskState.DONE
    instructions = ""
    if state == StoreTaskState.MANUAL:
        instructions = "\n".join(d.get("instructions", "") for d in result["counts"].get("datasets", {}).values())
    with transaction.atomic():
        # The request row first, then the task's: every writer that holds both (a person
        # recording an outcome, the advance of a step) takes them in this order, so none
        # waits for another that waits for it. The request lock also makes the tasks of one
        # step finish one after another, so the last of them sees that the step is over and
        # takes the next: one advance a step, not one a task.
        request = DataSubjectRequest.objects.select_for_update().filter(pk=task.request_id).first()
        if request is None:
            return
        done = store_task_move(
            StoreTask.objects.filter(pk=task.pk, lease_token=token),
            state,
            from_states=(StoreTaskState.RUNNING,),
            identifiers=result.get("identifiers", {}),
            searched_with=result.get("searched_with", {}),
            counts=result.get("counts", {}),
            instructions=instructions,
            error="",
            lease_token="",
            lease_expires_at=None,
            finished_at=timezone.now() if state == StoreTaskState.DONE else None,
        )
        if done != 1:
            return
        tasks = list(request.store_tasks.order_by("step", "id"))
        step_open = any(t.step == task.step and t.state not in FINISHED_STATES for t in tasks)
        audit_append(
            request=request,
            request_locked=True,
            actor=SYSTEM,
            action=f"store_task.{state}",
            data={
                "system": task.system,
                "action": task.action,
                "attempts": task.attempts,
                "counts": counts_without_personal(result.get("counts")),
            },
            personal={"counts": result.get("counts")} if _has_personal_counts(result.get("counts")) else None,
        )
        if not step_open or state == StoreTaskState.MANUAL:
            _advance_now(request, tasks)


def _advance_now(request: DataSubjectRequest, tasks: list[StoreTask]) -> None:
    """Advance the request in the transaction that finished its step, under the lock it holds.

    A savepoint keeps the task's result if the advance fails: the advance is then left to
    a message (and to the sweeper), as if it had never been tried here.
    """
    try:
        with transaction.atomic():
            _advance_locked(request, tasks)
    except Exception:
        logger.exception("request %s: advancing after its step failed; left to the advance task", request.pk)
        queue.enqueue_on_commit(queue.ADVANCE_REQUEST, request.pk)


def _release(task: StoreTask, token: str, *, error: str, retry_in: float, count_attempt: bool = True) -> None:
    """Hand a task back to the queue after a transient failure, to be retried later.

    Only while this worker still holds the task: if its lease was taken over meanwhile, the
    other worker's run is the task's, and nothing is recorded here.
    """
    with transaction.atomic():
        released = store_task_move(
            StoreTask.objects.filter(pk=task.pk, lease_token=token),
            StoreTaskState.QUEUED,
            from_states=(StoreTaskState.RUNNING,),
            lease_token="",
            lease_expires_at=None,
            error=error[:2000],
            queued_at=timezone.now(),
            next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
            attempts=F("attempts") if count_attempt else F("attempts") - 1,
        )
        if released != 1:
            return
        audit_append(
            request=task.request,
            actor=SYSTEM,
            action="store_task.retrying",
            reason=error[:500],
            data={"system": task.system, "action": task.action, "attempt": task.attempts},
        )


def _fail(task: StoreTask, token: str, error: str) -> None:
    with transaction.atomic():
        failed = store_task_move(
            StoreTask.objects.filter(pk=task.pk, lease_token=token),
            StoreTaskState.FAILED,
            from_states=(StoreTaskState.RUNNING,),
            lease_token="",
            lease_expires_at=None,
            error=error[:2000],
        )
        if failed != 1:
            return
        audit_append(
            request=task.request,
            actor=SYSTEM,
            action="store_task.failed",
            reason=error[:500],
            data={"system": task.system, "action": task.action, "attempts": task.attempts},
        )
        # The error text may quote the subject's data (a store's message): it stays in the audit trail.
        event_record(
            kind=EventKind.STORE_TASK_FAILED,
            request=task.request,
            data={
                "store_task": {"id": task.pk, "system": task.system, "action": task.action, "attempts": task.attempts}
            },
        )
        queue.enqueue_on_commit(queue.ADVANCE_REQUEST, task.request_id)


def _lock_open_request(task: StoreTask) -> DataSubjectRequest:
    """Lock the task's request; refuse when it is closed (its stores no longer run)."""
    request = DataSubjectRequest.objects.select_for_update().get(pk=task.request_id)
    if request.state not in (State.IN_PROGRESS, State.NEEDS_ATTENTION):
        raise GuardFailed(
            f"Request {request.reference} is {request.get_state_display().lower()}: its stores do not run"
        )
    return request


def store_task_retry(*, task: StoreTask, actor: Actor) -> None:
    """Staff try a failed task again; the request goes back to work."""
    with transaction.atomic():
        request = _lock_open_request(task)
        retried = store_task_move(
            StoreTask.objects.filter(pk=task.pk),
            StoreTaskState.QUEUED,
            from_states=(StoreTaskState.FAILED,),
            attempts=0,
            error="",
            queued_at=timezone.now(),
            next_attempt_at=None,
        )
        if retried != 1:
            raise GuardFailed(f"{task.target} is no longer failed: nothing was retried")
        audit_append(request=request, actor=actor, action="store_task.retried", data={"system": task.system})
        _resume_if_waiting(request, actor)
        queue.enqueue_on_commit(queue.RUN_STORE_TASK, task.pk)


def outcome_choices(tasks: list[StoreTask]) -> list[StoreOutcome]:
    """The outcomes a person may record for these tasks (one system's open work), in order."""
    allowed = {outcome for task in tasks for outcome in OUTCOMES_FOR[task.action]}
    return [outcome for outcome in StoreOutcome if outcome in allowed]


def open_work_of(task: StoreTask) -> list[StoreTask]:
    """The task and the rest of its system's unfinished work in the request (a notify task: itself).

    A person who erased a store by hand, or confirmed it holds nothing, has settled that
    store for the whole request: its search and its erasure alike.
    """
    if task.action == StoreAction.NOTIFY:
        return [task]
    siblings = (
        StoreTask.objects.filter(request_id=task.request_id, system=task.system)
        .exclude(action=StoreAction.NOTIFY)
        .exclude(state__in=FINISHED_STATES)
        .order_by("step", "id")
    )
    return list(siblings)


def store_task_resolve(
    *, task: StoreTask, actor: Actor, outcome: str, note: str, attachment: UploadedFile | None = None
) -> list[StoreTask]:
    """A person records what happened in a store that waits for them or failed, with why.

    The outcome covers the store's remaining work in this request (see ``open_work_of``).
    For an access request, "done by hand" means the person exported the data: the export
    is required, and goes into the subject's bundle. Returns the tasks resolved.
    """
    if not note.strip():
        raise GuardFailed("Say what was done, or why not")
    evidence.evidence_check(attachment)
    with transaction.atomic():
        request = _lock_open_request(task)
        work = [t for t in open_work_of(task) if t.state in (*NEEDS_PERSON_STATES, StoreTaskState.PENDING)]
        if task.pk not in {t.pk for t in work} or StoreTask.objects.get(pk=task.pk).state not in NEEDS_PERSON_STATES:
            raise GuardFailed(f"{task.target} does not wait for a person: nothing was recorded")
        if outcome not in outcome_choices(work):
            raise GuardFailed(f"{outcome!r} is not an outcome for {task.target}")
        exports = request.request_type == RequestType.ACCESS and outcome == StoreOutcome.DONE_BY_HAND
        if exports and attachment is None:
            raise GuardFailed("Attach the export: it is what the subject receives from this store")
        stored = evidence.evidence_store(attachment) if attachment is not None else ""
        name = evidence.evidence_name(attachment) if attachment is not None else ""
        by = _display_name(actor)
        now = timezone.now()
        count = store_task_move(
            StoreTask.objects.filter(pk__in=[t.pk for t in work]),
            StoreTaskState.RESOLVED,
            from_states=unfinished_states(),
            outcome=outcome,
            note=note.strip(),
            resolved_by=by,
            finished_at=now,
            lease_token="",
            lease_expires_at=None,
            **({"attachment": stored, "attachment_name": name} if stored else {}),
        )
        if count != len(work):
            raise GuardFailed(f"{task.target} changed meanwhile: nothing was recorded")
        audit_append(
            request=request,
            actor=actor,
            action="store_task.resolved",
            reason=note.strip(),
            data={
                "system": task.system,
                "recipient": task.recipient,
                "outcome": outcome,
                "tasks": [f"{t.target}.{t.action}" for t in work],
                "attachment": bool(name),
            },
            # A file's name may name the subject ("jane-doe-export.csv"): sealed.
            personal={"attachment": name} if name else None,
        )
        _resume_if_waiting(request, actor)
        queue.enqueue_on_commit(queue.ADVANCE_REQUEST, request.pk)
    return work


def _display_name(actor: Actor) -> str:
    user = actor.user
    if user is None:
        return actor.label
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or user.get_username())


def _resume_if_waiting(request: DataSubjectRequest, actor: Actor) -> None:
    if request.state == State.NEEDS_ATTENTION:
        transition(request, State.IN_PROGRESS, actor, reason="Store tasks resumed")


def store_tasks_sweep() -> dict[str, int]:
    """Re-enqueue work that a lost message or a dead worker left behind.

    - a running task whose lease expired (its worker died): queued again;
    - a queued task whose retry time passed long ago without a worker taking it: sent again;
    - an open request with nothing running: advanced again.
    A live worker renews its lease after every batch, so a long erasure is never taken away.
    """
    now = timezone.now()
    grace = timedelta(seconds=settings.DSAR_STORE_TASK_REQUEUE_SECONDS)
    expired = list(
        StoreTask.objects.filter(state=StoreTaskState.RUNNING, lease_expires_at__lt=now).values_list("pk", flat=True)
    )
    for pk in expired:
        with transaction.atomic():
            requeued = store_task_move(
                StoreTask.objects.filter(pk=pk, lease_expires_at__lt=now),
                StoreTaskState.QUEUED,
                from_states=(StoreTaskState.RUNNING,),
                lease_token="",
                queued_at=now,
            )
            if requeued == 1:
                queue.enqueue_on_commit(queue.RUN_STORE_TASK, pk)
    stale = StoreTask.objects.filter(state=StoreTaskState.QUEUED, queued_at__lt=now - grace).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - grace)
    )
    stale_pks = list(stale.values_list("pk", flat=True))
    for pk in stale_pks:
        StoreTask.objects.filter(pk=pk, state=StoreTaskState.QUEUED).update(queued_at=now)
        queue.enqueue_on_commit(queue.RUN_STORE_TASK, pk)
    open_requests = list(
        DataSubjectRequest.objects.filter(
            state__in=(State.IN_PROGRESS, State.NEEDS_ATTENTION), fulfilled_at__isnull=True, store_tasks__isnull=False
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    for pk in open_requests:
        queue.enqueue_now(queue.ADVANCE_REQUEST, pk)
    return {"expired": len(expired), "resent": len(stale_pks), "advanced": len(open_requests)}
