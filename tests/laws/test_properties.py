"""Properties every rule keeps, on dates Hypothesis chooses (each rule from its effective date).

* A deadline never comes before the day of receipt.
* An extension never shortens it.
* Where the rule's clock stop suspends the count, a pause of N days moves the period's end by
  at least N days (compared before a rule that moves dates moves it off a weekend or holiday:
  a period that now ends on a Sunday still ends, legally, on the Monday it ended on before).
  Where the clock restarts (the GDPR counts its month from the day the awaited information
  arrives, EDPB Guidelines 01/2022), the deadline never comes earlier than without the wait,
  and never before the day the wait ended.
* The result does not depend on the server's time zone.
"""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_app.errors import ExtensionNotAllowed
from requests_app.laws import deadlines, registry
from requests_app.laws.pack import PACK
from requests_app.laws.rules import REQUEST_TYPES, Rule

LAST_DAY = datetime.date(2035, 12, 31)


@pytest.fixture(autouse=True)
def _known_settings(settings):
    settings.DSAR_HOLIDAY_COUNTRY = ""
    settings.DSAR_HOLIDAY_SUBDIVISION = ""
    settings.DSAR_REASONABLE_PERIOD_DAYS = 30


@st.composite
def rule_and_day(draw: st.DrawFn) -> tuple[Rule, datetime.date, str | None]:
    rule = draw(st.sampled_from(PACK))
    following = [r for r in registry.versions(rule.code) if r.effective > rule.effective]
    last = min([LAST_DAY, *(r.effective - datetime.timedelta(days=1) for r in following)])
    day = draw(st.dates(min_value=max(rule.effective, datetime.date(2000, 1, 1)), max_value=last))
    request_type = draw(st.sampled_from([None, *sorted(rule.request_types & set(REQUEST_TYPES))]))
    return rule, day, request_type


@settings(max_examples=400, deadline=None)
@given(rule_and_day())
def test_a_deadline_never_comes_before_receipt(case):
    rule, received, request_type = case
    deadline = deadlines.due_date(rule.code, received, request_type=request_type)
    assert deadline.rule == rule
    assert deadline.due >= received


@settings(max_examples=400, deadline=None)
@given(rule_and_day())
def test_an_extension_never_shortens_a_deadline(case):
    rule, received, request_type = case
    plain = deadlines.due_date(rule.code, received, request_type=request_type)
    try:
        extended = deadlines.due_date(rule.code, received, request_type=request_type, extended=True)
    except ExtensionNotAllowed:
        assert rule.timing(request_type).extension is None
        return
    assert extended.due >= plain.due
    assert extended.due > received


@settings(max_examples=400, deadline=None)
@given(rule_and_day(), st.integers(min_value=1, max_value=120))
def test_a_pause_moves_a_deadline_by_at_least_its_days_where_the_rule_stops_the_clock(case, days):
    rule, received, request_type = case
    plain = deadlines.due_date(rule.code, received, request_type=request_type)
    paused = deadlines.due_date(rule.code, received, request_type=request_type, paused_days=days)
    stop = rule.clock_stop
    if stop is None:
        assert paused.due == plain.due
    elif stop.counting == "suspends":
        assert paused.counted is not None and plain.counted is not None
        assert (paused.counted - plain.counted).days >= days
        assert paused.due >= plain.due
    else:
        assert paused.due >= plain.due
        assert paused.due > received + datetime.timedelta(days=days)


@settings(max_examples=100, deadline=None)
@given(
    rule_and_day(),
    st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "Asia/Kolkata"]),
    st.times(),
)
def test_the_deadline_is_the_same_in_every_server_time_zone(case, server_zone, clock):
    """The process's own zone (TZ) never moves a date; only the company's TIME_ZONE does."""
    rule, received, _request_type = case
    moment = timezone.make_aware(datetime.datetime.combine(received, clock), timezone.get_default_timezone())
    before = os.environ.get("TZ")
    try:
        os.environ["TZ"] = server_zone
        time.tzset()
        local = timezone.localdate(moment)
        due = deadlines.due_date(rule.code, local).due
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert local == received
    assert due == deadlines.due_date(rule.code, received).due
