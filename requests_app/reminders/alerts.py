"""Alerts about stores: a task that failed after its retries, or a manual step left waiting.

Each goes once per episode to the system's owner (``owner`` in the data map) and to the
team: the key holds the moment the task entered its state, so a task retried by staff that
fails again is a new episode with its own alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from requests_app.fulfilment.datamap_versions import datamap_of
from requests_app.models import OPEN_STATES, Reminder, ReminderKind, StoreTask, StoreTaskState
from requests_app.notifications.emails import absolute_url
from requests_app.reminders.delivery import Recipients, reminder_send, team_recipients


def _key(task: StoreTask) -> str:
    kind = "store_failed" if task.state == StoreTaskState.FAILED else "store_waiting"
    return f"{kind}:{task.pk}:{task.state_changed_at.isoformat()}"


def store_alerts_send(now: datetime) -> int:
    """Alert every failed task, and every manual step waiting longer than the threshold, once."""
    waiting_since = now - timedelta(hours=settings.DSAR_MANUAL_TASK_ALERT_HOURS)
    tasks = list(
        StoreTask.objects.select_related("request", "request__datamap_version").filter(
            request__state__in=sorted(OPEN_STATES), state=StoreTaskState.FAILED
        )
    ) + list(
        StoreTask.objects.select_related("request", "request__datamap_version").filter(
            request__state__in=sorted(OPEN_STATES), state=StoreTaskState.MANUAL, state_changed_at__lte=waiting_since
        )
    )
    count = 0
    # Alerted episodes are skipped here, not by a failed insert every quarter of an hour.
    sent = set(Reminder.objects.filter(key__in=[_key(t) for t in tasks]).values_list("key", flat=True))
    for task in tasks:
        if _key(task) in sent:
            continue
        owner = system_owner(task)
        if reminder_send(
            key=_key(task),
            kind=ReminderKind.STORE_FAILED if task.state == StoreTaskState.FAILED else ReminderKind.STORE_WAITING,
            now=now,
            recipients=_recipients(owner),
            email_kind="alert",
            context=_context(task, now, owner),
            request=task.request,
        ):
            count += 1
    return count


def system_owner(task: StoreTask) -> str:
    """The owner the data map names for the task's system, or "" (a recipient, or none named)."""
    version = task.request.datamap_version
    if not task.system or version is None:
        return ""
    system = datamap_of(version).get_system(task.system)
    return system.owner if system is not None else ""


def _recipients(owner: str) -> Recipients:
    team = team_recipients()
    if not owner or owner in team.addresses:
        return team
    return Recipients(addresses=[owner, *team.addresses], label="owner and team", names=team.names)


def _context(task: StoreTask, now: datetime, owner: str) -> dict[str, object]:
    failed = task.state == StoreTaskState.FAILED
    waited_hours = int((now - task.state_changed_at).total_seconds() // 3600)
    return {
        "task": task,
        "failed": failed,
        "target": task.target,
        "action": task.get_action_display(),
        "error": task.error[:1000],
        "attempts": task.attempts,
        "waited_hours": waited_hours,
        "owner": owner,
        "headline": (
            f"{task.target} failed after {task.attempts} attempts"
            if failed
            else f"A manual step at {task.target} has waited {waited_hours} hours"
        ),
        "request_url": absolute_url(reverse("staff_request_stores", args=[task.request.reference])),
    }
