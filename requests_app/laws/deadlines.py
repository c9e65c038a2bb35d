"""Response deadlines for data subject requests, per jurisdiction.

Each law's rule is data (a :class:`Rule` in :data:`RULES`); the functions below only read it.
Counting conventions:

* Dates are local calendar dates in ``settings.TIME_ZONE``; callers turn a timestamp into a
  date with ``django.utils.timezone.localdate`` before asking for a deadline.
* The day of receipt is day 0: "45 days" is ``received + 45 days``.
* "One month" follows EDPB Guidelines 01/2022 (and Regulation 1182/71): the same date in the
  following month, or that month's last day when it has no such date (31 Jan -> 28/29 Feb).
  Longer periods are counted from receipt again (three months, not 1 + 2 chained months).
* A pause (the request waits for the information needed to identify the requester) moves
  the start of the count by the whole days it lasted, where the law allows pausing at all.
* A deadline is never moved later unless the law says so: only a rule with
  ``rolls_to_working_day`` moves a deadline that falls on a weekend or public holiday to the
  next working day. Holidays come from the ``holidays`` package, for the rule's own calendar
  or, by default, ``DSAR_HOLIDAY_COUNTRY`` / ``DSAR_HOLIDAY_SUBDIVISION`` (none: weekends only).
"""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass
from typing import Literal

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from requests_app.errors import ExtensionNotAllowed, UnknownJurisdiction

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
DEFAULT_CODE = "default"


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Literal["days", "months"]

    def __str__(self) -> str:
        if self.unit == "days":
            return f"{self.amount} day{'s' if self.amount != 1 else ''}"
        number = _NUMBERS[self.amount] if self.amount < len(_NUMBERS) else str(self.amount)
        return f"{number} month{'s' if self.amount != 1 else ''}"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    label: str  # for choices: name and where it applies
    citation: str
    period: Period
    extension: Period | None  # added to ``period``, counted from receipt; None: no extension
    rolls_to_working_day: bool
    pause_allowed: bool
    acknowledge_within: int | None = None  # business days after receipt; None: no such deadline
    holiday_country: str | None = None  # None: the configured DSAR_HOLIDAY_COUNTRY/SUBDIVISION
    holiday_subdivision: str | None = None

    def __post_init__(self) -> None:
        if self.extension is not None and self.extension.unit != self.period.unit:
            raise ValueError(f"{self.code}: the extension must be counted in {self.period.unit}")


RULES: dict[str, Rule] = {
    # GDPR Art. 12(3): one month, extendable by two further months (the subject told within
    # the first month, with reasons). EDPB Guidelines 01/2022: month-end and working-day rules,
    # and the clock starts only once the controller has the information to identify the subject.
    "gdpr": Rule(
        code="gdpr",
        name="GDPR",
        label="GDPR (EU/EEA)",
        citation="GDPR Art. 12(3); EDPB Guidelines 01/2022",
        period=Period(1, "months"),
        extension=Period(2, "months"),
        rolls_to_working_day=True,
        pause_allowed=True,
    ),
    # Cal. Civ. Code §1798.130(a)(2): 45 calendar days, one 45-day extension with notice in the
    # first 45 days; 11 CCR §7021(a): confirm receipt within 10 business days; §7021(b): the
    # period runs regardless of the time needed to verify (no pause).
    "ccpa": Rule(
        code="ccpa",
        name="CCPA/CPRA",
        label="CCPA/CPRA (California)",
        citation="Cal. Civ. Code §1798.130(a)(2); 11 CCR §7021",
        period=Period(45, "days"),
        extension=Period(45, "days"),
        rolls_to_working_day=False,
        pause_allowed=False,
        acknowledge_within=10,
        # Federal holidays only: California's own calendar adds days (the day after
        # Thanksgiving, Cesar Chavez Day) that many businesses work, and would move the
        # acknowledgement later than a cautious reading allows.
        holiday_country="US",
        holiday_subdivision=None,
    ),
    # LGPD Art. 19(II): a complete answer within 15 days of the request; no extension.
    "lgpd": Rule(
        code="lgpd",
        name="LGPD",
        label="LGPD (Brazil)",
        citation="LGPD Art. 19(II)",
        period=Period(15, "days"),
        extension=None,
        rolls_to_working_day=False,
        pause_allowed=False,
    ),
    # PIPEDA s.8(3): 30 days after receipt; s.8(4): extendable by up to 30 more days, with notice
    # within the first 30 days.
    "pipeda": Rule(
        code="pipeda",
        name="PIPEDA",
        label="PIPEDA (Canada)",
        citation="PIPEDA s.8(3), s.8(4)",
        period=Period(30, "days"),
        extension=Period(30, "days"),
        rolls_to_working_day=False,
        pause_allowed=False,
    ),
}


def _default_rule() -> Rule:
    """The rule for any other law, read from settings on each call (so it follows overrides)."""
    extension_days = settings.DSAR_DEFAULT_EXTENSION_DAYS
    return Rule(
        code=DEFAULT_CODE,
        name="Default",
        label="Other law (configured default)",
        citation="configured default (DSAR_DEFAULT_DEADLINE_DAYS, DSAR_DEFAULT_EXTENSION_DAYS)",
        period=Period(settings.DSAR_DEFAULT_DEADLINE_DAYS, "days"),
        extension=Period(extension_days, "days") if extension_days else None,
        rolls_to_working_day=False,
        pause_allowed=settings.DSAR_DEFAULT_PAUSE_ALLOWED,
    )


def get_rule(code: str) -> Rule:
    key = code.strip().lower()
    if key == DEFAULT_CODE:
        return _default_rule()
    try:
        return RULES[key]
    except KeyError:
        known = [*RULES, DEFAULT_CODE]
        raise UnknownJurisdiction(
            f"Unknown jurisdiction {code!r}: known codes are {', '.join(known)}.", extra={"known": known}
        ) from None


def jurisdiction_choices() -> list[tuple[str, str]]:
    return [(rule.code, rule.label) for rule in (*RULES.values(), _default_rule())]


def weekday_name(day: datetime.date) -> str:
    """English weekday name, whatever the process locale."""
    return WEEKDAYS[day.weekday()]


@dataclass(frozen=True)
class Deadline:
    due: datetime.date
    rule: Rule
    steps: tuple[str, ...]

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
            return None
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


def _count(period: Period, start: datetime.date) -> tuple[datetime.date, str]:
    if period.unit == "months":
        return _add_months(start, period.amount)
    due = start + datetime.timedelta(days=period.amount)
    return due, due.isoformat()


def _non_working_reason(day: datetime.date, rule: Rule) -> str | None:
    if day.weekday() >= 5:
        return f"a {weekday_name(day)}"
    name = _holiday(day, rule)
    return f"a public holiday ({name})" if name else None


def _settle(due: datetime.date, rule: Rule) -> tuple[datetime.date, str | None]:
    """Move a deadline off a weekend or holiday, only where the rule says so; explain either way."""
    reason = _non_working_reason(due, rule) if rule.rolls_to_working_day else None
    if not reason:
        if due.weekday() >= 5:
            return due, f"{due.isoformat()} is a {weekday_name(due)}: not moved ({rule.name} counts calendar days)"
        return due, None
    # GDPR, via Regulation 1182/71 Art. 3(4): a period ending on a Saturday, Sunday or public
    # holiday ends with the expiry of the next working day.
    moved, also = due + datetime.timedelta(days=1), []
    while not is_working_day(moved, rule):
        if moved.weekday() < 5:
            also.append(f"{moved.isoformat()} is also a public holiday ({_holiday(moved, rule)})")
        moved += datetime.timedelta(days=1)
    note = f" ({'; '.join(also)})" if also else ""
    return moved, f"{due.isoformat()} is {reason}: moved to the next working day, {moved.isoformat()}{note}"


def due_date(code: str, received: datetime.date, *, paused_days: int = 0, extended: bool = False) -> Deadline:
    rule = get_rule(code)
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    steps = [f"received {received.isoformat()}"]
    pause = Period(paused_days, "days")
    start = received
    if paused_days and rule.pause_allowed:
        start = received + datetime.timedelta(days=paused_days)
        steps.append(f"clock paused {pause} awaiting the requester: counting from {start.isoformat()}")
    elif paused_days:
        steps.append(f"clock paused {pause}: ignored, {rule.name} does not allow pausing the clock")

    period = rule.period
    if extended:
        if rule.extension is None:
            raise ExtensionNotAllowed(f"{rule.name} ({rule.citation}) allows no extension of the deadline.")
        period = Period(rule.period.amount + rule.extension.amount, rule.period.unit)
    due, shown = _count(period, start)
    how = f" ({rule.period}, extended by {rule.extension})" if extended else ""
    steps.append(f"{period} later{how}: {shown}")

    due, moved_step = _settle(due, rule)
    if moved_step:
        steps.append(moved_step)
    return Deadline(due=due, rule=rule, steps=tuple(steps))


def extension_notice_by(code: str, received: datetime.date, *, paused_days: int = 0) -> datetime.date:
    """Last day to tell the subject of an extension: the law requires it within the first period."""
    rule = get_rule(code)
    if rule.extension is None:
        raise ExtensionNotAllowed(f"{rule.name} ({rule.citation}) allows no extension of the deadline.")
    return due_date(code, received, paused_days=paused_days).due


def acknowledge_by(code: str, received: datetime.date) -> datetime.date | None:
    """Last day to confirm receipt: ``acknowledge_within`` working days after the day of receipt."""
    rule = get_rule(code)
    if rule.acknowledge_within is None:
        return None
    day, counted = received, 0
    while counted < rule.acknowledge_within:
        day += datetime.timedelta(days=1)
        if is_working_day(day, rule):
            counted += 1
    return day


def working_days_before(day: datetime.date, count: int, code: str) -> datetime.date:
    """The date ``count`` working days before ``day``, in the calendar of ``code``'s rule.

    For warnings ahead of a duty: "two working days before the acknowledgement is due" skips
    the weekend and the public holidays the rule's own counting skips.
    """
    rule = get_rule(code)
    counted = 0
    while counted < count:
        day -= datetime.timedelta(days=1)
        if is_working_day(day, rule):
            counted += 1
    return day
