"""Every dated case of the rule pack, through ``laws.deadlines`` and the ``deadline`` command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines
from tests.laws.pack import Case, all_cases

CASES = all_cases()


@pytest.fixture(autouse=True)
def _known_settings(settings):
    settings.DSAR_HOLIDAY_COUNTRY = ""
    settings.DSAR_HOLIDAY_SUBDIVISION = ""
    settings.DSAR_REASONABLE_PERIOD_DAYS = 30


def _compute(case: Case):
    if case.appeal:
        return deadlines.appeal_due(case.code, case.received, extended=case.extended)
    return deadlines.due_date(
        case.code, case.received, paused_days=case.paused_days, extended=case.extended, request_type=case.request_type
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_gives_the_date_its_source_gives(case, settings):
    settings.DSAR_HOLIDAY_COUNTRY = case.holiday_country
    if case.error:
        with pytest.raises(ApplicationError, match=case.error):
            _compute(case)
        return
    assert _compute(case).due == case.expected, case.source


COMMAND_CASES = [case for case in CASES if not (case.paused_days or case.appeal or case.request_type)]


@pytest.mark.parametrize("case", COMMAND_CASES, ids=[case.id for case in COMMAND_CASES])
def test_deadline_command_prints_the_date_of_the_case(case, settings):
    settings.DSAR_HOLIDAY_COUNTRY = case.holiday_country
    out = StringIO()
    args = [case.code, case.received.isoformat(), *(["--extended"] if case.extended else [])]
    if case.error:
        with pytest.raises(CommandError, match=case.error):
            call_command("deadline", *args, stdout=out)
        return
    call_command("deadline", *args, stdout=out)
    assert out.getvalue().splitlines()[0].startswith(f"Due date: {case.expected.isoformat()}"), case.source
