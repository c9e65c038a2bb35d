"""Celery tasks: thin shells that take ids, call one service, and let Celery retry.

Tasks are enqueued with ``transaction.on_commit`` by the services that create their work,
never from inside an open transaction (a worker could run before the data it needs exists).
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from requests_app import workflow


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def close_unverified_requests() -> int:
    """Close requests whose subject did not verify within the window (beat, every 15 minutes)."""
    return workflow.requests_close_unverified()
