"""Rules of California, Canada (federal and Quebec) and Brazil."""

from __future__ import annotations

import datetime

from requests_app.laws.rules import ACCESS, CORRECTION, DELETION, Extension, Period, Rule, Source

US_CA = Rule(
    code="us-ca",
    version="2023-03-29",
    effective=datetime.date(2023, 3, 29),
    name="CCPA/CPRA",
    label="United States — California (CCPA/CPRA)",
    region="United States",
    # Cal. Civ. Code §1798.130(a)(2): 45 calendar days, one 45-day extension with notice in the
    # first 45 days; 11 CCR §7021(a): confirm receipt within 10 business days; §7021(b): the
    # period runs regardless of the time needed to verify (no pause).
    citation="Cal. Civ. Code §1798.130(a)(2); 11 CCR §7021",
    sources=(
        Source(
            "Cal. Civ. Code §1798.130",
            "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.130",
        ),
        Source("California Consumer Privacy Act Regulations, 11 CCR §7021", "https://cppa.ca.gov/regulations/"),
    ),
    period=Period(45, "days"),
    extension=Extension(
        by=Period(45, "days"),
        grounds="when reasonably necessary",
        notice="within the first 45 days, with the reason (§1798.130(a)(2)(A))",
    ),
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION}),
    cost="Free (§1798.130(a)(2)); twice in 12 months for the right to know (§1798.130(b)).",
    confidence="primary",
    acknowledge_within=10,
    acknowledgement=(
        "Confirm receipt within 10 business days and say how the request will be processed (11 CCR §7021(a))."
    ),
    # Federal holidays only: California's own calendar adds days (the day after Thanksgiving,
    # Cesar Chavez Day) that many businesses work, and would move the acknowledgement later than
    # a cautious reading allows.
    holiday_country="US",
    aliases=("ccpa",),
)

# LGPD Art. 19(II): a complete answer within 15 days of the request; no extension.
LGPD = Rule(
    code="lgpd",
    version="2020-09-18",
    effective=datetime.date(2020, 9, 18),
    name="LGPD",
    label="Brazil (LGPD)",
    region="Americas",
    citation="LGPD Art. 19(II)",
    sources=(
        Source(
            "Lei nº 13.709/2018 (LGPD), Art. 19",
            "https://www.planalto.gov.br/ccivil_03/_ato2015-2018/2018/lei/l13709.htm",
        ),
    ),
    period=Period(15, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION}),
    cost="Free (Art. 18 §5).",
    confidence="primary",
    aliases=("br",),
)

# PIPEDA s.8(3): 30 days after receipt; s.8(4): extendable by up to 30 more days, with notice
# within the first 30 days.
PIPEDA = Rule(
    code="pipeda",
    version="2001-01-01",
    effective=datetime.date(2001, 1, 1),
    name="PIPEDA",
    label="Canada (PIPEDA; outside Quebec)",
    region="Canada",
    citation="PIPEDA s.8(3), s.8(4)",
    sources=(
        Source(
            "Personal Information Protection and Electronic Documents Act, s. 8",
            "https://laws-lois.justice.gc.ca/eng/acts/p-8.6/page-3.html",
        ),
    ),
    period=Period(30, "days"),
    extension=Extension(
        by=Period(30, "days"),
        grounds="unreasonable interference with activities, or consultations needed",
        notice="within the first 30 days, with the new time limit, the reasons and the right to complain (s.8(4))",
    ),
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION}),
    cost="Free or at minimal cost, the individual told of the cost first (s.8(6)).",
    confidence="primary",
    aliases=("ca",),
)

RULES: tuple[Rule, ...] = (US_CA, LGPD, PIPEDA)
