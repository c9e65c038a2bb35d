"""Celery tasks: thin shells that take ids, call one service, and let Celery retry.

Tasks are enqueued with ``transaction.on_commit`` by the services that create their work,
never from inside an open transaction (a worker could run before the data it needs exists).
"""

from __future__ import annotations

import smtplib

from celery import Task, shared_task
from django.db import OperationalError

from requests_app import notifications, services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def close_unverified_requests() -> int:
    """Close requests whose subject did not verify within the window (beat, every 15 minutes)."""
    return services.requests_close_unverified()


@shared_task(
    bind=True,
    autoretry_for=(OSError, smtplib.SMTPException, OperationalError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_email_message(self: Task, message_pk: int) -> bool:
    """Send one recorded email (queued by notifications.notify after commit)."""
    try:
        return notifications.email_send(message_pk)
    except (OSError, smtplib.SMTPException) as exc:
        if self.request.retries >= (self.max_retries or 0):
            notifications.email_failed(message_pk, f"{type(exc).__name__}: {exc}")
        raise
