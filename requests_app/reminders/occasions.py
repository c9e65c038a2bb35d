"""When each reminder is due: pure functions of a request's dates and today's date.

Every occasion has a key that names it for ever ("deadline:<request>:<due date>:7"), so a
reminder sent once is never sent again, and a changed due date (an extension, a pause)
makes new occasions for the new date. After an outage only the latest occasion that has
come is returned, never the ones it replaced: a request due in two days gets the two-day
reminder, not the seven-day one as well; an overdue request gets today's, not one for each
day missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from requests_app.laws import deadlines
from requests_app.models import ReminderKind, State

if TYPE_CHECKING:
    import datetime


@dataclass(frozen=True)
class RequestFacts:
    """What the occasions depend on, read from one open request."""

    pk: int
    reference: str
    jurisdiction: str
    rule_version: str
    request_type: str
    state: str
    received: datetime.date
    due: datetime.date
    paused_days: int
    extended: bool
    acknowledged: bool


@dataclass(frozen=True)
class Occasion:
    key: str
    kind: ReminderKind
    duty_date: datetime.date  # the day the duty falls due (the due date, or the duty's own)
    days_left: int  # negative once the day has passed
    offset: int | None = None  # for a deadline reminder: the DSAR_REMINDER_DAYS entry it is for


def clock_paused(facts: RequestFacts) -> bool:
    """Waiting for the requester under a law that stops the clock: the due date will move."""
    return facts.state == State.AWAITING_REQUESTER and deadlines.rule_of(facts).pause_allowed


def deadline_occasion(facts: RequestFacts, today: datetime.date, offsets: list[int]) -> Occasion | None:
    """The reminder of the due date that has come: daily once overdue, else the latest offset."""
    if clock_paused(facts):
        return None
    days_left = (facts.due - today).days
    if days_left < 0:
        return Occasion(
            key=f"overdue:{facts.pk}:{facts.due.isoformat()}:{today.isoformat()}",
            kind=ReminderKind.OVERDUE,
            duty_date=facts.due,
            days_left=days_left,
        )
    come = [offset for offset in offsets if days_left <= offset]
    if not come:
        return None
    offset = min(come)
    return Occasion(
        key=f"deadline:{facts.pk}:{facts.due.isoformat()}:{offset}",
        kind=ReminderKind.DEADLINE,
        duty_date=facts.due,
        days_left=days_left,
        offset=offset,
    )


def acknowledgement_occasion(facts: RequestFacts, today: datetime.date, warning_days: int) -> Occasion | None:
    """Receipt not confirmed yet, ``warning_days`` working days before the law's limit.

    11 CCR §7021(a): confirm receipt within 10 business days. The limit and the warning are
    counted in the rule's business days (weekends and its public holidays skipped).
    """
    if facts.acknowledged:
        return None
    version = deadlines.rule_of(facts).version
    limit = deadlines.acknowledge_by(facts.jurisdiction, facts.received, version=version)
    if limit is None or today < deadlines.working_days_before(limit, warning_days, facts.jurisdiction, version=version):
        return None
    return Occasion(
        key=f"acknowledgement:{facts.pk}:{limit.isoformat()}",
        kind=ReminderKind.ACKNOWLEDGEMENT,
        duty_date=limit,
        days_left=(limit - today).days,
    )


def extension_occasion(facts: RequestFacts, today: datetime.date, warning_days: int) -> Occasion | None:
    """An extension must be decided and told within the first period: warn before it ends.

    GDPR Art. 12(3) (within one month of receipt, with the reasons), Cal. Civ. Code
    §1798.130(a)(2) (within the first 45 days), PIPEDA s.8(4) (within the first 30 days).
    Nothing once the request is extended, when the law allows none, or once the first period
    is over (too late to extend: the overdue reminders take over).
    """
    rule = deadlines.rule_of(facts)
    if facts.extended or rule.timing(facts.request_type).extension is None or clock_paused(facts):
        return None
    notice_by = deadlines.extension_notice_by(
        facts.jurisdiction,
        facts.received,
        paused_days=facts.paused_days,
        request_type=facts.request_type,
        version=rule.version,
    )
    if notice_by is None:
        return None
    if today > notice_by or today < deadlines.working_days_before(
        notice_by, warning_days, facts.jurisdiction, version=rule.version
    ):
        return None
    return Occasion(
        key=f"extension:{facts.pk}:{notice_by.isoformat()}",
        kind=ReminderKind.EXTENSION,
        duty_date=notice_by,
        days_left=(notice_by - today).days,
    )


def staff_occasions(
    facts: RequestFacts, today: datetime.date, *, offsets: list[int], warning_days: int
) -> list[Occasion]:
    """Every reminder to staff about one request that is due today and not yet sent (by key)."""
    found = [
        deadline_occasion(facts, today, offsets),
        acknowledgement_occasion(facts, today, warning_days),
        extension_occasion(facts, today, warning_days),
    ]
    return [occasion for occasion in found if occasion is not None]
