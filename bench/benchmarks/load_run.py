"""A bounded load run on loopback: gunicorn and a Celery worker, driven for a fixed time.

What a deployment does under steady use, through the real web server: four clients at once,
each submission a fresh visitor (GET the form for its CSRF cookie and token, then POST it
with a unique address), and one request in ten a GET /healthz as a load balancer would
send. Reported: HTTP requests per second, p50 and p99 latency, errors (an answer other than
2xx/3xx, or no answer) and, after the run, accepted submissions (302 to /request/sent/)
that are not in the database. An accepted request that was never recorded is a request the
company will never answer: the goal is no error and no lost submission.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection

from dsar.celery import app as celery_app
from requests_app.models import DataSubjectRequest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 4
TIMEOUT_S = 30
# What a request that got no answer raises (refused, reset, timed out, a broken status line).
ANSWERLESS = (OSError, http.client.HTTPException)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class _Tally:
    """What one client thread saw."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    accepted: list[str] = field(default_factory=list)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand back a 3xx as it is: the Location of the form's answer is what is checked."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        raise RuntimeError("the load run needs PostgreSQL (make bench): gunicorn and the worker share the database")
    seconds = 10 if quick else 60
    # A queue of this run's own, so its worker takes no other run's tasks (nor they its).
    queue = f"dsar-bench-load-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    with tempfile.TemporaryDirectory(prefix="dsar-bench-load-") as folder:
        env = _environment(queue, Path(folder))
        base = f"http://127.0.0.1:{_free_port()}"
        logs = [(Path(folder) / name).open("wb") for name in ("web.log", "worker.log")]
        web_command = [sys.executable, "-m", "gunicorn", "dsar.wsgi:application", "-c", "python:dsar.gunicorn_conf",
                       "--bind", base.removeprefix("http://"), "--workers", "2"]  # fmt: skip
        worker_command = [sys.executable, "-m", "celery", "-A", "dsar", "worker", "--pool", "solo",
                          "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-Q", queue,
                          "-n", f"bench-load-{uuid.uuid4().hex[:6]}@%h"]  # fmt: skip
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for command, log in zip((web_command, worker_command), logs, strict=True):
                processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            web = processes[0]
            _wait_ready(base, web, Path(folder) / "web.log")
            prefix = f"load-{uuid.uuid4().hex[:8]}-"
            started = time.perf_counter()
            deadline = started + seconds
            with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
                tallies = list(pool.map(lambda i: _client(base, f"{prefix}{i}-", deadline), range(CONCURRENCY)))
            elapsed = time.perf_counter() - started
        finally:
            _stop(*processes)  # the web server and the worker, however the run ended
            for log in logs:
                log.close()
            celery_app.control.purge()
    yield _result(tallies, elapsed, prefix)


def _environment(queue: str, folder: Path) -> dict[str, str]:
    """The benchmark's throwaway database and broker, limits out of the way, files in ``folder``."""
    hosts = [h for h in os.environ.get("DSAR_ALLOWED_HOSTS", "").split(",") if h]
    return {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "DSAR_CELERY_QUEUE": queue,
        "DSAR_ALLOWED_HOSTS": ",".join([*hosts, "127.0.0.1"]),
        # Every client is 127.0.0.1: with the usual 10 an hour, the limiter would be measured.
        "DSAR_RATE_FORM_PER_IP": "100000/h",
        "DSAR_RATE_FORM_PER_EMAIL": "100000/h",
        # Both processes keep their files (secret key, mail, media) in the same folder.
        "DSAR_VAR_DIR": str(folder),
    }


def _database_url(settings_dict: dict[str, Any]) -> str:
    user, host, port, name = (settings_dict.get(k) or "" for k in ("USER", "HOST", "PORT", "NAME"))
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{host}:{port}/{name}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(base: str, web: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if web.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {web.returncode}: {log.read_text()[-2000:]}")
        try:
            status, _, _ = _open(urllib.request.build_opener(_NoRedirect), f"{base}/healthz")
        except ANSWERLESS:
            status = 0
        if status == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz within 30 s: {log.read_text()[-2000:]}")


def _open(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> tuple[int, str, str]:
    """Status, Location and body of one request: a 3xx or an error status is an answer too."""
    try:
        with opener.open(url, data=data, timeout=TIMEOUT_S) as response:
            return int(response.status), str(response.headers.get("Location", "")), response.read().decode()
    except urllib.error.HTTPError as answer:
        with answer:
            return answer.code, str(answer.headers.get("Location", "")), answer.read().decode()


def _client(base: str, prefix: str, deadline: float) -> _Tally:
    tally = _Tally()
    index = 0
    while time.perf_counter() < deadline:
        index += 1
        try:
            if index % 10 == 0:
                _timed(tally, urllib.request.build_opener(_NoRedirect), f"{base}/healthz")
            else:
                email = f"{prefix}{index}@example.org"
                if _submit(tally, base, email):
                    tally.accepted.append(email)
        except ANSWERLESS:
            tally.errors += 1
    return tally


def _submit(tally: _Tally, base: str, email: str) -> bool:
    """GET the form (CSRF cookie and token), POST it; True when the answer is the "sent" page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
    _, _, page = _timed(tally, opener, f"{base}/request/")
    match = TOKEN.search(page)
    if match is None:
        return False
    form = {
        "csrfmiddlewaretoken": match.group(1),
        "request_type": "access",
        "full_name": "Load Subject",
        "email": email,
        "region": "DE",
        "declaration": "on",
    }
    status, location, _ = _timed(tally, opener, f"{base}/request/", urllib.parse.urlencode(form).encode())
    return status == 302 and location == "/request/sent/"


def _timed(
    tally: _Tally, opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None
) -> tuple[int, str, str]:
    """One request, its latency noted, and an error counted unless it answered 2xx or 3xx."""
    started = time.perf_counter()
    answer = _open(opener, url, data)
    tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    tally.errors += not 200 <= answer[0] < 400
    return answer


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _result(tallies: list[_Tally], elapsed: float, prefix: str) -> dict[str, Any]:
    latencies = sorted(ms for t in tallies for ms in t.latencies_ms)
    accepted = {email for t in tallies for email in t.accepted}
    errors = sum(t.errors for t in tallies)
    recorded = set(
        DataSubjectRequest.objects.filter(subject_email__startswith=prefix).values_list("subject_email", flat=True)
    )
    lost = len(accepted - recorded)
    return {
        "name": "load_run",
        "seconds": round(elapsed, 1),
        "concurrency": CONCURRENCY,
        "http_requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98], 1),
        "errors": errors,
        "accepted_submissions": len(accepted),
        "recorded_requests": len(recorded),
        "lost": lost,
        "baseline": "no error and no lost submission",
        "ratio": round((errors + lost) / max(1, len(latencies)), 4),
        "goal": "errors == 0 and lost == 0",
        "meets_goal": errors == 0 and lost == 0,
    }
