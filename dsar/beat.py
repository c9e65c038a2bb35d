"""Celery beat's scheduler: the periodic tasks are database rows (django-celery-beat).

The defaults are the entries of ``app.conf.beat_schedule`` (dsar/celery.py). The stock
``DatabaseScheduler`` writes them over the database rows every time beat starts, which
would undo whatever an administrator changed in the admin (an interval, a disabled task).
This one only adds the defaults that have no row yet, so an edited or disabled task stays
as it was left, and a task added in a new release still appears.

Beat also touches a heartbeat file whenever it saves its state (every few minutes), for
the container's health check: a file older than a quarter of an hour means a stuck beat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler as StockDatabaseScheduler

HEARTBEAT_NAME = "beat-heartbeat"


def heartbeat_path() -> Path:
    return Path(settings.VAR_DIR) / HEARTBEAT_NAME


class DatabaseScheduler(StockDatabaseScheduler):
    def setup_schedule(self) -> None:
        self.install_default_entries(self.schedule)
        existing = set(
            PeriodicTask.objects.filter(name__in=list(self.app.conf.beat_schedule)).values_list("name", flat=True)
        )
        missing: dict[str, Any] = {
            name: entry for name, entry in self.app.conf.beat_schedule.items() if name not in existing
        }
        self.update_from_dict(missing)

    def sync(self) -> None:
        super().sync()
        path = heartbeat_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
