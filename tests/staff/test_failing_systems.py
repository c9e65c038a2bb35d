"""The dashboard's failing systems: tasks failed now, and errors over the last 7 and 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from requests_app.models import State, StoreTask, StoreTaskState
from requests_app.staff import roles
from requests_app.staff.selectors import FailingSystem, failing_systems
from requests_app.workflow.audit import Actor, audit_append
from tests.factories import UserFactory, request_in_state

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("fanout")


def error(request: object, system: str, action: str = "store_task.retrying") -> None:
    audit_append(request=request, actor=SYSTEM, action=action, reason="timeout", data={"system": system})  # type: ignore[arg-type]


def test_errors_are_counted_per_system_over_7_and_30_days_with_failed_tasks_first() -> None:
    request = request_in_state(State.IN_PROGRESS)
    for _ in range(3):
        error(request, "crm")
    error(request, "crm", "store_task.failed")
    error(request, "billing")
    StoreTask.objects.create(
        request=request, system="crm", kind="sql", action="resolve", step=0, state=StoreTaskState.FAILED
    )
    audit_append(request=request, actor=SYSTEM, action="store_task.done", data={"system": "analytics"})
    now = timezone.now()
    assert failing_systems(now) == [
        FailingSystem(system="crm", failed_now=1, errors_7_days=4, errors_30_days=4),
        FailingSystem(system="billing", failed_now=0, errors_7_days=1, errors_30_days=1),
    ]
    # Ten days on, the errors are outside the week but inside the month; after 31 days, gone.
    later = failing_systems(now + timedelta(days=10))
    assert [(row.system, row.errors_7_days, row.errors_30_days) for row in later] == [("crm", 0, 4), ("billing", 0, 1)]
    assert [row.system for row in failing_systems(now + timedelta(days=31))] == ["crm"], "crm still has a failed task"


def test_the_dashboard_shows_the_failing_systems() -> None:
    roles.roles_sync()
    carol = UserFactory.create(username="carol")
    carol.groups.add(Group.objects.get(name=roles.AUDITOR))
    client = Client()
    client.force_login(carol)
    assert "No store errors in the last 30 days." in client.get("/staff/").content.decode()
    error(request_in_state(State.IN_PROGRESS), "crm")
    body = client.get("/staff/").content.decode()
    assert "Failing systems" in body and '<th scope="row">crm</th>' in body
