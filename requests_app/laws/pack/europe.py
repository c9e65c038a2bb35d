"""Rules of the EU/EEA, the United Kingdom and Switzerland."""

from __future__ import annotations

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
    citation="GDPR Art. 12(3); EDPB Guidelines 01/2022; Regulation 1182/71 Art. 3",
    sources=(
        Source("Regulation (EU) 2016/679 (GDPR), Art. 12(3)", GDPR_TEXT),
        Source("EDPB Guidelines 01/2022 on the right of access, §§ 157-161", EDPB_ACCESS),
        Source("Regulation (EEC, Euratom) No 1182/71, Art. 3 (periods, dates and time limits)", REGULATION_1182_71),
    ),
    period=Period(1, "months"),
    extension=Extension(
        by=Period(2, "months"),
        grounds="the complexity and number of the requests",
        notice="within one month of receipt, with the reasons for the delay (Art. 12(3))",
    ),
    # EDPB Guidelines 01/2022 § 159: where the controller needs more information to identify
    # the subject, the period starts once it has it.
    clock_stop=ClockStop(
        grounds=("information needed to identify the subject",),
        counting="restarts",
        citation="GDPR Art. 12(6); EDPB Guidelines 01/2022 § 159",
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
        "Dates move off weekends and public holidays (Regulation 1182/71 Art. 3(4)); set "
        "DSAR_HOLIDAY_COUNTRY for the member state's own holidays. Without it only 1 January and "
        "25 December, holidays in every EU/EEA state, are known.",
    ),
)

RULES: tuple[Rule, ...] = (GDPR,)
