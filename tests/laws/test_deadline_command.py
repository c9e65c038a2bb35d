"""``manage.py deadline``: prints a due date, its rule and the steps, for staff to check."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from requests_app.laws.registry import get_rule
from tests.paths import ROOT as PROJECT_ROOT

MANAGE_PY = PROJECT_ROOT / "manage.py"


@pytest.fixture(autouse=True)
def _weekends_only(settings):
    settings.DSAR_HOLIDAY_COUNTRY = ""
    settings.DSAR_HOLIDAY_SUBDIVISION = ""


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue().splitlines()


def test_deadline_command_prints_the_due_date_the_rule_the_steps_and_the_extension_notice_day():
    lines = run("gdpr", "2026-01-31")
    assert lines[:6] == [
        "Due date: 2026-03-02 (Monday)",
        f"Rule: GDPR — {get_rule('gdpr').citation} (version {get_rule('gdpr').version})",
        "  - received 2026-01-31",
        "  - one month later: 2026-02-28 (February has no 31st: last day of the month)",
        "  - 2026-02-28 is a Saturday: moved to the next working day, 2026-03-02",
        "Extension notice by: 2026-03-02 (Monday)",
    ]
    assert lines[-1] == "Computed from the rule; not legal advice."


def test_deadline_command_with_extended_prints_the_extended_due_date_and_no_notice_day():
    lines = run("GDPR", "2026-01-31", "--extended")
    assert not any(line.startswith("Extension notice by") for line in lines)
    assert lines[:4] == [
        "Due date: 2026-04-30 (Thursday)",
        f"Rule: GDPR — {get_rule('gdpr').citation} (version {get_rule('gdpr').version})",
        "  - received 2026-01-31",
        "  - three months later (one month, extended by two months): "
        "2026-04-30 (April has no 31st: last day of the month)",
    ]


def test_deadline_command_prints_the_acknowledgement_day_where_the_rule_has_one():
    lines = run("ccpa", "2026-11-20")

    assert lines[0] == "Due date: 2027-01-04 (Monday)"
    assert lines[1] == f"Rule: CCPA/CPRA — {get_rule('us-ca').citation} (version {get_rule('us-ca').version})"
    assert "Acknowledge by: 2026-12-07 (Monday)" in lines
    assert "Extension notice by: 2027-01-04 (Monday)" in lines


def test_deadline_command_for_a_law_without_extension_prints_no_notice_day():
    lines = run("lgpd", "2026-01-31")
    assert not any(line.startswith("Extension notice by") for line in lines)
    assert lines[:5] == [
        "Due date: 2026-02-15 (Sunday)",
        f"Rule: LGPD — {get_rule('lgpd').citation} (version {get_rule('lgpd').version})",
        "  - received 2026-01-31",
        "  - 15 days later: 2026-02-15",
        "  - 2026-02-15 is a Sunday: not moved (LGPD counts calendar days)",
    ]


def test_deadline_command_follows_the_holiday_country_setting(settings):
    settings.DSAR_HOLIDAY_COUNTRY = "DE"

    lines = run("gdpr", "2026-12-01")

    assert lines[0] == "Due date: 2027-01-04 (Monday)"
    assert "  - 2027-01-01 is a public holiday (New Year's Day): moved to the next working day, 2027-01-04" in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("mars", "2026-01-31"), "Unknown jurisdiction 'mars'", id="unknown-jurisdiction"),
        pytest.param(("gdpr", "2026-02-30"), "not a real date", id="no-30-february"),
        pytest.param(("gdpr", "31/01/2026"), "YYYY-MM-DD", id="not-iso"),
        pytest.param(("gdpr", "20260131"), "YYYY-MM-DD", id="compact-iso"),
        pytest.param(("lgpd", "2026-01-31", "--extended"), "no extension", id="extension-not-allowed"),
    ],
)
def test_deadline_command_refuses_bad_input_with_a_command_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_deadline_command_reports_a_bad_holiday_country_as_a_command_error(settings):
    settings.DSAR_HOLIDAY_COUNTRY = "XX"

    with pytest.raises(CommandError, match="DSAR_HOLIDAY_COUNTRY"):
        run("gdpr", "2026-01-31")


def test_deadline_command_exits_with_status_1_and_no_traceback_on_bad_input():
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), "deadline", "mars", "2026-01-31"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Unknown jurisdiction 'mars'" in result.stderr
    assert "Traceback" not in result.stderr
