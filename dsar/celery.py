"""The Celery application: configuration from Django settings, and the beat schedule."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")

app = Celery("dsar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "sweep-store-tasks": {
        "task": "requests_app.tasks.sweep_store_tasks",
        "schedule": 60.0,
    },
    "sweep-outbox": {
        "task": "requests_app.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "poll-mailbox": {
        "task": "requests_app.tasks.poll_mailbox",
        "schedule": 60.0,
    },
    "purge-expired-bundles": {
        "task": "requests_app.tasks.purge_expired_bundles",
        "schedule": crontab(minute=7),
    },
    "close-unverified-requests": {
        "task": "requests_app.tasks.close_unverified_requests",
        "schedule": crontab(minute="*/15"),
    },
}
