"""Shared fixtures.

The suite runs on the real servers `make test` starts (PostgreSQL and Redis on loopback);
the embedded SQLite default is for the quick start only, so a test session that would touch
the database anywhere else stops at once with a message saying how to run it.

Each pytest-xdist process gets its own Redis database as Celery broker, so the real worker
it starts never takes another process's tasks, and each test its own cache key prefix, so
rate limits never leak from one test into the next. Two test runs at once on one machine
hold different run slots (an exclusive lock each, see :func:`pytest_configure`), so their
Redis databases and test databases never meet.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from dsar.celery import app as celery_app
from tests.estate import TOKEN, Estate, FlakyServer, serve

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
# Each run slot has 16 Redis databases from 10 + slot * 16: the Celery broker of each xdist
# process, then its demo estate's Redis store. The test Redis server has 64 (scripts/services.sh).
RUN_SLOTS = 3
MAX_XDIST_WORKERS = 8
_SLOT_LOCK: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """Take a free run slot for this test run (the xdist controller, or a run without xdist).

    The slot is an exclusive lock on a file named after the test Redis server, held until
    this process ends (the system releases it even on a crash), so two runs at once can never
    hold the same one. xdist's worker processes inherit it through the environment.
    """
    global _SLOT_LOCK
    if hasattr(config, "workerinput"):
        return
    server = urlsplit(os.environ.get("DSAR_TEST_REDIS_URL", "")).port or 0
    for slot in range(RUN_SLOTS):
        lock = Path(tempfile.gettempdir(), f"dsar-test-run-{server}-{slot}.lock")
        handle = lock.open("a")  # Held open for the whole run: the open lock is the slot.
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _SLOT_LOCK = handle
        os.environ["DSAR_TEST_RUN_SLOT"] = str(slot)
        return
    pytest.exit(f"{RUN_SLOTS} test runs already use this test Redis server: wait for one to end", returncode=2)


def run_slot() -> int:
    return int(os.environ.get("DSAR_TEST_RUN_SLOT", "0"))


def process_index(worker_id: str) -> int:
    """This process's number within the run: 0 without xdist, N for xdist's gwN."""
    index = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
    if index >= MAX_XDIST_WORKERS:
        pytest.exit(f"at most {MAX_XDIST_WORKERS} xdist workers (set DSAR_TEST_WORKERS)", returncode=2)
    return index


def redis_database(worker_id: str, role: int) -> int:
    """The Redis database of this process for a role: 0 the Celery broker, 1 the demo estate."""
    return 10 + run_slot() * 2 * MAX_XDIST_WORKERS + role * MAX_XDIST_WORKERS + process_index(worker_id)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_xdist_suffix: None) -> None:
    """Each run slot has its own test databases: test_dsar_gw0, or test_dsar_gw0_run2 in slot 2."""
    if run_slot():
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + str(settings.DATABASES['default']['NAME'])}_run{run_slot()}"


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
    return f"{base.rstrip('/')}/{redis_database(worker_id, 0)}"


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

    from demo import auth_provider

    server = sa.engine.make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"estate_{server.database}_{worker_id}_run{run_slot()}"
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
        redis_url=f"{os.environ['DSAR_TEST_REDIS_URL'].rstrip('/')}/{redis_database(worker_id, 1)}",
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


WORKER_FINISH_SECONDS = 60
_WORKER_RUNNING = False
_WORKER_LOG: Path | None = None
_WORKER_NAME = ""


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, broker_url: str, estate: Estate) -> Iterator[Worker]:
    """A real Celery worker, in its own process, on the real Redis and the test database."""
    global _WORKER_RUNNING, _WORKER_NAME, _WORKER_LOG
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
        # Webhook deliveries and DRP agents' callbacks may reach the tests' receivers on
        # loopback (never allowed by default); callbacks are retried at once.
        "DSAR_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
        "DSAR_OUTBOUND_ALLOW_HTTP": "true",
        "DSAR_DRP_CALLBACK_RETRY_SECONDS": "1",
        **estate.env,
    }
    log = _WORKER_LOG = var_dir / "worker.log"
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


def _worker_busy(*, with_rows: bool) -> bool:
    """Whether the worker still has work (see ``worker_work_left``)."""
    return bool(worker_work_left(with_rows=with_rows))


def worker_work_left(*, with_rows: bool) -> list[str]:
    """What the worker still has to do: in its queue, running now, or (``with_rows``, for a
    test that uses it) on this test's rows: tasks, bundles and emails, including retries the
    worker holds until their time comes. Empty when it has nothing.

    A test that runs processes of its own (the reliability tests) leaves rows that only those
    processes would have worked on: the shared worker is not waited for on them."""
    from requests_app.models import DataSubjectRequest, EmailMessage, State, StoreTask

    broker = redis.Redis.from_url(_BROKER_URL)
    try:
        waiting = broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        broker.close()
    left = [f"{waiting} messages in the queue"] if waiting else []
    if with_rows:
        tasks = StoreTask.objects.filter(state__in=("queued", "running"))
        emails = EmailMessage.objects.filter(direction="out", status__in=("queued", "sending"))
        results = DataSubjectRequest.objects.filter(state=State.IN_PROGRESS, fulfilled_at__isnull=False)
        left += [f"store tasks {list(tasks.values_list('pk', 'state'))}"] if tasks.exists() else []
        left += [f"emails {list(emails.values_list('pk', 'kind', 'status'))}"] if emails.exists() else []
        left += (
            [f"results not made for {list(results.values_list('reference', flat=True))}"] if results.exists() else []
        )
    if not _worker_idle():
        left.append("the worker does not answer (running a task)")
    return left


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

    uses_worker = "celery_worker" in request.fixturenames
    deadline = time.monotonic() + WORKER_FINISH_SECONDS
    while time.monotonic() < deadline and _worker_busy(with_rows=uses_worker):
        time.sleep(0.1)
    if left := worker_work_left(with_rows=uses_worker):
        pytest.fail(
            f"the Celery worker was still busy {WORKER_FINISH_SECONDS} s after this test "
            f"(a task that never ends, or a row left queued with no message): {'; '.join(left)}; "
            f"its log: {_WORKER_LOG}"
        )
