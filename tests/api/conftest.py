"""The API tests' staff sessions: admin, analyst, auditor, or signed in with no role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from requests_app.staff import roles
from tests.factories import UserFactory

if TYPE_CHECKING:
    from collections.abc import Callable

ROLE_OF = {"admin": roles.ADMIN, "analyst": roles.ANALYST, "auditor": roles.AUDITOR}


@pytest.fixture
def staff_client(db) -> Callable[..., Client]:
    roles.roles_sync()

    def make(role: str | None, *, enforce_csrf: bool = False) -> Client:
        user = UserFactory.create(username=f"api-{role or 'norole'}")
        if role is not None:
            user.groups.add(Group.objects.get(name=ROLE_OF[role]))
        client = Client(enforce_csrf_checks=enforce_csrf)
        client.force_login(user)
        return client

    return make
