"""Fan-out: overhead per store task, lookup time as a store grows, and end to end with a worker.

- ``fanout_overhead``: store tasks per second through the fan-out machinery (claim under a
  lease, run, record with its audit event, advance) with a connector that does nothing,
  against one bare UPDATE per task. Goal: the machinery costs at most twenty bare statements.
- ``find_scaling``: the time to find one subject's rows (resolve the user id by email, count
  their rows in the other stores) as the stores grow from 10 thousand to 1 million rows,
  against the smallest size. Goal: flat (at least half as fast at the largest size): the
  lookups are indexed.
- ``end_to_end``: a real Celery worker process, from a request put to work to the request
  completed with its bundle or certificate built, for one subject with 10 rows and with
  100 thousand rows, access and erasure. Goal: within 10 s with the worker's peak memory
  under 256 MB.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from django.db import connection, transaction

from bench.benchmarks._common import ThrowawayDatabase, meets, rate
from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from dsar.celery import app as celery_app
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment import fanout
from requests_app.fulfilment.connectors import Subject, connector_for
from requests_app.fulfilment.connectors.manual import ManualConnector
from requests_app.fulfilment.datamap_versions import datamap_current, datamap_import, datamap_reachable_only
from requests_app.infra import queue
from requests_app.models import DataSubjectRequest, State, StoreTask
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import request_create, transition

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "dsar-bench"
STAFF = Actor.system("bench")
E2E_SECONDS, E2E_RSS_MB = 10.0, 256


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        raise RuntimeError("the fan-out benchmarks run on PostgreSQL (make bench)")
    celery_app.conf.task_default_queue = QUEUE
    with ThrowawayDatabase("dsar_bench_estate") as sql_url:
        os.environ.update({"DSAR_DEMO_SQL_URL": sql_url, "DSAR_HASH_SALT": "bench-salt"})
        datamap_import(_sql_only_demo_map(), actor=STAFF)
        try:
            yield _overhead(quick=quick)
            yield from _find_scaling(sql_url, quick=quick)
            yield from _end_to_end(sql_url, quick=quick)
        finally:
            celery_app.control.purge()


def _sql_only_demo_map() -> dict[str, Any]:
    """The demo map without the stores this benchmark runs no server for (Redis, HTTP, manual)."""
    saved = {k: os.environ.pop(k) for k in ("DSAR_DEMO_REDIS_URL", "DSAR_DEMO_AUTH_URL") if k in os.environ}
    try:
        document, _ = datamap_reachable_only(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)))
    finally:
        os.environ.update(saved)
    document["systems"] = [s for s in document["systems"] if s["kind"] == "sql"]
    # Telling a recipient of erased data is a person's step (GDPR Art. 19): with recipients,
    # every erasure would wait for one, and what is measured is the program's work.
    for system in document["systems"]:
        for dataset in system["datasets"]:
            for data_field in dataset["fields"]:
                data_field["recipients"] = []
    return document


class _NoopConnector(ManualConnector):
    """Finds nothing and changes nothing, at once: what is left is the fan-out's own cost."""

    def instructions(self, subject: Subject, *, only: set[str] | None = None) -> Any:
        from requests_app.fulfilment.connectors import ActionCounts

        return ActionCounts()


def _started(email: str, request_type: str = "access") -> DataSubjectRequest:
    request = request_create(
        NewRequest(request_type=request_type, channel="api", subject_email=email, jurisdiction="gdpr"), actor=STAFF
    )
    transition(request, State.VERIFIED, STAFF)
    with transaction.atomic():
        if request_type == "access":
            services.request_start(request=request, actor=STAFF)
        else:
            transition(request, State.AWAITING_APPROVAL, STAFF)
            services.request_approve(request=request, actor=STAFF)
    return request


def _overhead(*, quick: bool) -> dict[str, Any]:
    requests = 10 if quick else 60
    # What is measured is the fan-out's own overhead: every store answers at once.
    original = getattr(fanout, "connector_for")  # noqa: B009 - replaced for the measurement, then put back
    setattr(fanout, "connector_for", lambda system, **_: _NoopConnector(system))  # noqa: B010
    sent = _SentMessages()
    try:
        # The requests and their tasks are written first: what is timed is the tasks' work,
        # driven as a worker drives it, by the messages the fan-out sends (really sent too).
        for index in range(requests):
            _started(f"overhead{index}@example.org")
        started = time.perf_counter()
        tasks = sent.work_through()
        fanout_rate = tasks / (time.perf_counter() - started)
    finally:
        sent.close()
        setattr(fanout, "connector_for", original)  # noqa: B010
    if DataSubjectRequest.objects.filter(subject_email__startswith="overhead", fulfilled_at__isnull=True).exists():
        raise RuntimeError("fanout_overhead: a request was left unfulfilled by the messages it sent")
    pks = list(StoreTask.objects.values_list("pk", flat=True)[:tasks])

    def bare(index: int) -> None:
        StoreTask.objects.filter(pk=pks[index]).update(error="")

    bare_rate = rate(len(pks), bare)
    ratio = fanout_rate / bare_rate
    return {
        "name": "fanout_overhead",
        "store_tasks": tasks,
        "store_tasks_per_s": round(fanout_rate, 1),
        "ms_per_store_task": round(1000 / fanout_rate, 2),
        "bare_updates_per_s": round(bare_rate, 1),
        "baseline": "one bare UPDATE of the task row per task",
        "ratio": round(ratio, 4),
        "goal": ">= 0.05",
        "meets_goal": meets(ratio, ">= 0.05"),
    }


class _SentMessages:
    """The fan-out's messages as a worker receives them, in order: each is also really sent.

    ``work_through`` runs the store tasks and advances they ask for, as the Celery tasks do,
    until none is left, and says how many store tasks ran.
    """

    HANDLERS = {queue.RUN_STORE_TASK: fanout.store_task_run, queue.ADVANCE_REQUEST: fanout.request_advance}

    def __init__(self) -> None:
        self.messages: deque[tuple[str, tuple[Any, ...]]] = deque()
        self.original = queue.enqueue_now

        def send(task_name: str, *args: Any) -> bool:
            self.messages.append((task_name, args))
            return self.original(task_name, *args)

        setattr(queue, "enqueue_now", send)  # noqa: B010 - put back by close()

    def work_through(self) -> int:
        tasks = 0
        while self.messages:
            task_name, args = self.messages.popleft()
            handler = self.HANDLERS.get(task_name)
            if handler is not None:
                handler(*args)
                tasks += task_name == queue.RUN_STORE_TASK
        return tasks

    def close(self) -> None:
        setattr(queue, "enqueue_now", self.original)  # noqa: B010


def _lookup_ms(email: str, repeats: int) -> float:
    """Milliseconds to find one subject: the user id by email, then their rows elsewhere."""
    datamap = datamap_current()
    systems = {s.name: s for s in datamap.systems}
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        subject = Subject.from_dict({"email": [email]})
        with connector_for(systems["accounts"]) as accounts:
            subject = subject.merged(accounts.resolve(subject))
        for name in ("api_usage", "telemetry", "billing"):
            with connector_for(systems[name]) as store:
                store.count(subject)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _find_scaling(sql_url: str, *, quick: bool) -> Iterator[dict[str, Any]]:
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    results = []
    for size in sizes:
        # 20 rows a subject in completions and events, plus their invoices and accounts.
        summary = seed_estate(sql_url, None, subjects=size // 20, rows_per_subject=10, heavy_subjects=0, reset=True)
        results.append((size, _lookup_ms(summary.special_emails[0], 30 if quick else 100)))
    smallest = results[0][1]
    for size, ms in results:
        ratio = smallest / ms
        yield {
            "name": "find_scaling",
            "store_rows": size,
            "lookup_ms": round(ms, 2),
            "baseline": f"the same lookup with {results[0][0]} rows ({round(smallest, 2)} ms)",
            "ratio": round(ratio, 3),
            "goal": ">= 0.5",
            "meets_goal": meets(ratio, ">= 0.5"),
        }


def _end_to_end(sql_url: str, *, quick: bool) -> Iterator[dict[str, Any]]:
    heavy_rows = 5_000 if quick else 50_000  # completions and events each: 100k rows in all
    summary = seed_estate(
        sql_url, None, subjects=20, rows_per_subject=5, heavy_subjects=1, heavy_rows=heavy_rows, reset=True
    )
    small, heavy = summary.special_emails[0], summary.heavy_emails[0]
    small_rows, heavy_rows_total = _rows_of(sql_url, small), _rows_of(sql_url, heavy)
    for request_type in ("access", "deletion"):
        for email, rows in ((small, small_rows), (heavy, heavy_rows_total)):
            seconds, rss_mb = _with_worker(lambda e=email, t=request_type: _started(e, t))
            ratio = seconds / E2E_SECONDS
            yield {
                "name": "end_to_end",
                "request_type": request_type,
                "subject_rows": rows,
                "seconds": round(seconds, 2),
                "worker_peak_rss_mb": round(rss_mb, 1),
                "baseline": f"the goal: completed, result built, in {E2E_SECONDS:.0f} s, worker under {E2E_RSS_MB} MB",
                "ratio": round(ratio, 3),
                "goal": "<= 1.0",
                "meets_goal": meets(ratio, "<= 1.0") and rss_mb < E2E_RSS_MB,
            }


def _rows_of(sql_url: str, email: str) -> int:
    engine = sa.create_engine(sql_url)
    with engine.connect() as conn:
        total: int = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM users WHERE email = :e)"
                " + (SELECT count(*) FROM completions c JOIN users u ON u.id = c.user_id WHERE u.email = :e)"
                " + (SELECT count(*) FROM events v JOIN users u ON u.id = v.user_id WHERE u.email = :e)"
                " + (SELECT count(*) FROM invoices i JOIN users u ON u.id = i.user_id WHERE u.email = :e)"
            ),
            {"e": email},
        ).scalar_one()
    engine.dispose()
    return int(total)


def _with_worker(start: Any) -> tuple[float, float]:
    """Run a request through a fresh worker process; return (seconds to completed, its peak RSS in MB)."""
    celery_app.control.purge()  # nothing left over from earlier runs ahead of this request
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "DSAR_CELERY_QUEUE": QUEUE,
        "DSAR_VAR_DIR": tempfile.mkdtemp(prefix="dsar-bench-worker-"),
    }
    if settings["PASSWORD"]:
        env["DATABASE_URL"] = env["DATABASE_URL"].replace("@", f":{settings['PASSWORD']}@", 1)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dsar", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-mingle", "--without-gossip", "-Q", QUEUE, "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(2)  # let the worker connect before the clock starts
        began = time.perf_counter()
        request = start()
        deadline = began + 600
        while time.perf_counter() < deadline:
            request.refresh_from_db()
            # Completed: the bundle or certificate is built (fulfilled_at only says the stores are done).
            if request.state in (State.COMPLETED, State.NEEDS_ATTENTION):
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - began
        if request.state != State.COMPLETED:
            raise RuntimeError(f"{request.reference} did not complete: {request.state}")
        return seconds, _peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
