"""Workers killed, stopped, cut off from the database, or slower than their lease.

An erasure of a subject with many rows runs in small committed batches with a checkpoint.
Whatever happens to the worker, every store task ends once, with counts that add up to the
rows that were there, and no work is taken from a worker that is still alive.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from django.db import transaction

from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.connectors import ActionCounts
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import DataSubjectRequest, EmailMessage, EmailStatus, State, StoreTask
from requests_app.notifications import emails as notifications
from requests_app.services import requests as services
from requests_app.workflow.transitions import transition
from tests.factories import DataSubjectRequestFactory
from tests.fanout_helpers import STAFF
from tests.fulfilment.test_fanout import rows_of
from tests.reliability.processes import Process, RedisServer, app_environment, publishing_to, start, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HEAVY_ROWS = 4000
# Cut every connection to the estate's database but this one: a database restart, as the store sees it.
TERMINATE = sa.text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def heavy(estate: Estate) -> tuple[Estate, str]:
    """The demo estate's SQL and Redis stores only, with one subject of a few thousand rows."""
    summary = seed_estate(
        estate.sql_url, estate.redis_url, subjects=4, rows_per_subject=2, heavy_subjects=1, heavy_rows=HEAVY_ROWS,
        auth_db=estate.auth_db, reset=True,
    )  # fmt: skip
    document = dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
    document["systems"] = [s for s in document["systems"] if s["kind"] in ("sql", "redis")]
    for system in document["systems"]:
        for dataset in system["datasets"]:
            for field in dataset["fields"]:
                field["recipients"] = []
    datamap_import(document, actor=STAFF)
    return estate, summary.heavy_emails[0]


def approved_deletion(email: str) -> DataSubjectRequest:
    request = DataSubjectRequestFactory.create(subject_email=email, request_type="deletion")
    transition(request, State.VERIFIED, STAFF)
    transition(request, State.AWAITING_APPROVAL, STAFF)
    with transaction.atomic():
        services.request_approve(request=request, actor=STAFF)
    return request


def erasing(request: DataSubjectRequest, system: str = "api_usage") -> bool:
    """The erasure of ``system`` is half-way: it has committed batches and is not done."""
    task = StoreTask.objects.filter(request=request, system=system, action="erase").first()
    progress = (task.checkpoint.get("datasets") or {}) if task else {}
    return bool(task and task.state == "running" and any(d.get("last_pk") for d in progress.values()))


def completed(request: DataSubjectRequest) -> bool:
    return DataSubjectRequest.objects.get(pk=request.pk).state == State.COMPLETED


def erased_counts(request: DataSubjectRequest) -> dict[str, int]:
    return {
        t.system: ActionCounts.from_dict(t.counts).changes
        for t in StoreTask.objects.filter(request=request, action="erase")
    }


def test_a_worker_killed_three_times_mid_erasure_leaves_every_task_done_once_with_exact_counts(
    heavy: tuple[Estate, str], redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    estate, email = heavy
    before = rows_of(estate, email)
    environment = app_environment(
        redis_server.url, tmp_path, {"DSAR_ERASE_BATCH_SIZE": "100", "DSAR_STORE_TASK_LEASE_SECONDS": "5"}
    )
    processes.append(start("beat", environment, tmp_path))
    with publishing_to(redis_server.url):
        request = approved_deletion(email)
        for _ in range(3):
            worker = start("worker", environment, tmp_path)
            processes.append(worker)
            wait_until(lambda: erasing(request) or completed(request), seconds=60, processes=(worker,))
            worker.kill()
        processes.append(start("worker", environment, tmp_path))
        wait_until(lambda: completed(request), seconds=120, processes=tuple(processes))
    after = rows_of(estate, email)
    assert after["completions"] == 0 and after["users"] == 0
    # The counts are those of the rows that were there: no batch counted twice, none lost.
    counts = erased_counts(request)
    assert counts["api_usage"] == before["completions"] == HEAVY_ROWS
    assert counts["accounts"] == before["users"]
    assert {t.state for t in StoreTask.objects.filter(request=request)} == {"done"}


def test_a_worker_stops_on_sigterm_within_its_grace_and_another_finishes_the_work(
    heavy: tuple[Estate, str], redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    estate, email = heavy
    environment = app_environment(
        redis_server.url,
        tmp_path,
        {
            "DSAR_ERASE_BATCH_SIZE": "50",
            "DSAR_STORE_TASK_LEASE_SECONDS": "5",
            "DSAR_WORKER_SHUTDOWN_GRACE_SECONDS": "2",
        },
    )
    processes.append(start("beat", environment, tmp_path))
    with publishing_to(redis_server.url):
        request = approved_deletion(email)
        worker = start("worker", environment, tmp_path)
        processes.append(worker)
        wait_until(lambda: erasing(request), seconds=60, processes=(worker,))
        took = worker.stop(timeout=30)
        assert not worker.alive()
        # The grace, and a few seconds for the process to stop its pool and close.
        assert took < 2 + 8, f"the worker took {took:.1f} s to stop:\n{worker.text()[-2000:]}"
        processes.append(start("worker", environment, tmp_path))
        wait_until(lambda: completed(request), seconds=120, processes=tuple(processes))
    assert rows_of(estate, email)["completions"] == 0
    assert erased_counts(request)["api_usage"] == HEAVY_ROWS


def test_killed_database_connections_mid_erasure_are_retried_and_the_erasure_finishes(
    heavy: tuple[Estate, str], redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    estate, email = heavy
    environment = app_environment(
        redis_server.url,
        tmp_path,
        {"DSAR_ERASE_BATCH_SIZE": "100", "DSAR_STORE_TASK_LEASE_SECONDS": "5", "DSAR_STORE_TASK_MAX_ATTEMPTS": "10"},
    )
    admin = sa.create_engine(sa.engine.make_url(estate.sql_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    database = sa.engine.make_url(estate.sql_url).database
    processes += [start("beat", environment, tmp_path), start("worker", environment, tmp_path)]
    with publishing_to(redis_server.url):
        request = approved_deletion(email)
        for _ in range(3):
            wait_until(lambda: erasing(request) or completed(request), seconds=60, processes=tuple(processes))
            with admin.connect() as conn:
                conn.execute(TERMINATE, {"d": database})
            time.sleep(0.5)
        wait_until(lambda: completed(request), seconds=120, processes=tuple(processes))
    admin.dispose()
    assert rows_of(estate, email)["completions"] == 0
    assert erased_counts(request)["api_usage"] == HEAVY_ROWS


def test_an_erasure_longer_than_its_lease_is_never_taken_from_its_live_worker(
    heavy: tuple[Estate, str], redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    _, email = heavy
    # A lease of 5 s, an erasure of many batches (2,000 of 2 rows: several times the lease
    # even on a fast machine), and the sweeper every second: the live worker renews the
    # lease after each batch, so the sweeper never hands the task on.
    environment = app_environment(
        redis_server.url, tmp_path, {"DSAR_ERASE_BATCH_SIZE": "2", "DSAR_STORE_TASK_LEASE_SECONDS": "5"}
    )
    processes += [start("beat", environment, tmp_path), start("worker", environment, tmp_path)]
    with publishing_to(redis_server.url):
        request = approved_deletion(email)
        wait_until(lambda: erasing(request), seconds=60, processes=tuple(processes))
        started = time.monotonic()
        wait_until(lambda: completed(request), seconds=180, processes=tuple(processes))
    erase = StoreTask.objects.get(request=request, system="api_usage", action="erase")
    assert time.monotonic() - started > 5  # it did outlast its lease
    assert erase.attempts == 1
    assert "lease lost" not in "".join(p.text() for p in processes)
    assert erased_counts(request)["api_usage"] == HEAVY_ROWS


class _Inbox:
    """A real SMTP server's handler: counts what it is given."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.received.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def test_an_email_sent_while_the_mail_server_is_down_is_sent_once_when_it_is_back(
    redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    from tests.reliability.processes import free_port

    port = free_port()
    inbox = _Inbox()
    environment = app_environment(
        redis_server.url,
        tmp_path,
        {"DSAR_EMAIL_BACKEND": "smtp", "DSAR_EMAIL_HOST": "127.0.0.1", "DSAR_EMAIL_PORT": str(port),
         "DSAR_EMAIL_USE_TLS": "false", "DSAR_EMAIL_TIMEOUT": "2"},
    )  # fmt: skip
    processes += [start("worker", environment, tmp_path), start("beat", environment, tmp_path)]
    request = DataSubjectRequestFactory.create(subject_email="smtp@example.org")
    with publishing_to(redis_server.url), transaction.atomic():
        message = notifications.notify(request=request, kind="status_link", to=request.subject_email)
    # No server: the attempt fails and the message goes back to the queue.
    wait_until(lambda: EmailMessage.objects.get(pk=message.pk).attempts >= 1, seconds=60, processes=tuple(processes))
    wait_until(
        lambda: EmailMessage.objects.get(pk=message.pk).status == EmailStatus.QUEUED,
        seconds=30,
        processes=tuple(processes),
    )
    assert EmailMessage.objects.get(pk=message.pk).error
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wait_until(
            lambda: EmailMessage.objects.get(pk=message.pk).status == EmailStatus.SENT,
            seconds=90,
            processes=tuple(processes),
        )
        time.sleep(2)  # a second delivery, if there were one, would have arrived by now
    finally:
        controller.stop()
    assert len(inbox.received) == 1
    assert b"smtp@example.org" in inbox.received[0]
