"""Public form submissions per second through Django's whole request handling.

Each submission goes through the middleware (sessions, CSRF, security), form validation,
two rate-limit counters in the cache, the fraud-signal queries, the request with its audit
event, a verification challenge, the acknowledgement email rendered and recorded with its
own audit event, and the Celery message that will send it. The baseline is the bare insert
of the request row alone. The goal: a submission costs at most forty bare inserts, which on
this machine is still far more submissions per second than any privacy inbox receives.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from bench.benchmarks._common import meets, rate
from dsar.celery import app as celery_app
from requests_app.models import DataSubjectRequest, State
from requests_app.workflow.references import reference_generate

if TYPE_CHECKING:
    from collections.abc import Iterator

GOAL = ">= 0.025"
QUEUE = "dsar-bench"


def _form(index: int) -> dict[str, str]:
    return {
        "request_type": "access",
        "full_name": "Bench Subject",
        "email": f"bench-form-{index}@example.org",
        "region": "DE",
        "details": "Please send me a copy of my data.",
        "declaration": "on",
    }


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    count = 100 if quick else 1000
    client = Client()
    # Every submission comes from its own address, and the limits are out of the way:
    # this measures the work of a submission, not the limiter refusing it.
    unlimited = dict.fromkeys(settings.DSAR_RATE_LIMITS, (10**9, 3600))
    # The acknowledgement emails wait in a queue of their own, emptied afterwards.
    celery_app.conf.task_default_queue = QUEUE

    def submit(index: int) -> None:
        response = client.post(
            "/request/", _form(index), REMOTE_ADDR=f"10.{index // 65536}.{index // 256 % 256}.{index % 256}"
        )
        if response.status_code != 302:
            raise RuntimeError(f"submission {index} answered {response.status_code}")

    def bare(index: int) -> None:
        DataSubjectRequest.objects.create(
            reference=reference_generate(),
            request_type="access",
            channel="web",
            subject_email=f"bench-bare-{index}@example.org",
            subject_name="Bench Subject",
            jurisdiction="gdpr",
            state=State.PENDING_VERIFICATION,
            received_at=timezone.now(),
            due_at=date.today(),
        )

    try:
        with override_settings(DSAR_RATE_LIMITS=unlimited, ALLOWED_HOSTS=["testserver"]):
            for index in range(10):
                submit(count + index)
                bare(count + index)
            form_rate = rate(count, submit)
            bare_rate = rate(count, bare)
    finally:
        celery_app.control.purge()
    ratio = form_rate / bare_rate
    yield {
        "name": "form_submit",
        "database": connection.vendor,
        "submissions": count,
        "form_submissions_per_s": round(form_rate, 1),
        "bare_inserts_per_s": round(bare_rate, 1),
        "baseline": "DataSubjectRequest.objects.create of the request row alone",
        "ratio": round(ratio, 4),
        "goal": GOAL,
        "meets_goal": meets(ratio, GOAL),
    }
