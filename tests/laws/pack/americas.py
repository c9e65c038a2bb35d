"""Dated cases for this region's rules (see tests/laws/pack/__init__.py for the fields)."""

from __future__ import annotations

from datetime import date as d
from typing import Any

CCPA_45 = "Cal. Civ. Code §1798.130(a)(2): 45 calendar days, not moved"
OPT_OUT = "11 CCR §7026(f): 15 business days (holidays US)"
LIMIT = "11 CCR §7027(g): 15 business days (holidays US)"
QC_30 = "CQLR c. P-39.1 s.32: 30 days, not moved"
PIPEDA_30 = "PIPEDA s.8(3): 30 days, not moved"
LGPD_15 = "LGPD Art. 19(II): 15 days, not moved"


def cases(case: Any) -> list[Any]:
    return [
        # California.
        case(code="us-ca", received=d(2026, 1, 15), expected=d(2026, 3, 1), source=f"{CCPA_45}: Sun 1 Mar 2026"),
        case(
            code="ccpa",
            received=d(2026, 1, 15),
            expected=d(2026, 4, 15),
            extended=True,
            source="§1798.130(a)(2)(A): 45 + 45 days: Wed 15 Apr 2026",
        ),
        case(code="us-ca", received=d(2026, 11, 20), expected=d(2027, 1, 4), source=f"{CCPA_45}: Mon 4 Jan 2027"),
        case(
            code="us-ca",
            received=d(2026, 2, 28),
            expected=d(2026, 5, 29),
            extended=True,
            source="§1798.130(a)(2)(A): 90 days: Fri 29 May 2026",
        ),
        case(
            code="us-ca",
            received=d(2026, 1, 15),
            expected=d(2026, 3, 1),
            paused_days=10,
            source="11 CCR §7021(b): the period runs while verifying; Sun 1 Mar 2026",
        ),
        case(
            code="us-ca",
            received=d(2023, 3, 28),
            expected=None,
            source="CCPA regulations (CPRA) effective 29 Mar 2023",
            error="applies to requests received on or after",
        ),
        case(
            code="us-ca",
            received=d(2026, 11, 16),
            expected=d(2026, 12, 8),
            request_type="opt_out",
            source=f"{OPT_OUT}: Thanksgiving Thu 26 Nov 2026 skipped: Tue 8 Dec",
        ),
        case(
            code="us-ca",
            received=d(2026, 11, 10),
            expected=d(2026, 12, 3),
            request_type="opt_out",
            source=f"{OPT_OUT}: Veterans Day Wed 11 Nov and Thanksgiving Thu 26 Nov 2026 skipped: Thu 3 Dec",
        ),
        case(
            code="us-ca",
            received=d(2026, 12, 15),
            expected=d(2027, 1, 7),
            request_type="opt_out",
            source=f"{OPT_OUT}: Christmas Fri 25 Dec 2026 and New Year's Day Fri 1 Jan 2027 skipped: Thu 7 Jan",
        ),
        case(
            code="us-ca",
            received=d(2026, 6, 26),
            expected=d(2026, 7, 20),
            request_type="opt_out",
            source=f"{OPT_OUT}: Independence Day observed Fri 3 Jul 2026 skipped: Mon 20 Jul",
        ),
        case(
            code="us-ca",
            received=d(2026, 8, 31),
            expected=d(2026, 9, 22),
            request_type="opt_out",
            source=f"{OPT_OUT}: Labor Day Mon 7 Sep 2026 skipped: Tue 22 Sep",
        ),
        case(
            code="us-ca",
            received=d(2026, 1, 9),
            expected=d(2026, 2, 2),
            request_type="opt_out",
            source=f"{OPT_OUT}: Martin Luther King Jr. Day Mon 19 Jan 2026 skipped: Mon 2 Feb",
        ),
        case(
            code="us-ca",
            received=d(2026, 11, 20),
            expected=d(2026, 12, 14),
            request_type="limit",
            source=f"{LIMIT}: Thanksgiving Thu 26 Nov 2026 skipped: Mon 14 Dec",
        ),
        case(
            code="us-ca",
            received=d(2026, 6, 10),
            expected=d(2026, 7, 2),
            request_type="limit",
            source=f"{LIMIT}: Juneteenth Fri 19 Jun 2026 skipped: Thu 2 Jul",
        ),
        case(
            code="us-ca",
            received=d(2026, 5, 15),
            expected=d(2026, 6, 8),
            request_type="limit",
            source=f"{LIMIT}: Memorial Day Mon 25 May 2026 skipped: Mon 8 Jun",
        ),
        case(
            code="us-ca",
            received=d(2026, 10, 5),
            expected=d(2026, 10, 27),
            request_type="limit",
            source=f"{LIMIT}: Columbus Day Mon 12 Oct 2026 skipped: Tue 27 Oct",
        ),
        case(
            code="us-ca",
            received=d(2026, 11, 16),
            expected=None,
            extended=True,
            request_type="opt_out",
            source="11 CCR §7026(f): no extension of the 15 business days",
            error="allows no extension",
        ),
        # Quebec.
        case(
            code="ca-qc", received=d(2026, 1, 15), expected=d(2026, 2, 14), source=f"{QC_30}: Sat 14 Feb 2026 not moved"
        ),
        case(
            code="ca-qc",
            received=d(2026, 5, 25),
            expected=d(2026, 6, 24),
            source=f"{QC_30}: Wed 24 Jun 2026 (Fête nationale) not moved",
        ),
        case(code="ca-qc", received=d(2026, 7, 1), expected=d(2026, 7, 31), source=f"{QC_30}: Fri 31 Jul 2026"),
        case(
            code="ca-qc",
            received=d(2024, 2, 1),
            expected=d(2024, 3, 2),
            source=f"{QC_30}: leap year, Sat 2 Mar 2024 not moved",
        ),
        case(code="ca-qc", received=d(2026, 11, 30), expected=d(2026, 12, 30), source=f"{QC_30}: Wed 30 Dec 2026"),
        case(
            code="ca-qc",
            received=d(2026, 1, 15),
            expected=None,
            extended=True,
            source="CQLR c. P-39.1 s.32: no extension",
            error="allows no extension",
        ),
        # PIPEDA.
        case(code="pipeda", received=d(2026, 1, 15), expected=d(2026, 2, 14), source=f"{PIPEDA_30}: Sat 14 Feb 2026"),
        case(
            code="ca",
            received=d(2026, 1, 15),
            expected=d(2026, 3, 16),
            extended=True,
            source="PIPEDA s.8(4)(a): 30 + 30 days: Mon 16 Mar 2026",
        ),
        case(
            code="pipeda",
            received=d(2026, 6, 1),
            expected=d(2026, 7, 1),
            source=f"{PIPEDA_30}: Wed 1 Jul 2026, Canada Day, not moved",
        ),
        case(code="pipeda", received=d(2026, 12, 26), expected=d(2027, 1, 25), source=f"{PIPEDA_30}: Mon 25 Jan 2027"),
        case(
            code="pipeda",
            received=d(2024, 1, 31),
            expected=d(2024, 3, 1),
            source=f"{PIPEDA_30}: leap year, Fri 1 Mar 2024",
        ),
        case(
            code="pipeda",
            received=d(2000, 12, 31),
            expected=None,
            source="PIPEDA Part 1 in force 1 Jan 2001",
            error="applies to requests received on or after",
        ),
        # LGPD.
        case(code="lgpd", received=d(2026, 1, 15), expected=d(2026, 1, 30), source=f"{LGPD_15}: Fri 30 Jan 2026"),
        case(
            code="lgpd",
            received=d(2026, 2, 1),
            expected=d(2026, 2, 16),
            source=f"{LGPD_15}: Mon 16 Feb 2026 (Carnival) not moved",
        ),
        case(
            code="br", received=d(2026, 3, 28), expected=d(2026, 4, 12), source=f"{LGPD_15}: Sun 12 Apr 2026 not moved"
        ),
        case(
            code="lgpd",
            received=d(2020, 9, 18),
            expected=d(2020, 10, 3),
            source=f"{LGPD_15}: in force 18 Sep 2020; Sat 3 Oct 2020 not moved",
        ),
        case(
            code="lgpd", received=d(2024, 2, 20), expected=d(2024, 3, 6), source=f"{LGPD_15}: leap year, Wed 6 Mar 2024"
        ),
        case(
            code="lgpd",
            received=d(2020, 9, 17),
            expected=None,
            source="LGPD in force 18 Sep 2020 (Lei 14.010/2020)",
            error="applies to requests received on or after",
        ),
        case(
            code="lgpd",
            received=d(2026, 1, 15),
            expected=None,
            extended=True,
            source="LGPD Art. 19: no extension",
            error="allows no extension",
        ),
    ]
