"""Dated cases for this region's rules (see tests/laws/pack/__init__.py for the fields)."""

from __future__ import annotations

from datetime import date as d  # the case rows read as d(2026, 1, 31)
from typing import Any

NOT_IN_FORCE = "applies to requests received on or after"
NO_EXTENSION = "allows no extension"


def cases(case: Any) -> list[Any]:
    return [
        # South Korea: PIPA Art. 35(3), Decree Art. 41(4): 10 days; Civil Act Art. 161 moves a
        # last day on a Saturday or public holiday (holidays KR) to the next day.
        case(
            code="kr",
            received=d(2026, 3, 2),
            expected=d(2026, 3, 12),
            source="PIPA Art. 35(3), Decree Art. 41(4): 10 days, Thu 12 Mar 2026",
        ),
        case(
            code="kr",
            received=d(2026, 3, 4),
            expected=d(2026, 3, 16),
            source="10 days = Sat 14 Mar 2026; Civil Act Art. 161: Mon 16 Mar",
        ),
        case(
            code="kr",
            received=d(2026, 9, 15),
            expected=d(2026, 9, 28),
            source="10 days = Fri 25 Sep 2026, Chuseok (holidays KR), then Sat and Sun: Mon 28 Sep",
        ),
        case(
            code="kr", received=d(2028, 2, 19), expected=d(2028, 2, 29), source="10 days = Tue 29 Feb 2028 (leap year)"
        ),
        case(
            code="kr",
            received=d(2027, 12, 21),
            expected=d(2027, 12, 31),
            source="10 days = Fri 31 Dec 2027, a working day",
        ),
        case(
            code="kr",
            received=d(2026, 8, 5),
            expected=d(2026, 8, 18),
            request_type="deletion",
            source=(
                "PIPA Art. 36, Decree Art. 43(3): 10 days = Sat 15 Aug 2026 (Liberation Day); Sun; Mon 17 Aug "
                "alternative holiday (holidays KR): Tue 18 Aug"
            ),
        ),
        case(
            code="kr",
            received=d(2026, 3, 2),
            expected=None,
            extended=True,
            error=NO_EXTENSION,
            source="PIPA Art. 35(3): postponement for good cause, no fixed extension",
        ),
        # Singapore: PDPA s.21-22, PDP Regulations 2021 reg. 5: 30 days; not moved.
        case(
            code="sg",
            received=d(2026, 1, 15),
            expected=d(2026, 2, 14),
            source=(
                "PDPR 2021 reg. 5: 30 days = Sat 14 Feb 2026, not moved (Interpretation Act s.50 moves Sundays "
                "and public holidays only)"
            ),
        ),
        case(
            code="sg", received=d(2028, 1, 30), expected=d(2028, 2, 29), source="30 days = Tue 29 Feb 2028 (leap year)"
        ),
        case(code="sg", received=d(2026, 12, 1), expected=d(2026, 12, 31), source="30 days = Thu 31 Dec 2026"),
        case(
            code="sg",
            received=d(2027, 1, 31),
            expected=d(2027, 3, 2),
            source="30 days from 31 Jan 2027 (February of 28 days) = Tue 2 Mar 2027",
        ),
        case(
            code="sg",
            received=d(2021, 1, 31),
            expected=None,
            error=NOT_IN_FORCE,
            source="PDP Regulations 2021 reg. 1: in operation from 1 Feb 2021",
        ),
        # Taiwan: PDPA Art. 13: access 15 days (+15), correction/deletion 30 days (+30); Civil
        # Code Art. 122 moves a last day on a rest day (holidays TW, weekends) to the next day.
        case(
            code="tw",
            received=d(2026, 3, 2),
            expected=d(2026, 3, 17),
            source="PDPA Art. 13: access 15 days = Tue 17 Mar 2026",
        ),
        case(
            code="tw",
            received=d(2026, 2, 2),
            expected=d(2026, 2, 23),
            source=(
                "15 days = Tue 17 Feb 2026, Chinese New Year to Fri 20 Feb (observed), then Sat and Sun (holidays "
                "TW): Mon 23 Feb"
            ),
        ),
        case(
            code="tw",
            received=d(2026, 9, 10),
            expected=d(2026, 9, 29),
            source=(
                "15 days = Fri 25 Sep 2026, Mid-Autumn Festival; Sat, Sun; Mon 28 Sep Confucius' Birthday "
                "(holidays TW): Tue 29 Sep"
            ),
        ),
        case(
            code="tw",
            received=d(2026, 3, 6),
            expected=d(2026, 4, 7),
            extended=True,
            source=(
                "Art. 13: 15 + 15 days = Sun 5 Apr 2026 (Tomb-Sweeping Day); Mon 6 Apr observed (holidays TW): "
                "Tue 7 Apr"
            ),
        ),
        case(
            code="tw",
            received=d(2028, 1, 30),
            expected=d(2028, 2, 29),
            request_type="correction",
            source="Art. 11, 13: correction 30 days = Tue 29 Feb 2028 (leap year)",
        ),
        case(
            code="tw",
            received=d(2026, 9, 1),
            expected=d(2026, 11, 2),
            request_type="correction",
            extended=True,
            source="Art. 13: 30 + 30 days = Sat 31 Oct 2026; Sun 1 Nov: Mon 2 Nov",
        ),
        case(
            code="tw",
            received=d(2027, 1, 10),
            expected=d(2027, 2, 11),
            request_type="deletion",
            source=(
                "Art. 11(3), 13: 30 days = Tue 9 Feb 2027, Chinese New Year (observed) to Wed 10 Feb (holidays "
                "TW): Thu 11 Feb"
            ),
        ),
        # Australia (organisations): APP 12.4(a)(ii) "a reasonable period": 30 days in the tests.
        case(
            code="au",
            received=d(2026, 1, 1),
            expected=d(2026, 1, 31),
            source="APP 12.4(a)(ii): reasonable period (30 days configured) = Sat 31 Jan 2026, not moved",
        ),
        case(
            code="au",
            received=d(2028, 2, 10),
            expected=d(2028, 3, 11),
            source="30 days across 29 Feb 2028 (leap year) = Sat 11 Mar 2028",
        ),
        case(
            code="au", received=d(2026, 12, 25), expected=d(2027, 1, 24), source="30 days = Sun 24 Jan 2027, not moved"
        ),
        case(
            code="au",
            received=d(2026, 1, 1),
            expected=None,
            extended=True,
            error=NO_EXTENSION,
            source="APP 12.4: no extension for a reasonable period",
        ),
        # Japan: APPI Art. 33(2) "without delay": 30 days in the tests.
        case(
            code="jp",
            received=d(2026, 4, 29),
            expected=d(2026, 5, 29),
            source="APPI Art. 33(2): without delay (30 days configured) = Fri 29 May 2026",
        ),
        case(
            code="jp", received=d(2028, 1, 30), expected=d(2028, 2, 29), source="30 days = Tue 29 Feb 2028 (leap year)"
        ),
        case(
            code="jp", received=d(2026, 12, 31), expected=d(2027, 1, 30), source="30 days = Sat 30 Jan 2027, not moved"
        ),
        case(
            code="jp",
            received=d(2022, 3, 31),
            expected=None,
            error=NOT_IN_FORCE,
            source="APPI as amended in force from 1 Apr 2022",
        ),
        # China: PIPL Art. 50 "in a timely manner": 30 days in the tests.
        case(
            code="cn",
            received=d(2026, 9, 30),
            expected=d(2026, 10, 30),
            source="PIPL Art. 50: timely (30 days configured) = Fri 30 Oct 2026, not moved for National Day week",
        ),
        case(
            code="cn",
            received=d(2028, 2, 1),
            expected=d(2028, 3, 2),
            source="30 days across 29 Feb 2028 (leap year) = Thu 2 Mar 2028",
        ),
        case(
            code="cn",
            received=d(2026, 1, 31),
            expected=d(2026, 3, 2),
            source="30 days from 31 Jan 2026 = Mon 2 Mar 2026",
        ),
        case(
            code="cn",
            received=d(2021, 10, 31),
            expected=None,
            error=NOT_IN_FORCE,
            source="PIPL Art. 74: in force 1 Nov 2021",
        ),
        # India: DPDP Act ss.11-13 in force 13 May 2027; no period for requests (30 days in the
        # tests); grievances within 90 days (DPDP Rules 2025 r.14(3)).
        case(
            code="in",
            received=d(2027, 5, 12),
            expected=None,
            error=NOT_IN_FORCE,
            source="DPDP Rules 2025 r.1: ss.11-14 in force 13 May 2027; 12 May is the day before",
        ),
        case(
            code="in",
            received=d(2027, 5, 13),
            expected=d(2027, 6, 12),
            source=(
                "DPDP Act s.11, in force 13 May 2027: reasonable period (30 days configured) = Sat 12 Jun 2027, "
                "not moved"
            ),
        ),
        case(
            code="in",
            received=d(2028, 1, 31),
            expected=d(2028, 3, 1),
            source="30 days from 31 Jan 2028 across 29 Feb (leap year) = Wed 1 Mar 2028",
        ),
        case(
            code="in",
            received=d(2027, 5, 13),
            expected=d(2027, 8, 11),
            appeal=True,
            source="DPDP Rules r.14(3): grievance answered within 90 days = Wed 11 Aug 2027",
        ),
        case(
            code="in",
            received=d(2027, 12, 1),
            expected=d(2028, 2, 29),
            appeal=True,
            source="90 days = Tue 29 Feb 2028 (leap year)",
        ),
        case(
            code="in",
            received=d(2027, 5, 12),
            expected=None,
            appeal=True,
            error=NOT_IN_FORCE,
            source="s.13 not in force before 13 May 2027",
        ),
    ]
