"""What the README promises, checked: its `$ python manage.py` examples print what it shows,
every setting dsar/settings.py reads is documented, and every management command runs."""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, get_commands

from requests_app.models import AuditEvent
from requests_app.workflow.audit import Actor, audit_append
from tests.factories import DataSubjectRequestFactory

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Example:
    command: str
    expected: list[str]

    @property
    def name(self) -> str:
        return shlex.split(self.command)[2]


def readme_examples() -> list[Example]:
    """Each indented `$ python manage.py …` line of the README and the lines shown under it."""
    examples, lines = [], README.splitlines()
    for number, line in enumerate(lines):
        if not line.startswith("    $ python manage.py "):
            continue
        expected = []
        for following in lines[number + 1 :]:
            if not following.startswith("    ") or following.startswith("    $ "):
                break
            expected.append(following.removeprefix("    "))
        examples.append(Example(command=line.removeprefix("    $ "), expected=expected))
    return examples


def prepare_verify_audit(example: Example) -> None:
    """A chain of exactly as many events as the example shows."""
    match = re.fullmatch(r"OK (\d+) events", example.expected[0])
    assert match, example.expected
    request = DataSubjectRequestFactory.create()
    for number in range(int(match.group(1)) - AuditEvent.objects.count()):
        audit_append(request=request, actor=Actor.system("tests"), action="note", data={"n": number})


PREPARE = {"verify_audit": prepare_verify_audit}


def test_the_readme_has_examples_to_check() -> None:
    assert {e.name for e in readme_examples()} >= {"deadline", "verify_audit"}


@pytest.mark.django_db
@pytest.mark.parametrize("example", readme_examples(), ids=lambda e: e.command)
def test_each_readme_example_prints_what_the_readme_shows(example: Example) -> None:
    PREPARE.get(example.name, lambda e: None)(example)
    output = io.StringIO()
    call_command(*shlex.split(example.command)[2:], stdout=output)
    assert output.getvalue().rstrip("\n").splitlines() == example.expected


def settings_read() -> set[str]:
    """Every environment variable dsar/settings.py reads (through dsar/env.py or os.environ)."""
    source = (ROOT / "dsar" / "settings.py").read_text(encoding="utf-8")
    through_helpers = re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source)
    directly = re.findall(r'os\.environ(?:\.get)?[(\[]\s*"([A-Z0-9_]+)"', source)
    return set(through_helpers) | set(directly)


def test_the_settings_are_found() -> None:
    assert {"DSAR_ENV", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= settings_read()


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = sorted(name for name in settings_read() if not re.search(rf"\b{name}\b", text))
    assert missing == [], f"{document} does not mention: {', '.join(missing)}"


# Each of the project's management commands, and the test that runs it.
COMMAND_TESTS = {
    "api_key": "tests/api/test_api_key_command.py",
    "bundle": "tests/services/test_truthful_outcomes.py",
    "datamap": "tests/fulfilment/test_datamap_versions.py",
    "deadline": "tests/laws/test_deadline_command.py",
    "drp_agent_register": "tests/drp/test_agents.py",
    "ingest_email": "tests/intake/test_email_intake.py",
    "load_demo": "tests/services/test_truthful_outcomes.py",
    "minimise_requests": "tests/services/test_retention.py",
    "poll_mailbox": "tests/intake/test_mailbox.py",
    "privacy_metrics": "tests/reports/test_commands.py",
    "processing_record": "tests/reports/test_commands.py",
    "request_create": "tests/services/test_staff_entry.py",
    "request_register": "tests/reports/test_commands.py",
    "rules": "tests/laws/test_rules_command.py",
    "seed_demo": "tests/test_readme_promises.py",
    "verify_audit": "tests/workflow/test_audit.py",
    "verify_bundle": "tests/fulfilment/bundles/test_verify.py",
}


def test_every_management_command_of_the_project_is_run_by_a_test() -> None:
    ours = {name for name, app in get_commands().items() if app in ("requests_app", "demo")}
    assert ours == set(COMMAND_TESTS)
    for name, test_file in COMMAND_TESTS.items():
        source = (ROOT / test_file).read_text(encoding="utf-8")
        runs = re.search(rf'call_command\(\s*"{name}"|"manage.py", "{name}"', source)
        assert runs, f"{test_file} does not run {name}"


def test_seed_demo_fills_the_demo_stores_with_the_people_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    store = tmp_path / "estate.sqlite3"
    monkeypatch.setenv("DSAR_DEMO_SQL_URL", f"sqlite:///{store}")
    monkeypatch.setenv("DSAR_DEMO_AUTH_DB", str(tmp_path / "auth.sqlite3"))
    monkeypatch.delenv("DSAR_DEMO_REDIS_URL", raising=False)
    output = io.StringIO()
    call_command(
        "seed_demo", "--subjects", "7", "--rows-per-subject", "3", "--heavy-subjects", "1", "--heavy-rows", "50",
        stdout=output,
    )  # fmt: skip
    engine = sa.create_engine(f"sqlite:///{store}")
    try:
        with engine.connect() as conn:
            users: int = conn.execute(sa.text("select count(*) from users")).scalar_one()
    finally:
        engine.dispose()
    assert users >= 7
    assert output.getvalue().startswith(f"Seeded {users} accounts")


def test_a_command_refuses_clearly_what_it_cannot_do(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.DSAR_IMAP_HOST = ""
    with pytest.raises(CommandError, match="No mailbox is configured"):
        call_command("poll_mailbox", stdout=io.StringIO())


def test_the_tests_folders_mirror_the_products_packages() -> None:
    # Cross-cutting suites (reliability, security) and test data sit beside the mirror.
    beside = {"fixtures", "vendor", "reliability", "security", "__pycache__"}
    tests = ROOT / "tests"
    folders = sorted(
        str(path.relative_to(tests)) for path in tests.rglob("*") if path.is_dir() and not beside & set(path.parts)
    )
    packages = {
        str(path.relative_to(ROOT / "requests_app")) for path in (ROOT / "requests_app").rglob("*") if path.is_dir()
    }
    assert folders and [f for f in folders if f not in packages] == []
