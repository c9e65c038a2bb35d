"""Reads for "My work" and the dashboard's work figures: who has what, what is due, what waits.

Every figure here is a set of open requests the queue can show with its filters (see
``selectors.queue_requests``), so a number on the dashboard links to exactly the requests it
counts. Dates are the company's calendar days (``timezone.localdate``, in DSAR_TIME_ZONE).

A request waiting for the requester under a law that stops the clock has no running deadline:
its stored due date moves when the wait ends. It is never counted as overdue or due this week;
it is counted, and shown, as waiting for the requester.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from requests_app.models import OPEN_STATES, DataSubjectRequest, State, StoreTask, StoreTaskState
from requests_app.services.messages import unread_on_request
from requests_app.staff.selectors import DueStatus, due_status, running_due_filter, waiting_filter

if TYPE_CHECKING:
    from datetime import date

# --- My work --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    request: DataSubjectRequest
    due: DueStatus
    waits_for: str
    unread: int = 0


@dataclass(frozen=True)
class MyWork:
    """One person's open requests: those to work on, most urgent first, and those waiting for
    the requester."""

    active: list[WorkItem]
    waiting: list[WorkItem]

    @property
    def count(self) -> int:
        return len(self.active) + len(self.waiting)


def waits_for(request: DataSubjectRequest, *, manual: int, failed: int) -> str:
    """What an open request waits for, in words: the next thing that has to happen."""
    if request.state == State.PENDING_VERIFICATION:
        if request.email_verified_at is None:
            return "The requester to confirm their email address"
        return "Staff to verify the identity"
    if request.state == State.VERIFIED:
        return "Staff to start the work"
    if request.state == State.AWAITING_APPROVAL:
        return "Approval by staff"
    if request.state == State.AWAITING_REQUESTER:
        return "The requester's answer"
    steps = []
    if failed:
        steps.append(f"{failed} failed store{'s' if failed != 1 else ''} to retry or settle")
    if manual:
        steps.append(f"{manual} manual step{'s' if manual != 1 else ''} in a store")
    if steps:
        return "A person: " + " and ".join(steps)
    if request.state == State.NEEDS_ATTENTION:
        return "Staff to decide how to finish"
    return "The stores to finish their work"


def my_work_requests(user: Any) -> QuerySet[DataSubjectRequest]:
    """The open requests assigned to ``user``, soonest due first (so the overdue come first)."""
    return DataSubjectRequest.objects.filter(assignee=user, state__in=OPEN_STATES).order_by("due_at", "id")


def my_work_count(user: Any) -> int:
    return my_work_requests(user).count()


def my_work(user: Any, today: date) -> MyWork:
    rows = my_work_requests(user).annotate(
        # distinct: the two joins (store tasks, emails) would otherwise multiply each other's rows.
        manual=Count("store_tasks", filter=Q(store_tasks__state=StoreTaskState.MANUAL), distinct=True),
        failed=Count("store_tasks", filter=Q(store_tasks__state=StoreTaskState.FAILED), distinct=True),
        unread=Count("emails", filter=unread_on_request(), distinct=True),
    )
    active: list[WorkItem] = []
    waiting: list[WorkItem] = []
    for request in rows:
        item = WorkItem(
            request=request,
            due=due_status(request, today),
            waits_for=waits_for(request, manual=request.manual, failed=request.failed),
            unread=request.unread,
        )
        (waiting if request.state == State.AWAITING_REQUESTER else active).append(item)
    return MyWork(active=active, waiting=waiting)


# --- The dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class AssigneeLoad:
    """One person's open requests (or nobody's, when ``assignee`` is "none")."""

    assignee: str  # the queue's assignee filter value: a user's id, or "none"
    name: str
    open: int
    overdue: int
    due_soon: int
    waiting_for_requester: int


def assignee_workload(today: date, stopped: Q) -> list[AssigneeLoad]:
    """Open, overdue, due this week and waiting requests per assignee, the most overdue first;
    the unassigned last, always shown."""
    rows = (
        DataSubjectRequest.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .values("assignee")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=running_due_filter("overdue", today, stopped)),
            due_soon=Count("id", filter=running_due_filter("soon", today, stopped)),
            waiting=Count("id", filter=Q(state=State.AWAITING_REQUESTER)),
        )
    )
    by_user = {row["assignee"]: row for row in rows}
    users = get_user_model().objects.filter(pk__in=[pk for pk in by_user if pk is not None])
    people = [
        AssigneeLoad(
            assignee=str(user.pk),
            name=user.get_full_name() or user.get_username(),
            open=by_user[user.pk]["open"],
            overdue=by_user[user.pk]["overdue"],
            due_soon=by_user[user.pk]["due_soon"],
            waiting_for_requester=by_user[user.pk]["waiting"],
        )
        for user in users
    ]
    people.sort(key=lambda row: (-row.overdue, -row.due_soon, -row.open, row.name.lower()))
    nobody = by_user.get(None, {"open": 0, "overdue": 0, "due_soon": 0, "waiting": 0})
    unassigned = AssigneeLoad(
        "none", "Not assigned", nobody["open"], nobody["overdue"], nobody["due_soon"], nobody["waiting"]
    )
    return [*people, unassigned]


def assignee_filter_choices(assignable: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The queue's assignee choices: the people who may be assigned, and anyone else who still
    holds open requests (someone whose role was taken away), so their requests can be listed."""
    known = {value for value, _ in assignable}
    holders = (
        get_user_model()
        .objects.filter(assigned_requests__state__in=OPEN_STATES)
        .exclude(pk__in=[int(value) for value in known])
        .distinct()
        .order_by("username")
    )
    return [*assignable, *((str(user.pk), user.get_full_name() or user.get_username()) for user in holders)]


def requests_waiting_for_a_person() -> int:
    """Open requests with a manual step (a store task waiting for a person to do it by hand)."""
    return DataSubjectRequest.objects.filter(state__in=OPEN_STATES).filter(waiting_filter("manual")).count()


@dataclass(frozen=True)
class ManualSteps:
    system: str
    steps: int
    requests: int


def manual_steps_by_system() -> list[ManualSteps]:
    """The manual steps waiting now, per system, with the open requests they hold up."""
    rows = (
        StoreTask.objects.filter(state=StoreTaskState.MANUAL, request__state__in=OPEN_STATES)
        .order_by()
        .values("system")
        .annotate(steps=Count("pk"), requests=Count("request", distinct=True))
        .order_by("-steps", "system")
    )
    return [ManualSteps(row["system"], row["steps"], row["requests"]) for row in rows]
