"""Dated cases for this region's rules (see tests/laws/pack/__init__.py for the fields)."""

from __future__ import annotations

from datetime import date as d
from typing import Any

GDPR_MONTH = "GDPR Art. 12(3); Regulation 1182/71 Art. 3(2)(c)"
GDPR_ROLL = "Regulation 1182/71 Art. 3(4)"
UK_OLD = "UK GDPR Art. 12(3) before the 2025 Act; ICO right of access guidance"
UK_NEW = "UK GDPR Art. 12A (DUAA 2025 s.76, in force 5 Feb 2026 by SI 2026/82 reg. 2(h))"
CH_30 = "FADP Art. 25(7), DPO Art. 18: 30 days, not moved"


def cases(case: Any) -> list[Any]:
    return [
        # GDPR: month ends, leap years, weekends, the common holidays.
        case(
            code="gdpr",
            received=d(2025, 1, 31),
            expected=d(2025, 2, 28),
            source=f"{GDPR_MONTH}: no 31 Feb, last day Fri 28 Feb 2025",
        ),
        case(
            code="gdpr",
            received=d(2024, 1, 31),
            expected=d(2024, 2, 29),
            source=f"{GDPR_MONTH}: leap year, Thu 29 Feb 2024",
        ),
        case(
            code="gdpr",
            received=d(2028, 1, 31),
            expected=d(2028, 2, 29),
            source=f"{GDPR_MONTH}: leap year, Tue 29 Feb 2028",
        ),
        case(
            code="gdpr",
            received=d(2026, 1, 31),
            expected=d(2026, 3, 2),
            source=f"{GDPR_MONTH}: Sat 28 Feb 2026; {GDPR_ROLL}: Mon 2 Mar",
        ),
        case(
            code="gdpr",
            received=d(2027, 1, 31),
            expected=d(2027, 3, 1),
            source=f"{GDPR_MONTH}: Sun 28 Feb 2027; {GDPR_ROLL}: Mon 1 Mar",
        ),
        case(
            code="gdpr",
            received=d(2026, 3, 31),
            expected=d(2026, 4, 30),
            source=f"{GDPR_MONTH}: no 31 Apr, Thu 30 Apr 2026",
        ),
        case(
            code="gdpr",
            received=d(2026, 8, 31),
            expected=d(2026, 9, 30),
            source=f"{GDPR_MONTH}: no 31 Sep, Wed 30 Sep 2026",
        ),
        case(code="gdpr", received=d(2026, 3, 15), expected=d(2026, 4, 15), source=f"{GDPR_MONTH}: Wed 15 Apr 2026"),
        case(code="gdpr", received=d(2026, 5, 30), expected=d(2026, 6, 30), source=f"{GDPR_MONTH}: Tue 30 Jun 2026"),
        case(
            code="gdpr",
            received=d(2026, 12, 1),
            expected=d(2027, 1, 4),
            source=f"{GDPR_MONTH}: Fri 1 Jan 2027, holiday in every state, weekend; {GDPR_ROLL}: Mon 4 Jan",
        ),
        case(
            code="gdpr",
            received=d(2026, 11, 25),
            expected=d(2026, 12, 28),
            source=f"{GDPR_MONTH}: Fri 25 Dec 2026 (Christmas), then the weekend; {GDPR_ROLL}: Mon 28 Dec",
        ),
        case(
            code="gdpr",
            received=d(2025, 11, 25),
            expected=d(2025, 12, 26),
            source=f"{GDPR_MONTH}: Thu 25 Dec 2025 (Christmas); no holiday country, 26 Dec unknown: Fri 26 Dec",
        ),
        case(
            code="gdpr",
            received=d(2025, 11, 25),
            expected=d(2025, 12, 29),
            source=f"{GDPR_MONTH}: 25 and 26 Dec 2025 holidays DE, weekend: Mon 29 Dec",
            holiday_country="DE",
        ),
        case(
            code="gdpr",
            received=d(2025, 9, 3),
            expected=d(2025, 10, 3),
            source=f"{GDPR_MONTH}: Fri 3 Oct 2025, no holiday country: not moved",
        ),
        case(
            code="gdpr",
            received=d(2025, 9, 3),
            expected=d(2025, 10, 6),
            source=f"{GDPR_MONTH}: Fri 3 Oct 2025, German Unity Day (holidays DE); {GDPR_ROLL}: Mon 6 Oct",
            holiday_country="DE",
        ),
        case(
            code="gdpr",
            received=d(2026, 3, 3),
            expected=d(2026, 4, 7),
            source=f"{GDPR_MONTH}: Fri 3 Apr 2026 Good Friday, Mon 6 Apr Easter Monday (holidays DE): Tue 7 Apr",
            holiday_country="DE",
        ),
        case(
            code="gdpr",
            received=d(2026, 3, 6),
            expected=d(2026, 4, 7),
            source=f"{GDPR_MONTH}: Mon 6 Apr 2026 Easter Monday (holidays DE): Tue 7 Apr",
            holiday_country="DE",
        ),
        case(
            code="gdpr",
            received=d(2026, 1, 31),
            expected=d(2026, 4, 30),
            extended=True,
            source="GDPR Art. 12(3): three months from receipt, Thu 30 Apr 2026 (no 31 Apr)",
        ),
        case(
            code="gdpr",
            received=d(2025, 11, 30),
            expected=d(2026, 3, 2),
            extended=True,
            source=f"GDPR Art. 12(3): three months, no 30 Feb: Sat 28 Feb 2026; {GDPR_ROLL}: Mon 2 Mar",
        ),
        case(
            code="gdpr",
            received=d(2027, 11, 30),
            expected=d(2028, 2, 29),
            extended=True,
            source="GDPR Art. 12(3): three months, leap year: Tue 29 Feb 2028",
        ),
        case(
            code="gdpr",
            received=d(2026, 1, 10),
            expected=d(2026, 2, 20),
            paused_days=10,
            source="GDPR Art. 12(6), EDPB 01/2022 s.5.3: ID arrives 20 Jan 2026, one month from then: Fri 20 Feb",
        ),
        case(
            code="gdpr",
            received=d(2026, 1, 21),
            expected=d(2026, 3, 2),
            paused_days=10,
            source=f"GDPR Art. 12(6): ID arrives 31 Jan 2026; no 31 Feb, Sat 28 Feb; {GDPR_ROLL}: Mon 2 Mar",
        ),
        case(
            code="gdpr",
            received=d(2018, 5, 24),
            expected=None,
            source="GDPR Art. 99(2): applies from 25 May 2018",
            error="applies to requests received on or after",
        ),
        # UK before the Data (Use and Access) Act 2025 (version 2021-01-01).
        case(
            code="uk",
            received=d(2021, 1, 1),
            expected=d(2021, 2, 1),
            source=f"{UK_OLD}: first day of the UK GDPR; Mon 1 Feb 2021",
        ),
        case(
            code="uk",
            received=d(2020, 12, 31),
            expected=None,
            source="UK GDPR applies from 1 Jan 2021 (the GDPR before it)",
            error="applies to requests received on or after",
        ),
        case(
            code="uk",
            received=d(2026, 2, 4),
            expected=d(2026, 3, 4),
            source=f"{UK_OLD}: last day before Art. 12A; Wed 4 Mar 2026",
        ),
        case(
            code="uk",
            received=d(2025, 11, 25),
            expected=d(2025, 12, 29),
            source=f"{UK_OLD}: Thu 25 Dec 2025 Christmas, Fri 26 Dec Boxing Day (holidays GB), weekend: Mon 29 Dec",
        ),
        case(
            code="uk",
            received=d(2021, 11, 27),
            expected=d(2021, 12, 29),
            source=f"{UK_OLD}: 27 and 28 Dec 2021 substitute holidays (holidays GB): Wed 29 Dec",
        ),
        case(
            code="uk",
            received=d(2025, 10, 31),
            expected=d(2026, 2, 2),
            extended=True,
            source=f"{UK_OLD}: three months, no 31 Jan gap: Sat 31 Jan 2026; next working day Mon 2 Feb",
        ),
        case(
            code="uk",
            received=d(2025, 6, 10),
            expected=d(2025, 7, 21),
            paused_days=10,
            source=f"{UK_OLD}: one month from the ID received 20 Jun 2025: Sun 20 Jul; next working day Mon 21 Jul",
        ),
        case(
            code="uk",
            received=d(2025, 1, 20),
            expected=d(2025, 2, 28),
            paused_days=11,
            source=f"{UK_OLD}: one month from the ID received 31 Jan 2025: no 31 Feb, Fri 28 Feb",
        ),
        case(
            code="uk",
            received=d(2026, 2, 4),
            expected=d(2026, 3, 24),
            paused_days=20,
            source=f"{UK_OLD}: one month from the ID received 24 Feb 2026: Tue 24 Mar",
        ),
        # UK from 5 February 2026 (Art. 12A).
        case(
            code="uk",
            received=d(2026, 2, 5),
            expected=d(2026, 3, 5),
            source=f"{UK_NEW}: first day of Art. 12A; Thu 5 Mar 2026",
        ),
        case(
            code="uk",
            received=d(2026, 2, 5),
            expected=d(2026, 3, 25),
            paused_days=20,
            source=f"{UK_NEW}: Thu 5 Mar 2026 plus 20 days waited, not counted: Wed 25 Mar",
        ),
        case(
            code="uk",
            received=d(2026, 3, 10),
            expected=d(2026, 4, 20),
            paused_days=10,
            source=f"{UK_NEW}: Fri 10 Apr 2026 plus 10 days waited: Mon 20 Apr",
        ),
        case(
            code="uk",
            received=d(2026, 2, 10),
            expected=d(2026, 3, 16),
            paused_days=5,
            source=f"{UK_NEW}: Tue 10 Mar 2026 plus 5 days: Sun 15 Mar; next working day Mon 16 Mar",
        ),
        case(
            code="uk",
            received=d(2026, 3, 31),
            expected=d(2026, 5, 5),
            paused_days=3,
            source=f"{UK_NEW}: 30 Apr 2026 + 3 days: Sun 3 May; Mon 4 May bank holiday (GB): Tue 5 May",
        ),
        case(
            code="uk",
            received=d(2026, 3, 3),
            expected=d(2026, 4, 6),
            source=f"{UK_NEW}: Good Friday 3 Apr 2026 (GB), weekend; Easter Monday not UK-wide: Mon 6 Apr",
        ),
        case(
            code="uk",
            received=d(2026, 3, 6),
            expected=d(2026, 4, 6),
            source=f"{UK_NEW}: Mon 6 Apr 2026, Easter Monday, not in the UK-wide GB calendar: not moved",
        ),
        case(
            code="uk",
            received=d(2026, 4, 4),
            expected=d(2026, 5, 5),
            source=f"{UK_NEW}: Mon 4 May 2026 Early May bank holiday (holidays GB): Tue 5 May",
        ),
        case(
            code="uk",
            received=d(2026, 4, 25),
            expected=d(2026, 5, 26),
            source=f"{UK_NEW}: Mon 25 May 2026 Spring bank holiday (holidays GB): Tue 26 May",
        ),
        case(
            code="uk",
            received=d(2026, 7, 31),
            expected=d(2026, 8, 31),
            source=f"{UK_NEW}: Mon 31 Aug 2026, summer bank holiday, not UK-wide: not moved",
        ),
        case(
            code="uk",
            received=d(2026, 11, 25),
            expected=d(2026, 12, 29),
            source=f"{UK_NEW}: Christmas Fri 25 Dec 2026, weekend, Boxing Day substitute Mon 28 Dec (GB): Tue 29 Dec",
        ),
        case(
            code="uk",
            received=d(2027, 11, 25),
            expected=d(2027, 12, 29),
            source=f"{UK_NEW}: Sat 25 Dec 2027, Sun 26, substitutes Mon 27 and Tue 28 Dec (holidays GB): Wed 29 Dec",
        ),
        case(
            code="uk",
            received=d(2026, 12, 1),
            expected=d(2027, 1, 4),
            source=f"{UK_NEW}: Fri 1 Jan 2027 New Year's Day (holidays GB), weekend: Mon 4 Jan",
        ),
        case(
            code="uk",
            received=d(2028, 1, 31),
            expected=d(2028, 2, 29),
            source=f"{UK_NEW}: no 31 Feb, leap year: Tue 29 Feb 2028",
        ),
        case(
            code="uk",
            received=d(2026, 2, 25),
            expected=d(2026, 5, 26),
            extended=True,
            source=f"{UK_NEW}: three months, Mon 25 May 2026 Spring bank holiday (holidays GB): Tue 26 May",
        ),
        # Switzerland: 30 calendar days, never moved.
        case(
            code="ch",
            received=d(2023, 9, 1),
            expected=d(2023, 10, 1),
            source=f"{CH_30}: revised FADP in force 1 Sep 2023; Sun 1 Oct 2023 not moved",
        ),
        case(
            code="ch",
            received=d(2023, 8, 31),
            expected=None,
            source="Revised FADP in force on 1 Sep 2023",
            error="applies to requests received on or after",
        ),
        case(code="ch", received=d(2026, 1, 15), expected=d(2026, 2, 14), source=f"{CH_30}: Sat 14 Feb 2026 not moved"),
        case(code="ch", received=d(2026, 3, 1), expected=d(2026, 3, 31), source=f"{CH_30}: Tue 31 Mar 2026"),
        case(
            code="ch",
            received=d(2024, 2, 1),
            expected=d(2024, 3, 2),
            source=f"{CH_30}: leap year (29 Feb counted), Sat 2 Mar 2024 not moved",
        ),
        case(
            code="ch",
            received=d(2026, 12, 2),
            expected=d(2027, 1, 1),
            source=f"{CH_30}: Fri 1 Jan 2027, New Year's Day, not moved",
        ),
        case(
            code="ch",
            received=d(2026, 5, 4),
            expected=d(2026, 6, 13),
            paused_days=10,
            source="DPO Art. 19(3): 30 days from the end of the reflection period, 14 May 2026: Sat 13 Jun",
        ),
        case(
            code="ch",
            received=d(2026, 5, 4),
            expected=None,
            extended=True,
            source="DPO Art. 18: deferral of no fixed length, not modelled",
            error="allows no extension",
        ),
    ]
