from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.db import connection

from dsar.celery import app as celery_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test import Client


def test_healthz_is_ok_when_database_and_broker_answer(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def unreachable_broker() -> Iterator[None]:
    # The discard port: nothing listens there.
    unreachable = {"broker_url": "redis://127.0.0.1:9/0", "broker_write_url": "redis://127.0.0.1:9/0"}
    original = {key: celery_app.conf[key] for key in unreachable}
    celery_app.conf.update(unreachable)
    yield
    celery_app.conf.update(original)


def test_healthz_is_503_and_names_the_broker_when_it_is_down(
    client: Client, db: None, unreachable_broker: None
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "broker": "failing"}


@pytest.fixture
def unreachable_database(transactional_db: None) -> Iterator[None]:
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "9"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original_port


def test_healthz_is_503_and_names_the_database_when_it_is_down(client: Client, unreachable_database: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "failing", "broker": "ok"}


def test_healthz_tells_nothing_about_the_failure_beyond_its_name(client: Client, unreachable_database: None) -> None:
    body = client.get("/healthz").content.decode()
    assert "9" not in body
    assert "connection" not in body.lower()


def test_healthz_only_answers_get(client: Client, db: None) -> None:
    assert client.post("/healthz").status_code == 405
