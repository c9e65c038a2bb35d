"""Response deadlines for data subject requests: the rule pack's periods turned into dates.

Each law's rule is data (a :class:`~requests_app.laws.rules.Rule` in the pack); the
functions below only read it. Counting conventions (see ``rules`` for the units):

* Dates are local calendar dates in ``settings.TIME_ZONE``; callers turn a timestamp into a
  date with ``django.utils.timezone.localdate`` before asking for a deadline, so the server's
  own time zone never changes a result.
* A wait for the requester moves the deadline only where the rule has a clock stop: by the
  days waited (``suspends``), or by counting the period from the day the wait ended
  (``restarts``).
* A deadline is never moved later unless the law says so: only a rule with
  ``rolls_to_working_day`` moves a deadline that falls on a weekend or public holiday to the
  next working day. Holidays come from the ``holidays`` package, for the rule's own calendar
  or, by default, ``DSAR_HOLIDAY_COUNTRY`` / ``DSAR_HOLIDAY_SUBDIVISION`` (none: weekends and
  the rule's ``common_holidays`` only).
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from typing import Protocol

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from requests_app.errors import ExtensionNotAllowed, UnknownJurisdiction
from requests_app.laws.registry import DEFAULT_CODE, get_rule, jurisdiction_choices
from requests_app.laws.rules import APPEAL, Period, Rule

__all__ = ["DEFAULT_CODE", "NOT_LEGAL_ADVICE", "Deadline", "due_date", "get_rule", "jurisdiction_choices"]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOT_LEGAL_ADVICE = "Computed from the rule; not legal advice."


class CountedRequest(Protocol):
    """What the deadline of a stored request is counted from."""

    @property
    def jurisdiction(self) -> str: ...

    @property
    def rule_version(self) -> str: ...


def rule_of(request: CountedRequest) -> Rule:
    """The rule a stored request is counted under: its own stored version of its law's rule."""
    return get_rule(request.jurisdiction, version=request.rule_version or None)


def weekday_name(day: datetime.date) -> str:
    """English weekday name, whatever the process locale."""
    return WEEKDAYS[day.weekday()]


@dataclass(frozen=True)
class Deadline:
    """``due`` is the last day to answer; ``counted`` the day the period itself ends, before a
    rule that moves dates moved it off a weekend or holiday."""

    due: datetime.date
    rule: Rule
    steps: tuple[str, ...]
    counted: datetime.date | None = None

    def explain(self) -> str:
        return (
            f"{self.rule.name} ({self.rule.citation}): {'; '.join(self.steps)}. "
            f"Due {self.due.isoformat()} ({weekday_name(self.due)})."
        )


@functools.lru_cache(maxsize=64)
def _holiday_calendar(country: str, subdivision: str | None, years: tuple[int, ...]) -> holidays.HolidayBase:
    try:
        # expand=False: the cached calendar is never filled in by a later lookup.
        return holidays.country_holidays(country, subdiv=subdivision, years=years, expand=False, language="en_US")
    except NotImplementedError as exc:
        raise ImproperlyConfigured(
            f"DSAR_HOLIDAY_COUNTRY={country!r} with DSAR_HOLIDAY_SUBDIVISION={subdivision or ''!r} is not a "
            f"calendar the holidays package knows ({exc}); use a code such as 'DE', or '' for weekends only."
        ) from exc


def _holiday(day: datetime.date, rule: Rule) -> str | None:
    """The name of the public holiday on ``day`` in the rule's calendar, or None."""
    if rule.holiday_country is not None:
        country, subdivision = rule.holiday_country, rule.holiday_subdivision
    else:
        country, subdivision = settings.DSAR_HOLIDAY_COUNTRY, settings.DSAR_HOLIDAY_SUBDIVISION
        if not country:
            if subdivision:
                raise ImproperlyConfigured("DSAR_HOLIDAY_SUBDIVISION is set but DSAR_HOLIDAY_COUNTRY is not.")
            return next(
                (name for month, dom, name in rule.common_holidays if (day.month, day.day) == (month, dom)), None
            )
    name: str | None = _holiday_calendar(country.upper(), (subdivision or "").upper() or None, (day.year,)).get(day)
    return name


def is_working_day(day: datetime.date, rule: Rule) -> bool:
    return day.weekday() < 5 and _holiday(day, rule) is None


def _add_months(start: datetime.date, months: int) -> tuple[datetime.date, str]:
    """Same date ``months`` later, or that month's last day (EDPB Guidelines 01/2022)."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    due = datetime.date(year, month, min(start.day, last))
    if start.day <= last:
        return due, due.isoformat()
    ordinal = f"{start.day}{'st' if start.day == 31 else 'th'}"  # only the 29th to 31st can be missing
    return due, f"{due.isoformat()} ({calendar.month_name[month]} has no {ordinal}: last day of the month)"


def _add_business_days(start: datetime.date, count: int, rule: Rule) -> datetime.date:
    day, counted = start, 0
    while counted < count:
        day += datetime.timedelta(days=1)
        if is_working_day(day, rule):
            counted += 1
    return day


def _count(period: Period, start: datetime.date, rule: Rule) -> tuple[datetime.date, str]:
    if period.unit == "months":
        return _add_months(start, period.amount)
    if period.unit == "business_days":
        due = _add_business_days(start, period.amount, rule)
        return due, f"{due.isoformat()} (weekends and public holidays not counted)"
    due = start + datetime.timedelta(days=period.amount)
    return due, due.isoformat()


def _non_working_reason(day: datetime.date, rule: Rule) -> str | None:
    if day.weekday() >= 5:
        return f"a {weekday_name(day)}"
    name = _holiday(day, rule)
    return f"a public holiday ({name})" if name else None


def _next_working_day(day: datetime.date, rule: Rule) -> tuple[datetime.date, list[str]]:
    moved, also = day + datetime.timedelta(days=1), []
    while not is_working_day(moved, rule):
        if moved.weekday() < 5:
            also.append(f"{moved.isoformat()} is also a public holiday ({_holiday(moved, rule)})")
        moved += datetime.timedelta(days=1)
    return moved, also


def _settle(due: datetime.date, rule: Rule) -> tuple[datetime.date, str | None]:
    """Move a deadline off a weekend or holiday, only where the rule says so; explain either way."""
    reason = _non_working_reason(due, rule) if rule.rolls_to_working_day else None
    if not reason:
        if due.weekday() >= 5:
            return due, f"{due.isoformat()} is a {weekday_name(due)}: not moved ({rule.name} counts calendar days)"
        return due, None
    # Regulation 1182/71 Art. 3(4) for the GDPR (and the rules that follow it): a period ending
    # on a Saturday, Sunday or public holiday ends with the expiry of the next working day.
    moved, also = _next_working_day(due, rule)
    note = f" ({'; '.join(also)})" if also else ""
    return moved, f"{due.isoformat()} is {reason}: moved to the next working day, {moved.isoformat()}{note}"


def _period_of(rule: Rule, request_type: str | None) -> tuple[Period, str | None]:
    """The response period, and a step saying where it came from when that is not obvious."""
    timing = rule.timing(request_type)
    if rule.reasonable_period and request_type not in rule.by_type and request_type != APPEAL:
        days = settings.DSAR_REASONABLE_PERIOD_DAYS
        return Period(days, "days"), (
            f"{rule.name} sets no fixed period: the configured reasonable period "
            f"(DSAR_REASONABLE_PERIOD_DAYS = {days} days) is used"
        )
    if request_type is not None and request_type in rule.by_type:
        return timing.period, f"a {request_type.replace('_', '-')} request: {timing.period} ({timing.citation})"
    if request_type == APPEAL and rule.appeal is not None:
        return timing.period, f"an appeal: {timing.period} from its receipt ({timing.citation})"
    return timing.period, None


def _settled(counted_end: datetime.date, rule: Rule, steps: list[str]) -> Deadline:
    """The deadline once moved off a weekend or holiday where the rule says so, with every step."""
    due, moved_step = _settle(counted_end, rule)
    if moved_step:
        steps.append(moved_step)
    return Deadline(due=due, rule=rule, steps=tuple(steps), counted=counted_end)


def due_date(
    code: str,
    received: datetime.date,
    *,
    paused_days: int = 0,
    extended: bool = False,
    request_type: str | None = None,
    version: str | None = None,
) -> Deadline:
    """The last day to answer a request received on ``received`` under ``code``'s rule.

    ``version`` is the rule version stored on a request; without it, the version in force on
    the day of receipt is used.
    """
    rule = get_rule(code, received=None if version else received, version=version)
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    steps = [f"received {received.isoformat()}"]
    period, origin = _period_of(rule, request_type)
    if origin:
        steps.append(origin)
    start, suspended = received, 0
    stop = rule.clock_stop
    if paused_days and stop is not None and stop.counting == "restarts":
        start = received + datetime.timedelta(days=paused_days)
        steps.append(
            f"clock paused {Period(paused_days, 'days')} awaiting the requester: counting from {start.isoformat()}"
        )
    elif paused_days and stop is not None:
        suspended = paused_days
    elif paused_days:
        steps.append(
            f"clock paused {Period(paused_days, 'days')}: ignored, {rule.name} does not allow pausing the clock"
        )

    extension = rule.timing(request_type).extension
    counted = period
    if extended:
        if extension is None:
            raise ExtensionNotAllowed(f"{rule.name} ({rule.citation}) allows no extension of the deadline.")
        counted = Period(period.amount + extension.by.amount, period.unit)
    due, shown = _count(counted, start, rule)
    how = f" ({period}, extended by {extension.by})" if extended and extension else ""
    steps.append(f"{counted} later{how}: {shown}")
    if suspended:
        due += datetime.timedelta(days=suspended)
        steps.append(f"clock paused {Period(suspended, 'days')} awaiting the requester, not counted: {due.isoformat()}")
        if period.unit == "business_days" and not is_working_day(due, rule):
            due, _also = _next_working_day(due, rule)
            steps.append(f"a business-day period ends on a working day: {due.isoformat()}")

    return _settled(due, rule, steps)


def extension_notice_by(
    code: str,
    received: datetime.date,
    *,
    paused_days: int = 0,
    request_type: str | None = None,
    version: str | None = None,
) -> datetime.date | None:
    """Last day to tell the subject of an extension, where the law wants it within the first period."""
    rule = get_rule(code, received=None if version else received, version=version)
    extension = rule.timing(request_type).extension
    if extension is None:
        raise ExtensionNotAllowed(f"{rule.name} ({rule.citation}) allows no extension of the deadline.")
    if not extension.notice_within_period:
        return None
    return due_date(code, received, paused_days=paused_days, request_type=request_type, version=rule.version).due


def acknowledge_by(code: str, received: datetime.date, *, version: str | None = None) -> datetime.date | None:
    """Last day to confirm receipt: ``acknowledge_within`` working days after the day of receipt."""
    rule = get_rule(code, received=None if version else received, version=version)
    if rule.acknowledge_within is None:
        return None
    return _add_business_days(received, rule.acknowledge_within, rule)


def appeal_due(code: str, received: datetime.date, *, extended: bool = False, version: str | None = None) -> Deadline:
    """The last day to answer an appeal received on ``received`` (the appeal's own clock).

    The same count as any request of the type ``appeal`` (``Rule.timing`` gives its period
    and extension), refused where the law gives no appeal at all.
    """
    rule = get_rule(code, received=None if version else received, version=version)
    if rule.appeal is None:
        raise UnknownJurisdiction(f"{rule.name} ({rule.citation}) gives no right to appeal to the controller.")
    return due_date(code, received, extended=extended, request_type=APPEAL, version=rule.version)


def appeal_file_by(code: str, refused: datetime.date, *, version: str | None = None) -> datetime.date | None:
    """The last day the subject may appeal a refusal made on ``refused``; None where the law sets none."""
    rule = get_rule(code, received=None if version else refused, version=version)
    if rule.appeal is None or rule.appeal.file_within is None:
        return None
    return _count(rule.appeal.file_within, refused, rule)[0]


def working_days_before(day: datetime.date, count: int, code: str, *, version: str | None = None) -> datetime.date:
    """The date ``count`` working days before ``day``, in the calendar of ``code``'s rule.

    For warnings ahead of a duty: "two working days before the acknowledgement is due" skips
    the weekend and the public holidays the rule's own counting skips.
    """
    rule = get_rule(code, version=version)
    counted = 0
    while counted < count:
        day -= datetime.timedelta(days=1)
        if is_working_day(day, rule):
            counted += 1
    return day
