"""Known and unknown addresses: the same answer from the public form, in the same time.

The form must not tell a stranger whether an address belongs to a customer, neither by
what it answers nor by how long it takes. The demo estate is seeded (and the demo data map
imported, so the stores are there to be looked at) and the form is posted through Django's
whole request handling, alternately for a person in the estate and for a random address
at example.org. Reported: the median and p90 wall time of each group, their ratio, whether
every answer had the same status and Location, and whether every request got exactly one
acknowledgement email, all of one length. The baseline is the unknown addresses; goal: the
medians within 10% of each other (and the same answers and emails).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from bench.benchmarks._common import meets
from demo import DEMO_DATAMAP_PATH
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, seed_estate
from dsar.celery import app as celery_app
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import EmailMessage
from requests_app.workflow.audit import Actor

if TYPE_CHECKING:
    from collections.abc import Iterator

# A queue of this run's own: emptied afterwards without touching another run's messages.
QUEUE = f"dsar-bench-parity-{uuid.uuid4().hex[:8]}"
WARMUP = 3
LOW, HIGH = ">= 0.9", "<= 1.1"


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    count = 10 if quick else 50
    celery_app.conf.task_default_queue = QUEUE  # the acknowledgements wait here, emptied after
    saved_sql_url = os.environ.get("DSAR_DEMO_SQL_URL")
    with tempfile.TemporaryDirectory(prefix="dsar-bench-estate-") as folder:
        sql_url = f"sqlite:///{Path(folder) / 'estate.sqlite3'}"
        os.environ["DSAR_DEMO_SQL_URL"] = sql_url
        try:
            known = _known_emails(sql_url, count + WARMUP)
            datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("bench"))
            yield _compare(known, count)
        finally:
            celery_app.control.purge()
            if saved_sql_url is None:
                os.environ.pop("DSAR_DEMO_SQL_URL", None)
            else:
                os.environ["DSAR_DEMO_SQL_URL"] = saved_sql_url


def _known_emails(sql_url: str, count: int) -> list[str]:
    """Seed the estate and return ``count`` of its people's addresses (the ordinary ones)."""
    seed_estate(sql_url, None, subjects=count, rows_per_subject=5, heavy_subjects=0)
    engine = sa.create_engine(sql_url)
    with engine.connect() as conn:
        emails: list[str] = list(conn.execute(sa.text("SELECT email FROM users ORDER BY id")).scalars())
    engine.dispose()
    unusual = set(SPECIAL_EMAILS) | set(DECOY_EMAILS)
    return [e for e in emails if e not in unusual][:count]


def _compare(known: list[str], count: int) -> dict[str, Any]:
    client = Client()
    unknown = [f"{uuid.uuid4().hex[:12]}@example.org" for _ in range(count + WARMUP)]
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: set[tuple[int, str | None]] = set()
    # Every submission from its own address, and the limits out of the way: this measures
    # the work of a submission, not the limiter refusing the hundredth from one address.
    unlimited = dict.fromkeys(settings.DSAR_RATE_LIMITS, (10**9, 3600))
    with override_settings(DSAR_RATE_LIMITS=unlimited, ALLOWED_HOSTS=["testserver"]):
        for index in range(count + WARMUP):
            # Who goes first alternates, so a drift in the machine's speed falls on both groups.
            pairs = [("known", known[index]), ("unknown", unknown[index])]
            for position, (group, email) in enumerate(pairs if index % 2 == 0 else reversed(pairs)):
                address = f"10.9.{index // 100}.{index % 100 * 2 + position + 1}"
                started = time.perf_counter()
                response = client.post("/request/", _form(email), REMOTE_ADDR=address)
                elapsed_ms = (time.perf_counter() - started) * 1000
                answers.add((response.status_code, response.get("Location")))
                if index >= WARMUP:
                    timings[group].append(elapsed_ms)
    known_ms, unknown_ms = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    ratio = known_ms / unknown_ms
    known_mail, unknown_mail = _acknowledgements(known[WARMUP:]), _acknowledgements(unknown[WARMUP:])
    same_answers = len(answers) == 1
    same_mail = known_mail[0] == unknown_mail[0] == count and known_mail[1] == unknown_mail[1]
    return {
        "name": "timing_parity",
        "submissions_each": count,
        "known_median_ms": round(known_ms, 2),
        "known_p90_ms": round(_p90(timings["known"]), 2),
        "unknown_median_ms": round(unknown_ms, 2),
        "unknown_p90_ms": round(_p90(timings["unknown"]), 2),
        "answers": sorted(f"{status} {location}" for status, location in answers),
        "identical_answers": same_answers,
        "known_with_one_acknowledgement": known_mail[0],
        "unknown_with_one_acknowledgement": unknown_mail[0],
        "known_acknowledgement_chars": known_mail[1],
        "unknown_acknowledgement_chars": unknown_mail[1],
        "baseline": "the same submission for a random address at example.org (median)",
        "ratio": round(ratio, 3),
        "goal": "0.9 <= ratio <= 1.1",
        "meets_goal": meets(ratio, LOW) and meets(ratio, HIGH) and same_answers and same_mail,
    }


def _form(email: str) -> dict[str, str]:
    return {
        "request_type": "access",
        "full_name": "Bench Subject",
        "email": email,
        "region": "DE",
        "declaration": "on",
    }


def _acknowledgements(emails: list[str]) -> tuple[int, list[int]]:
    """How many of ``emails`` got exactly one acknowledgement, and the lengths of their bodies."""
    rows = EmailMessage.objects.filter(kind="acknowledgement", request__subject_email__in=emails)
    per_address = Counter(rows.values_list("request__subject_email", flat=True))
    lengths = sorted({len(body) for body in rows.values_list("body_text", flat=True)})
    return sum(1 for e in emails if per_address[e] == 1), lengths


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[8]
