"""Creating a request through the workflow (with its audit event) against a bare insert.

The workflow adds the due-date computation, the audit event and the chain-head lock to the
row itself: six round trips to the database (begin, insert the request, lock the chain
head, insert the event, move the head, commit) where the bare insert in autocommit makes
one. The goal is that little else is added on top of those round trips: the workflow keeps
at least a fifth of the bare rate.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from bench.benchmarks._common import meets, rate
from requests_app.models import DataSubjectRequest, State
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.references import reference_generate
from requests_app.workflow.transitions import request_create

if TYPE_CHECKING:
    from collections.abc import Iterator

GOAL = ">= 0.2"


def _fields(index: int) -> dict[str, Any]:
    return {
        "request_type": "access",
        "channel": "web",
        "subject_email": f"bench{index}@example.org",
        "subject_name": "Bench Subject",
        "jurisdiction": "gdpr",
    }


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    count = 200 if quick else 3000
    actor = Actor.system("bench")

    def bare(index: int) -> None:
        DataSubjectRequest.objects.create(
            reference=reference_generate(),
            channel="web",
            state=State.PENDING_VERIFICATION,
            received_at=timezone.now(),
            due_at=date.today(),
            **{k: v for k, v in _fields(index).items() if k != "channel"},
        )

    def workflow(index: int) -> None:
        request_create(NewRequest(**_fields(index)), actor=actor)

    # Warm up connections and caches (holiday calendars, prepared plans) before measuring.
    for index in range(20):
        bare(index)
        workflow(index)
    bare_rate = rate(count, bare)
    workflow_rate = rate(count, workflow)
    ratio = workflow_rate / bare_rate
    yield {
        "name": "request_create",
        "database": connection.vendor,
        "requests": count,
        "workflow_requests_per_s": round(workflow_rate, 1),
        "bare_inserts_per_s": round(bare_rate, 1),
        "baseline": "DataSubjectRequest.objects.create of the same row, no audit event",
        "ratio": round(ratio, 3),
        "goal": GOAL,
        "meets_goal": meets(ratio, GOAL),
    }
