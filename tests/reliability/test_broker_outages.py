"""Redis down, and Redis restarted: nothing is lost, nothing is done twice, nobody is needed.

The database is the truth and the broker a hint. With Redis down, the form still answers and
stores the request; its email waits in the outbox and is sent once Redis is back. Restarted
under a live worker in the middle of a fan-out, Redis loses its queues: the worker stays up,
and the sweepers send the lost work again from the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.test import Client

from demo import DEMO_DATAMAP_PATH
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import DataSubjectRequest, EmailMessage, EmailStatus, State, StoreTask
from requests_app.services import requests as services
from requests_app.workflow.transitions import transition
from tests.factories import DataSubjectRequestFactory
from tests.fanout_helpers import STAFF
from tests.public.test_forms import form_data
from tests.reliability.processes import Process, RedisServer, app_environment, publishing_to, start, wait_until
from tests.waiting import mail_to

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


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


def test_a_request_sent_while_redis_is_down_is_stored_and_its_email_sent_once_redis_is_back(
    redis_server: RedisServer, processes: list[Process], tmp_path: Path, settings: Any
) -> None:
    # The rate limits' cache is this Redis too, as in production.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    redis_server.stop()
    with publishing_to(redis_server.url):
        response = Client().post("/request/", form_data(email="down@example.org"), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    request = DataSubjectRequest.objects.get(subject_email="down@example.org")
    acknowledgement = EmailMessage.objects.get(request=request, kind="acknowledgement")
    assert acknowledgement.status == EmailStatus.QUEUED

    redis_server.start()
    environment = app_environment(redis_server.url, tmp_path)
    processes += [start("worker", environment, tmp_path), start("beat", environment, tmp_path)]
    wait_until(
        lambda: EmailMessage.objects.get(pk=acknowledgement.pk).status == EmailStatus.SENT,
        seconds=60,
        processes=tuple(processes),
    )
    # Sent exactly once, although the sweeper saw it queued on every round until it went.
    assert len(mail_to(tmp_path / "mail", "down@example.org")) == 1
    assert EmailMessage.objects.get(pk=acknowledgement.pk).attempts == 1


@pytest.fixture
def heavy_email(estate: Estate) -> str:
    """The demo estate with one subject of a few thousand rows, whose email this returns."""
    summary = seed_estate(
        estate.sql_url, estate.redis_url, subjects=6, rows_per_subject=3, heavy_subjects=1, heavy_rows=3000,
        auth_db=estate.auth_db, reset=True,
    )  # fmt: skip
    document = dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH))
    # Without the stores a person must do (the vendor, the recipients to tell): only programs.
    document["systems"] = [s for s in document["systems"] if s["kind"] != "manual"]
    for system in document["systems"]:
        for dataset in system["datasets"]:
            for field in dataset["fields"]:
                field["recipients"] = []
    datamap_import(document, actor=STAFF)
    return summary.heavy_emails[0]


def test_a_worker_survives_redis_restarting_during_a_fan_out_and_the_work_finishes_without_a_person(
    heavy_email: str, redis_server: RedisServer, processes: list[Process], tmp_path: Path
) -> None:
    environment = app_environment(redis_server.url, tmp_path, {"DSAR_STORE_TASK_LEASE_SECONDS": "5"})
    worker = start("worker", environment, tmp_path)
    processes += [worker, start("beat", environment, tmp_path)]
    requests = []
    with publishing_to(redis_server.url):
        for email in (heavy_email, SPECIAL_EMAILS[0], DECOY_EMAILS[0], "nobody@example.org"):
            request = DataSubjectRequestFactory.create(subject_email=email, request_type="deletion")
            transition(request, State.VERIFIED, STAFF)
            transition(request, State.AWAITING_APPROVAL, STAFF)
            with transaction.atomic():
                services.request_approve(request=request, actor=STAFF)
            requests.append(request)
        # Restart the broker three times while the stores are being worked.
        for _ in range(3):
            wait_until(lambda: StoreTask.objects.filter(state="done").exists(), seconds=30, processes=(worker,))
            redis_server.restart()
            assert worker.alive(), worker.text()[-3000:]

        def all_completed() -> bool:
            return all(DataSubjectRequest.objects.get(pk=r.pk).state == State.COMPLETED for r in requests)

        wait_until(all_completed, seconds=120, processes=tuple(processes))
    assert worker.alive()
    assert "Unrecoverable error" not in worker.text()
    # Every store task ran to its end once: a done task is never run again by the sweeper.
    for request in requests:
        tasks = StoreTask.objects.filter(request=request)
        assert {t.state for t in tasks} == {"done"}
        assert all(t.finished_at is not None for t in tasks)
