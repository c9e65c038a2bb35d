"""The security headers of a page served in production mode, and the Content-Security-Policy everywhere.

Production settings are read in a process of their own (they refuse to start without a full
production environment), which serves the public form through Django's test client and
prints the response's headers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import ROOT

PRODUCTION = {
    "DSAR_ENV": "production",
    "SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz",
    "DSAR_ALLOWED_HOSTS": "privacy.example.com",
    "DSAR_PUBLIC_BASE_URL": "https://privacy.example.com",
    "DSAR_BUNDLE_SIGNING_KEY_FILE": "/run/secrets/bundle-signing-key.pem",
    "DSAR_BUNDLE_ENCRYPTION_KEY": "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ=",
}
SERVE = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)  # production serves hashed static files
response = Client().get("/request/", secure=True, HTTP_HOST="privacy.example.com")
cookies = {name: dict(morsel) for name, morsel in response.cookies.items()}
print(json.dumps({"status": response.status_code, "headers": dict(response.headers), "cookies": cookies}))
"""


@pytest.fixture(scope="module")
def production_page(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DSAR_", "SECRET_KEY"))}
    environment.update(PRODUCTION, DSAR_VAR_DIR=str(tmp_path_factory.mktemp("var")))
    environment["DJANGO_SETTINGS_MODULE"] = "dsar.settings"
    # collectstatic hashes every static file first: on a busy machine that alone can take a minute.
    result = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return page


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_a_production_page_carries_every_security_header(production_page: dict[str, object]) -> None:
    assert production_page["status"] == 200
    headers = production_page["headers"]
    assert isinstance(headers, dict)
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_production_cookies_are_secure_and_kept_from_scripts(production_page: dict[str, object]) -> None:
    cookies = production_page["cookies"]
    assert isinstance(cookies, dict)
    csrf = cookies["csrftoken"]
    assert csrf["secure"] is True or csrf["secure"] == "True"
    assert csrf["samesite"].lower() in ("lax", "strict")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/request/", "/request/verify/", "/staff/login/", "/healthz"])
def test_every_page_has_the_strict_content_security_policy(path: str) -> None:
    policy = Client().get(path).headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_no_template_of_a_served_page_has_inline_script_or_style() -> None:
    """The policy forbids them, so a template that had one would break in the browser."""
    offenders = []
    for template in (Path(ROOT) / "templates").rglob("*.html"):
        if template.relative_to(Path(ROOT) / "templates").parts[0] in ("emails", "bundles"):  # an email or a PDF,
            continue  # never served as a page
        if template.parts[-2] == "reports" and not template.name.startswith("_"):  # a report's PDF; its
            continue  # partials (_metrics_tables.html) are also part of a staff page
        text = template.read_text(encoding="utf-8")
        if "<script>" in text or "<style" in text or " style=" in text or " onclick=" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert not offenders
