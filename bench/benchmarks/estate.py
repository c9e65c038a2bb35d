"""Estate: requests end to end on a customer database, the bundle or certificate included.

The shape of estate issue 17's comparison was measured on: a customer database of its own on
the same PostgreSQL server (created and dropped here) with a ``users`` table and a
``prompts`` table keyed by user, 1,000 users with 10 prompts each and one user with 100,000
(``--quick``: 50 users and 10,000), a data map version whose two SQL systems connect to it,
and one real Celery worker (prefork, concurrency 2, a queue of its own) started once and
warmed by one request before anything is timed.

Each request is timed as wall time from its creation, through the services the web form
and the subject's confirmation link use (for an erasure, also the staff verification and
approval its policy asks for), to the request completed with its bundle or certificate
built:

- ``estate_cold_request``: the first access request of the fresh worker (reported apart).
- ``estate_access_small``: access, 1 subject x 10 rows, median and p90 of several; with
  the PDF report's share, measured in this process on the same request's data (the worker
  records no render time).
- ``estate_erasure_small``: erasure, 1 subject x 10 rows, median and p90.
- ``estate_access_large`` / ``estate_erasure_large``: 1 subject x 100,000 rows.
- ``estate_burst``: 20 access requests made one after another at once, until all completed.
- ``estate_worker_memory``: the worker tree's peak RSS (and PSS) over the whole set, sampled
  every 100 ms, and each child's RSS at the start and the end.

Every line carries the goal of issue 17 it answers and the machine's load average (1, 5
and 15 minutes) when its scenario started and ended: the goals are for a quiet machine.
The data map names no recipients of the data: telling one is a person's step (GDPR
Art. 19) that would leave every erasure waiting for them.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection

from bench.benchmarks._common import ThrowawayDatabase, meets
from dsar.celery import app as celery_app
from requests_app.fulfilment import results
from requests_app.fulfilment.bundles import writer
from requests_app.fulfilment.datamap_versions import datamap_import, datamap_of
from requests_app.models import AuditEvent, Channel, DataSubjectRequest, State, StoreTask, VerificationChallenge
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]
STAFF = Actor.system("bench")
URL_ENV = "DSAR_BENCH_ESTATE_URL"
CONCURRENCY = 2


def _warmed_line() -> str:
    """What a worker child logs once warmed: warmup.py's line, else the last step of the
    warm-up report (versions before warmup.py), so either version is timed warm."""
    try:
        from requests_app.fulfilment import warmup
    except ImportError:
        return "Step 7 - Adding PDF metadata"
    return warmup.READY.split("%")[0]


_WARMED_LINE = _warmed_line()
BURST = 20
SAMPLE_SECONDS = 0.1
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 900
MIB = 1024 * 1024

# Issue 17's goals (on a quiet machine): (the figure checked, the goal).
GOALS: dict[str, tuple[str, str]] = {
    "estate_access_small": ("median_s", "<= 0.15"),
    "estate_erasure_small": ("median_s", "<= 0.15"),
    "estate_access_large": ("seconds", "<= 3"),
    "estate_erasure_large": ("seconds", "<= 6"),
    "estate_burst": ("all_completed_s", "<= 1.0"),
    "estate_worker_memory": ("peak_rss_mib", "<= 400"),
}
BASELINES = {
    "estate_access_small": "issue 17's goal: 3x better than the peer's 0.29 s on a quiet machine",
    "estate_erasure_small": "issue 17's goal for a small erasure",
    "estate_access_large": "issue 17's goal for 100,000 rows (the peer: 19.4 s on a loaded machine)",
    "estate_erasure_large": "issue 17's goal: stay within 6 s (the peer: 582 s on a loaded machine)",
    "estate_burst": "issue 17's goal for 20 at once on a quiet machine (the peer: 2.8 s quiet)",
    "estate_worker_memory": (
        "issue 17's goal for the whole set (the peer: 1,821 MiB); flat over 1,000 requests: worker_memory"
    ),
}


@dataclass(frozen=True)
class Sizes:
    users: int
    rows_per_user: int
    heavy_rows: int
    repeats: int


FULL = Sizes(users=1000, rows_per_user=10, heavy_rows=100_000, repeats=15)
QUICK = Sizes(users=50, rows_per_user=10, heavy_rows=10_000, repeats=5)
HEAVY_EMAIL = "heavy.user@example.org"


def user_email(index: int) -> str:
    return f"user{index:05d}@example.org"


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall (linear between closest ranks)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def figure(name: str, figures: dict[str, Any], *, load: tuple[list[float], list[float]]) -> dict[str, Any]:
    """One JSON line: the figures, the goal of issue 17 and whether it is met, the load around it."""
    line: dict[str, Any] = {"name": name, **figures}
    if name in GOALS:
        key, goal = GOALS[name]
        threshold = float(goal.partition(" ")[2])
        line.update(
            {
                "baseline": BASELINES[name],
                "ratio": round(figures[key] / threshold, 3),
                "goal": f"{key} {goal}",
                "meets_goal": meets(figures[key], goal),
            }
        )
    else:
        line.update({"baseline": "none: reported for comparison", "ratio": None, "goal": None, "meets_goal": None})
    line.update({"loadavg_start": load[0], "loadavg_end": load[1]})
    return line


def spread(seconds: Sequence[float]) -> dict[str, Any]:
    """Median, p90, fastest and slowest of a scenario's timings, in seconds."""
    return {
        "requests": len(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "p90_s": round(percentile(seconds, 0.9), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
FULFIL_DONE = re.compile(r"Task requests_app\.tasks\.fulfil_request\[[^\]]*\] succeeded in ([0-9.]+)s")
TASK_DONE = re.compile(r"Task requests_app\.tasks\.(\w+)\[[^\]]*\] succeeded in ([0-9.]+)s")


def worker_seconds_by_task(text: str) -> dict[str, dict[str, float]]:
    """Where the worker's time went, from its log: each task's count and total seconds."""
    totals: dict[str, dict[str, float]] = {}
    for match in TASK_DONE.finditer(text):
        entry = totals.setdefault(match.group(1), {"tasks": 0, "seconds": 0.0})
        entry["tasks"] += 1
        entry["seconds"] = round(entry["seconds"] + float(match.group(2)), 3)
    return dict(sorted(totals.items(), key=lambda item: -item[1]["seconds"]))


def worker_log_figures(text: str) -> dict[str, Any]:
    """What the worker's own log says of its bundle work: Celery's time for each
    ``fulfil_request`` task, and WeasyPrint's progress from parsing the report's HTML
    (step 1) to adding the PDF's metadata (step 7), which leaves out the template and the
    final write. Medians in seconds; None where the log holds no such line.

    Right only while one bundle is built at a time: the log does not say which process wrote a line.
    """
    tasks = [float(m.group(1)) for m in FULFIL_DONE.finditer(text)]
    renders, opened = [], None
    for line in text.splitlines():
        stamp = LOG_TIME.match(line)
        if stamp is None or "weasyprint.progress" not in line:
            continue
        at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f")
        if "Step 1 - " in line:
            opened = at
        elif "Step 7 - " in line and opened is not None:
            renders.append((at - opened).total_seconds())
            opened = None
    return {
        "bundle_tasks": len(tasks),
        "fulfil_task_s (worker log)": round(statistics.median(tasks), 3) if tasks else None,
        "pdf_steps_1_to_7_s (worker log)": round(statistics.median(renders), 3) if renders else None,
    }


# The customer database


def _estate_map() -> dict[str, Any]:
    def fields(names: dict[str, tuple[str, str, str]]) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "category": category,
                "purpose": purpose,
                "legal_basis": "Contract (GDPR Art. 6(1)(b))",
                "recipients": [],
                "retention": "For the life of the account.",
                "source": source,
                "correctable": False,
                "erasure": "delete_row",
            }
            for name, (category, purpose, source) in names.items()
        ]

    return {
        "version": "bench-estate",
        "subject_identifiers": ["email"],
        "systems": [
            {
                "name": "accounts",
                "kind": "sql",
                "description": "Customer accounts.",
                "connection": {"url_env": URL_ENV},
                "identifiers": {
                    "searched_by": ["email"],
                    "provides": {"user_id": {"dataset": "users", "column": "id"}},
                },
                "datasets": [
                    {
                        "name": "users",
                        "description": "One row per account.",
                        "locator": {"table": "users", "primary_key": "id", "match": {"email": "email"}},
                        "fields": fields(
                            {
                                "id": ("identifier", "Identifies the account.", "assigned by us"),
                                "email": ("contact", "To reach you about your account.", "the subject"),
                                "name": ("contact", "To address you.", "the subject"),
                                "created_at": ("account", "To know when the account was opened.", "collected"),
                            },
                        ),
                    }
                ],
            },
            {
                "name": "prompts",
                "kind": "sql",
                "description": "Prompts sent to the API and what it answered.",
                "connection": {"url_env": URL_ENV},
                "identifiers": {"searched_by": ["user_id"]},
                "datasets": [
                    {
                        "name": "prompts",
                        "description": "One row per prompt.",
                        "locator": {"table": "prompts", "primary_key": "id", "match": {"user_id": "user_id"}},
                        "fields": fields(
                            {
                                "id": ("identifier", "Identifies the prompt.", "assigned by us"),
                                "user_id": ("identifier", "Links the prompt to your account.", "collected"),
                                "prompt": ("usage content", "To answer the prompt.", "the subject"),
                                "response": ("usage content", "What we answered.", "generated by us"),
                                "created_at": ("usage data", "To know when the prompt was sent.", "collected"),
                            },
                        ),
                    }
                ],
            },
        ],
    }


def _fill(url: str, sizes: Sizes) -> int:
    """Create and fill ``users`` and ``prompts`` with COPY; return the number of prompts."""
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) NOT NULL, name varchar(200),"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            "CREATE TABLE prompts (id bigserial PRIMARY KEY, user_id integer NOT NULL, prompt text,"
            " response text, created_at timestamptz NOT NULL DEFAULT now())"
        )
        emails = [user_email(i) for i in range(sizes.users)] + [HEAVY_EMAIL]
        with cursor.copy("COPY users (email, name) FROM STDIN") as copy:
            for index, email in enumerate(emails):
                copy.write_row((email, f"Customer {index}"))
        cursor.execute("SELECT id, email FROM users")
        ids = {email: pk for pk, email in cursor.fetchall()}
        prompts = 0
        with cursor.copy("COPY prompts (user_id, prompt, response) FROM STDIN") as copy:
            for email in emails:
                for n in range(sizes.heavy_rows if email == HEAVY_EMAIL else sizes.rows_per_user):
                    copy.write_row(
                        (
                            ids[email],
                            f"Summarise the quarterly report number {n} for the board in three bullet points.",
                            f"1. Revenue grew. 2. Costs held. 3. Outlook steady (answer {n}).",
                        )
                    )
                    prompts += 1
        # Indexed as a customer's tables are: the subject is found without a scan.
        cursor.execute("CREATE UNIQUE INDEX users_email_idx ON users (email)")
        cursor.execute("CREATE INDEX prompts_user_idx ON prompts (user_id, id)")
        cursor.execute("ANALYZE users")
        cursor.execute("ANALYZE prompts")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return prompts


# The worker and its memory


def _database_url(settings_dict: dict[str, Any]) -> str:
    user, host, port, name = (settings_dict.get(k) or "" for k in ("USER", "HOST", "PORT", "NAME"))
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{host}:{port}/{name}"


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return found


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


@dataclass
class _MemorySampler:
    """Sample the worker tree's RSS and PSS every ``SAMPLE_SECONDS`` in a thread; keep the peaks."""

    pid: int
    peak_rss: int = 0
    peak_pss: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(_rss_bytes(p) for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_pss_bytes(p) for p in pids))
            self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)


def _children_rss_mib(pid: int) -> dict[str, float]:
    return {str(child): round(_rss_bytes(child) / MIB, 1) for child in _tree(pid)[1:]}


class _Worker:
    """One Celery worker (prefork, concurrency 2) on a queue of its own, its log in ``folder``."""

    def __init__(self, queue: str, folder: Path, sql_url: str) -> None:
        self.name = f"bench-estate-{uuid.uuid4().hex[:6]}@%h"
        self.log = folder / "worker.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(connection.settings_dict),
            "CELERY_BROKER_URL": celery_app.conf.broker_url,
            "DSAR_CELERY_QUEUE": queue,
            "DSAR_VAR_DIR": str(folder),  # keys, bundles and mail of this run, removed with it
            "DSAR_EMAIL_BACKEND": "file",
            URL_ENV: sql_url,
        }
        command = [sys.executable, "-m", "celery", "-A", "dsar", "worker", "--pool", "prefork",
                   "--concurrency", str(CONCURRENCY), "--loglevel", "INFO", "--without-mingle",
                   "--without-gossip", "-Q", queue, "-n", self.name]  # fmt: skip
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        """Until the pool's children have warmed up and the worker answers a ping.

        The parent answers the ping while its children still warm, so the log tells when
        each has: the line warmup.py logs, or (a version without it) the warm-up report's
        last WeasyPrint step.
        """
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}: {self.tail()}")
            warmed = self.log.read_text(errors="replace").count(_WARMED_LINE) >= CONCURRENCY
            if warmed and len(_tree(self.process.pid)) > CONCURRENCY and celery_app.control.ping(timeout=0.5):
                return
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready within 120 s: {self.tail()}")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        time.sleep(0.5)  # the last lines of the pool's children reach the file
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# Requests


def _submitted(email: str, request_type: str) -> int:
    """A request as the web form makes it, confirmed by the subject's link, and for an
    erasure verified by staff and approved as its policy asks: it is then at work."""
    new = NewRequest(channel=Channel.WEB, request_type=request_type, subject_email=email, subject_name="Customer")
    request = services.request_submit(new)
    challenge = VerificationChallenge.objects.filter(request=request).latest("created_at")
    request = services.request_confirm_email(challenge, method="link")
    if request.state == State.PENDING_VERIFICATION:
        request = services.request_verify_manually(request=request, actor=STAFF, note="Checked against the account")
    if request.state == State.AWAITING_APPROVAL:
        request = services.request_approve(request=request, actor=STAFF)
    request.refresh_from_db()
    if request.state != State.IN_PROGRESS:
        raise RuntimeError(f"{request.reference} did not start: {request.state}")
    return request.pk


def _wait_completed(began: dict[int, float]) -> dict[int, float]:
    """Seconds from each request's creation to its completion (bundle or certificate built)."""
    done: dict[int, float] = {}
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while len(done) < len(began):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"requests {sorted(set(began) - set(done))} did not complete in {TIMEOUT_SECONDS} s")
        rows = DataSubjectRequest.objects.filter(pk__in=set(began) - set(done)).values_list("pk", "state")
        now = time.perf_counter()
        for pk, state in rows:
            if state == State.COMPLETED:
                done[pk] = now - began[pk]
            elif state == State.NEEDS_ATTENTION:
                event = AuditEvent.objects.filter(request_id=pk).order_by("-id").first()
                raise RuntimeError(f"request {pk} needs attention: {event.reason if event else ''}")
        time.sleep(POLL_SECONDS)
    return done


def _one(email: str, request_type: str) -> tuple[int, float]:
    started = time.perf_counter()
    pk = _submitted(email, request_type)
    return pk, _wait_completed({pk: started})[pk]


def _scenario(run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], tuple[list[float], list[float]]]:
    start = loadavg()
    figures = run()
    return figures, (start, loadavg())


# The PDF's share


def _pdf_in_process(request_pk: int, repeats: int) -> dict[str, Any]:
    """Build the access bundle of a completed request again in this process, on the same
    data, timing the PDF report inside it: the first build (cold) and the median of the rest.

    Nothing is recorded: the bundle goes to memory, signed with a key made for the purpose.
    """
    request = DataSubjectRequest.objects.select_related("datamap_version").get(pk=request_pk)
    assert request.datamap_version is not None  # noqa: S101 - a completed access request has one
    datamap = datamap_of(request.datamap_version)
    tasks = list(StoreTask.objects.filter(request=request).order_by("step", "id"))
    key = Ed25519PrivateKey.generate()
    renders: list[float] = []
    render = getattr(writer, "render_access_report")  # noqa: B009 - timed in place, then put back

    def timed_render(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        render(*args, **kwargs)
        renders.append(time.perf_counter() - started)

    builds = []
    setattr(writer, "render_access_report", timed_render)  # noqa: B010 - timed, then put back
    try:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="dsar-bench-pdf-") as folder:
                writer.write_access_bundle(
                    io.BytesIO(),
                    results.bundle_context(request, datamap, tasks),
                    results._records(request, datamap, tasks),  # the builder's own record stream
                    signing_key=key,
                    pdf_record_limit=settings.DSAR_REPORT_RECORD_LIMIT,
                    tmp_dir=folder,
                    exports=results.manual_exports(tasks),
                )
            builds.append(time.perf_counter() - started)
    finally:
        setattr(writer, "render_access_report", render)  # noqa: B010
    return {
        "pdf_render_s (in-process)": round(statistics.median(renders[1:]), 3),
        "pdf_render_cold_s (in-process)": round(renders[0], 3),
        "bundle_build_s (in-process)": round(statistics.median(builds[1:]), 3),
    }


# The run


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        raise RuntimeError("the estate benchmark runs on PostgreSQL (make bench)")
    sizes = QUICK if quick else FULL
    queue = f"dsar-bench-estate-{uuid.uuid4().hex[:8]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    users = iter(range(sizes.users))
    try:
        with (
            ThrowawayDatabase("dsar_bench_customers") as sql_url,
            tempfile.TemporaryDirectory(prefix="dsar-bench-estate-") as folder,
        ):
            os.environ[URL_ENV] = sql_url
            _fill(sql_url, sizes)
            version = datamap_import(_estate_map(), actor=STAFF)
            worker = _Worker(queue, Path(folder), sql_url)
            sampler = _MemorySampler(worker.process.pid)
            try:
                worker.wait_ready()
                children_start = _children_rss_mib(worker.process.pid)
                sampler.start()
                load_start = loadavg()
                yield from _scenarios(sizes, users, worker)
                children_end = _children_rss_mib(worker.process.pid)
                sampler.stop()
                yield figure(
                    "estate_worker_memory",
                    {
                        "peak_rss_mib": round(sampler.peak_rss / MIB, 1),
                        "peak_pss_mib": round(sampler.peak_pss / MIB, 1),
                        "samples": sampler.samples,
                        "children_rss_start_mib": children_start,
                        "children_rss_end_mib": children_end,
                        "requests": DataSubjectRequest.objects.filter(datamap_version=version).count(),
                    },
                    load=(load_start, loadavg()),
                )
            finally:
                sampler.stop()
                worker.stop()
            os.environ.pop(URL_ENV, None)
    finally:
        celery_app.control.purge()
        celery_app.conf.task_default_queue = default_queue


def _scenarios(sizes: Sizes, users: Iterator[int], worker: _Worker) -> Iterator[dict[str, Any]]:
    rows = f"1 subject x {sizes.rows_per_user} rows"

    def cold() -> dict[str, Any]:
        _, seconds = _one(user_email(next(users)), "access")
        return {"work": f"access, {rows}, the worker's first request", "seconds": round(seconds, 3)}

    figures, load = _scenario(cold)
    yield figure("estate_cold_request", figures, load=load)
    pdf_of: list[int] = []

    def small(request_type: str) -> Callable[[], dict[str, Any]]:
        def timed() -> dict[str, Any]:
            timings = []
            for _ in range(sizes.repeats):
                pk, seconds = _one(user_email(next(users)), request_type)
                timings.append(seconds)
                pdf_of.append(pk)
            return {"work": f"{request_type}, {rows}, warm", **spread(timings)}

        return timed

    offset = worker.log_size()
    figures, load = _scenario(small("access"))
    figures.update(worker_log_figures(worker.log_since(offset)))
    pdf = _pdf_in_process(pdf_of[-1], repeats=5)
    figures.update(pdf)
    figures["pdf_share_of_median (in-process)"] = round(pdf["pdf_render_s (in-process)"] / figures["median_s"], 3)
    yield figure("estate_access_small", figures, load=load)
    figures, load = _scenario(small("deletion"))
    yield figure("estate_erasure_small", figures, load=load)

    for name, request_type in (("estate_access_large", "access"), ("estate_erasure_large", "deletion")):

        def large(request_type: str = request_type) -> dict[str, Any]:
            _, seconds = _one(HEAVY_EMAIL, request_type)
            return {"work": f"{request_type}, 1 subject x {sizes.heavy_rows} rows", "seconds": round(seconds, 3)}

        figures, load = _scenario(large)
        yield figure(name, figures, load=load)

    def burst() -> dict[str, Any]:
        began: dict[int, float] = {}
        started = time.perf_counter()
        for _ in range(BURST):
            created = time.perf_counter()
            began[_submitted(user_email(next(users)), "access")] = created
        submitted = time.perf_counter() - started
        seconds = _wait_completed(began)
        return {
            "work": f"{BURST} access requests at once, {rows} each",
            "all_completed_s": round(max(created + seconds[pk] for pk, created in began.items()) - started, 3),
            "submitted_s": round(submitted, 3),
            "median_request_s": round(statistics.median(seconds.values()), 3),
        }

    offset = worker.log_size()
    figures, load = _scenario(burst)
    figures["worker_seconds_by_task (worker log)"] = worker_seconds_by_task(worker.log_since(offset))
    yield figure("estate_burst", figures, load=load)
