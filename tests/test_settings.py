"""Settings come from the environment, with safe defaults, and production mode is strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ImproperlyConfigured

from dsar.env import env_bool, env_int, env_list, env_secret, problems_raise

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"


def _settings_in_subprocess(
    env: dict[str, str], tmp_path: Path, expression: str = "'ok'"
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DSAR_", "DATABASE_URL", "CELERY_", "SECRET_KEY"))
    }
    clean.update({"DSAR_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "dsar.settings", **env})
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


PRODUCTION = {
    "DSAR_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://dsar@db.internal:5432/dsar",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "DSAR_ALLOWED_HOSTS": "privacy.example.com",
    "DSAR_PUBLIC_BASE_URL": "https://privacy.example.com",
    "DSAR_BUNDLE_SIGNING_KEY_FILE": "/run/secrets/bundle-signing-key.pem",
    "DSAR_BUNDLE_ENCRYPTION_KEY": "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ=",
}


def test_with_nothing_set_the_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        {},
        tmp_path,
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, settings.DEBUG, settings.EMAIL_BACKEND",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "django.db.backends.sqlite3 filesystem://localhost// False django.core.mail.backends.filebased.EmailBackend"
    )
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_complete_production_environment_is_accepted_and_turns_on_https(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        PRODUCTION,
        tmp_path,
        "settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True 31536000"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "at least 50"),
        ({"DATABASE_URL": ""}, "PostgreSQL"),
        ({"CELERY_BROKER_URL": ""}, "Redis"),
        ({"DSAR_ALLOWED_HOSTS": ""}, "DSAR_ALLOWED_HOSTS"),
        ({"DSAR_DEBUG": "true"}, "DSAR_DEBUG"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    result = _settings_in_subprocess({**PRODUCTION, **change}, tmp_path)
    assert result.returncode != 0
    assert "The configuration has 1 problem:" in result.stderr
    assert message in result.stderr


def test_every_problem_of_the_configuration_is_reported_at_once_without_a_traceback(tmp_path: Path) -> None:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DSAR_", "DATABASE_URL", "CELERY_", "SECRET_KEY"))
    }
    bad = {
        **PRODUCTION,
        "SECRET_KEY": "",
        "DATABASE_URL": "postgres://[broken",
        "DSAR_RATE_FORM_PER_IP": "lots",
        "DSAR_DIGEST_HOUR": "25",
        "DSAR_DEBUG": "maybe",
        "DSAR_VERIFY_ACCESS": "telepathy",
    }
    clean.update({"DSAR_VAR_DIR": str(tmp_path / "var"), **bad})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert result.stderr.startswith(f"The configuration has {len(lines)} problems:")
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "DSAR_RATE_FORM_PER_IP",
        "DSAR_DIGEST_HOUR",
        "DSAR_DEBUG",
        "DSAR_VERIFY_ACCESS",
    ):
        assert sum(line.startswith(f"  - {name}") for line in lines) == 1, (name, lines)
    assert "[broken" not in result.stderr  # a database URL may hold a password: never echoed


def test_a_secret_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("DSAR_TEST_SECRET_FILE", str(secret))
    assert env_secret("DSAR_TEST_SECRET") == "from-a-file"


def test_an_unreadable_secret_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSAR_TEST_SECRET_FILE", str(tmp_path / "missing"))
    assert env_secret("DSAR_TEST_SECRET") == ""
    with pytest.raises(ImproperlyConfigured, match="DSAR_TEST_SECRET_FILE"):
        problems_raise()


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("OFF", False), ("", None)])
def test_booleans_are_read_from_common_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool | None
) -> None:
    monkeypatch.setenv("DSAR_TEST_FLAG", raw)
    assert env_bool("DSAR_TEST_FLAG", default=True) is (True if expected is None else expected)


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (lambda: env_bool("DSAR_TEST_VALUE", default=False), "maybe", "DSAR_TEST_VALUE must be one of"),
        (lambda: env_int("DSAR_TEST_VALUE", 1), "ten", "whole number"),
        (lambda: env_int("DSAR_TEST_VALUE", 1, minimum=1), "0", "at least 1"),
    ],
)
def test_a_bad_value_stops_the_process_with_the_variables_name(
    monkeypatch: pytest.MonkeyPatch,
    reader: Callable[[], object],
    raw: str,
    message: str,
) -> None:
    monkeypatch.setenv("DSAR_TEST_VALUE", raw)
    reader()
    with pytest.raises(ImproperlyConfigured, match=message):
        problems_raise()


def test_lists_drop_blank_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSAR_TEST_LIST", " a.example, ,b.example ,")
    assert env_list("DSAR_TEST_LIST") == ["a.example", "b.example"]


def test_files_can_go_to_an_s3_compatible_store_by_configuration(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        {"DSAR_STORAGE": "s3", "DSAR_S3_BUCKET": "privacy-files", "DSAR_S3_ENDPOINT_URL": "https://s3.example.com"},
        tmp_path,
        "settings.STORAGES['default']['BACKEND'], settings.STORAGES['default']['OPTIONS']['bucket_name'], "
        "__import__('django.core.files.storage', fromlist=['default_storage']).default_storage.__class__.__name__",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage privacy-files S3Storage"


def test_s3_storage_without_a_bucket_is_refused(tmp_path: Path) -> None:
    result = _settings_in_subprocess({"DSAR_STORAGE": "s3"}, tmp_path)
    assert result.returncode != 0
    assert "DSAR_S3_BUCKET" in result.stderr
