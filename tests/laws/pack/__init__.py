"""The dated case table: every rule checked on real dates, each expected date with its source.

A case is one request (or appeal) under one rule, and the date the law gives for it. The
table is tested through ``laws.deadlines``, the ``deadline`` command and requests created in
the workflow (``tests/laws/test_case_table.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.laws.pack import africa, americas, asia_pacific, europe, us_states

if TYPE_CHECKING:
    import datetime


@dataclass(frozen=True)
class Case:
    """``expected`` is the last day to answer (or, with ``appeal``, to answer the appeal).

    ``source``: where the expected date comes from (the article that gives the period, and the
    calendar fact that moves it: "Sat 28 Feb 2026", "Good Friday 3 Apr 2026 (holidays GB)").
    ``error``: a case the rule refuses (a law not yet in force, no extension); a substring of
    the message.
    """

    code: str
    received: datetime.date
    expected: datetime.date | None
    source: str
    extended: bool = False
    paused_days: int = 0
    request_type: str | None = None
    appeal: bool = False
    holiday_country: str = ""  # DSAR_HOLIDAY_COUNTRY for this case ("" = none configured)
    error: str = ""

    @property
    def id(self) -> str:
        parts = [self.code, self.received.isoformat()]
        if self.request_type:
            parts.append(self.request_type)
        if self.appeal:
            parts.append("appeal")
        if self.extended:
            parts.append("extended")
        if self.paused_days:
            parts.append(f"paused-{self.paused_days}")
        if self.holiday_country:
            parts.append(f"holidays-{self.holiday_country}")
        return "/".join(parts)


def all_cases() -> list[Case]:
    return [
        *europe.cases(Case),
        *americas.cases(Case),
        *us_states.cases(Case),
        *asia_pacific.cases(Case),
        *africa.cases(Case),
    ]
