"""Idempotency-Key on create: a retry gets the first answer; two calls at once make one request."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from requests_app.models import ApiScope, DataSubjectRequest
from tests.api.helpers import ApiClient, error_code, key_with
from tests.concurrency import run_together

LIST = "/api/v1/requests/"
BODY = {"type": "access", "email": "ada@example.org"}


@pytest.mark.django_db
def test_a_retried_create_returns_the_first_answer_and_creates_nothing():
    _, raw = key_with(ApiScope.REQUESTS_CREATE)
    client = ApiClient(raw)
    first = client.post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="order-1")
    again = client.post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="order-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert DataSubjectRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused():
    _, raw = key_with(ApiScope.REQUESTS_CREATE)
    client = ApiClient(raw)
    client.post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="order-2")
    response = client.post(LIST, {**BODY, "type": "deletion"}, HTTP_IDEMPOTENCY_KEY="order-2")
    assert response.status_code == 400
    assert error_code(response) == "idempotency_mismatch"
    assert DataSubjectRequest.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_caller():
    _, first = key_with(ApiScope.REQUESTS_CREATE)
    _, second = key_with(ApiScope.REQUESTS_CREATE)
    ApiClient(first).post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="shared")
    assert ApiClient(second).post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert DataSubjectRequest.objects.count() == 2


@pytest.mark.django_db
def test_an_unusable_key_is_explained():
    _, raw = key_with(ApiScope.REQUESTS_CREATE)
    response = ApiClient(raw).post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert error_code(response) == "idempotency_key_invalid"
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_identical_creates_at_the_same_moment_make_one_request():
    _, raw = key_with(ApiScope.REQUESTS_CREATE, ApiScope.REQUESTS_READ)
    answers: list[tuple[int, str]] = []

    def create() -> None:
        response = Client().post(
            LIST,
            json.dumps(BODY),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_IDEMPOTENCY_KEY="race-1",
        )
        answers.append((response.status_code, response.json()["id"]))

    assert run_together(create, threads=4) == []
    assert DataSubjectRequest.objects.count() == 1
    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    assert len({reference for _, reference in answers}) == 1


@pytest.mark.django_db
def test_the_sweeper_forgets_answers_after_a_day_and_a_key_can_then_be_used_again():
    from datetime import timedelta

    from django.utils import timezone

    from requests_app.models import IdempotentCreate
    from requests_app.services.outbox import outbox_sweep

    _, raw = key_with(ApiScope.REQUESTS_CREATE)
    client = ApiClient(raw)
    client.post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="daily")
    outbox_sweep()
    assert IdempotentCreate.objects.count() == 1
    IdempotentCreate.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    assert outbox_sweep()["idempotency_answers_purged"] == 1
    assert client.post(LIST, BODY, HTTP_IDEMPOTENCY_KEY="daily").status_code == 201
