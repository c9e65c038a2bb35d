"""Rules of South Africa."""

from __future__ import annotations

import datetime

from requests_app.laws.rules import ACCESS, CORRECTION, DELETION, OBJECTION, Extension, Period, Rule, Source

POPIA_TEXT = "https://www.justice.gov.za/inforeg/docs/InfoRegSA-POPIA-act2013-004.pdf"
PAIA_TEXT = "https://www.justice.gov.za/legislation/acts/2000-002.pdf"
PAIA_57 = "http://acts.co.za/promotion/57__extension_of_period_to_deal_with_request.php"

# POPIA s.23(3): an access request is made in the manner of PAIA s.53 (private bodies); s.25:
# PAIA applies to it. PAIA s.56(1): decide within 30 days after receipt and notify the requester;
# s.57(1): one extension of not more than 30 days (many records, far-off offices, consultation,
# or the requester's written consent), notified within the first 30 days with the period, the
# reasons and the right to complain to the Information Regulator (s.57(2)-(3)). POPIA s.24:
# correction or deletion "as soon as reasonably practicable". The Interpretation Act 33 of 1957
# s.4 leaves the first day out.
ZA = Rule(
    code="za",
    version="2020-07-01",
    effective=datetime.date(2020, 7, 1),
    name="POPIA",
    label="South Africa (POPIA)",
    region="Africa",
    citation="POPIA s.23-25; PAIA s.56(1), s.57 (private bodies)",
    sources=(
        Source("Protection of Personal Information Act 4 of 2013, ss. 23-25", POPIA_TEXT),
        Source("Promotion of Access to Information Act 2 of 2000, ss. 53, 56-57", PAIA_TEXT),
        Source("PAIA s.57, as amended by POPIA (acts.co.za)", PAIA_57, primary=False),
    ),
    period=Period(30, "days"),
    extension=Extension(
        by=Period(30, "days"),
        grounds=(
            "a large number of records, records at another office, consultation needed, "
            "or the requester's written consent (PAIA s.57(1))"
        ),
        notice=(
            "within 30 days of receipt: the period of the extension, the reasons and the right to "
            "complain to the Information Regulator or apply to court (PAIA s.57(2)-(3))"
        ),
    ),
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, OBJECTION}),
    cost=(
        "Confirming whether information is held is free (POPIA s.23(1)(a)); the PAIA request and "
        "access fees may be charged for a copy, with an estimate first (s.23(1)(b), s.23(3); PAIA s.54)."
    ),
    confidence="secondary",
    holiday_country="ZA",
    notes=(
        "Confidence is secondary: PAIA s.56 and POPIA's commencement were read in copies, not the Government Gazette.",
        "Only one extension, once, for a private body (PAIA s.57(1)); a public body follows PAIA "
        "ss.25-26 (also 30 days and one 30-day extension).",
        "Correction and deletion (POPIA s.24) and objection (s.11(3)) have no fixed period in the Act "
        "(as soon as reasonably practicable); the 30 days of PAIA s.56 are used for them as the "
        "nearest period the law gives.",
        "Dates are not moved: the Interpretation Act s.4 leaves out a last day on a Sunday or public "
        "holiday, but not a Saturday, and this product can only move off both; the earlier date is kept.",
        "Sections 23-25 commenced on 1 July 2020; POPIA s.114(1) gave until 30 June 2021 to comply.",
    ),
)

RULES: tuple[Rule, ...] = (ZA,)
