"""A real Celery worker process, on the real Redis, changes the real database."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from requests_app.models import AuditEvent, DataSubjectRequest, State
from requests_app.tasks import close_unverified_requests
from tests.factories import DataSubjectRequestFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# An upper bound for a worker that has to start up, not a timing assertion.
WAIT_SECONDS = 60


def _wait_for(condition: Callable[[], bool], worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, "the Celery worker exited"
        time.sleep(0.2)
    pytest.fail(f"the worker did not finish the task within {WAIT_SECONDS} s")


def test_a_task_enqueued_after_commit_is_run_by_a_real_worker(
    celery_worker_process: subprocess.Popen[bytes], celery_worker_queue: str
) -> None:
    stale = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=30))
    fresh = DataSubjectRequestFactory.create()

    with transaction.atomic():
        transaction.on_commit(lambda: close_unverified_requests.apply_async(queue=celery_worker_queue))

    def closed() -> bool:
        return DataSubjectRequest.objects.get(pk=stale.pk).state == State.CLOSED_UNVERIFIED

    _wait_for(closed, celery_worker_process)
    assert DataSubjectRequest.objects.get(pk=fresh.pk).state == State.PENDING_VERIFICATION
    event = AuditEvent.objects.filter(request=stale).last()
    assert event is not None
    assert (event.actor, event.to_state) == ("system:verification-window", State.CLOSED_UNVERIFIED)
