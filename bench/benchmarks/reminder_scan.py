"""The reminder scan beside 10 thousand and beside 1 million closed requests.

Closed requests accumulate for years (they are kept for the record), open ones stay in
the thousands. The scan reads open requests through a partial index and never touches a
closed one, so its time should not grow with them: the goal is that the scan beside a
hundred times more closed requests takes at most 1.2 times as long. Each figure is the
fastest of repeated scans at a moment when every reminder has gone out already (the steady
state beat sees every quarter of an hour); the first scan, which sends them, is timed too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from bench.benchmarks._common import meets
from requests_app.models import DataSubjectRequest, State
from requests_app.reminders.scan import reminders_send
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import request_create, transition

if TYPE_CHECKING:
    from collections.abc import Iterator

GOAL = "<= 1.2"
OPEN = 1000
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _open_requests(count: int) -> None:
    actor = Actor.system("bench")
    for index in range(count):
        request = request_create(
            NewRequest(
                request_type="access",
                channel="web",
                subject_email=f"open{index}@example.org",
                jurisdiction=("gdpr", "ccpa", "lgpd", "pipeda")[index % 4],
                received_at=NOW - timedelta(days=index % 40, hours=index % 7),
            ),
            actor=actor,
        )
        transition(request, State.VERIFIED, actor, reason="bench")


def _closed_requests_up_to(total: int) -> None:
    """Copy one completed request with SQL until there are ``total`` closed ones (fast, like a restore)."""
    closed = DataSubjectRequest.objects.filter(state=State.COMPLETED)
    have = closed.count()
    if have >= total:
        return
    template = closed.first()
    if template is None:
        actor = Actor.system("bench")
        template = request_create(
            NewRequest(
                request_type="access",
                channel="web",
                subject_email="closed@example.org",
                jurisdiction="gdpr",
                received_at=NOW - timedelta(days=400),
            ),
            actor=actor,
        )
        DataSubjectRequest.objects.filter(pk=template.pk).update(
            state=State.COMPLETED, closed_at=NOW - timedelta(days=370)
        )
        have += 1
    table = DataSubjectRequest._meta.db_table
    columns = [f.column for f in DataSubjectRequest._meta.concrete_fields if f.column not in ("id", "reference")]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (reference, {listed}) "  # noqa: S608 - names from the model, numbers bound
            f"SELECT 'C' || lpad(n::text, 12, '0'), {listed} FROM {table}, generate_series(%s, %s) AS n WHERE id = %s",
            [have, total - 1, template.pk],
        )
        cursor.execute(f"ANALYZE {table}")


def _fastest_scan(repeats: int) -> float:
    """The fastest of ``repeats`` scans: the scan's own cost, without the noise of other processes."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        reminders_send(now=NOW)
        times.append(time.perf_counter() - start)
    return min(times)


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        return
    small, large = (10_000, 100_000) if quick else (10_000, 1_000_000)
    repeats = 9 if quick else 21
    with override_settings(DSAR_TEAM_EMAIL="privacy-team@example.com", DSAR_REMINDER_DAYS=[7, 2, 0]):
        _open_requests(OPEN if not quick else 300)
        _closed_requests_up_to(small)
        start = time.perf_counter()
        first = reminders_send(now=NOW)
        first_seconds = time.perf_counter() - start
        beside_small = _fastest_scan(repeats)
        _closed_requests_up_to(large)
        beside_large = _fastest_scan(repeats)
    ratio = beside_large / beside_small
    yield {
        "name": "reminder_scan",
        "database": connection.vendor,
        "open_requests": OPEN if not quick else 300,
        "closed_small": small,
        "closed_large": large,
        "first_scan_s": round(first_seconds, 3),
        "reminders_sent_first_scan": sum(first.as_dict().values()),
        "scan_beside_small_s": round(beside_small, 4),
        "scan_beside_large_s": round(beside_large, 4),
        "baseline": f"the same scan beside {small} closed requests",
        "ratio": round(ratio, 3),
        "goal": GOAL,
        "meets_goal": meets(ratio, GOAL),
        "time_zone": settings.TIME_ZONE,
    }
