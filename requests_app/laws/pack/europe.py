"""Rules of the EU/EEA, the United Kingdom and Switzerland."""

from __future__ import annotations

import dataclasses
import datetime

from requests_app.laws.rules import (
    ACCESS,
    CORRECTION,
    DELETION,
    OBJECTION,
    RESTRICTION,
    ClockStop,
    Extension,
    Period,
    Rule,
    Source,
)

GDPR_TEXT = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
EDPB_ACCESS = (
    "https://www.edpb.europa.eu/our-work-tools/our-documents/guidelines/"
    "guidelines-012022-data-subject-rights-right-access_en"
)
REGULATION_1182_71 = "https://eur-lex.europa.eu/eli/reg/1971/1182/oj"

GDPR = Rule(
    code="gdpr",
    version="2018-05-25",
    effective=datetime.date(2018, 5, 25),
    name="GDPR",
    label="European Union / EEA (GDPR)",
    region="Europe",
    # Art. 12(3): without undue delay and at the latest within one month of receipt, extendable
    # by two further months where necessary (complexity, number of requests), the subject told
    # within the first month with the reasons.
    citation="GDPR Art. 12(3); EDPB Guidelines 01/2022 section 5.3; Regulation 1182/71 Art. 3(1), 3(2)(c), 3(4)",
    sources=(
        Source("Regulation (EU) 2016/679 (GDPR), Art. 12(3)", GDPR_TEXT),
        Source("EDPB Guidelines 01/2022 on the right of access, section 5.3 (timing)", EDPB_ACCESS),
        Source(
            "Regulation (EEC, Euratom) No 1182/71, Art. 3(1), 3(2)(c) and 3(4) (periods, dates and time limits)",
            REGULATION_1182_71,
        ),
    ),
    period=Period(1, "months"),
    extension=Extension(
        by=Period(2, "months"),
        grounds="the complexity and number of the requests",
        notice="within one month of receipt, with the reasons for the delay (Art. 12(3))",
    ),
    # Art. 12(6) lets the controller ask for the information it needs to confirm the identity of
    # the subject; the EDPB's guidelines count the month from the day that information arrives.
    clock_stop=ClockStop(
        grounds=("information needed to identify the subject",),
        counting="restarts",
        citation="GDPR Art. 12(6); EDPB Guidelines 01/2022 section 5.3",
    ),
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION, OBJECTION}),
    cost="Free; a reasonable fee or a refusal only for manifestly unfounded or excessive requests (Art. 12(5)).",
    confidence="primary",
    # Regulation 1182/71 Art. 3(4): a period ending on a Saturday, Sunday or public holiday ends
    # at the end of the next working day. 1 January and 25 December are public holidays in every
    # EU/EEA state, so they move a date even when no holiday country is configured.
    rolls_to_working_day=True,
    common_holidays=((1, 1, "New Year's Day"), (12, 25, "Christmas Day")),
    notes=(
        "Months are counted under Regulation 1182/71: the day of receipt is not counted (Art. 3(1)) "
        "and the period ends on the same date of the last month, or that month's last day (Art. 3(2)(c)).",
        "Dates move off weekends and public holidays (Regulation 1182/71 Art. 3(4)); set "
        "DSAR_HOLIDAY_COUNTRY for the member state's own holidays. Without it only 1 January and "
        "25 December, holidays in every EU/EEA state, are known.",
        "The EDPB guidelines are cited by section (5.3, timing of access), not by paragraph: the "
        "paragraph numbers were not checked against the adopted text (version 2.1).",
        "The subject is told of the right to complain to a supervisory authority when a request is "
        "refused (Art. 12(4), Art. 77); the GDPR gives no appeal to the controller.",
    ),
)

UK_GDPR_TEXT = "https://www.legislation.gov.uk/eur/2016/679/chapter/III/section/1/data.html"
ICO_RESPONDING = (
    "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/individual-rights/"
    "right-of-access/what-should-we-consider-when-responding-to-a-request/"
)
DUAA_S76 = "https://www.legislation.gov.uk/ukpga/2025/18/section/76"
DUAA_S103 = "https://www.legislation.gov.uk/ukpga/2025/18/section/103"
DUAA_COMMENCEMENT_6 = "https://www.legislation.gov.uk/uksi/2026/82/made"
DPA_S54 = "https://www.legislation.gov.uk/ukpga/2018/12/section/54/data.html"

UK_COMPLAINT = (
    "Complaint to the Information Commissioner (UK GDPR Art. 77); the subject is told of it, and of "
    "the right to seek a judicial remedy, when a request is refused (Art. 12(4))."
)

# UK GDPR Art. 12(3) before the Data (Use and Access) Act 2025: one month from receipt, two
# further months for complex or numerous requests, notice within the first month. The ICO counts
# the month from the day the ID (or a fee, where one may be charged) arrives.
UK_2021 = Rule(
    code="uk",
    version="2021-01-01",
    effective=datetime.date(2021, 1, 1),
    name="UK GDPR",
    label="United Kingdom (UK GDPR)",
    region="Europe",
    citation="UK GDPR Art. 12(3), 12(5), 12(6); ICO right of access guidance",
    sources=(
        Source("UK GDPR, Chapter III section 1 (Art. 12), legislation.gov.uk", UK_GDPR_TEXT),
        Source("ICO, Right of access: what should we consider when responding to a request?", ICO_RESPONDING),
    ),
    period=Period(1, "months"),
    extension=Extension(
        by=Period(2, "months"),
        grounds="the request is complex, or the subject has made a number of requests",
        notice="within one month of receipt, with the reasons for the extension (Art. 12(3))",
    ),
    # The ICO: comply within one month of receipt of the request, or of the ID or fee asked for.
    # "restarts" counts the month again from the day the wait ended.
    clock_stop=ClockStop(
        grounds=(
            "information needed to confirm the subject's identity",
            "a fee, where one may be charged (manifestly unfounded or excessive requests)",
            "clarification of a request where a large amount of information is processed",
        ),
        counting="restarts",
        citation="UK GDPR Art. 12(5), 12(6); ICO right of access guidance",
    ),
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION, OBJECTION}),
    cost="Free; a reasonable fee or a refusal only for manifestly unfounded or excessive requests (Art. 12(5)).",
    confidence="primary",
    rolls_to_working_day=True,
    holiday_country="GB",
    notes=(
        "Requests received in the UK before 1 January 2021 were answered under the GDPR itself: use 'gdpr'.",
        "The ICO: a deadline on a weekend or bank holiday moves to the next working day. The GB "
        "calendar without a subdivision holds only the UK-wide bank holidays, so Easter Monday and "
        "the summer bank holiday (not holidays in Scotland, or not on the same day) do not move a "
        "date: earlier, never later, than a reading for England and Wales alone.",
        "The ICO's guidance lets the clock stop while a clarification is awaited (secondary "
        "reports of the 2020 update); the same single count from the day the answer arrives is used here.",
        UK_COMPLAINT,
    ),
)

# The Data (Use and Access) Act 2025 s.76 inserts UK GDPR Art. 12A ("the applicable time
# period"), in force on 5 February 2026 (SI 2026/82 reg. 2(h)).
UK_2026 = dataclasses.replace(
    UK_2021,
    version="2026-02-05",
    effective=datetime.date(2026, 2, 5),
    label="United Kingdom (UK GDPR, as amended by the Data (Use and Access) Act 2025)",
    citation="UK GDPR Art. 12(3) and 12A (Data (Use and Access) Act 2025 s.76; SI 2026/82 reg. 2(h))",
    sources=(
        Source("UK GDPR, Chapter III section 1 (Art. 12, 12A), legislation.gov.uk", UK_GDPR_TEXT),
        Source("Data (Use and Access) Act 2025, s.76 (time limits for responding to requests)", DUAA_S76),
        Source("Data (Use and Access) Act 2025 (Commencement No. 6 ...) Regulations 2026, reg. 2", DUAA_COMMENCEMENT_6),
        Source("Data (Use and Access) Act 2025, s.103 (complaints by data subjects)", DUAA_S103),
        Source("ICO, Right of access: what should we consider when responding to a request?", ICO_RESPONDING),
        Source("Data Protection Act 2018 s.54 (the same scheme for law enforcement processing)", DPA_S54),
    ),
    extension=Extension(
        by=Period(2, "months"),
        grounds="the complexity of the subject's requests, or their number (Art. 12A)",
        notice="before the end of one month from the relevant time, with the reasons for the delay (Art. 12A)",
    ),
    clock_stop=ClockStop(
        grounds=(
            "information needed to confirm the subject's identity",
            "clarification of the information or processing the request is about",
            "a fee, where one may be charged (manifestly unfounded or excessive requests)",
        ),
        counting="suspends",
        citation="UK GDPR Art. 12A",
    ),
    notes=(
        "Art. 12A: the month runs from the relevant time (the latest of receipt, the ID asked for, "
        "and the fee where one is charged); while the controller waits for a clarification it asked "
        "for, the days from its asking to the answer do not count. The engine has one way to count a "
        "wait: the days waited are added here. Counted from the day the ID or fee arrived, the date "
        "can differ by a day or two around short months; staff should take the earlier one.",
        "Art. 15(1A) (inserted by the 2025 Act s.78): the subject is entitled only to what a "
        "reasonable and proportionate search finds. Secondary sources report it in force from "
        "Royal Assent (19 June 2025).",
        "Complaints to the controller (Data Protection Act 2018 s.164A, inserted by the 2025 Act "
        "s.103, in force on 19 June 2026 by SI 2026/82 reg. 3): acknowledge within 30 days of "
        "receipt, then respond and give the outcome without undue delay. Kept as a note, not as an "
        "appeal: it is a complaint about any infringement, not a review of a refused request, and "
        "the law sets no period for the answer.",
        "The ICO: a deadline on a weekend or bank holiday moves to the next working day. The GB "
        "calendar without a subdivision holds only the UK-wide bank holidays, so Easter Monday and "
        "the summer bank holiday do not move a date (earlier, never later).",
        UK_COMPLAINT,
    ),
)

FADP_ART_25 = "https://lawbrary.ch/law/art/DSG-v2023.09-en-art-25"
DPO_ART_19 = "https://staging.app.omnilex.ai/en/sources/commentaries/ch-fedlex--235.11--19"
DPO_ART_19_DE = "https://datenschutzgesetze.ch/dsv-artikel-19-ausnahmen-der-kostenlosigkeit.html"

# Revised FADP Art. 25(7): the information "in general" within 30 days; DPO Art. 18: a
# controller that cannot answer within 30 days tells the subject when it will; DPO Art. 19: a
# cost contribution of at most CHF 300, the 30 days running from the end of a 10-day reflection
# period.
CH = Rule(
    code="ch",
    version="2023-09-01",
    effective=datetime.date(2023, 9, 1),
    name="FADP",
    label="Switzerland (revised Federal Act on Data Protection)",
    region="Europe",
    citation="FADP Art. 25(6), 25(7); Data Protection Ordinance (DPO) Art. 18, 19",
    sources=(
        Source(
            "Federal Act on Data Protection (FADP), Art. 25, English text (lawbrary.ch)", FADP_ART_25, primary=False
        ),
        Source("Data Protection Ordinance (DPO, SR 235.11), Art. 19, English text", DPO_ART_19, primary=False),
        Source("Datenschutzverordnung (DSV), Art. 19, German text", DPO_ART_19_DE, primary=False),
    ),
    period=Period(30, "days"),
    # DPO Art. 18 lets the controller defer the answer by notice, with no fixed length: the engine
    # needs a length, so no extension is modelled and the 30 days stand (earlier, never later).
    extension=None,
    clock_stop=ClockStop(
        grounds=("a cost contribution notified: the 30 days run from the end of the ten-day reflection period",),
        counting="restarts",
        citation="DPO Art. 19(3)",
    ),
    request_types=frozenset({ACCESS, CORRECTION, DELETION, OBJECTION}),
    cost=(
        "Free (FADP Art. 25(6)); where answering takes a disproportionate effort, an appropriate "
        "contribution of at most CHF 300, notified before the information is given; a request not "
        "confirmed within ten days is withdrawn at no cost (DPO Art. 19)."
    ),
    confidence="secondary",
    notes=(
        "Only secondary copies of the FADP and DPO texts (translations and commentary sites) were "
        "found, not the Fedlex publication: check Art. 25 FADP and Art. 18-19 DPO there.",
        "DPO Art. 18: a controller that cannot answer within 30 days must tell the subject, and say "
        "within what period it will. The law fixes no length, so the engine gives no extension: "
        "set the new date by hand, and tell the subject within the 30 days.",
        "Due dates are not moved off weekends or holidays here (earlier, never later).",
        "Correction, deletion and objection: FADP Art. 32 and 30-31 (claims of the data subject); "
        "Art. 25(7)'s 30 days is for access, used here for every type.",
        "Complaint: a report to the Federal Data Protection and Information Commissioner (FDPIC), "
        "or a civil claim; no appeal to the controller.",
    ),
)

RULES: tuple[Rule, ...] = (GDPR, UK_2021, UK_2026, CH)
