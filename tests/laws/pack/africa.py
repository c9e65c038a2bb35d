"""Dated cases for this region's rules (see tests/laws/pack/__init__.py for the fields)."""

from __future__ import annotations

from datetime import date as d  # the case rows read as d(2026, 1, 31)
from typing import Any


def cases(case: Any) -> list[Any]:
    return [
        # South Africa: POPIA s.23, PAIA s.56(1): 30 days; s.57: one extension of 30 days. Not
        # moved (Interpretation Act s.4 excludes a last Sunday or public holiday, not a Saturday).
        case(
            code="za",
            received=d(2026, 3, 4),
            expected=d(2026, 4, 3),
            source="PAIA s.56(1): 30 days = Fri 3 Apr 2026 (Good Friday), not moved",
        ),
        case(
            code="za",
            received=d(2026, 3, 4),
            expected=d(2026, 5, 3),
            extended=True,
            source="PAIA s.57(1): 30 + 30 days = Sun 3 May 2026, not moved",
        ),
        case(
            code="za", received=d(2028, 1, 30), expected=d(2028, 2, 29), source="30 days = Tue 29 Feb 2028 (leap year)"
        ),
        case(
            code="za",
            received=d(2026, 11, 16),
            expected=d(2026, 12, 16),
            source="30 days = Wed 16 Dec 2026 (Day of Reconciliation), not moved",
        ),
        case(
            code="za",
            received=d(2026, 11, 16),
            expected=d(2026, 12, 16),
            request_type="correction",
            source="POPIA s.24: as soon as reasonably practicable; PAIA's 30 days used = Wed 16 Dec 2026",
        ),
        case(
            code="za",
            received=d(2020, 6, 30),
            expected=None,
            error="applies to requests received on or after",
            source="POPIA ss.23-25 commenced 1 Jul 2020",
        ),
    ]
