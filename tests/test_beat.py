"""Celery beat's schedule lives in the database: the defaults go in once, an admin's edits stay."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from django_celery_beat.models import PeriodicTask

from dsar.beat import DatabaseScheduler, heartbeat_path
from dsar.celery import app

if TYPE_CHECKING:
    from pathlib import Path

# Beat closes and reopens its database connection as it goes: no test transaction survives that.
pytestmark = pytest.mark.django_db(transaction=True)


def start_beat() -> DatabaseScheduler:
    scheduler = DatabaseScheduler(app=app, lazy=True)
    scheduler.setup_schedule()
    return scheduler


def test_every_default_periodic_task_becomes_a_database_row() -> None:
    start_beat()
    rows = {task.name: task for task in PeriodicTask.objects.all()}
    assert set(app.conf.beat_schedule) <= set(rows)
    assert rows["send-reminders"].task == "requests_app.tasks.send_reminders"
    assert rows["send-reminders"].crontab is not None and rows["send-reminders"].crontab.minute == "*/15"
    assert all(rows[name].enabled for name in app.conf.beat_schedule)


def test_a_task_edited_or_disabled_in_the_admin_stays_as_it_was_left_when_beat_restarts() -> None:
    start_beat()
    PeriodicTask.objects.filter(name="send-reminders").update(enabled=False)
    PeriodicTask.objects.filter(name="poll-mailbox").delete()
    scheduler = start_beat()
    assert PeriodicTask.objects.get(name="send-reminders").enabled is False
    assert PeriodicTask.objects.filter(name="poll-mailbox").exists(), "a missing default is put back"
    assert "send-reminders" not in scheduler.schedule


def test_beat_touches_its_heartbeat_file_when_it_saves_its_state(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    scheduler = start_beat()
    path = heartbeat_path()
    assert path == tmp_path / "beat-heartbeat"
    path.touch()
    os.utime(path, (0, 0))
    scheduler.sync()
    assert path.stat().st_mtime > 0
