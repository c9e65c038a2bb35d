"""Deadline rules per jurisdiction, checked on real calendar dates.

Every expected date (and weekday) below was checked against Python's ``calendar`` module and
the ``holidays`` package's German and US calendars.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured

from requests_app.errors import ApplicationError, ExtensionNotAllowed, UnknownJurisdiction
from requests_app.laws import deadlines
from requests_app.laws.deadlines import (
    Deadline,
    acknowledge_by,
    due_date,
    extension_notice_by,
    get_rule,
    is_working_day,
    jurisdiction_choices,
)
from requests_app.laws.pack import PACK


@pytest.fixture(autouse=True)
def _known_settings(settings):
    """No holiday country (weekends only) and the shipped default rule, whatever the environment says."""
    settings.DSAR_HOLIDAY_COUNTRY = ""
    settings.DSAR_HOLIDAY_SUBDIVISION = ""
    settings.DSAR_DEFAULT_DEADLINE_DAYS = 30
    settings.DSAR_DEFAULT_EXTENSION_DAYS = 30
    settings.DSAR_DEFAULT_PAUSE_ALLOWED = True


@pytest.fixture
def germany(settings):
    settings.DSAR_HOLIDAY_COUNTRY = "DE"


# --- GDPR: one month, month ends, working days -------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(date(2025, 1, 31), date(2025, 2, 28), id="31-jan-2025-to-fri-28-feb"),
        pytest.param(date(2028, 1, 31), date(2028, 2, 29), id="31-jan-2028-leap-year-to-tue-29-feb"),
        pytest.param(date(2025, 1, 30), date(2025, 2, 28), id="30-jan-2025-to-fri-28-feb"),
        pytest.param(date(2026, 3, 31), date(2026, 4, 30), id="31-mar-to-thu-30-apr"),
        pytest.param(date(2026, 12, 15), date(2027, 1, 15), id="15-dec-over-year-end-to-fri-15-jan"),
        pytest.param(date(2026, 1, 31), date(2026, 3, 2), id="31-jan-2026-to-sat-28-feb-rolled-to-mon-2-mar"),
        pytest.param(date(2026, 8, 5), date(2026, 9, 7), id="5-aug-to-sat-5-sep-rolled-to-mon-7-sep"),
        pytest.param(date(2026, 3, 5), date(2026, 4, 6), id="5-mar-to-sun-5-apr-rolled-to-mon-6-apr"),
    ],
)
def test_gdpr_request_is_due_one_month_later_on_the_next_working_day(received, expected):
    assert due_date("gdpr", received).due == expected


def test_gdpr_request_received_on_31_january_is_due_on_the_last_day_of_february():
    deadline = due_date("gdpr", date(2025, 1, 31))

    assert deadline.due == date(2025, 2, 28)
    assert deadline.steps == (
        "received 2025-01-31",
        "one month later: 2025-02-28 (February has no 31st: last day of the month)",
    )


def test_gdpr_deadline_on_a_saturday_explains_the_move_to_monday():
    deadline = due_date("gdpr", date(2026, 1, 31))

    assert deadline.steps[-1] == "2026-02-28 is a Saturday: moved to the next working day, 2026-03-02"
    assert deadline.explain() == (
        f"GDPR ({get_rule('gdpr').citation}): received 2026-01-31; "
        "one month later: 2026-02-28 (February has no 31st: last day of the month); "
        "2026-02-28 is a Saturday: moved to the next working day, 2026-03-02. Due 2026-03-02 (Monday)."
    )


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(date(2026, 12, 1), date(2027, 1, 4), id="new-years-day-fri-1-jan-2027-to-mon-4-jan"),
        pytest.param(date(2026, 3, 5), date(2026, 4, 7), id="easter-monday-6-apr-2026-to-tue-7-apr"),
        pytest.param(date(2026, 3, 3), date(2026, 4, 7), id="good-friday-weekend-and-easter-monday-to-tue-7-apr"),
        pytest.param(date(2028, 9, 3), date(2028, 10, 4), id="german-unity-day-tue-3-oct-2028-to-wed-4-oct"),
        pytest.param(date(2025, 9, 3), date(2025, 10, 6), id="german-unity-day-fri-3-oct-2025-to-mon-6-oct"),
        pytest.param(date(2026, 11, 25), date(2026, 12, 28), id="christmas-fri-25-dec-2026-to-mon-28-dec"),
        pytest.param(date(2026, 12, 15), date(2027, 1, 15), id="no-holiday-fri-15-jan-2027-stays"),
    ],
)
def test_gdpr_deadline_on_a_german_public_holiday_moves_to_the_next_working_day(germany, received, expected):
    assert due_date("gdpr", received).due == expected


def test_gdpr_deadline_names_the_holiday_and_the_other_holidays_it_skips(germany):
    deadline = due_date("gdpr", date(2026, 3, 3))

    assert deadline.steps[-1] == (
        "2026-04-03 is a public holiday (Good Friday): moved to the next working day, 2026-04-07 "
        "(2026-04-06 is also a public holiday (Easter Monday))"
    )


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(date(2026, 12, 1), date(2027, 1, 4), id="fri-1-jan-2027-is-a-holiday-in-every-eu-state"),
        pytest.param(date(2026, 11, 25), date(2026, 12, 28), id="fri-25-dec-2026-is-a-holiday-in-every-eu-state"),
        pytest.param(date(2026, 3, 5), date(2026, 4, 6), id="mon-6-apr-2026-is-a-working-day"),
        pytest.param(date(2028, 9, 3), date(2028, 10, 3), id="tue-3-oct-2028-is-a-working-day"),
    ],
)
def test_gdpr_deadline_with_no_holiday_country_moves_for_weekends_and_the_common_holidays(received, expected):
    assert due_date("gdpr", received).due == expected


def test_gdpr_deadline_follows_the_configured_subdivisions_holidays(settings):
    settings.DSAR_HOLIDAY_COUNTRY = "DE"
    assert due_date("gdpr", date(2026, 12, 6)).due == date(2027, 1, 6)  # Epiphany: not a holiday in all Germany

    settings.DSAR_HOLIDAY_SUBDIVISION = "BY"
    assert due_date("gdpr", date(2026, 12, 6)).due == date(2027, 1, 7)  # a holiday in Bavaria: Wed -> Thu


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(date(2026, 1, 31), date(2026, 4, 30), id="31-jan-to-thu-30-apr"),
        pytest.param(date(2025, 11, 30), date(2026, 3, 2), id="30-nov-to-sat-28-feb-rolled-to-mon-2-mar"),
        pytest.param(date(2027, 11, 30), date(2028, 2, 29), id="30-nov-2027-to-leap-day-tue-29-feb-2028"),
        pytest.param(date(2026, 12, 15), date(2027, 3, 15), id="15-dec-to-mon-15-mar"),
    ],
)
def test_gdpr_extended_request_is_due_three_months_after_receipt(received, expected):
    assert due_date("gdpr", received, extended=True).due == expected


def test_gdpr_extension_is_counted_from_receipt_not_from_the_first_deadline():
    deadline = due_date("gdpr", date(2026, 1, 31), extended=True)

    # 28 Feb + two months would be 28 Apr; three months from 31 Jan is 30 Apr.
    assert deadline.steps[-1] == (
        "three months later (one month, extended by two months): 2026-04-30 (April has no 31st: last day of the month)"
    )


def test_gdpr_extension_notice_is_due_by_the_unextended_deadline():
    assert extension_notice_by("gdpr", date(2026, 1, 31)) == date(2026, 3, 2)
    assert extension_notice_by("GDPR", date(2026, 1, 31), paused_days=3) == date(2026, 3, 3)


@pytest.mark.parametrize(
    ("received", "paused_days", "expected"),
    [
        pytest.param(date(2026, 1, 31), 3, date(2026, 3, 3), id="3-days-counts-from-3-feb-to-tue-3-mar"),
        pytest.param(date(2026, 1, 21), 10, date(2026, 3, 2), id="10-days-counts-from-31-jan-to-mon-2-mar"),
        pytest.param(date(2026, 1, 31), 0, date(2026, 3, 2), id="no-pause"),
    ],
)
def test_gdpr_pause_moves_the_start_of_the_count(received, paused_days, expected):
    assert due_date("gdpr", received, paused_days=paused_days).due == expected


def test_gdpr_pause_is_explained():
    deadline = due_date("gdpr", date(2026, 1, 31), paused_days=3)

    assert deadline.steps[1] == "clock paused 3 days awaiting the requester: counting from 2026-02-03"


def test_negative_pause_is_refused():
    with pytest.raises(ValueError, match="negative"):
        due_date("gdpr", date(2026, 1, 31), paused_days=-1)


# --- CCPA/CPRA: 45 calendar days, 10 business days to acknowledge --------------------------------


@pytest.mark.parametrize(
    ("received", "extended", "expected"),
    [
        pytest.param(date(2026, 1, 1), False, date(2026, 2, 15), id="45-days-to-sun-15-feb-not-moved"),
        pytest.param(date(2026, 1, 1), True, date(2026, 4, 1), id="90-days-to-wed-1-apr"),
        pytest.param(date(2026, 12, 15), False, date(2027, 1, 29), id="45-days-over-year-end"),
        pytest.param(date(2026, 12, 15), True, date(2027, 3, 15), id="90-days-over-year-end"),
        pytest.param(date(2028, 1, 31), False, date(2028, 3, 16), id="45-days-over-leap-february"),
        pytest.param(date(2027, 1, 31), False, date(2027, 3, 17), id="45-days-over-common-february"),
    ],
)
def test_ccpa_request_is_due_45_calendar_days_after_receipt_or_90_when_extended(received, extended, expected):
    assert due_date("ccpa", received, extended=extended).due == expected


def test_ccpa_deadline_on_a_weekend_is_not_moved_later(germany):
    deadline = due_date("ccpa", date(2026, 1, 1))

    assert deadline.due == date(2026, 2, 15)
    assert deadline.steps[-1] == "2026-02-15 is a Sunday: not moved (CCPA/CPRA counts calendar days)"


def test_ccpa_ignores_a_pause_and_says_so():
    deadline = due_date("ccpa", date(2026, 1, 1), paused_days=10)

    assert deadline.due == date(2026, 2, 15)
    assert "clock paused 10 days: ignored, CCPA/CPRA does not allow pausing the clock" in deadline.steps


def test_ccpa_extension_notice_is_due_within_the_first_45_days():
    assert extension_notice_by("ccpa", date(2026, 1, 1)) == date(2026, 2, 15)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # Thu 26 Nov (Thanksgiving) is not a business day; Fri 27 Nov, a Californian holiday
        # but no federal one, is: the cautious reading counts it.
        pytest.param(date(2026, 11, 20), date(2026, 12, 7), id="over-thanksgiving-to-mon-7-dec"),
        # Sat 4 July 2026 is observed on Fri 3 July.
        pytest.param(date(2026, 6, 30), date(2026, 7, 15), id="over-independence-day-observed-to-wed-15-jul"),
        pytest.param(date(2026, 3, 2), date(2026, 3, 16), id="plain-fortnight-to-mon-16-mar"),
    ],
)
def test_ccpa_receipt_must_be_acknowledged_within_10_business_days(received, expected):
    assert acknowledge_by("ccpa", received) == expected


def test_ccpa_acknowledgement_uses_us_federal_holidays_whatever_the_configured_country(germany):
    assert acknowledge_by("ccpa", date(2026, 11, 20)) == date(2026, 12, 7)


# --- LGPD, PIPEDA, default ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(date(2026, 1, 31), date(2026, 2, 15), id="to-sun-15-feb-not-moved"),
        pytest.param(date(2026, 12, 20), date(2027, 1, 4), id="over-year-end"),
        pytest.param(date(2028, 2, 20), date(2028, 3, 6), id="over-leap-day"),
        pytest.param(date(2027, 2, 20), date(2027, 3, 7), id="over-common-february"),
    ],
)
def test_lgpd_request_is_due_15_calendar_days_after_receipt(received, expected):
    assert due_date("lgpd", received).due == expected


def test_lgpd_allows_no_extension_no_pause_and_no_acknowledgement_deadline():
    with pytest.raises(ExtensionNotAllowed, match="LGPD"):
        due_date("lgpd", date(2026, 1, 31), extended=True)
    with pytest.raises(ExtensionNotAllowed):
        extension_notice_by("lgpd", date(2026, 1, 31))
    assert due_date("lgpd", date(2026, 1, 31), paused_days=5).due == date(2026, 2, 15)
    assert acknowledge_by("lgpd", date(2026, 1, 31)) is None


@pytest.mark.parametrize(
    ("received", "extended", "expected"),
    [
        pytest.param(date(2026, 1, 31), False, date(2026, 3, 2), id="30-days-to-mon-2-mar"),
        pytest.param(date(2026, 1, 31), True, date(2026, 4, 1), id="60-days-to-wed-1-apr"),
        pytest.param(date(2028, 1, 31), False, date(2028, 3, 1), id="30-days-over-leap-february"),
        pytest.param(date(2027, 1, 31), False, date(2027, 3, 2), id="30-days-over-common-february"),
        pytest.param(date(2026, 12, 15), False, date(2027, 1, 14), id="30-days-over-year-end"),
        pytest.param(date(2026, 12, 15), True, date(2027, 2, 13), id="60-days-to-sat-13-feb-not-moved"),
    ],
)
def test_pipeda_request_is_due_30_days_after_receipt_or_60_when_extended(received, extended, expected):
    assert due_date("pipeda", received, extended=extended).due == expected


def test_pipeda_ignores_a_pause():
    assert due_date("pipeda", date(2026, 1, 31), paused_days=4).due == date(2026, 3, 2)


def test_default_rule_follows_the_settings(settings):
    settings.DSAR_DEFAULT_DEADLINE_DAYS = 20
    settings.DSAR_DEFAULT_EXTENSION_DAYS = 10

    assert due_date("default", date(2026, 3, 1)).due == date(2026, 3, 21)  # a Saturday: not moved
    assert due_date("default", date(2026, 3, 1), extended=True).due == date(2026, 3, 31)
    assert due_date("default", date(2026, 3, 1), paused_days=5).due == date(2026, 3, 26)
    assert extension_notice_by("default", date(2026, 3, 1)) == date(2026, 3, 21)


def test_default_rule_with_no_extension_days_refuses_an_extension(settings):
    settings.DSAR_DEFAULT_EXTENSION_DAYS = 0

    assert get_rule("default").extension is None
    with pytest.raises(ExtensionNotAllowed):
        due_date("default", date(2026, 3, 1), extended=True)


def test_default_rule_ignores_a_pause_when_the_settings_forbid_it(settings):
    settings.DSAR_DEFAULT_PAUSE_ALLOWED = False

    assert due_date("default", date(2026, 3, 1), paused_days=5).due == date(2026, 3, 31)


def test_default_rule_with_shipped_settings_is_30_days_extendable_by_30():
    assert due_date("default", date(2026, 1, 31)).due == date(2026, 3, 2)
    assert due_date("default", date(2026, 1, 31), extended=True).due == date(2026, 4, 1)


# --- Rules, codes, working days, configuration ---------------------------------------------------


@pytest.mark.parametrize("code", ["GDPR", "Gdpr", " gdpr "])
def test_jurisdiction_codes_are_case_insensitive(code):
    assert get_rule(code) is get_rule("gdpr")
    assert due_date(code, date(2026, 1, 31)).due == date(2026, 3, 2)


def test_unknown_jurisdiction_is_refused_with_the_known_codes():
    with pytest.raises(UnknownJurisdiction, match=r"'mars'.*gdpr, .*us-ca, .*default.*ccpa for us-ca") as excinfo:
        due_date("mars", date(2026, 1, 31))
    assert isinstance(excinfo.value, ApplicationError)


def test_jurisdiction_choices_list_every_rule_in_a_stable_order():
    codes = [code for code, _label in jurisdiction_choices()]
    assert codes == [*dict.fromkeys(rule.code for rule in PACK), "default"]
    assert {"gdpr", "us-ca", "lgpd", "pipeda"} <= set(codes)
    assert all(label for _code, label in jurisdiction_choices())


def test_rules_are_frozen_data():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_rule("gdpr").code = "uk"  # type: ignore[misc]


def test_deadline_carries_its_rule_and_explains_itself_in_one_paragraph():
    deadline = due_date("pipeda", date(2026, 1, 31))

    assert isinstance(deadline, Deadline)
    assert deadline.rule is get_rule("pipeda")
    assert deadline.explain() == (
        f"PIPEDA ({get_rule('pipeda').citation}): received 2026-01-31; "
        "30 days later: 2026-03-02. Due 2026-03-02 (Monday)."
    )


@pytest.mark.parametrize(
    ("day", "code", "country", "expected"),
    [
        pytest.param(date(2026, 12, 25), "gdpr", "DE", False, id="christmas-in-germany"),
        pytest.param(date(2026, 12, 25), "gdpr", "", False, id="christmas-in-every-eu-state-with-no-country"),
        pytest.param(date(2026, 12, 24), "gdpr", "", True, id="christmas-eve-with-no-country"),
        pytest.param(date(2026, 12, 25), "default", "", True, id="the-default-rule-has-no-common-holidays"),
        pytest.param(date(2026, 12, 26), "gdpr", "", False, id="saturday"),
        pytest.param(date(2026, 11, 26), "ccpa", "", False, id="thanksgiving-in-the-us"),
        pytest.param(date(2026, 11, 27), "ccpa", "", True, id="day-after-thanksgiving-is-worked"),
        pytest.param(date(2026, 11, 26), "gdpr", "DE", True, id="thanksgiving-in-germany"),
    ],
)
def test_working_days_follow_the_rules_holiday_calendar(settings, day, code, country, expected):
    settings.DSAR_HOLIDAY_COUNTRY = country
    assert is_working_day(day, get_rule(code)) is expected


@pytest.mark.parametrize(
    ("country", "subdivision", "named"),
    [
        pytest.param("XX", "", "DSAR_HOLIDAY_COUNTRY='XX'", id="unknown-country"),
        pytest.param("DE", "ZZ", "DSAR_HOLIDAY_SUBDIVISION='ZZ'", id="unknown-subdivision"),
        pytest.param("", "BY", "DSAR_HOLIDAY_COUNTRY is not", id="subdivision-without-country"),
    ],
)
def test_a_bad_holiday_configuration_is_reported_as_improperly_configured(settings, country, subdivision, named):
    settings.DSAR_HOLIDAY_COUNTRY = country
    settings.DSAR_HOLIDAY_SUBDIVISION = subdivision

    with pytest.raises(ImproperlyConfigured, match="DSAR_HOLIDAY_COUNTRY") as excinfo:
        due_date("gdpr", date(2026, 1, 31))
    assert named in str(excinfo.value)


def test_holiday_calendars_are_built_once_per_country_subdivision_and_year(germany):
    deadlines._holiday_calendar.cache_clear()
    due_date("gdpr", date(2026, 3, 3))
    due_date("gdpr", date(2026, 3, 3))

    info = deadlines._holiday_calendar.cache_info()
    assert info.currsize == 1
    assert info.hits > 0
