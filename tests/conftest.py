"""Shared fixtures.

The suite runs on the real servers `make test` starts (PostgreSQL and Redis on loopback);
the embedded SQLite default is for the quick start only, so a test session that would touch
the database anywhere else stops at once with a message saying how to run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.exit(
            "The tests run on PostgreSQL: use `make test`, or start the servers with "
            '`scripts/services.sh start` and `eval "$(scripts/services.sh env)"`.',
            returncode=2,
        )
    return django_db_setup


def _database_url(settings_dict: dict[str, object]) -> str:
    user, host, port, name = (settings_dict.get(k) or "" for k in ("USER", "HOST", "PORT", "NAME"))
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{host}:{port}/{name}"


@pytest.fixture(scope="session")
def celery_worker_queue(worker_id: str) -> str:
    """A queue of this test process's own, so parallel test processes never take each other's tasks."""
    return f"dsar-test-{worker_id}-{os.getpid()}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, celery_worker_queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker, in its own process, on the real Redis and the test database."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        pytest.fail("The Celery integration tests need CELERY_BROKER_URL to name the test Redis (use `make test`)")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "DSAR_CELERY_QUEUE": celery_worker_queue,
        "DSAR_VAR_DIR": str(Path(tempfile.mkdtemp(prefix="dsar-worker-"))),
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dsar",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            celery_worker_queue,
            "-n",
            f"{celery_worker_queue}@%h",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
