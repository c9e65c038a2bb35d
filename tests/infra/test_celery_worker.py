"""A real Celery worker process, on the real Redis, changes the real database."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.db import transaction
from django.utils import timezone

from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, EmailStatus, State
from requests_app.tasks import close_unverified_requests
from tests.factories import DataSubjectRequestFactory
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_enqueued_after_commit_is_run_by_a_real_worker(
    celery_worker: Worker,
) -> None:
    stale = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=30))
    fresh = DataSubjectRequestFactory.create()

    with transaction.atomic():
        transaction.on_commit(lambda: close_unverified_requests.delay())

    def closed() -> bool:
        return DataSubjectRequest.objects.get(pk=stale.pk).state == State.CLOSED_UNVERIFIED

    wait_for(closed, celery_worker)
    assert DataSubjectRequest.objects.get(pk=fresh.pk).state == State.PENDING_VERIFICATION
    event = AuditEvent.objects.get(request=stale, action="request.transition")
    assert (event.actor, event.to_state) == ("system:verification-window", State.CLOSED_UNVERIFIED)


def test_a_notice_queued_by_a_task_is_sent_by_the_worker_and_kept_as_sent(
    celery_worker: Worker,
) -> None:
    stale = DataSubjectRequestFactory.create(
        received_at=timezone.now() - timedelta(days=30), subject_email="late@example.org"
    )
    close_unverified_requests.delay()

    def sent() -> bool:
        return EmailMessage.objects.filter(request=stale, kind="closed_unverified", status=EmailStatus.SENT).exists()

    wait_for(sent, celery_worker)
    notice = EmailMessage.objects.get(request=stale, kind="closed_unverified")
    assert notice.to_addresses == ["late@example.org"]
    assert notice.sent_at is not None
    raw = notice.raw.read()
    assert hashlib.sha256(raw).hexdigest() == notice.sha256
    assert f"Message-ID: <{notice.message_id}>".encode() in raw
    assert b"Auto-Submitted: auto-generated" in raw
    (delivered,) = mail_to(celery_worker.mail_dir, "late@example.org")
    assert delivered["Message-ID"] == f"<{notice.message_id}>"
    assert "closed your request" in plain_text(delivered)
