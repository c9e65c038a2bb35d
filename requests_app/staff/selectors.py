"""Reads for the staff UI: the queue, the dashboard's figures, and one request's record.

Dates are the company's calendar days (``timezone.localdate``), as deadlines are.
"""

from __future__ import annotations

import json
import math
import operator
import statistics
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from requests_app.laws import deadlines
from requests_app.laws.describe import RuleFacts, rule_facts
from requests_app.models import (
    OPEN_STATES,
    RESULT_KIND,
    AppealOutcome,
    AuditEvent,
    ChallengePurpose,
    DataSubjectRequest,
    Direction,
    EmailMessage,
    ReminderKind,
    RequestType,
    State,
    StoreTask,
    StoreTaskState,
)
from requests_app.services.messages import unread_messages, unread_on_request
from requests_app.staff.next_step import EmailFacts, NextStep, RequestFacts, TaskFacts, next_step
from requests_app.staff.roles import ACT_CODENAME
from requests_app.verification.identity_hash import identity_hash
from requests_app.workflow.audit import OpenedEvent, audit_open, audit_seal_keys
from requests_app.workflow.references import reference_normalize

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule

SOON_DAYS = 7
CHART_WEEKS = 12
PAGE_SIZE = 50

SORTS: dict[str, tuple[str, ...]] = {
    "due": ("due_at", "id"),
    "-due": ("-due_at", "-id"),
    "received": ("received_at", "id"),
    "-received": ("-received_at", "-id"),
}
DUE_WINDOWS = ("overdue", "soon", "later")


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows; every field optional. ``state`` "open" means any open state."""

    state: str = "open"
    request_type: str = ""
    channel: str = ""
    jurisdiction: str = ""
    assignee: str = ""  # "", "me", "none", or a user's id
    due: str = ""  # "", or one of DUE_WINDOWS (a request whose clock is stopped is in none)
    waiting: str = ""  # "", or a key of WAITING_TASK_STATES: a store task waits in that state
    system: str = ""  # with ``waiting``: the store task is on this system
    fraud: bool = False
    unread: bool = False
    received_from: date | None = None
    received_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    search: str = ""
    # Someone who may not see personal data searches by reference only: a search by email or
    # name would tell them whether that person asked.
    search_by_reference_only: bool = False
    sort: str = "due"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_filter(term: str, *, by_reference_only: bool = False) -> Q:
    """Reference, email or name, case-insensitively; a reference may be typed loosely."""
    term = term.strip()
    condition = Q(reference__icontains=term)
    if not by_reference_only:
        condition |= Q(subject_email__icontains=term) | Q(subject_name__icontains=term) | Q(agent_email__icontains=term)
        # A minimised request keeps keyed hashes: the exact address or name still finds it.
        if term:
            email, name = identity_hash("email", term), identity_hash("name", term)
            condition |= Q(subject_email=email) | Q(agent_email=email) | Q(subject_name=name) | Q(agent_name=name)
    normalized = reference_normalize(term)
    if normalized:
        condition |= Q(reference=normalized)
    return condition


def due_filter(window: str, today: date) -> Q:
    """Overdue (before today), soon (today to SOON_DAYS days ahead, both included: "this
    week"), or later."""
    soon_end = today + timedelta(days=SOON_DAYS)
    if window == "overdue":
        return Q(due_at__lt=today)
    if window == "soon":
        return Q(due_at__gte=today, due_at__lte=soon_end)
    if window == "later":
        return Q(due_at__gt=soon_end)
    return Q()


# A filter that matches no row; ``~NOTHING`` matches every row.
NOTHING = Q(pk__in=[])

# What the queue's "waiting" filter can ask for: a store task in this state, on an open request.
WAITING_TASK_STATES = {"manual": StoreTaskState.MANUAL, "failed": StoreTaskState.FAILED}


def clock_stopped_filter() -> Q:
    """The open requests whose clock is stopped: waiting for the requester where the law allows it.

    Whether a law stops the clock is in its rule (``Rule.pause_allowed``), not in a column, so
    the rules of the waiting requests are looked up once here (one small query over the distinct
    law and rule version of the requests waiting now) and turned into a filter.
    """
    pairs = (
        DataSubjectRequest.objects.filter(state=State.AWAITING_REQUESTER)
        .order_by()
        .values_list("jurisdiction", "rule_version")
        .distinct()
    )
    stopping = [
        Q(jurisdiction=jurisdiction, rule_version=version)
        for jurisdiction, version in pairs
        if deadlines.rule_of(DataSubjectRequest(jurisdiction=jurisdiction, rule_version=version)).pause_allowed
    ]
    if not stopping:
        return NOTHING
    return Q(state=State.AWAITING_REQUESTER) & reduce(operator.or_, stopping)


def running_due_filter(window: str, today: date, stopped: Q) -> Q:
    """``due_filter`` for requests whose clock runs: a stopped clock is neither overdue nor due."""
    return due_filter(window, today) & ~stopped


def waiting_filter(waiting: str, *, system: str = "") -> Q:
    """Requests with a store task in the state ``waiting`` names (on ``system``, when given)."""
    task_state = WAITING_TASK_STATES.get(waiting)
    if task_state is None:
        return Q()
    tasks = StoreTask.objects.filter(request=OuterRef("pk"), state=task_state)
    if system:
        tasks = tasks.filter(system=system)
    return Q(Exists(tasks))


def queue_requests(query: QueueQuery, *, user: Any, today: date) -> QuerySet[DataSubjectRequest]:
    # The unread messages counted in the same query: the queue's query count stays flat.
    requests = DataSubjectRequest.objects.select_related("assignee", "appeal_of").annotate(
        unread_messages=Count("emails", filter=unread_on_request())
    )
    if query.state == "open":
        requests = requests.filter(state__in=OPEN_STATES)
    elif query.state in State.values:
        requests = requests.filter(state=query.state)
    for field in ("request_type", "channel", "jurisdiction"):
        if value := getattr(query, field):
            requests = requests.filter(**{field: value})
    if query.assignee == "me":
        requests = requests.filter(assignee=user)
    elif query.assignee == "none":
        requests = requests.filter(assignee__isnull=True)
    elif query.assignee.isdigit():
        requests = requests.filter(assignee_id=int(query.assignee))
    if query.due:
        requests = requests.filter(running_due_filter(query.due, today, clock_stopped_filter()))
    if query.waiting:
        requests = requests.filter(waiting_filter(query.waiting, system=query.system))
    if query.fraud:
        requests = requests.exclude(fraud_signals=[])
    if query.unread:
        requests = requests.filter(unread_messages__gt=0)
    if query.received_from:
        requests = requests.filter(received_at__gte=_day_start(query.received_from))
    if query.received_to:
        requests = requests.filter(received_at__lt=_day_start(query.received_to + timedelta(days=1)))
    if query.closed_from:
        requests = requests.filter(closed_at__gte=_day_start(query.closed_from))
    if query.closed_to:
        requests = requests.filter(closed_at__lt=_day_start(query.closed_to + timedelta(days=1)))
    if query.search.strip():
        requests = requests.filter(search_filter(query.search, by_reference_only=query.search_by_reference_only))
    return requests.order_by(*SORTS.get(query.sort, SORTS["due"]))


@dataclass(frozen=True)
class DueStatus:
    """How urgent a due date is, in words (colour only repeats what the words say)."""

    level: Literal["overdue", "soon", "later", "paused", "closed"]
    text: str


def due_status(request: DataSubjectRequest, today: date) -> DueStatus:
    if request.state not in OPEN_STATES:
        return DueStatus("closed", "Closed")
    days = (request.due_at - today).days
    if request.state == State.AWAITING_REQUESTER and deadlines.rule_of(request).pause_allowed:
        return DueStatus("paused", "Clock paused")
    if days < 0:
        return DueStatus("overdue", f"Overdue by {-days} day{'s' if days != -1 else ''}")
    if days == 0:
        return DueStatus("soon", "Due today")
    level: Literal["soon", "later"] = "soon" if days <= SOON_DAYS else "later"
    return DueStatus(level, f"Due in {days} day{'s' if days != 1 else ''}")


def assignable_users() -> QuerySet[Any]:
    """Active people who may act on requests: the choices for an assignee."""
    act = Permission.objects.filter(content_type__app_label="requests_app", codename=ACT_CODENAME)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=act) | Q(user_permissions__in=act))
        .distinct()
        .order_by("username")
    )


# --- Dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardCounts:
    by_state: list[tuple[State, int]]
    open_total: int
    due_soon: int
    overdue: int
    awaiting_requester: int
    unassigned: int
    with_fraud_signals: int


def dashboard_counts(today: date) -> DashboardCounts:
    open_requests = DataSubjectRequest.objects.filter(state__in=OPEN_STATES)
    stopped = clock_stopped_filter()
    # order_by(): the model's default ordering would otherwise split the groups.
    per_state = dict(open_requests.order_by().values("state").annotate(n=Count("id")).values_list("state", "n"))
    figures = open_requests.aggregate(
        total=Count("id"),
        due_soon=Count("id", filter=running_due_filter("soon", today, stopped)),
        overdue=Count("id", filter=running_due_filter("overdue", today, stopped)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
    )
    return DashboardCounts(
        by_state=[(state, per_state.get(state.value, 0)) for state in State if state in OPEN_STATES],
        open_total=figures["total"],
        due_soon=figures["due_soon"],
        overdue=figures["overdue"],
        awaiting_requester=per_state.get(State.AWAITING_REQUESTER.value, 0),
        unassigned=figures["unassigned"],
        with_fraud_signals=open_requests.exclude(fraud_signals=[]).count(),
    )


@dataclass(frozen=True)
class UnreadRequests:
    total: int  # requests with an unread message
    first: list[DataSubjectRequest]  # the longest waiting, with unread_messages and unread_since


def unread_requests(limit: int = 10) -> UnreadRequests:
    """Requests with messages nobody has marked read, the longest waiting first."""
    unread = (
        EmailMessage.objects.filter(unread_messages())
        .order_by()
        .values("request")
        .annotate(n=Count("id"), since=Min("created_at"))
    )
    rows = list(unread.order_by("since", "request")[:limit])
    found = DataSubjectRequest.objects.in_bulk([row["request"] for row in rows])
    first = []
    for row in rows:
        request = found[row["request"]]
        request.unread_messages, request.unread_since = row["n"], row["since"]  # type: ignore[attr-defined]
        first.append(request)
    return UnreadRequests(total=unread.count(), first=first)


# The audit events of a store's error: a transient one that will be retried, and a final failure.
STORE_ERROR_ACTIONS = ("store_task.retrying", "store_task.failed")


@dataclass(frozen=True)
class FailingSystem:
    system: str
    failed_now: int  # open requests with a task on this system that failed after its retries
    errors_7_days: int
    errors_30_days: int


def failing_systems(now: datetime) -> list[FailingSystem]:
    """Systems with store errors in the last 30 days or failed tasks now, the worst first.

    Counted from the audit trail (through its action and time index), so the counts include
    errors of requests that have since been closed.
    """
    since_7, since_30 = now - timedelta(days=7), now - timedelta(days=30)
    errors = (
        AuditEvent.objects.filter(action__in=STORE_ERROR_ACTIONS, created_at__gte=since_30)
        .annotate(system=KT("data__system"))
        .order_by()
        .values("system")
        .annotate(last_30=Count("pk"), last_7=Count("pk", filter=Q(created_at__gte=since_7)))
    )
    failed = dict(
        StoreTask.objects.filter(state=StoreTaskState.FAILED, request__state__in=OPEN_STATES)
        .order_by()
        .values("system")
        .annotate(n=Count("request", distinct=True))
        .values_list("system", "n")
    )
    by_system = {row["system"]: (row["last_7"], row["last_30"]) for row in errors if row["system"]}
    rows = [
        FailingSystem(
            system=name,
            failed_now=failed.get(name, 0),
            errors_7_days=by_system.get(name, (0, 0))[0],
            errors_30_days=by_system.get(name, (0, 0))[1],
        )
        for name in sorted(set(by_system) | {name for name in failed if name})
    ]
    return sorted(rows, key=lambda row: (-row.failed_now, -row.errors_7_days, -row.errors_30_days, row.system))


def chart_weeks(today: date, weeks: int = CHART_WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` weeks, this week last."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


@dataclass(frozen=True)
class WeekReceived:
    week: date
    counts: dict[str, int]  # request type -> requests received that week

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def week_end(self) -> date:
        return self.week + timedelta(days=6)


def weekly_received(today: date, weeks: int = CHART_WEEKS) -> list[WeekReceived]:
    mondays = chart_weeks(today, weeks)
    rows = (
        DataSubjectRequest.objects.filter(received_at__gte=_day_start(mondays[0]))
        .annotate(week=TruncWeek("received_at"))
        .order_by()
        .values("week", "request_type")
        .annotate(n=Count("id"))
    )
    found: Counter[tuple[date, str]] = Counter()
    for row in rows:
        found[(timezone.localtime(row["week"]).date(), row["request_type"])] += row["n"]
    return [WeekReceived(week, {kind: found[(week, kind)] for kind in RequestType.values}) for week in mondays]


@dataclass(frozen=True)
class WeekCompletion:
    week: date
    completed: int
    median_days: float | None
    p90_days: int | None

    @property
    def week_end(self) -> date:
        return self.week + timedelta(days=6)


def percentile_nearest_rank(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def weekly_completion(today: date, weeks: int = CHART_WEEKS) -> list[WeekCompletion]:
    """Days from receipt to completion of the requests completed each week."""
    mondays = chart_weeks(today, weeks)
    days_by_week: dict[date, list[int]] = {week: [] for week in mondays}
    completed = DataSubjectRequest.objects.filter(
        state=State.COMPLETED, closed_at__gte=_day_start(mondays[0])
    ).values_list("received_at", "closed_at")
    for received_at, closed_at in completed:
        closed = timezone.localdate(closed_at)
        week = closed - timedelta(days=closed.weekday())
        if week in days_by_week:
            days_by_week[week].append((closed - timezone.localdate(received_at)).days)
    return [
        WeekCompletion(
            week=week,
            completed=len(days),
            median_days=statistics.median(days) if days else None,
            p90_days=percentile_nearest_rank(days, 90) if days else None,
        )
        for week, days in days_by_week.items()
    ]


# --- One request ----------------------------------------------------------------------------


def request_for_staff(reference: str) -> DataSubjectRequest:
    return get_object_or_404(DataSubjectRequest.objects.select_related("assignee"), reference=reference)


def request_deadline(request: DataSubjectRequest) -> deadlines.Deadline:
    """The due date recomputed from the rule, with the steps that explain it (an appeal's from
    the appeal's own period, as ``Rule.timing`` gives it)."""
    return deadlines.due_date(
        request.jurisdiction,
        timezone.localdate(request.received_at),
        paused_days=request.paused_days,
        extended=request.is_extended,
        request_type=request.request_type,
        version=deadlines.rule_of(request).version,
    )


@dataclass(frozen=True)
class ClockPauses:
    """This request's waits for the requester, as its law counts them."""

    paused_days: int  # days already taken off the clock (or counted from again), by finished waits
    waiting_since: date | None  # the day the current wait began, when it waits now
    waiting_days: int  # days of the current wait so far
    stops: bool  # whether the law stops the clock while the request waits


@dataclass(frozen=True)
class RulePanel:
    rule: Rule
    facts: RuleFacts
    pauses: ClockPauses
    secondary_only: bool
    not_legal_advice: str = deadlines.NOT_LEGAL_ADVICE


def rule_panel(request: DataSubjectRequest, today: date) -> RulePanel:
    """The rule a request is counted under, in words, with the pauses of its clock."""
    rule = deadlines.rule_of(request)
    waiting = request.state == State.AWAITING_REQUESTER and request.paused_at is not None
    since = timezone.localdate(request.paused_at) if waiting and request.paused_at else None
    pauses = ClockPauses(
        paused_days=request.paused_days,
        waiting_since=since,
        waiting_days=(today - since).days if since else 0,
        stops=rule.pause_allowed,
    )
    return RulePanel(
        rule=rule,
        facts=rule_facts(rule),
        pauses=pauses,
        secondary_only=rule.confidence == "secondary",
    )


def appeal_panel(request: DataSubjectRequest) -> dict[str, Any]:
    """The appeal section of a request's page: what an appeal appeals, its due date from the
    rule, the way to enter a reversed request again; or a request's own appeals."""
    panel: dict[str, Any] = {"appeals": list(request.appeals.order_by("received_at"))}
    if request.request_type != RequestType.APPEAL or request.appeal_of_id is None:
        return panel
    panel["appeal_deadline"] = request_deadline(request)
    if request.appeal_outcome in (AppealOutcome.REVERSED, AppealOutcome.PARTLY_REVERSED):
        panel["reentry_url"] = f"{reverse('staff_request_new')}?again={request.reference}"
    return panel


def appeal_reversed(reference: str) -> DataSubjectRequest | None:
    """The appeal ``reference`` names, when it reversed (wholly or partly) a request still holding its subject."""
    normalized = reference_normalize(reference[:40])
    if normalized is None:
        return None
    appeal = (
        DataSubjectRequest.objects.select_related("appeal_of")
        .filter(
            reference=normalized,
            request_type=RequestType.APPEAL,
            appeal_outcome__in=[AppealOutcome.REVERSED, AppealOutcome.PARTLY_REVERSED],
        )
        .first()
    )
    if appeal is None or appeal.appeal_of is None or appeal.appeal_of.is_minimised:
        return None
    return appeal


ACTION_TITLES = {
    "request.received": "Request received",
    "request.entered_by_staff": "Entered by staff",
    "request.transition": "State changed",
    "request.assigned": "Assigned",
    "request.extended": "Deadline extended",
    "request.jurisdiction_changed": "Jurisdiction changed",
    "request.note": "Internal note",
    "appeal.decided": "Appeal decided",
    "email.queued": "Email queued",
    "email.failed": "Email could not be sent",
    "verification.email_confirmed": "Email address confirmed",
    "verification.renewed": "New verification link asked for",
    "reminder.sent": "Reminder sent",
    "reminder.not_sent": "Reminder not sent",
    "request.minimised": "Personal data removed under the retention rule",
    "drp.callback_delivered": "Status sent to the agent (Data Rights Protocol)",
    "drp.callback_failed": "Status could not be sent to the agent (Data Rights Protocol)",
    "request.replied": "Reply sent to the requester",
    "request.corrections_approved": "Corrections approved",
    "request.corrections_refused": "Corrections refused",
    "action.refused": "Action refused",
    "access.refused": "Access refused",
    "personal_data.viewed": "Personal data viewed",
    "fanout.created": "Store work planned",
    "fanout.refused": "Store work could not be planned",
    "fanout.recipients": "Recipients to tell listed",
    "fanout.fulfilled": "Every store has an outcome",
    "fanout.cancelled": "Unfinished store work cancelled",
    "store_task.done": "Store done",
    "store_task.manual": "Store waits for a person",
    "store_task.failed": "Store failed",
    "store_task.retrying": "Store will be tried again",
    "store_task.retried": "Store retried by staff",
    "store_task.resolved": "Store outcome recorded by staff",
    "bundle.built": "Result made",
    "bundle.downloaded": "Result downloaded by the requester",
    "bundle.download_refused": "Result download refused",
    "bundle.downloaded_by_staff": "Result downloaded by staff",
    "bundle.exported_by_staff": "Result exported by staff",
    "bundle.purged": "Result deleted after it expired",
    "email.received": "Email received",
    "email.triaged": "Email triaged into this request",
    "email.dismissed": "Email dismissed",
    "email.read": "Email marked read",
    "file.downloaded_by_staff": "File downloaded by staff",
    "verification.second_factor_not_matched": "Second detail did not match",
    "drp.refused": "Agent's message refused (Data Rights Protocol)",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: AuditEvent | None = None
    email: EmailMessage | None = None
    opened: OpenedEvent | None = None
    # For a run of reads of the page by one person shown as one entry: how many, since when.
    reads: int = 1
    first_read_at: datetime | None = None

    @property
    def reason(self) -> str:
        """The event's text, read through its seal; "removed under the retention rule" once minimised."""
        return self.opened.text if self.opened is not None else ""

    @property
    def reason_removed(self) -> bool:
        return self.opened is not None and self.opened.removed

    @property
    def title(self) -> str:
        if self.email is not None:
            direction = "out" if self.email.direction == Direction.OUTBOUND else "in"
            return f"Email {direction}: {self.email.kind or self.email.subject}"
        assert self.event is not None  # noqa: S101 - one of the two is always set
        title = ACTION_TITLES.get(self.event.action, self.event.action)
        if self.event.action.startswith("store_task.") and self.event.data.get("system"):
            return f"{title}: {self.event.data['system']}"
        if self.event.action.startswith("reminder.") and self.event.data.get("kind") in ReminderKind.values:
            kind = ReminderKind(self.event.data["kind"]).label
            return f"{title}: {str(kind).lower()} (to the {self.event.data.get('to', 'team')})"
        return title

    @property
    def title_without_personal_data(self) -> str:
        """The title for a role that may not see personal data: an email's subject line is the
        sender's words and may name the subject, so only its direction and kind are shown."""
        if self.email is None:
            return self.title
        direction = "out" if self.email.direction == Direction.OUTBOUND else "in"
        return f"Email {direction}: {self.email.kind}" if self.email.kind else f"Email {direction}"

    @property
    def change(self) -> str:
        """What a jurisdiction change changed, in words (the other events say it in their states)."""
        if self.event is None or self.event.action != "request.jurisdiction_changed":
            return ""
        data = self.event.data
        return (
            f"{data.get('from')} (version {data.get('from_version')}, due {data.get('from_due_at')}) → "
            f"{data.get('to')} (version {data.get('to_version')}, due {data.get('to_due_at')})"
        )

    @property
    def data_json(self) -> str:
        """The event's data as stored (never personal: that is sealed), for the raw view."""
        return json.dumps(self.event.data if self.event else {}, indent=2, sort_keys=True, ensure_ascii=False)

    @property
    def sealed_json(self) -> str:
        """The sealed text and personal data, opened; only for those who may see personal data."""
        if self.opened is None or self.opened.removed:
            return ""
        content = {"reason": self.opened.reason, "personal": self.opened.personal}
        return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False)

    @property
    def from_state_label(self) -> str:
        return _state_label(self.event.from_state) if self.event else ""

    @property
    def to_state_label(self) -> str:
        return _state_label(self.event.to_state) if self.event else ""


def _state_label(value: str) -> str:
    return str(State(value).label) if value in State.values else value


def request_timeline(request: DataSubjectRequest) -> list[TimelineEntry]:
    """Audit events and emails in and out, oldest first, in one list."""
    keys = audit_seal_keys([request.pk])
    entries = [
        TimelineEntry(at=event.created_at, event=event, opened=audit_open(event, keys))
        for event in request.audit_events.all()
    ]
    emails = request.emails.select_related("read_by").prefetch_related("attachments")
    entries += [TimelineEntry(at=email.created_at, email=email) for email in emails]
    # An email and the audit event recording it share a transaction: show the event first.
    return sorted(entries, key=lambda entry: (entry.at, entry.email is not None))


# Ways to narrow the request page's timeline (``?timeline=``), each with its link's words.
TIMELINE_FILTERS: dict[str, str] = {
    "all": "All",
    "messages": "Messages",
    "stores": "Store work",
    "staff": "Staff actions",
}
_STORE_ACTIONS = ("fanout.", "store_task.", "bundle.")
# Reads of the page are on the record, but they are not something staff did to the request.
_NOT_STAFF_ACTIONS = frozenset({"personal_data.viewed"})


def timeline_kind(entry: TimelineEntry) -> str:
    """Which filter an entry belongs to besides "all": messages, stores, staff, or "" for none."""
    if entry.email is not None:
        return "messages"
    assert entry.event is not None  # noqa: S101 - one of the two is always set
    action = entry.event.action
    if action.startswith("email.") or action == "request.replied":
        return "messages"
    if action.startswith(_STORE_ACTIONS):
        return "stores"
    if entry.event.actor.startswith("staff:") and action not in _NOT_STAFF_ACTIONS:
        return "staff"
    return ""


def timeline_filtered(entries: list[TimelineEntry], chosen: str) -> list[TimelineEntry]:
    """The entries of one filter, newest first; an unknown filter shows them all."""
    kept = (
        entries
        if chosen not in TIMELINE_FILTERS or chosen == "all"
        else [entry for entry in entries if timeline_kind(entry) == chosen]
    )
    return _reads_grouped(list(reversed(kept)))


def _reads_grouped(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Runs of "Personal data viewed" by one person, one after another, as one entry.

    Every look at the page by someone who may see personal data is on the record, and a
    working day would otherwise bury the timeline under them. The newest read of a run stands
    for it (its raw event is the newest's), saying how many reads and since when; each read
    stays in the audit trail.
    """
    grouped: list[TimelineEntry] = []
    for entry in entries:
        previous = grouped[-1] if grouped else None
        if (
            previous is not None
            and _is_read(entry)
            and _is_read(previous)
            and previous.event is not None
            and entry.event is not None
            and previous.event.actor == entry.event.actor
        ):
            grouped[-1] = replace(previous, reads=previous.reads + 1, first_read_at=entry.at)
        else:
            grouped.append(entry)
    return grouped


def _is_read(entry: TimelineEntry) -> bool:
    return entry.event is not None and entry.event.action == "personal_data.viewed"


def request_next_step(request: DataSubjectRequest) -> NextStep:
    """The request's next step (see ``next_step``), from its row, store work and emails."""
    link = (
        request.challenges.filter(purpose=ChallengePurpose.VERIFY_REQUEST).order_by("-created_at").first()
        if request.state == State.PENDING_VERIFICATION
        else None
    )
    facts = RequestFacts(
        state=request.state,
        request_type=request.request_type,
        verification_policy=request.verification_policy,
        email_verified_at=request.email_verified_at,
        link_sent_at=link.created_at if link is not None else None,
        second_factor_mismatch=request.audit_events.filter(action="verification.second_factor_not_matched").exists(),
        paused_at=request.paused_at,
        paused_from_state=request.paused_from_state,
        fulfilled_at=request.fulfilled_at,
        # The result completion needs (workflow.completion_blockers asks the same).
        has_result=request.bundles.filter(kind=RESULT_KIND.get(RequestType(request.request_type))).exists(),
        appeal_outcome=request.appeal_outcome,
        has_fraud_signals=bool(request.fraud_signals),
        closed_at=request.closed_at,
        tasks=tuple(
            TaskFacts(pk=task.pk, target=task.target, state=task.state, action=task.action)
            for task in request.store_tasks.order_by("step", "id")
        ),
        emails=tuple(
            EmailFacts(direction=e.direction, kind=e.kind, status=e.status, at=e.created_at)
            for e in request.emails.order_by("created_at", "id")
        ),
    )
    return next_step(facts)
