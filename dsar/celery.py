"""The Celery application: configuration from Django settings, and the default beat schedule.

The schedule below is the default set of periodic tasks: beat (dsar.beat) stores them as
database rows the first time it starts, and from then on the rows are what runs; edit them
in the admin (Periodic tasks).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

from dsar.env import env_int, problems_raise

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")

app = Celery("dsar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often the sweepers look for work a lost message left behind (seconds). Read here, not
# in the settings module, which imports this package.
SWEEP_SECONDS = float(env_int("DSAR_SWEEP_SECONDS", 60, minimum=1))
problems_raise()  # a bad DSAR_SWEEP_SECONDS stops the worker and beat, naming it

app.conf.beat_schedule = {
    "sweep-store-tasks": {
        "task": "requests_app.tasks.sweep_store_tasks",
        "schedule": SWEEP_SECONDS,
    },
    "sweep-outbox": {
        "task": "requests_app.tasks.sweep_outbox",
        "schedule": SWEEP_SECONDS,
    },
    # Webhook deliveries whose message was lost, whose worker died, or whose retry waits
    # longer than a worker should hold a message.
    "sweep-webhook-deliveries": {
        "task": "requests_app.tasks.sweep_webhook_deliveries",
        "schedule": SWEEP_SECONDS,
    },
    "poll-mailbox": {
        "task": "requests_app.tasks.poll_mailbox",
        "schedule": 60.0,
    },
    "purge-expired-bundles": {
        "task": "requests_app.tasks.purge_expired_bundles",
        "schedule": crontab(minute=7),
    },
    # Deadline reminders, duty warnings, the daily digests, the subjects' verification
    # reminders and the failure alerts: each goes once (a unique row decides), so running the
    # scan often only makes them prompt.
    "send-reminders": {
        "task": "requests_app.tasks.send_reminders",
        "schedule": crontab(minute="*/15"),
    },
    "minimise-closed-requests": {
        "task": "requests_app.tasks.minimise_closed_requests",
        "schedule": crontab(hour=3, minute=17),
    },
    "close-unverified-requests": {
        "task": "requests_app.tasks.close_unverified_requests",
        "schedule": crontab(minute="*/15"),
    },
}
