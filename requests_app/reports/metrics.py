"""The yearly compliance figures, computed from plain rows: no Django, no database.

What California requires a large business to publish each year, 11 CCR § 7102(a)(1)
(text read at govt.westlaw.com, Barclays Official California Code of Regulations, § 7102 as
effective 29 March 2023): for requests to delete (A), to correct (B) and to know (C), "the
number of requests ... that the business received, complied with in whole or in part, and
denied", and (F) "the median or mean number of days within which the business substantively
responded". § 7102(a)(2) lets the business break the denials down: "not verifiable, was not
made by a consumer, called for information exempt from disclosure, or was denied on other
grounds". Requests to opt out of sale/sharing (D) and to limit (E) are not request types
here, so they are reported as not applicable, never as zero.

Only fields that are not personal data are read (type, channel, law, state, dates, the
rejection's ground, the store tasks' outcomes, the audit trail's states and times), so the
figures stay the same after a closed request's subject and reasons are minimised.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date, datetime

# The request types of § 7102(a)(1), in its order, by our names for them.
CCPA_TYPES: tuple[tuple[str, str, str], ...] = (
    ("deletion", "Requests to delete", "§ 7102(a)(1)(A)"),
    ("correction", "Requests to correct", "§ 7102(a)(1)(B)"),
    ("access", "Requests to know (access)", "§ 7102(a)(1)(C)"),
    ("opt_out", "Requests to opt out of sale/sharing", "§ 7102(a)(1)(D)"),
    ("limit", "Requests to limit the use of sensitive personal information", "§ 7102(a)(1)(E)"),
)
OPT_OUT_NOTE = (
    "Opt-out and limit requests are those made through this application (the form, with or "
    "without a Global Privacy Control signal, the API, email or staff); a signal the company's "
    "other sites honour without a request is counted where those sites record it."
)

# The grounds of a denial, § 7102(a)(2), by the request's rejection_category.
DENIAL_REASONS: tuple[tuple[str, str], ...] = (
    ("not_verified", "Not verifiable"),
    ("not_a_consumer", "Not made by a consumer"),
    ("exempt", "Exempt"),
    ("other", "Other grounds"),
)

# A store task outcome that means part of the request was not carried out: data kept for a
# legal reason, or work a person recorded as not done.
IN_PART_OUTCOMES = frozenset({"retained", "not_done"})

# Outcomes of one request, as the register and the figures name them.
WHOLE = "complied_in_whole"
IN_PART = "complied_in_part"
DENIED_PREFIX = "denied_"
CANCELLED = "cancelled"
OPEN = "open"
OUTCOME_LABELS = {
    WHOLE: "Complied with in whole",
    IN_PART: "Complied with in part",
    **{f"{DENIED_PREFIX}{key}": f"Denied: {label.lower()}" for key, label in DENIAL_REASONS},
    CANCELLED: "Withdrawn or cancelled",
    OPEN: "Open",
}


@dataclass(frozen=True)
class RequestRow:
    """What the figures know of one request. Dates are local dates in settings.TIME_ZONE."""

    id: int
    request_type: str
    channel: str
    jurisdiction: str
    state: str
    rejection_category: str
    received_on: date
    due_on: date
    closed_on: date | None
    extended: bool
    # Some store task of the request ended "retained" or "not_done".
    has_partial_task: bool


@dataclass(frozen=True)
class StateChange:
    """One audit event that moved a request into a state (its from_state, to_state, created_at)."""

    request_id: int
    to_state: str
    at: datetime


def outcome(row: RequestRow) -> str:
    """The one definition of what came of a request.

    Completed: "in part" when any store task ended ``retained`` or ``not_done``, else "in
    whole". ``closed_unverified`` is denied as not verifiable; ``rejected`` is denied on the
    ground staff chose (a rejection from before grounds were recorded counts as "other").
    """
    if row.state == "completed":
        return IN_PART if row.has_partial_task else WHOLE
    if row.state == "closed_unverified":
        return f"{DENIED_PREFIX}not_verified"
    if row.state == "rejected":
        known = {key for key, _label in DENIAL_REASONS}
        return f"{DENIED_PREFIX}{row.rejection_category if row.rejection_category in known else 'other'}"
    if row.state == "cancelled":
        return CANCELLED
    return OPEN


def days_taken(row: RequestRow) -> int | None:
    """Calendar days from the day received to the day closed (local dates); None while open."""
    return None if row.closed_on is None else (row.closed_on - row.received_on).days


def responded_substantively(row: RequestRow) -> bool:
    """Whether the closing was the business's answer: completed, or rejected by staff.

    A request closed unverified is denied, but its closing is the end of the verification
    window, not an answer on the merits, so its days would measure the window: left out.
    """
    return row.state in ("completed", "rejected") and row.closed_on is not None


def _days(values: list[int] | list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "mean": None}
    return {"median": round(float(statistics.median(values)), 1), "mean": round(statistics.fmean(values), 1)}


@dataclass
class TypeFigures:
    request_type: str
    label: str
    citation: str = ""
    received: int = 0
    complied_in_whole: int = 0
    complied_in_part: int = 0
    denied: dict[str, int] = field(default_factory=lambda: {key: 0 for key, _label in DENIAL_REASONS})
    cancelled: int = 0
    open: int = 0
    extended: int = 0
    response_days: list[int] = field(default_factory=list)

    @property
    def complied(self) -> int:
        return self.complied_in_whole + self.complied_in_part

    @property
    def denied_total(self) -> int:
        return sum(self.denied.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_type": self.request_type,
            "label": self.label,
            "citation": self.citation,
            "received": self.received,
            "complied_in_whole_or_in_part": self.complied,
            "complied_in_whole": self.complied_in_whole,
            "complied_in_part": self.complied_in_part,
            "denied": self.denied_total,
            "denied_by_reason": dict(self.denied),
            "cancelled": self.cancelled,
            "open": self.open,
            "extended": self.extended,
            "days_to_substantive_response": {"responses": len(self.response_days), **_days(self.response_days)},
        }


@dataclass(frozen=True)
class OnTime:
    """Answered on or before the due date, among requests answered and open ones overdue.

    Answered: completed, rejected or closed unverified. An open request past its due date
    (on ``as_of``) counts as late; an open one not yet due is not counted; a cancelled one
    never is (nothing was owed).
    """

    on_time: int
    late: int
    open_overdue: int
    open_not_yet_due: int

    @property
    def counted(self) -> int:
        return self.on_time + self.late + self.open_overdue

    @property
    def rate(self) -> float | None:
        return round(100 * self.on_time / self.counted, 1) if self.counted else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "on_time": self.on_time,
            "late": self.late,
            "open_overdue": self.open_overdue,
            "open_not_yet_due": self.open_not_yet_due,
            "rate_percent": self.rate,
        }


@dataclass(frozen=True)
class StateTime:
    state: str
    stays: int
    median_days: float | None
    mean_days: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "stays": self.stays, "median_days": self.median_days, "mean_days": self.mean_days}


@dataclass(frozen=True)
class Metrics:
    year: int
    as_of: date
    received: int
    by_type: tuple[TypeFigures, ...]
    by_channel: dict[str, int]
    by_jurisdiction: dict[str, int]
    on_time: OnTime
    extended: int
    time_in_state: tuple[StateTime, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "received": self.received,
            "ccpa_7102": [figures.as_dict() for figures in self.by_type],
            "opt_out_note": OPT_OUT_NOTE,
            "by_channel": dict(self.by_channel),
            "by_jurisdiction": dict(self.by_jurisdiction),
            "on_time": self.on_time.as_dict(),
            "extended": self.extended,
            "time_in_state": [stay.as_dict() for stay in self.time_in_state],
        }


def metrics_compute(
    rows: list[RequestRow], changes: list[StateChange], *, year: int, as_of: date, state_order: tuple[str, ...] = ()
) -> Metrics:
    """The figures of ``year`` over ``rows`` (the requests received that year).

    ``changes`` are the state changes of those requests, from their audit trail; a stay in a
    state lasts from the event that entered it to the next one, so the last stay of each
    request (a final state, or one it is still in) is left out. An open request past its due
    date on ``as_of`` counts as late. ``state_order`` orders the time-in-state table.
    """
    by_type = {kind: TypeFigures(kind, label, citation) for kind, label, citation in CCPA_TYPES}
    on_time = {"on_time": 0, "late": 0, "open_overdue": 0, "open_not_yet_due": 0}
    for row in rows:
        figures = by_type.setdefault(row.request_type, TypeFigures(row.request_type, _type_label(row.request_type)))
        figures.received += 1
        figures.extended += row.extended
        result = outcome(row)
        if result == WHOLE:
            figures.complied_in_whole += 1
        elif result == IN_PART:
            figures.complied_in_part += 1
        elif result.startswith(DENIED_PREFIX):
            figures.denied[result.removeprefix(DENIED_PREFIX)] += 1
        elif result == CANCELLED:
            figures.cancelled += 1
        else:
            figures.open += 1
        if responded_substantively(row) and (taken := days_taken(row)) is not None:
            figures.response_days.append(taken)
        if timeliness := _timeliness(row, as_of):
            on_time[timeliness] += 1
    return Metrics(
        year=year,
        as_of=as_of,
        received=len(rows),
        by_type=tuple(by_type.values()),
        by_channel=dict(sorted(Counter(row.channel for row in rows).items())),
        by_jurisdiction=dict(sorted(Counter(row.jurisdiction for row in rows).items())),
        on_time=OnTime(**on_time),
        extended=sum(row.extended for row in rows),
        time_in_state=_time_in_state(changes, state_order),
    )


def _type_label(request_type: str) -> str:
    """Requests of the types § 7102 does not name (restriction, objection, appeal), in words."""
    return {
        "restriction": "Requests to restrict processing",
        "objection": "Objections to processing",
        "appeal": "Appeals of a decision",
    }.get(request_type, request_type)


def _timeliness(row: RequestRow, as_of: date) -> str:
    if row.state == "cancelled":
        return ""
    if row.closed_on is not None:
        return "on_time" if row.closed_on <= row.due_on else "late"
    return "open_overdue" if as_of > row.due_on else "open_not_yet_due"


def _time_in_state(changes: list[StateChange], state_order: tuple[str, ...]) -> tuple[StateTime, ...]:
    by_request: dict[int, list[StateChange]] = defaultdict(list)
    for change in changes:
        by_request[change.request_id].append(change)
    stays: dict[str, list[float]] = defaultdict(list)
    for request_changes in by_request.values():
        ordered = sorted(request_changes, key=lambda change: change.at)
        for entered, left in itertools.pairwise(ordered):
            stays[entered.to_state].append((left.at - entered.at).total_seconds() / 86400)
    order = [*state_order, *sorted(set(stays) - set(state_order))]
    return tuple(
        StateTime(state, len(stays[state]), **{f"{k}_days": v for k, v in _days(stays[state]).items()})
        for state in order
        if stays.get(state)
    )
