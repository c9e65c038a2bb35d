"""Rules of California, Canada (federal and Quebec) and Brazil."""

from __future__ import annotations

import datetime

from requests_app.laws.rules import (
    ACCESS,
    CORRECTION,
    DELETION,
    LIMIT,
    OBJECTION,
    OPT_OUT,
    Extension,
    Period,
    Rule,
    Source,
    TypeTiming,
)

CCPA_REGULATIONS = "https://cppa.ca.gov/regulations/"

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
    citation="Cal. Civ. Code §1798.130(a)(2); 11 CCR §7021, §7024(h), §7025, §7026(f), §7027(g)",
    sources=(
        Source(
            "Cal. Civ. Code §1798.130",
            "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.130",
        ),
        Source("California Consumer Privacy Act Regulations, 11 CCR §7021, §7024-§7027", CCPA_REGULATIONS),
        Source(
            "11 CCR §7026 (requests to opt-out of sale/sharing), Cornell LII copy",
            "https://www.law.cornell.edu/regulations/california/11-CCR-7026",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=Extension(
        by=Period(45, "days"),
        grounds="when reasonably necessary",
        notice="within the first 45 days, with the reason (§1798.130(a)(2)(A))",
    ),
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, OPT_OUT, LIMIT}),
    cost="Free (§1798.130(a)(2)); twice in 12 months for the right to know (§1798.130(b)).",
    confidence="secondary",
    acknowledge_within=10,
    acknowledgement=(
        "Confirm receipt within 10 business days and say how the request will be processed (11 CCR §7021(a))."
    ),
    # 11 CCR §7026(f)(1) and §7027(g)(1): stop selling/sharing, or limit the use of sensitive
    # personal information, as soon as feasibly possible and at the latest 15 business days after
    # receipt; a business may not require a verifiable request for either (§7026(d), §7027).
    by_type={
        OPT_OUT: TypeTiming(
            period=Period(15, "business_days"),
            citation="11 CCR §7026(f)",
            verification="not_required",
        ),
        LIMIT: TypeTiming(
            period=Period(15, "business_days"),
            citation="11 CCR §7027(g)",
            verification="not_required",
        ),
    },
    lookback=(
        "The 12 months before the request by default; on request, everything collected on or after "
        "1 January 2022, unless that proves impossible or would take disproportionate effort "
        "(Cal. Civ. Code §1798.130(a)(2)(B); 11 CCR §7024(h))."
    ),
    notes=(
        "Confidence is secondary: the opt-out and limit periods (11 CCR §7026(f), §7027(g)) were "
        "read in a secondary copy.",
        "Opt-out preference signals such as Global Privacy Control are a valid request to opt out of "
        "sale/sharing and must be honoured for the browser or device (11 CCR §7025).",
        "Opt-out and limit requests need no verification (§7026(d), §7027); the business may ask "
        "only for what it needs to act on them. The 10-business-day acknowledgement (§7021(a)) is "
        "for requests to know, delete and correct.",
        "The CCPA gives no right to appeal a refusal to the business; a consumer may complain to the "
        "California Privacy Protection Agency or the Attorney General.",
        "Due dates are not moved off weekends or holidays; the 15 business days skip US federal "
        "holidays only (California's extra state holidays would move them later).",
    ),
    # Federal holidays only: California's own calendar adds days (the day after Thanksgiving,
    # Cesar Chavez Day) that many businesses work, and would move the acknowledgement later than
    # a cautious reading allows.
    holiday_country="US",
    aliases=("ccpa",),
)

# LGPD Art. 19(II): a clear and complete declaration within 15 days of the request; no
# extension. Art. 18 §5: the other rights are answered in the periods a regulation sets.
LGPD = Rule(
    code="lgpd",
    version="2020-09-18",
    effective=datetime.date(2020, 9, 18),
    name="LGPD",
    label="Brazil (LGPD)",
    region="Americas",
    citation="LGPD Art. 18, Art. 19(II)",
    sources=(
        Source(
            "Lei nº 13.709/2018 (LGPD), Art. 18 and 19",
            "https://www.planalto.gov.br/ccivil_03/_ato2015-2018/2018/lei/l13709.htm",
        ),
    ),
    period=Period(15, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, OBJECTION}),
    cost="Free (Art. 18 §5).",
    confidence="secondary",
    notes=(
        "Confidence is secondary: Arts. 18 and 19 were not re-read in the official text.",
        "Art. 19(II)'s 15 days are for access (a complete declaration); Art. 18 §5 leaves the other "
        "rights to the periods set by regulation. The 15 days are used for every type (earlier, "
        "never later).",
        "Due dates are not moved off weekends or holidays, although the Civil Code (Art. 132 §1) "
        "carries a period ending on a holiday to the next business day: earlier, never later.",
        "Complaint: a petition to the ANPD (Art. 18 §1); no appeal to the controller.",
    ),
    aliases=("br",),
)

# PIPEDA s.8(3): 30 days after receipt; s.8(4): extendable by up to 30 more days, with notice
# within the first 30 days; s.8(5): no answer within the time limit is a deemed refusal.
PIPEDA = Rule(
    code="pipeda",
    version="2001-01-01",
    effective=datetime.date(2001, 1, 1),
    name="PIPEDA",
    label="Canada (PIPEDA; outside Quebec)",
    region="Canada",
    citation="PIPEDA s.8(3), s.8(4), s.8(5)",
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
    cost="Free or at minimal cost, the individual told of the approximate cost first (s.8(6); Schedule 1, 4.9.4).",
    confidence="primary",
    silence_is_refusal=True,
    notes=(
        "s.8(4)(b) also allows the time needed to convert the information into an alternative "
        "format, with no fixed length; the engine's extension is the 30 days of s.8(4)(a).",
        "Due dates are not moved off weekends or holidays, although the Interpretation Act s.26 "
        "carries a time limit ending on a holiday to the next day that is not: earlier, never later.",
        "Complaint: to the Privacy Commissioner of Canada (s.11); no appeal to the organization.",
    ),
    aliases=("ca",),
)

LEGISQUEBEC_P39_1 = "https://legisquebec.gouv.qc.ca/en/document/cs/P-39.1"

# Act respecting the protection of personal information in the private sector (CQLR c. P-39.1),
# as amended by the Act to modernize legislative provisions as regards the protection of
# personal information (2021, c. 25, "Law 25"), s.32: a written answer, with diligence, within
# 30 days of receipt; no answer within the period is a deemed refusal.
CA_QC = Rule(
    code="ca-qc",
    version="1994-01-01",
    effective=datetime.date(1994, 1, 1),
    name="Quebec Private Sector Act",
    label="Canada — Quebec (Private Sector Act, as amended by Law 25)",
    region="Canada",
    citation="CQLR c. P-39.1 s.32; s.42-43 (examination of disagreements by the Commission d'accès à l'information)",
    sources=(Source("Act respecting the protection of personal information in the private sector", LEGISQUEBEC_P39_1),),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION}),
    cost="Free of charge; a reasonable charge may be required for transcribing, reproducing or sending (s.33).",
    confidence="secondary",
    silence_is_refusal=True,
    notes=(
        "The Act's text was located on LégisQuébec but s.32, s.33 and s.42-43 were not read there "
        "for this rule: the 30 days, the deemed refusal and the Commission's review are from "
        "secondary knowledge of the Act. Check them against the current text.",
        "Deletion: rectification under s.28 and Civil Code art. 40 includes deleting information "
        "that is outdated or whose collection or keeping the law does not authorize.",
        "The Act gives no extension of the 30 days to an enterprise.",
        "Due dates are not moved off weekends or holidays, although the Interpretation Act "
        "(CQLR c. I-16) s.52 carries a time limit ending on a non-juridical day to the next "
        "juridical day: earlier, never later.",
        "Complaint: an application to the Commission d'accès à l'information to examine the "
        "disagreement, within 30 days of the refusal or of the end of the period to answer (s.42-43).",
    ),
)

RULES: tuple[Rule, ...] = (US_CA, LGPD, PIPEDA, CA_QC)
