"""The API keys page: an admin makes a key (shown once) and revokes it; nobody else gets in."""

from __future__ import annotations

import re

import pytest

from requests_app.models import ApiKey, AuditEvent
from tests.api.helpers import ApiClient
from tests.staff.test_permissions import client_for, make_cast

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_key_sees_it_once_and_it_works():
    cast = make_cast()
    admin = client_for(cast.alice)
    response = admin.post("/staff/api-keys/", {"name": "account page", "scopes": ["requests:read"], "days": "90"})
    assert response.status_code == 200
    page = response.content.decode()
    raw = re.search(r'value="(dsar_[A-Za-z0-9_-]+)"', page)
    assert raw is not None
    key = ApiKey.objects.get()
    assert key.created_by == cast.alice
    assert ApiClient(raw.group(1)).get("/api/v1/requests/").status_code == 200
    again = admin.get("/staff/api-keys/").content.decode()
    assert raw.group(1) not in again
    assert key.prefix in again
    assert AuditEvent.objects.filter(action="api_key.created", actor="staff:alice").exists()


def test_a_key_without_scopes_or_with_a_bad_lifetime_is_explained():
    admin = client_for(make_cast().alice)
    page = admin.post("/staff/api-keys/", {"name": "x", "days": "0"}).content.decode()
    assert "Choose at least one scope." in page
    assert not ApiKey.objects.exists()


def test_revoking_needs_the_confirmation_and_then_the_key_stops_working():
    cast = make_cast()
    admin = client_for(cast.alice)
    page = admin.post("/staff/api-keys/", {"name": "old", "scopes": ["requests:read"], "days": "30"}).content.decode()
    raw = re.search(r'value="(dsar_[A-Za-z0-9_-]+)"', page).group(1)  # type: ignore[union-attr]
    key = ApiKey.objects.get()
    admin.post(f"/staff/api-keys/{key.prefix}/revoke/", {})
    key.refresh_from_db()
    assert key.revoked_at is None
    admin.post(f"/staff/api-keys/{key.prefix}/revoke/", {"confirm": "on"})
    key.refresh_from_db()
    assert key.revoked_by == cast.alice
    assert ApiClient(raw).get("/api/v1/requests/").status_code == 401


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_only_the_admin_role_manages_keys(who):
    cast = make_cast()
    client = client_for(getattr(cast, who))
    assert client.get("/staff/api-keys/").status_code == 403
    assert client.post("/staff/api-keys/", {"name": "x", "scopes": ["requests:read"], "days": "30"}).status_code == 403
    assert not ApiKey.objects.exists()
