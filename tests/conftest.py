"""Shared fixtures.

The suite runs on the real servers `make test` starts (PostgreSQL and Redis on loopback);
the embedded SQLite default is for the quick start only, so a test session that would touch
the database anywhere else stops at once with a message saying how to run it.

Each pytest-xdist process gets its own Redis database as Celery broker, so the real worker
it starts never takes another process's tasks, and each test its own cache key prefix, so
rate limits never leak from one test into the next.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from dsar.celery import app as celery_app
from tests.estate import TOKEN, Estate, FlakyServer, serve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.exit(
            "The tests run on PostgreSQL: use `make test`, or start the servers with "
            '`scripts/services.sh start` and `eval "$(scripts/services.sh env)"`.',
            returncode=2,
        )
    return django_db_setup


@pytest.fixture(scope="session")
def broker_url(worker_id: str) -> str:
    """This test process's own Redis database on the test Redis server."""
    base = os.environ.get("DSAR_TEST_REDIS_URL", "")
    if not base.startswith("redis://"):
        pytest.exit("The tests need DSAR_TEST_REDIS_URL (use `make test`)", returncode=2)
    index = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
    # Two test runs at once on one machine (the parent of xdist's processes differs) most
    # likely get different Redis databases, so one run's worker does not take the other's tasks.
    run = (os.getppid() if worker_id != "master" else os.getpid()) % 6
    return f"{base.rstrip('/')}/{10 + run * 8 + index}"


_BROKER_URL = ""


@pytest.fixture(scope="session", autouse=True)
def _celery_broker_of_this_process(broker_url: str) -> Iterator[None]:
    global _BROKER_URL
    _BROKER_URL = broker_url
    original = {key: celery_app.conf[key] for key in ("broker_url", "broker_write_url", "broker_read_url")}
    celery_app.conf.update(broker_url=broker_url, broker_write_url=broker_url, broker_read_url=broker_url)
    yield
    celery_app.conf.update(original)


@pytest.fixture(autouse=True)
def _cache_of_this_test(settings: Any) -> None:
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def _database_url(settings_dict: dict[str, object]) -> str:
    user, host, port, name = (settings_dict.get(k) or "" for k in ("USER", "HOST", "PORT", "NAME"))
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{host}:{port}/{name}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    var_dir: Path
    log: Path

    @property
    def mail_dir(self) -> Path:
        """Where the worker's file email backend writes what it sends."""
        return self.var_dir / "mail"


@pytest.fixture(scope="session")
def estate(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """This test process's own demo estate, and the environment its data map names."""
    import sqlalchemy as sa

    from requests_app.demo_estate import auth_provider

    index = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
    server = sa.engine.make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"estate_{server.database}_{worker_id}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    folder = tmp_path_factory.mktemp("estate")
    auth_db = folder / "auth.sqlite3"
    auth = auth_provider.make_server(auth_db, token=TOKEN)
    flaky = FlakyServer(folder / "flaky.sqlite3")
    result = Estate(
        sql_url=server.set(database=name).render_as_string(hide_password=False),
        redis_url=f"{os.environ['DSAR_TEST_REDIS_URL'].rstrip('/')}/{30 + index}",
        auth_db=auth_db,
        flaky=flaky,
    )
    result.env = {
        "DSAR_DEMO_SQL_URL": result.sql_url,
        "DSAR_DEMO_REDIS_URL": result.redis_url,
        "DSAR_DEMO_AUTH_URL": serve(auth),
        "DSAR_DEMO_AUTH_TOKEN": TOKEN,
        "DSAR_TEST_FLAKY_URL": serve(flaky),
        "DSAR_HASH_SALT": "test-salt",
    }
    os.environ.update(result.env)
    yield result
    auth.shutdown()
    flaky.shutdown()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_WORKER_RUNNING = False
_WORKER_NAME = ""


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, broker_url: str, estate: Estate) -> Iterator[Worker]:
    """A real Celery worker, in its own process, on the real Redis and the test database."""
    global _WORKER_RUNNING, _WORKER_NAME
    _WORKER_RUNNING = True
    _WORKER_NAME = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    import base64

    from requests_app.fulfilment import bundle_keys

    var_dir = Path(tempfile.mkdtemp(prefix="dsar-worker-"))
    # The worker signs and encrypts with the same keys as the test process, as every
    # process of a deployment does.
    bundle_keys.signing_key()
    env = {
        "DSAR_BUNDLE_SIGNING_KEY_FILE": str(settings.VAR_DIR / "bundle-signing-key.pem"),
        "DSAR_BUNDLE_ENCRYPTION_KEY": base64.b64encode(bundle_keys.encryption_key()).decode(),
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker_url,
        "DSAR_VAR_DIR": str(var_dir),
        # Files are shared with the test process, as web and worker share storage for real.
        "DSAR_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DSAR_EMAIL_BACKEND": "file",
        # Retries come at once and give up soon, so the tests see both outcomes quickly.
        "DSAR_STORE_TASK_RETRY_SECONDS": "0",
        "DSAR_STORE_TASK_MAX_ATTEMPTS": "3",
        **estate.env,
    }
    log = var_dir / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dsar", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-mingle", "--without-gossip", "-n", _WORKER_NAME],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    yield Worker(process=process, var_dir=var_dir, log=log)
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _worker_busy() -> bool:
    """Whether the worker still has work: on this test's rows (tasks, bundles, emails), in
    its queue, or running now."""
    from requests_app.models import DataSubjectRequest, EmailMessage, State, StoreTask

    broker = redis.Redis.from_url(_BROKER_URL)
    try:
        waiting = broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        broker.close()
    return bool(
        waiting
        or StoreTask.objects.filter(state__in=("queued", "running")).exists()
        or EmailMessage.objects.filter(direction="out", status__in=("queued", "sending")).exists()
        or DataSubjectRequest.objects.filter(state=State.IN_PROGRESS, fulfilled_at__isnull=False).exists()
        or not _worker_idle()
    )


def _worker_idle() -> bool:
    """The worker answers a ping only between tasks: its pool is "solo", so a task blocks it."""
    if not _WORKER_NAME:
        return True
    return bool(celery_app.control.ping(destination=[_WORKER_NAME], timeout=0.5))


@pytest.fixture(autouse=True)
def _let_the_worker_finish(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a test's rows are flushed, let the real worker finish what the test started.

    Otherwise the worker's last task and the flush's TRUNCATE meet in a deadlock. This
    matters for every test that commits while this process has a worker running, whether
    or not the test asked for the worker itself.
    """
    marker = request.node.get_closest_marker("django_db")
    commits = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not commits or not (_WORKER_RUNNING or "celery_worker" in request.fixturenames):
        yield
        return
    # Set the database up first, so that it is torn down (flushed) after this has waited.
    request.getfixturevalue("_django_db_helper")
    yield
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _worker_busy():
        time.sleep(0.1)
