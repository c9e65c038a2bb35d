"""The api_key command: a key printed once that works, listed without itself, and revoked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from requests_app.models import ApiKey, AuditEvent
from requests_app.services.api_keys import api_key_hash
from tests.api.helpers import ApiClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_a_created_key_is_printed_once_stored_hashed_and_works():
    raw, note = run("create", "--name", "account page", "--scopes", "requests:read,metrics:read")
    key = ApiKey.objects.get()
    assert raw.startswith(f"dsar_{key.prefix}_")
    assert key.key_hash == api_key_hash(raw)
    assert raw not in str(list(ApiKey.objects.values()))
    assert key.scopes == ["requests:read", "metrics:read"]
    assert "shown only now" in note
    assert ApiClient(raw).get("/api/v1/requests/").status_code == 200
    assert AuditEvent.objects.filter(action="api_key.created", data__key=key.prefix).exists()


def test_the_list_shows_keys_without_the_keys_themselves():
    raw, _ = run("create", "--name", "help desk", "--scopes", "requests:create")
    listing, _ = run("list")
    assert "help desk" in listing
    assert raw not in listing


def test_a_revoked_key_stops_working():
    raw, _ = run("create", "--name", "old", "--scopes", "requests:read")
    prefix = ApiKey.objects.get().prefix
    run("revoke", prefix)
    assert ApiClient(raw).get("/api/v1/requests/").status_code == 401
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", prefix)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--scopes", "requests:everything"], "Unknown scope"),
        (["--name", "x", "--scopes", ","], "at least one scope"),
        (["--name", "", "--scopes", "requests:read"], "name"),
        (["--name", "x", "--scopes", "requests:read", "--days", "0"], "days"),
    ],
)
def test_bad_arguments_are_explained_and_make_no_key(args, message):
    with pytest.raises(CommandError, match=message):
        run("create", *args)
    assert not ApiKey.objects.exists()
