"""Real processes for the fault tests: a Redis of the test's own, Celery workers and beat.

Each fault test gets its own Redis server (a free port on loopback, a throwaway folder), so
it can stop and restart the broker without touching the Redis the rest of the suite shares.
Workers and beat run as the production command does (``celery -A dsar worker``), against the
test database and that Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from dsar.celery import app as celery_app
from tests.conftest import ROOT, _database_url

if TYPE_CHECKING:
    from collections.abc import Iterator

REDIS_SERVER = shutil.which("redis-server") or "redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server of the test's own; ``stop`` loses its queues, as a crash would."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dsar-redis-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task, as on a crash or an out-of-memory kill."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM, then wait; return how long the process took to exit."""
        started = time.monotonic()
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return time.monotonic() - started


def app_environment(broker_url: str, var_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What every process of the application gets: the test database, this broker, shared files."""
    import base64

    from requests_app.fulfilment import bundle_keys

    bundle_keys.signing_key()
    return {
        "DSAR_BUNDLE_SIGNING_KEY_FILE": str(settings.VAR_DIR / "bundle-signing-key.pem"),
        "DSAR_BUNDLE_ENCRYPTION_KEY": base64.b64encode(bundle_keys.encryption_key()).decode(),
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker_url,
        "DSAR_CACHE_URL": broker_url,
        "DSAR_VAR_DIR": str(var_dir),
        "DSAR_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DSAR_EMAIL_BACKEND": "file",
        "DSAR_STORE_TASK_RETRY_SECONDS": "0",
        "DSAR_STORE_TASK_MAX_ATTEMPTS": "3",
        # The sweepers run every second here (every minute by default), and take over work
        # left behind after a short grace.
        "DSAR_SWEEP_SECONDS": "1",
        "DSAR_OUTBOX_GRACE_SECONDS": "10",
        "DSAR_STORE_TASK_REQUEUE_SECONDS": "2",
        **(extra or {}),
    }


def start(kind: str, environment: dict[str, str], folder: Path) -> Process:
    """Start a worker (``kind="worker"``) or beat as documented, logging to a file in ``folder``."""
    log = folder / f"{kind}-{uuid.uuid4().hex[:6]}.log"
    if kind == "worker":
        args = ["worker", "--loglevel", "INFO", "--concurrency", "1", "--without-gossip", "--without-mingle",
                "-n", f"fault-{uuid.uuid4().hex[:8]}@%h"]  # fmt: skip
    else:
        args = ["beat", "--loglevel", "INFO", "--schedule", str(folder / f"beat-{uuid.uuid4().hex[:6]}")]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dsar", *args],
            cwd=ROOT,
            env={"REMAP_SIGTERM": "SIGQUIT", **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Process(kind, process, log)


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This test process sends its tasks to ``broker_url`` for the block (then back)."""
    keys = ("broker_url", "broker_write_url", "broker_read_url")
    original = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(dict.fromkeys(keys, broker_url))
    celery_app._after_fork()  # type: ignore[attr-defined]  # drop the pools made for the old broker
    try:
        yield
    finally:
        celery_app.conf.update(original)
        celery_app._after_fork()  # type: ignore[attr-defined]


def wait_until(condition: object, *, seconds: float, processes: tuple[Process, ...] = ()) -> None:
    """Poll ``condition()`` until true; fail with the processes' logs when it never is."""
    import pytest

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name} ({'alive' if p.alive() else 'exited'})\n{p.text()[-3000:]}" for p in processes)
    pytest.fail(f"not done within {seconds} s\n{logs}")
