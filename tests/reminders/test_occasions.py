"""When each reminder is due, on a calendar: offsets, overdue days, the duties before the due date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from requests_app.models import ReminderKind, State
from requests_app.reminders.occasions import (
    RequestFacts,
    acknowledgement_occasion,
    deadline_occasion,
    extension_occasion,
    staff_occasions,
)

OFFSETS = [7, 2, 0]


def facts(**overrides: Any) -> RequestFacts:
    values: dict[str, Any] = {
        "pk": 1,
        "reference": "DSR-TEST-0001",
        "jurisdiction": "gdpr",
        "rule_version": "",
        "request_type": "access",
        "state": State.IN_PROGRESS,
        "received": date(2026, 11, 2),
        "due": date(2026, 12, 2),
        "paused_days": 0,
        "extended": False,
        "acknowledged": True,
    }
    return RequestFacts(**{**values, **overrides})


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 24), None),
        (date(2026, 11, 25), "deadline:1:2026-12-02:7"),
        (date(2026, 11, 29), "deadline:1:2026-12-02:7"),
        (date(2026, 11, 30), "deadline:1:2026-12-02:2"),
        (date(2026, 12, 2), "deadline:1:2026-12-02:0"),
        (date(2026, 12, 3), "overdue:1:2026-12-02:2026-12-03"),
        (date(2026, 12, 9), "overdue:1:2026-12-02:2026-12-09"),
    ],
)
def test_the_deadline_reminder_is_the_latest_offset_that_has_come(today: date, expected: str | None) -> None:
    occasion = deadline_occasion(facts(), today, OFFSETS)
    assert (occasion.key if occasion else None) == expected


def test_after_an_outage_only_the_latest_reminder_is_due_not_the_ones_it_replaced() -> None:
    # The seven-day and the two-day dates both passed while nothing ran: one reminder, the two-day one.
    occasion = deadline_occasion(facts(), date(2026, 12, 1), OFFSETS)
    assert occasion is not None
    assert (occasion.kind, occasion.offset, occasion.days_left) == (ReminderKind.DEADLINE, 2, 1)


def test_an_extension_moves_the_reminders_to_the_new_due_date() -> None:
    occasion = deadline_occasion(facts(due=date(2027, 2, 2), extended=True), date(2026, 12, 3), OFFSETS)
    assert occasion is None
    later = deadline_occasion(facts(due=date(2027, 2, 2), extended=True), date(2027, 1, 26), OFFSETS)
    assert later is not None and later.key == "deadline:1:2027-02-02:7"


def test_no_deadline_reminder_while_the_clock_is_paused_where_the_law_stops_it() -> None:
    paused = facts(state=State.AWAITING_REQUESTER)
    assert deadline_occasion(paused, date(2026, 12, 3), OFFSETS) is None
    # CCPA does not stop the clock (11 CCR §7021(b)): the reminders go on.
    ccpa = facts(state=State.AWAITING_REQUESTER, jurisdiction="ccpa")
    assert deadline_occasion(ccpa, date(2026, 12, 3), OFFSETS) is not None


def test_the_ccpa_receipt_warning_counts_business_days_without_federal_holidays() -> None:
    # Received Wednesday 18 November 2026; Thanksgiving (26 November) is not a business day:
    # the tenth business day is Thursday 3 December, and two business days before is 1 December.
    ccpa = facts(jurisdiction="ccpa", received=date(2026, 11, 18), due=date(2027, 1, 2), acknowledged=False)
    assert acknowledgement_occasion(ccpa, date(2026, 11, 30), 2) is None
    occasion = acknowledgement_occasion(ccpa, date(2026, 12, 1), 2)
    assert occasion is not None
    assert (occasion.key, occasion.duty_date, occasion.days_left) == (
        "acknowledgement:1:2026-12-03",
        date(2026, 12, 3),
        2,
    )
    late = acknowledgement_occasion(ccpa, date(2026, 12, 10), 2)
    assert late is not None and late.days_left < 0 and late.key == occasion.key


def test_no_receipt_warning_once_receipt_was_confirmed_or_where_the_law_has_no_such_duty() -> None:
    assert acknowledgement_occasion(facts(jurisdiction="ccpa", acknowledged=True), date(2026, 12, 1), 2) is None
    assert acknowledgement_occasion(facts(acknowledged=False), date(2026, 12, 1), 2) is None


def test_the_gdpr_extension_warning_comes_before_the_first_month_ends_after_a_weekend_roll() -> None:
    # Received 31 January 2026: one month is 28 February, a Saturday, so the first month ends
    # on Monday 2 March (Regulation 1182/71 Art. 3(4)); two working days before is Thursday 26 February.
    gdpr = facts(received=date(2026, 1, 31), due=date(2026, 3, 2))
    assert extension_occasion(gdpr, date(2026, 2, 25), 2) is None
    occasion = extension_occasion(gdpr, date(2026, 2, 26), 2)
    assert occasion is not None
    assert (occasion.key, occasion.duty_date) == ("extension:1:2026-03-02", date(2026, 3, 2))
    assert extension_occasion(gdpr, date(2026, 3, 2), 2) is not None
    assert extension_occasion(gdpr, date(2026, 3, 3), 2) is None, "too late to extend: the overdue reminders take over"


def test_the_gdpr_extension_warning_skips_the_configured_public_holidays(settings: Any) -> None:
    # With German holidays: received 25 November 2026, one month is Friday 25 December
    # (Christmas), the 26th is a Saturday (and a holiday), so the month ends Monday 28
    # December; two working days before, skipping the 25th, is Wednesday 23 December.
    settings.DSAR_HOLIDAY_COUNTRY = "DE"
    gdpr = facts(received=date(2026, 11, 25), due=date(2026, 12, 28))
    assert extension_occasion(gdpr, date(2026, 12, 22), 2) is None
    occasion = extension_occasion(gdpr, date(2026, 12, 23), 2)
    assert occasion is not None and occasion.duty_date == date(2026, 12, 28)


def test_no_extension_warning_once_extended_or_where_the_law_allows_none() -> None:
    assert extension_occasion(facts(extended=True), date(2026, 11, 30), 2) is None
    assert extension_occasion(facts(jurisdiction="lgpd", due=date(2026, 11, 17)), date(2026, 11, 16), 2) is None


def test_every_duty_of_a_day_is_listed_once() -> None:
    ccpa = facts(jurisdiction="ccpa", received=date(2026, 11, 18), due=date(2027, 1, 2), acknowledged=False)
    keys = [o.key for o in staff_occasions(ccpa, date(2026, 12, 1), offsets=OFFSETS, warning_days=2)]
    assert keys == ["acknowledgement:1:2026-12-03"]
