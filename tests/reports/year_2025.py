"""A year of requests for the metrics tests: 40 received in 2025 in Los Angeles time, and
three just outside it, each taken through the real workflow at the moments it happened.

The workflow stamps every change with ``timezone.now()``, so the clock is set to each
moment in turn (the code under test runs unchanged; only the time it reads is chosen).
Every moment is a whole number of days after the request arrived, at noon in Los Angeles,
so days taken and time in each state are whole days whatever the daylight saving time.

The expected figures are written by hand in the tests, from the table below.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from requests_app.models import (
    RESULT_KIND,
    DataSubjectRequest,
    RequestType,
    State,
    StoreAction,
    StoreTask,
    StoreTaskState,
)
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import request_extend, transition
from tests.factories import DataSubjectRequestFactory, stored_bundle

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
AS_OF = date(2026, 1, 15)
ACTOR = Actor.system("tests")
REASON = "Reason given for the record."


@dataclass(frozen=True)
class Spec:
    """One request: what, how, where, and what came of it after how many days."""

    name: str
    request_type: str
    channel: str
    jurisdiction: str
    ending: str  # whole | part | reject:<category> | unverified | cancel | in_progress | pending
    days: int = 0
    received: datetime | None = None  # default: a day of 2025 picked from the name
    extend_on_day: int | None = None


SPECS = (
    # Access: 16
    Spec("a1", "access", "web", "gdpr", "whole", 5),
    Spec("a2", "access", "web", "gdpr", "whole", 7),
    Spec("a3", "access", "web", "gdpr", "whole", 9),
    Spec("a4", "access", "email", "gdpr", "whole", 11),
    Spec("a5", "access", "email", "ccpa", "whole", 13),
    Spec("a6", "access", "email", "ccpa", "whole", 15),
    Spec("a7", "access", "api", "gdpr", "part", 20),
    Spec("a8", "access", "api", "gdpr", "part", 40),  # a month was the limit: late
    Spec("a9", "access", "email", "ccpa", "reject:not_verified", 3),
    Spec("a10", "access", "web", "gdpr", "reject:exempt", 10),
    Spec("a11", "access", "web", "ccpa", "unverified", 15),
    Spec("a12", "access", "web", "ccpa", "unverified", 15),
    Spec("a13", "access", "web", "ccpa", "unverified", 15),
    Spec("a14", "access", "web", "gdpr", "cancel", 2),
    Spec("a15", "access", "staff", "gdpr", "in_progress", received=datetime(2025, 12, 20, 12, tzinfo=LOS_ANGELES)),
    Spec("a16", "access", "staff", "gdpr", "in_progress", received=datetime(2025, 11, 1, 12, tzinfo=LOS_ANGELES)),
    # Deletion: 14
    Spec("d1", "deletion", "web", "ccpa", "whole", 10),
    Spec("d2", "deletion", "web", "ccpa", "whole", 20),
    Spec("d3", "deletion", "email", "ccpa", "whole", 30),
    Spec("d4", "deletion", "api", "ccpa", "whole", 50, extend_on_day=20),  # late but for the extension
    Spec("d5", "deletion", "email", "gdpr", "part", 12),
    Spec("d6", "deletion", "email", "gdpr", "part", 14),
    Spec("d7", "deletion", "email", "gdpr", "part", 16),
    Spec("d8", "deletion", "web", "ccpa", "reject:not_a_consumer", 4),
    Spec("d9", "deletion", "web", "ccpa", "reject:not_a_consumer", 6),
    Spec("d10", "deletion", "email", "gdpr", "reject:other", 8),
    Spec("d11", "deletion", "api", "gdpr", "reject:exempt", 10),
    Spec("d12", "deletion", "web", "gdpr", "unverified", 15),
    Spec("d13", "deletion", "email", "ccpa", "cancel", 3),
    Spec("d14", "deletion", "web", "ccpa", "in_progress", received=datetime(2025, 12, 28, 12, tzinfo=LOS_ANGELES)),
    # Correction: 10
    Spec("c1", "correction", "web", "gdpr", "whole", 6),
    Spec("c2", "correction", "web", "gdpr", "whole", 8),
    Spec("c3", "correction", "web", "gdpr", "whole", 10),
    Spec("c4", "correction", "staff", "gdpr", "part", 25),
    Spec("c5", "correction", "email", "ccpa", "reject:other", 5),
    Spec("c6", "correction", "web", "gdpr", "reject:not_verified", 7),
    Spec("c7", "correction", "email", "gdpr", "unverified", 15),
    Spec("c8", "correction", "email", "gdpr", "unverified", 15),
    Spec("c9", "correction", "web", "gdpr", "cancel", 1),
    # 22:00 on New Year's Eve in Los Angeles is already 2026 in UTC: it counts in 2025.
    Spec("c10", "correction", "web", "gdpr", "pending", received=datetime(2025, 12, 31, 22, tzinfo=LOS_ANGELES)),
)
# Just outside 2025 in Los Angeles, though 2025 in UTC for the first.
OUTSIDE = (
    Spec("x1", "access", "web", "gdpr", "whole", 3, received=datetime(2024, 12, 31, 21, tzinfo=LOS_ANGELES)),
    Spec("x2", "deletion", "email", "ccpa", "cancel", 1, received=datetime(2026, 1, 1, 1, tzinfo=LOS_ANGELES)),
    Spec("x3", "correction", "api", "gdpr", "reject:exempt", 2, received=datetime(2025, 1, 1, 7, tzinfo=UTC)),
)
# Whole completions whose stores ran, with outcomes that are not "in part".
WITH_STORES = frozenset({"a1", "d1", "c1"})


def _received(spec: Spec, index: int) -> datetime:
    if spec.received is not None:
        return spec.received
    return datetime(2025, 1 + index % 10, 1 + index % 25, 12, tzinfo=LOS_ANGELES)


def _tasks(request: DataSubjectRequest, outcomes: list[str]) -> None:
    action = StoreAction.RESOLVE if request.request_type == "access" else StoreAction.ERASE
    if request.request_type == "correction":
        action = StoreAction.CORRECT
    for step, outcome in enumerate(outcomes):
        state = StoreTaskState.DONE if outcome == "done" else StoreTaskState.RESOLVED
        StoreTask.objects.create(
            request=request,
            system=f"store{step}",
            kind="manual",
            action=action,
            step=step,
            state=state,
            outcome="" if outcome == "done" else outcome,
            note="" if outcome == "done" else "Recorded by the privacy team.",
        )
    stored_bundle(request, kind=RESULT_KIND[RequestType(request.request_type)])


def build(spec: Spec, index: int) -> DataSubjectRequest:
    """Make the request of ``spec`` and take it through the workflow, day by day."""
    with pytest.MonkeyPatch.context() as clock:
        return _build(spec, _received(spec, index).astimezone(UTC), clock)


def _build(spec: Spec, start: datetime, clock: pytest.MonkeyPatch) -> DataSubjectRequest:

    def on_day(day: int) -> None:
        moment = start + timedelta(days=day)
        clock.setattr(timezone, "now", lambda: moment)

    on_day(0)
    request = DataSubjectRequestFactory.create(
        request_type=spec.request_type,
        channel=spec.channel,
        jurisdiction=spec.jurisdiction,
        received_at=start,
        subject_email=f"{spec.name}@example.org",
        subject_name=f"Subject {spec.name.upper()}",
    )
    kind, _, category = spec.ending.partition(":")
    if kind in ("whole", "part", "in_progress"):
        on_day(1)
        transition(request, State.VERIFIED, ACTOR, reason=REASON)
        on_day(2)
        transition(request, State.IN_PROGRESS, ACTOR)
    if spec.extend_on_day is not None:
        on_day(spec.extend_on_day)
        request_extend(request=request, actor=ACTOR, reason="Many stores to search.")
    on_day(spec.days)
    if kind == "whole":
        if spec.name in WITH_STORES:
            _tasks(request, ["done", "no_data", "done_by_hand"])
        transition(request, State.COMPLETED, ACTOR, reason=REASON)
    elif kind == "part":
        _tasks(request, ["done", "retained" if spec.request_type == "deletion" else "not_done"])
        transition(request, State.COMPLETED, ACTOR)
    elif kind == "reject":
        services.request_reject(request=request, actor=ACTOR, reason=REASON, category=category)
    elif kind == "unverified":
        transition(request, State.CLOSED_UNVERIFIED, ACTOR, reason=REASON)
    elif kind == "cancel":
        services.request_cancel(request=request, actor=ACTOR, reason=REASON)
    return request


def build_year() -> dict[str, DataSubjectRequest]:
    """Every request of the table, by name. The caller sets TIME_ZONE to Los Angeles first."""
    return {spec.name: build(spec, index) for index, spec in enumerate(SPECS + OUTSIDE)}
