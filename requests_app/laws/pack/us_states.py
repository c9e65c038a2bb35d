"""Rules of the US state comprehensive consumer privacy laws (California is in ``americas``).

Most follow the Virginia model: an answer within 45 calendar days of receipt, extendable once
by 45 more when reasonably necessary, the consumer told within the first 45 days with the
reason; an appeal against a refusal, answered within 60 days (45 in Colorado, Oregon and
Minnesota), the consumer told how to complain to the Attorney General. None of them moves a
due date off a weekend or holiday, and none pauses the clock while the controller
authenticates the consumer (it may decline a request it cannot authenticate), except Utah.

Confidence: ``primary`` only where the period was read on the legislature's own page; where
the text was read in a reproduction (a law firm's copy, a deskbook, a tracker) the rule says
``secondary`` and its notes say what that source was.
"""

from __future__ import annotations

import datetime

from requests_app.laws.rules import (
    ACCESS,
    APPEAL,
    CORRECTION,
    DELETION,
    OPT_OUT,
    Appeal,
    ClockStop,
    Extension,
    Period,
    Rule,
    Source,
    TypeTiming,
)

FULL_TYPES = frozenset({ACCESS, CORRECTION, DELETION, OPT_OUT, APPEAL})
SECONDARY_NOTE = (
    "Confidence secondary: the period, extension and appeal were read in a reproduction of the "
    "statute or a summary (see sources), not on the legislature's own page."
)
NO_PAUSE_NOTE = (
    "No clock stop: a request the controller cannot authenticate with commercially reasonable "
    "effort need not be acted on, but the period is not paused while it asks for more information."
)
MAYER_BROWN_TRACKER = Source(
    "Mayer Brown, US state privacy law tracker (days to respond, right to appeal)",
    "https://www.mayerbrown.com/es/insights/resource-centers/cybersecurity-and-data-privacy-resource-center/"
    "state-privacy-law-tracker",
    primary=False,
)
DESKBOOK = "https://online.flipbuilder.com/bzaa/mvgs/files/basic-html/"


def _ext(first: int = 45, by: int = 45, section: str = "") -> Extension:
    return Extension(
        by=Period(by, "days"),
        grounds="when reasonably necessary, considering the complexity and number of the consumer's requests",
        notice=f"within the initial {first}-day period, with the reason for the extension ({section})",
    )


def _appeal(days: int, citation: str, *, regulator: str, extension: int | None = None, complaint: str = "") -> Appeal:
    return Appeal(
        regulator=regulator,
        answer_within=Period(days, "days"),
        citation=citation,
        answer_extension=Period(extension, "days") if extension else None,
        complaint=complaint
        or "If the appeal is denied, give the consumer an online mechanism (if available) or other "
        "method to contact the Attorney General and submit a complaint.",
    )


def _date(iso: str) -> datetime.date:
    return datetime.date.fromisoformat(iso)


US_VA = Rule(
    code="us-va",
    version="2023-01-01",
    effective=_date("2023-01-01"),
    name="VCDPA",
    label="United States — Virginia (VCDPA)",
    region="United States",
    # Va. Code §59.1-577(B)(1): 45 days, once extendable by 45 with notice in the first 45;
    # (B)(3): free up to twice annually; (C): appeal within a reasonable period, answered in 60
    # days, with the Attorney General's complaint mechanism if denied.
    citation="Va. Code §59.1-577(B), (C)",
    sources=(
        Source(
            "Code of Virginia §59.1-577 (Consumer Data Protection Act)",
            "https://law.lis.virginia.gov/vacode/title59.1/chapter53/section59.1-577/",
        ),
        Source(
            "Code of Virginia §59.1-577 (research copy)",
            "https://self-law.org/code/va/title-59-1/chapter-53/59-1-577",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="§59.1-577(B)(1)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests (§59.1-577(B)(3)).",
    confidence="secondary",
    appeal=_appeal(60, "Va. Code §59.1-577(C)", regulator="the Attorney General of Virginia"),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE + " The text was read in a research copy; the section URL is the "
        "Legislative Information System's pattern.",
        NO_PAUSE_NOTE,
        "Opt-out covers targeted advertising, the sale of personal data and profiling; no "
        "universal opt-out signal duty.",
    ),
)

US_CO = Rule(
    code="us-co",
    version="2023-07-01",
    effective=_date("2023-07-01"),
    name="CPA",
    label="United States — Colorado (Colorado Privacy Act)",
    region="United States",
    # C.R.S. §6-1-1306(4): 45 days, extendable by 45; §6-1-1306(3): appeal answered within 45
    # days, extendable by 60 more, with the Attorney General's contact if denied.
    citation="C.R.S. §6-1-1306(3), (4)",
    sources=(
        Source(
            "Colo. Rev. Stat. §6-1-1306 (Casetext copy)",
            "https://casetext.com/statute/colorado-revised-statutes/title-6-consumer-and-commercial-affairs/"
            "fair-trade-and-restraint-of-trade/article-1-colorado-consumer-protection-act/"
            "part-13-colorado-privacy-act/section-6-1-1306-consumer-personal-data-rights-repeal",
            primary=False,
        ),
        Source(
            "Colo. Rev. Stat. §6-1-1306 (Counsel Stack copy)",
            "https://law.counselstack.com/statute/co/06/6-1-1306",
            primary=False,
        ),
        Source(
            "4 CCR 904-3 Rule 4.03, right to opt out (Justia copy)",
            "https://regulations.justia.com/states/colorado/900/904/rule-4-ccr-904-3/part-4-ccr-904-3-4/"
            "section-4-ccr-904-3-4-03",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="C.R.S. §6-1-1306(4)(a)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once during any 12-month period; a reasonable fee for a second or later request "
    "in that period; data portability at most twice per calendar year (§6-1-1306).",
    confidence="secondary",
    appeal=_appeal(
        45,
        "C.R.S. §6-1-1306(3)",
        extension=60,
        complaint="If the appeal is denied, tell the consumer how to contact the Attorney General "
        "with concerns about the result (§6-1-1306(3)).",
        regulator="the Attorney General of Colorado",
    ),
    # 4 CCR 904-3 Rule 4.03(A)(1): an opt-out is honoured as soon as feasibly possible, without
    # undue delay; the controller may ask for more information only where it cannot otherwise
    # act on it (Rule 4.03(A)(1)(a)), so an opt-out is not held back for identity verification.
    by_type={
        OPT_OUT: TypeTiming(
            period=Period(45, "days"),
            citation="4 CCR 904-3 Rule 4.03(A); C.R.S. §6-1-1306(1)(a)(IV)",
            verification="not_required",
        )
    },
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        NO_PAUSE_NOTE,
        "An opt-out is honoured as soon as feasibly possible and without undue delay (4 CCR "
        "904-3 Rule 4.03(A)(1), read in the Justia copy of the rules); 45 days is the latest "
        "date, not the target, and no identity verification is required for it.",
        "From 2024-07-01 a universal opt-out mechanism (e.g. Global Privacy Control) recognised "
        "by the Attorney General must be honoured as an opt-out of targeted advertising and sale "
        "(§6-1-1306(1)(a)(IV); 4 CCR 904-3 Part 5).",
        "The appeal's 60-day extension is taken where reasonably necessary, the consumer told "
        "within the first 45 days with the reasons.",
    ),
)

US_CT = Rule(
    code="us-ct",
    version="2023-07-01",
    effective=_date("2023-07-01"),
    name="CTDPA",
    label="United States — Connecticut (CTDPA)",
    region="United States",
    # Conn. Gen. Stat. §42-518(c)(1): 45 days, extendable by 45; (c)(3): free once per 12
    # months; (d): appeal answered within 60 days, with the Attorney General's mechanism.
    citation="Conn. Gen. Stat. §42-518(c), (d)",
    sources=(
        Source(
            "Conn. Gen. Stat. §42-518, reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page166.html",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="§42-518(c)(1)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests (§42-518(c)(3)).",
    confidence="secondary",
    appeal=_appeal(60, "Conn. Gen. Stat. §42-518(d)", regulator="the Attorney General of Connecticut"),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        NO_PAUSE_NOTE + " Opt-out requests need not be authenticated (§42-518(c)(4)).",
        "From 2025-01-01 opt-out preference signals (e.g. Global Privacy Control) must be honoured.",
        "Public Act 25-113 (SB 1295) amends the Act from 2026-07-01; this rule does not yet model it.",
    ),
)

US_UT = Rule(
    code="us-ut",
    version="2023-12-31",
    effective=_date("2023-12-31"),
    name="UCPA",
    label="United States — Utah (UCPA)",
    region="United States",
    # Utah Code §13-61-203(2)(a)-(c): 45 days, extendable once by 45 with notice before the
    # first 45 expire; (2)(d): the 45-day period does not apply while the controller reasonably
    # suspects fraud and cannot authenticate; (4): free unless a second request in 12 months.
    citation="Utah Code §13-61-203",
    sources=(
        Source(
            "Utah Code §13-61-203, reproduced by Greenberg Traurig (privacy.gtlaw.com)",
            "https://privacy.gtlaw.com/utah-controllers/",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=Extension(
        by=Period(45, "days"),
        grounds="reasonably necessary due to the complexity of the request or the volume of requests",
        notice="before the initial 45-day period expires, with the length of and the reasons for "
        "the extension (§13-61-203(2)(c))",
    ),
    # §13-61-203(2)(d) says the period "does not apply" while fraud is suspected and the request
    # cannot be authenticated; the engine suspends the clock by the days recorded, which gives a
    # date no later than the law's.
    clock_stop=ClockStop(
        grounds=("the controller reasonably suspects the request is fraudulent and cannot authenticate it",),
        counting="suspends",
        citation="Utah Code §13-61-203(2)(d)",
    ),
    request_types=frozenset({ACCESS, DELETION, OPT_OUT}),
    cost="Free unless it is the consumer's second or later request in the same 12-month period; "
    "a reasonable fee, or a refusal, for excessive, repetitive, technically infeasible or "
    "manifestly unfounded requests (§13-61-203(4)).",
    confidence="secondary",
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        "No right to correct and no appeal; deletion covers data the consumer provided; opt-out "
        "covers targeted advertising and sale.",
        "Fraud pause: the statute lifts the 45-day period entirely while the controller suspects "
        "fraud and cannot authenticate; record only those days as paused, so the due date never "
        "lands later than the law allows.",
    ),
)

US_TX = Rule(
    code="us-tx",
    version="2024-07-01",
    effective=_date("2024-07-01"),
    name="TDPSA",
    label="United States — Texas (TDPSA)",
    region="United States",
    # Tex. Bus. & Com. Code §541.052: 45 days, extendable once by 45 with notice in the first
    # 45; free twice annually; §541.053: appeal answered within 60 days, with the Attorney
    # General's complaint mechanism.
    citation="Tex. Bus. & Com. Code §§541.052, 541.053",
    sources=(
        Source(
            "Texas H.B. 4 (88th Leg.), as introduced: Business & Commerce Code chapter 541",
            "http://capitol.texas.gov/tlodocs/88R/billtext/html/HB00004I.HTM",
        ),
        Source(
            "Tex. Bus. & Com. Code chapter 541 (section list)",
            "https://texas.public.law/statutes/tex._bus._and_com._code_title_11_subtitle_c_chapter_541",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="§541.052(b)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests (§541.052).",
    confidence="secondary",
    appeal=_appeal(60, "Tex. Bus. & Com. Code §541.053", regulator="the Attorney General of Texas"),
    holiday_country="US",
    notes=(
        "Confidence secondary: the legislature's page seen was the bill as introduced, not the "
        "enrolled text; the periods were confirmed in summaries (see sources).",
        NO_PAUSE_NOTE,
        "From 2025-01-01 a universal opt-out mechanism (e.g. Global Privacy Control) must be honoured (§541.055(e)).",
    ),
)

US_OR = Rule(
    code="us-or",
    version="2024-07-01",
    effective=_date("2024-07-01"),
    name="OCPA",
    label="United States — Oregon (OCPA)",
    region="United States",
    # ORS 646A.576(5)(a): 45 days, extendable by 45 with notice in the first 45; (6): appeal
    # decided within 45 days, with the Attorney General's complaint information if denied.
    citation="ORS 646A.576(5), (6)",
    sources=(
        Source(
            "Oregon Department of Justice, privacy law FAQs for businesses",
            "https://www.doj.state.or.us/media-home/news-media-releases/faq_category/business-privacy-faqs/",
        ),
        Source(
            "ORS 646A.576, reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page364.html",
            primary=False,
        ),
        Source(
            "Oregon CPA §4(5)(a) control text (myctrl.tools)",
            "https://www.myctrl.tools/frameworks/or-cpa/section-4-5-a",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="ORS 646A.576(5)(a)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free for the first request in any 12-month period; a reasonable fee for further "
    "requests in that period, or for manifestly unfounded or excessive ones (ORS 646A.576).",
    confidence="secondary",
    appeal=_appeal(
        45,
        "ORS 646A.576(6)(d)",
        complaint="If the appeal is denied, give the consumer information that enables them to "
        "contact the Attorney General to submit a complaint (ORS 646A.576(6)(d)).",
        regulator="the Attorney General of Oregon",
    ),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE + " The Department of Justice's FAQ (primary) confirms the free first request.",
        "ORS 646A.576(5)(d) lets the controller hold a request it cannot authenticate until the "
        "consumer sends the information needed; the engine does not pause the clock for it, so "
        "the date shown is the earlier, cautious one.",
        "Nonprofits are covered from 2025-07-01; universal opt-out mechanisms must be honoured "
        "from 2026-01-01; access includes a list of the specific third parties data was disclosed to.",
    ),
)

US_MT = Rule(
    code="us-mt",
    version="2024-10-01",
    effective=_date("2024-10-01"),
    name="MCDPA",
    label="United States — Montana (MCDPA)",
    region="United States",
    # MCA 30-14-2808(4)(a): 45 days, extendable by 45 with notice in the first 45; (4)(c): free
    # once per 12 months; appeal answered within 60 days, with the Attorney General's mechanism.
    citation="Mont. Code Ann. §30-14-2808",
    sources=(
        Source(
            "Montana Code Annotated §30-14-2808",
            "https://archive.legmt.gov/bills/MCA/title_0300/chapter_0140/part_0280/section_0080/"
            "0300-0140-0280-0080.html",
        ),
        Source(
            "Montana SB 384 (2023), reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page258.html",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="§30-14-2808(4)(a)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive, technically infeasible or repetitive requests (§30-14-2808(4)(c)).",
    confidence="secondary",
    appeal=_appeal(60, "Mont. Code Ann. §30-14-2808", regulator="the Attorney General of Montana"),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE + " The section URL follows the Legislature's MCA pattern.",
        NO_PAUSE_NOTE,
        "Opt-out preference signals must be honoured from 2025-01-01. SB 297 (2025) amends the "
        "Act from 2025-10-01; its changes to timing, if any, were not checked.",
    ),
)

US_IA = Rule(
    code="us-ia",
    version="2025-01-01",
    effective=_date("2025-01-01"),
    name="ICDPA",
    label="United States — Iowa (ICDPA)",
    region="United States",
    # Iowa Code §715D.4(1): 90 days, extendable once by 45 with notice in the first 90; free
    # twice annually; appeal answered within 60 days, with the Attorney General's mechanism.
    citation="Iowa Code §715D.4",
    sources=(
        Source(
            "Iowa Code §715D.3 (Counsel Stack copy; rights and the request procedure in §715D.4)",
            "https://law.counselstack.com/statute/ia/715D.3",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(90, "days"),
    extension=_ext(first=90, section="§715D.4(1)"),
    clock_stop=None,
    request_types=frozenset({ACCESS, DELETION, OPT_OUT, APPEAL}),
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests (§715D.4).",
    confidence="secondary",
    appeal=_appeal(60, "Iowa Code §715D.4", regulator="the Attorney General of Iowa"),
    holiday_country="US",
    notes=(
        "Confidence secondary: the 90-day period is from a tracker (see sources); the 45-day "
        "extension and the 60-day appeal are from the Act as summarised, not read on the "
        "legislature's page.",
        NO_PAUSE_NOTE,
        "No right to correct; deletion covers data the consumer provided; opt-out covers the sale "
        "of personal data (targeted advertising must be disclosed with a way to opt out).",
    ),
)

US_DE = Rule(
    code="us-de",
    version="2025-01-01",
    effective=_date("2025-01-01"),
    name="DPDPA",
    label="United States — Delaware (DPDPA)",
    region="United States",
    # 6 Del. C. §12D-104(c)(1): 45 days, extendable by 45 with notice in the first 45; (c)(3):
    # free once per 12 months; (d): appeal answered within 60 days, Attorney General mechanism.
    citation="6 Del. C. §12D-104(c), (d)",
    sources=(
        Source(
            "6 Del. C. §12D-104, reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page183.html",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="§12D-104(c)(1)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests (§12D-104(c)(3)).",
    confidence="secondary",
    appeal=_appeal(60, "6 Del. C. §12D-104(d)", regulator="the Attorney General of Delaware"),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        NO_PAUSE_NOTE,
        "Universal opt-out mechanisms must be honoured from 2026-01-01; access includes a list of "
        "the categories of third parties data was disclosed to.",
    ),
)

US_NE = Rule(
    code="us-ne",
    version="2025-01-01",
    effective=_date("2025-01-01"),
    name="NDPA",
    label="United States — Nebraska (Nebraska Data Privacy Act)",
    region="United States",
    # Nebraska Data Privacy Act (LB 1074, 2024): 45 days, extendable once by 45 with notice in
    # the first 45; free twice annually; appeal answered within 60 days.
    citation="Neb. Rev. Stat. §87-1101 et seq. (LB 1074, 2024)",
    sources=(
        Source(
            "Clym, Nebraska Data Privacy Act (NDPA) overview",
            "https://www.clym.io/regulations/nebraska-data-privacy-act-ndpa",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="NDPA"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "Nebraska Data Privacy Act (LB 1074)", regulator="the Attorney General of Nebraska"),
    holiday_country="US",
    notes=(
        "Confidence secondary: only summaries were found (see sources); the section numbers were "
        "not checked against the statute.",
        NO_PAUSE_NOTE,
        "Modelled on Texas: a universal opt-out mechanism must be honoured.",
    ),
)

US_NH = Rule(
    code="us-nh",
    version="2025-01-01",
    effective=_date("2025-01-01"),
    name="NHDPA",
    label="United States — New Hampshire (NH Data Privacy Act)",
    region="United States",
    # RSA 507-H:4: 45 days, extendable by 45 with notice in the first 45; free once per 12
    # months; appeal answered within 60 days, with the Attorney General's mechanism.
    citation="N.H. RSA 507-H:4",
    sources=(
        Source(
            "New Hampshire Attorney General guidance, as reported by Granite State Times",
            "https://granitestatetimes.com/stories/670746270-new-hampshire-releases-guidance-on-new-"
            "consumer-privacy-law-effective-in-2025",
            primary=False,
        ),
        Source(
            "Business NH Magazine, a guide to NH's new data privacy rights (SB 255)",
            "https://www.businessnhmagazine.com/article/a-guide-to-nhrsquos-new-data-privacy-rights",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="RSA 507-H:4"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "N.H. RSA 507-H:4", regulator="the Attorney General of New Hampshire"),
    holiday_country="US",
    notes=(
        "Confidence secondary: only summaries were found (see sources).",
        NO_PAUSE_NOTE,
        "Opt-out preference signals must be honoured from 2025-01-01.",
    ),
)

US_NJ = Rule(
    code="us-nj",
    version="2025-01-15",
    effective=_date("2025-01-15"),
    name="NJDPA",
    label="United States — New Jersey (NJ Data Privacy Act)",
    region="United States",
    # N.J.S.A. 56:8-166.7(a): 45 days, extendable by 45 with notice in the first 45; (d): free
    # once per 12 months; appeal under N.J.S.A. 56:8-166.8 (see notes on its period).
    citation="N.J.S.A. 56:8-166.7; 56:8-166.8",
    sources=(
        Source(
            "N.J. Stat. §56:8-166.7 (Casetext copy)",
            "https://casetext.com/statute/new-jersey-statutes/title-56-trade-names-trade-marks-and-unfair-"
            "trade-practices/chapter-568/section-568-1667-effective-1152025-personal-data-controller-"
            "verified-request-consumer-response-period",
            primary=False,
        ),
        Source(
            "N.J.S.A. 56:8-166.7, reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page347.html",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="N.J.S.A. 56:8-166.7(a)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any twelve-month period; a reasonable fee, or a refusal, "
    "for manifestly unfounded, excessive or repetitive requests (N.J.S.A. 56:8-166.7(d)).",
    confidence="secondary",
    appeal=_appeal(
        45,
        "N.J.S.A. 56:8-166.8",
        complaint="If the appeal is denied, tell the consumer how to contact the Division of "
        "Consumer Affairs to submit a complaint.",
        regulator="the New Jersey Division of Consumer Affairs",
    ),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        "The appeal's answer period was not found in the sources read; 45 days is used, the "
        "shorter of the periods the Virginia-model laws give (45 or 60), so the date is not later "
        "than the law's.",
        NO_PAUSE_NOTE,
        "Universal opt-out mechanisms must be honoured from 2025-07-15; the response covers "
        "disclosures in the prior 12 months (56:8-166.7(a)).",
    ),
)

US_TN = Rule(
    code="us-tn",
    version="2025-07-01",
    effective=_date("2025-07-01"),
    name="TIPA",
    label="United States — Tennessee (TIPA)",
    region="United States",
    # Tennessee Information Protection Act: 45 days, extendable once by 45 with notice in the
    # first 45; free twice annually; appeal answered within 60 days.
    citation="Tenn. Code Ann. §47-18-3301 et seq. (TIPA)",
    sources=(MAYER_BROWN_TRACKER,),
    period=Period(45, "days"),
    extension=_ext(section="TIPA"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "Tenn. Code Ann. §47-18-3301 et seq. (TIPA)", regulator="the Attorney General of Tennessee"),
    holiday_country="US",
    notes=(
        "Confidence secondary: only a tracker was found (see sources); the section numbers, the "
        "60-day appeal and the fee were not checked against the statute.",
        NO_PAUSE_NOTE,
        "Applies only to controllers with more than $25 million in revenue (and the consumer "
        "thresholds); an affirmative defence for a NIST privacy framework programme.",
    ),
)

US_MN = Rule(
    code="us-mn",
    version="2025-07-31",
    effective=_date("2025-07-31"),
    name="MCDPA (Minnesota)",
    label="United States — Minnesota (Minnesota Consumer Data Privacy Act)",
    region="United States",
    # Minn. Stat. §325M.14: 45 days, extendable by 45 with notice in the first 45; appeal
    # answered within 45 days, extendable by 60, with the Attorney General's contact if denied.
    citation="Minn. Stat. §325M.14",
    sources=(
        Source("Minnesota Statutes §325M.14 (consumer rights)", "https://revisor.mn.gov/statutes/cite/325M.14"),
        Source(
            "FastDemocracy, Minnesota Consumer Data Privacy Act bill summary",
            "https://fastdemocracy.com/bill-summary/?billsummary_id=MNB00048815&billsummary_session=2023-2024"
            "&billsummary_state=mn",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="§325M.14"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually (per the bill summary); a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(
        45,
        "Minn. Stat. §325M.14",
        extension=60,
        complaint="If the appeal is denied, tell the consumer how to contact the Attorney General "
        "to submit a complaint.",
        regulator="the Attorney General of Minnesota",
    ),
    holiday_country="US",
    notes=(
        "Confidence secondary: the rights were read on the Revisor's page, but the periods (45 "
        "days, the appeal's 45 + 60) come from summaries and were not read there.",
        NO_PAUSE_NOTE,
        "Also a right to question the result of profiling and to be told its reasons (§325M.14 "
        "subd. 1(g)); universal opt-out mechanisms must be honoured; postsecondary institutions "
        "are covered from 2029-07-31.",
    ),
)

US_MD = Rule(
    code="us-md",
    version="2025-10-01",
    effective=_date("2025-10-01"),
    name="MODPA",
    label="United States — Maryland (MODPA)",
    region="United States",
    # Md. Code, Com. Law §14-4705: 45 days, extendable by 45 with notice in the first 45; free
    # once per 12 months; appeal answered within 60 days, with the Attorney General's mechanism.
    citation="Md. Code, Com. Law §14-4705",
    sources=(
        Source(
            "Md. Code, Com. Law §14-4705 (Lexace copy)",
            "https://lexace.ai/us/statute/maryland/CL-14-4705",
            primary=False,
        ),
        Source(
            "Maryland SB 541 (2024), Chapter 455 (Legiplex copy)",
            "https://app.legiplex.com/md/legislature/2024/2024-r/bills/sb541/drafts-latest",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=_ext(section="§14-4705"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "Md. Code, Com. Law §14-4705", regulator="the Attorney General of Maryland"),
    holiday_country="US",
    notes=(
        SECONDARY_NOTE,
        NO_PAUSE_NOTE,
        "In force 2025-10-01 but without effect on processing before 2026-04-01; requests are "
        "counted from 2025-10-01, the earlier, cautious reading.",
        "Access includes a list of the categories of third parties data was disclosed to; "
        "universal opt-out mechanisms must be honoured.",
    ),
)

US_IN = Rule(
    code="us-in",
    version="2026-01-01",
    effective=_date("2026-01-01"),
    name="ICDPA (Indiana)",
    label="United States — Indiana (Indiana Consumer Data Protection Act)",
    region="United States",
    # Ind. Code 24-15-3: 45 days, extendable once by 45 with notice in the first 45; free once
    # per 12 months; appeal answered within 60 days, with the Attorney General's mechanism.
    citation="Ind. Code 24-15-3",
    sources=(MAYER_BROWN_TRACKER,),
    period=Period(45, "days"),
    extension=_ext(section="IC 24-15-3"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per consumer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "Ind. Code 24-15-3", regulator="the Attorney General of Indiana"),
    holiday_country="US",
    notes=(
        "Confidence secondary: only a tracker was found (see sources); the 60-day appeal and the "
        "fee were not checked against the statute.",
        NO_PAUSE_NOTE,
        "Correction covers data the consumer previously provided; no universal opt-out duty.",
    ),
)

US_KY = Rule(
    code="us-ky",
    version="2026-01-01",
    effective=_date("2026-01-01"),
    name="KCDPA",
    label="United States — Kentucky (KCDPA)",
    region="United States",
    # KRS 367.3615(3): 45 days, extendable by 45 with notice in the first 45; free twice
    # annually; (4): appeal answered within 60 days, with the Attorney General's mechanism.
    citation="KRS 367.3615",
    sources=(
        Source("KRS 367.3615 (research copy)", "https://self-law.org/code/ky/367-3615", primary=False),
        Source(
            "Kentucky HB 15 (2024) §3, reproduced in a GDPR and US state privacy laws deskbook",
            DESKBOOK + "page229.html",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="KRS 367.3615(3)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests (KRS 367.3615(3)).",
    confidence="secondary",
    appeal=_appeal(60, "KRS 367.3615(4)", regulator="the Attorney General of Kentucky"),
    holiday_country="US",
    notes=(SECONDARY_NOTE, NO_PAUSE_NOTE, "No universal opt-out duty."),
)

US_RI = Rule(
    code="us-ri",
    version="2026-01-01",
    effective=_date("2026-01-01"),
    name="RIDTPPA",
    label="United States — Rhode Island (Data Transparency and Privacy Protection Act)",
    region="United States",
    # R.I. Gen. Laws §6-48.1-6(b)(1): 45 days, extendable by 45 with notice in the first 45;
    # (b)(3): free once per 12 months; appeal answered within 60 days.
    citation="R.I. Gen. Laws §6-48.1-6",
    sources=(
        Source(
            "R.I. Gen. Laws §6-48.1-6 (exercising customer rights)",
            "http://webserver.rilin.state.ri.us/Statutes/TITLE6/6-48.1/6-48.1-6.htm",
        ),
        Source(
            "RIDTPPA consumer rights explained (recordinglaw.com)",
            "https://www.recordinglaw.com/us-laws/data-privacy-laws/rhode-island-data-privacy-laws/"
            "ridtppa-consumer-rights/",
            primary=False,
        ),
    ),
    period=Period(45, "days"),
    extension=_ext(section="§6-48.1-6(b)(1)"),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free once per customer during any 12-month period; a reasonable fee, or a refusal, for "
    "manifestly unfounded, excessive or repetitive requests (§6-48.1-6(b)(3)).",
    confidence="primary",
    appeal=_appeal(60, "R.I. Gen. Laws §6-48.1-6", regulator="the Attorney General of Rhode Island"),
    holiday_country="US",
    notes=(
        "The 45-day period and its extension were read on the General Assembly's page; the "
        "60-day appeal is from a secondary summary (see sources).",
        NO_PAUSE_NOTE,
        "The law says 'customer' for the consumer. Revocation of consent for sensitive data takes "
        "effect within 15 days (§6-48.1-4), a duty not counted here.",
    ),
)

US_FL = Rule(
    code="us-fl",
    version="2024-07-01",
    effective=_date("2024-07-01"),
    name="FDBR",
    label="United States — Florida (Digital Bill of Rights)",
    region="United States",
    # Fla. Stat. §501.706: 45 days, extendable once by 15 with notice in the first 45; appeal
    # answered within 60 days.
    citation="Fla. Stat. §501.706",
    sources=(
        Source(
            "The Lomnitzer Firm, What is the Florida Digital Bill of Rights?",
            "https://www.lomnitzerlaw.com/what-is-the-florida-digital-bill-of-rights/",
            primary=False,
        ),
        Source(
            "TermsBuilder, Florida Digital Bill of Rights and privacy policies",
            "https://termsbuilder.com/blog/florida-digital-bill-of-rights",
            primary=False,
        ),
        MAYER_BROWN_TRACKER,
    ),
    period=Period(45, "days"),
    extension=Extension(
        by=Period(15, "days"),
        grounds="when reasonably necessary, considering the complexity and number of the consumer's requests",
        notice="within the initial 45-day period, with the reason for the extension (§501.706)",
    ),
    clock_stop=None,
    request_types=FULL_TYPES,
    cost="Free up to twice annually per consumer; a reasonable fee, or a refusal, for manifestly "
    "unfounded, excessive or repetitive requests.",
    confidence="secondary",
    appeal=_appeal(60, "Fla. Stat. §501.706", regulator="the Attorney General of Florida"),
    holiday_country="US",
    notes=(
        "Narrow scope: only for-profit controllers with more than $1 billion in global annual "
        "revenue that also earn half their revenue from online advertising, run a smart speaker "
        "service, or run an app store with 250,000 apps (Fla. Stat. §501.702).",
        "Confidence secondary: only summaries were found (see sources); the 60-day appeal and the "
        "fee were not checked against the statute.",
        NO_PAUSE_NOTE,
    ),
)

RULES: tuple[Rule, ...] = (
    US_VA,
    US_CO,
    US_CT,
    US_UT,
    US_TX,
    US_OR,
    US_MT,
    US_IA,
    US_DE,
    US_NE,
    US_NH,
    US_NJ,
    US_TN,
    US_MN,
    US_MD,
    US_IN,
    US_KY,
    US_RI,
    US_FL,
)
