"""A real OpenID provider process (tests/oidc_provider.py) and the settings that point at it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.paths import TESTS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CLIENT_ID = "dsar-staff"
CLIENT_SECRET = "provider-test-secret"
ROLE_MAP = {"dsar-admins": "Privacy admin", "dsar-analysts": "Privacy analyst", "dsar-auditors": "Auditor"}

USERS = {
    "erin": {
        "sub": "00u-erin-1",
        "preferred_username": "erin",
        "email": "erin@company.example",
        "email_verified": True,
        "given_name": "Erin",
        "family_name": "Okafor",
        "groups": ["everyone", "dsar-analysts"],
    },
    "frank": {
        "sub": "00u-frank-2",
        "preferred_username": "frank",
        "email": "frank@company.example",
        "email_verified": True,
        "groups": ["everyone"],
    },
    # Someone at the provider whose username is also a local account's (the cast's "bob").
    "bob": {"sub": "00u-bob-3", "preferred_username": "bob", "email": "bob@company.example", "groups": ["dsar-admins"]},
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class OidcProvider:
    issuer: str
    users_path: Path
    process: subprocess.Popen[str]

    def control(self, *, user: str | None = None, mode: str = "ok") -> None:
        body = {"mode": mode, **({"user": user} if user else {})}
        request = urllib.request.Request(  # noqa: S310 - the loopback provider
            f"{self.issuer}/_control",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the loopback provider
            assert response.status == 200

    def set_groups(self, user: str, groups: list[str]) -> None:
        users = json.loads(self.users_path.read_text(encoding="utf-8"))
        users[user]["groups"] = groups
        self.users_path.write_text(json.dumps(users), encoding="utf-8")

    def follow(self, url: str) -> str:
        """GET a provider address as the browser would; return where it redirects to."""
        try:
            with _opener.open(url, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as redirect:
            if redirect.code == 302:
                return str(redirect.headers["Location"])
            status = redirect.code
        raise AssertionError(f"the provider answered {status}, not a redirect")


@pytest.fixture
def oidc_provider(tmp_path: Path) -> Iterator[OidcProvider]:
    users_path = tmp_path / "users.json"
    users_path.write_text(json.dumps(USERS), encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "oidc_provider.py"),
            "--port",
            "0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--users",
            str(users_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[:1] == ["READY"], ready
        yield OidcProvider(issuer=f"http://127.0.0.1:{ready[1]}", users_path=users_path, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def oidc_settings(settings: Any, oidc_provider: OidcProvider) -> OidcProvider:
    settings.DSAR_OIDC_ISSUER = oidc_provider.issuer
    settings.DSAR_OIDC_CLIENT_ID = CLIENT_ID
    settings.DSAR_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.DSAR_OIDC_ROLE_CLAIM = "groups"
    settings.DSAR_OIDC_ROLE_MAP = ROLE_MAP
    settings.DSAR_OIDC_BUTTON_LABEL = "Sign in with Company SSO"
    return oidc_provider
