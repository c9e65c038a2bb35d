"""Rules of South Korea, Singapore, Taiwan, Australia, Japan, China and India."""

from __future__ import annotations

import datetime

from requests_app.laws.rules import (
    ACCESS,
    APPEAL,
    CORRECTION,
    DELETION,
    OBJECTION,
    RESTRICTION,
    Appeal,
    Extension,
    Period,
    Rule,
    Source,
    TypeTiming,
)

KR_PIPA = "https://elaw.klri.re.kr/kor_service/lawViewTitle.do?hseq=54521"
KR_DECREE = "https://elaw.klri.re.kr/kor_mobile/viewer.do?hseq=66066&type=sogan&key=15"
KR_PIPA_35 = "https://prighter.com/resources/laws/korean-pipa/main/articles/article-35"
KR_DECREE_41 = "https://prighter.com/resources/laws/korean-pipa/enforcement-decree/articles/article-41"

# PIPA Art. 35(3): access within the period the Presidential Decree sets, which is 10 days
# (Enforcement Decree Art. 41(4)); Art. 35(3) second sentence: access may be postponed for good
# cause after telling the subject why, and given without delay once the cause ends. Art. 36
# (correction, deletion) and Art. 37 (suspension of processing) with Decree Arts. 43-44: the
# result within 10 days. Civil Act Art. 157 leaves the first day out; Art. 161 moves a period
# ending on a Saturday or public holiday to the next day.
KR = Rule(
    code="kr",
    version="2011-09-30",
    effective=datetime.date(2011, 9, 30),
    name="PIPA",
    label="South Korea (PIPA)",
    region="Asia-Pacific",
    citation="PIPA Art. 35(3), 36, 37; Enforcement Decree Art. 41(4), 43, 44; Civil Act Art. 161",
    sources=(
        Source("Personal Information Protection Act, Art. 35-37 (KLRI English text)", KR_PIPA),
        Source("Enforcement Decree of the Personal Information Protection Act, Art. 41 (KLRI)", KR_DECREE),
        Source("PIPA Art. 35 (consolidated English text, Prighter)", KR_PIPA_35, primary=False),
        Source("Enforcement Decree Art. 41 (consolidated English text, Prighter)", KR_DECREE_41, primary=False),
    ),
    period=Period(10, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION, OBJECTION}),
    cost=(
        "A fee and postage may be charged for access, as the Decree sets (PIPA Art. 38(3)); none where "
        "the controller caused the request."
    ),
    confidence="secondary",
    rolls_to_working_day=True,
    holiday_country="KR",
    notes=(
        "Confidence is secondary: the periods were read in English translations and summaries, "
        "not in the official text.",
        "Art. 35(3) lets the controller postpone access for good cause after telling the subject the "
        "reason; the postponement has no fixed length, so it is not modelled as an extension: staff "
        "record the notice and answer as soon as the cause ends.",
        "Correction and deletion (Art. 36) and suspension of processing (Art. 37, here restriction or "
        "objection) are also answered within 10 days under the Decree (Arts. 43(3), 44(2)); the 10 days "
        "were read from the KLRI English text, which is a translation, not the official Korean.",
        "Civil Act Art. 161: a period ending on a Saturday or public holiday ends the next day; the "
        "holidays package's KR calendar is used. It lists Labour Day (1 May), which is not a public "
        "holiday for every employer, so a due date on 1 May may be shown a day late.",
    ),
)

SG_ACT = "https://sso.agc.gov.sg/Act/PDPA2012"
SG_REGS = "https://sso.agc.gov.sg/SL-Supp/S63-2021/Published/20210129170000?DocDate=20210129170000&WholeDoc=1"

# PDPA s.21 (access) and s.22 (correction); PDP Regulations 2021 reg. 4-5: respond as soon as
# reasonably possible, and if that cannot be within 30 days after receipt, tell the applicant
# within those 30 days when the organisation will respond.
SG = Rule(
    code="sg",
    version="2021-02-01",
    effective=datetime.date(2021, 2, 1),
    name="PDPA (Singapore)",
    label="Singapore (PDPA)",
    region="Asia-Pacific",
    citation="PDPA 2012 s.21, 22, 22A; Personal Data Protection Regulations 2021 reg. 4, 5, 8",
    sources=(
        Source("Personal Data Protection Act 2012, ss. 21-22A", SG_ACT),
        Source("Personal Data Protection Regulations 2021 (S 63/2021)", SG_REGS),
    ),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION}),
    cost="A reasonable fee may be charged for access, with a written estimate first (reg. 7); correction is free.",
    confidence="secondary",
    holiday_country="SG",
    notes=(
        "Confidence is secondary: regulation 5 and the Interpretation Act were not read in the official text.",
        "The law asks for an answer as soon as reasonably possible; 30 days is the last day to either "
        "answer or tell the individual in writing when the answer will come (reg. 5). The later date "
        "the organisation gives is open-ended, so no extension is modelled: record it by hand.",
        "A refused access request: keep a complete copy of the personal data for at least 30 days after "
        "the refusal is notified, longer while a review is pending (s.22A; reg. 8).",
        "Dates are not moved: the Interpretation Act s.50 lets a period ending on a Sunday or public "
        "holiday run to the next day, but not one ending on a Saturday, and this product can only move "
        "off both; the earlier date is kept.",
    ),
)

TW_PDPA = "https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode=I0050021"
TW_PDPA_EN = "https://law.moj.gov.tw/ENG/LawClass/LawAll.aspx?pcode=I0050021"
TW_LATER = Extension(
    by=Period(30, "days"),
    grounds="where necessary",
    notice="in writing, with the reason, to the requester (Art. 13)",
)

# PDPA Art. 13: a decision on an Art. 10 request (inquiry, review, copies) within 15 days,
# extendable by up to 15 days with written notice of the reason; on an Art. 11 request
# (correction or supplement, cessation of processing, deletion) within 30 days, extendable by up
# to 30 days. Civil Code Art. 120(2) leaves the first day out; Art. 122 moves a last day on a
# Sunday, memorial day or other rest day to the next day.
TW = Rule(
    code="tw",
    version="2012-10-01",
    effective=datetime.date(2012, 10, 1),
    name="PDPA (Taiwan)",
    label="Taiwan (PDPA)",
    region="Asia-Pacific",
    citation="PDPA Art. 10, 11, 13; Civil Code Art. 122",
    sources=(
        Source("Personal Data Protection Act (個人資料保護法), Art. 13", TW_PDPA),
        Source("Personal Data Protection Act (English), Art. 13", TW_PDPA_EN),
    ),
    period=Period(15, "days"),
    extension=Extension(
        by=Period(15, "days"),
        grounds="where necessary",
        notice="in writing, with the reason, to the requester (Art. 13)",
    ),
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION}),
    by_type={
        CORRECTION: TypeTiming(period=Period(30, "days"), citation="PDPA Art. 11(1), 13", extension=TW_LATER),
        DELETION: TypeTiming(period=Period(30, "days"), citation="PDPA Art. 11(3), 13", extension=TW_LATER),
        RESTRICTION: TypeTiming(period=Period(30, "days"), citation="PDPA Art. 11(2)-(4), 13", extension=TW_LATER),
    },
    cost="Necessary costs may be charged for inquiry, review or copies (Art. 14).",
    confidence="secondary",
    rolls_to_working_day=True,
    holiday_country="TW",
    notes=(
        "Confidence is secondary: Art. 13 and the Civil Code were not read in the official text.",
        "Civil Code Art. 122: a last day on a Sunday, memorial day or other rest day moves to the next "
        "day; Saturdays are rest days, and the holidays package's TW calendar gives the rest. Saturdays "
        "made into working days (make-up days) are still treated as rest days.",
        "Art. 20(2): a refusal of marketing must be honoured at once; it has no period here.",
    ),
)

AU_ACT = "https://www.legislation.gov.au/C2004A03712/latest/text"
AU_OAIC = (
    "https://www.oaic.gov.au/privacy/australian-privacy-principles/australian-privacy-principles-guidelines/"
    "chapter-12-app-12-access-to-personal-information"
)

# APP 12.4(a): an agency responds within 30 days after the request is made; an organisation
# "within a reasonable period after the request is made". A company using this product is an
# organisation, so ``au`` is the organisation's rule.
AU = Rule(
    code="au",
    version="2014-03-12",
    effective=datetime.date(2014, 3, 12),
    name="Privacy Act 1988 (APPs)",
    label="Australia (Privacy Act, APPs; organisations)",
    region="Asia-Pacific",
    citation="Privacy Act 1988 Sch. 1, APP 12.4(a)(ii), APP 13.5(a)(ii)",
    sources=(
        Source("Privacy Act 1988 (Cth), Schedule 1, APP 12 and APP 13", AU_ACT),
        Source("OAIC, APP Guidelines, Chapter 12 (APP 12)", AU_OAIC),
    ),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION}),
    cost="Organisations may charge a non-excessive fee for giving access, never for making the request (APP 12.8).",
    confidence="secondary",
    reasonable_period=True,
    holiday_country="AU",
    notes=(
        "Confidence is secondary: APP 12.4 and the OAIC guidance were not read in the official text.",
        "For an organisation (a business) APP 12.4(a)(ii) and APP 13.5(a)(ii) give a reasonable period; "
        "the OAIC's guidelines (Chapter 12) say it should not usually be longer than 30 calendar days.",
        "An agency (an Australian Government body) must answer within 30 days (APP 12.4(a)(i), "
        "APP 13.5(a)(i)); that is not this rule.",
        "Dates are not moved: the Acts Interpretation Act 1901 s.36(2) moves a period that ends on a "
        "weekend or holiday, but a reasonable period is not a fixed one, and the earlier date is kept.",
    ),
)

JP_PPC = "https://www.ppc.go.jp/en/legal/"
JP_EN = "https://www.japaneselawtranslation.go.jp/en/laws/view/4241/en"

# APPI Art. 33(2) (disclosure), 34(2)-(3) (correction), 35 (cessation of use, erasure,
# cessation of third-party provision): "without delay" (遅滞なく).
JP = Rule(
    code="jp",
    version="2022-04-01",
    effective=datetime.date(2022, 4, 1),
    name="APPI",
    label="Japan (APPI)",
    region="Asia-Pacific",
    citation="APPI Art. 33(2), 34, 35",
    sources=(
        Source("Personal Information Protection Commission: laws and guidelines", JP_PPC),
        Source("Act on the Protection of Personal Information (Japanese Law Translation)", JP_EN),
    ),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION}),
    cost="A reasonable fee may be charged for disclosure (Art. 38).",
    confidence="secondary",
    reasonable_period=True,
    holiday_country="JP",
    notes=(
        "Confidence is secondary: Arts. 33-35 were not read in the official translation in full.",
        "The law says without delay and gives no number of days; the configured reasonable period is used.",
        "Article numbers are those of the Act as amended in force from 1 April 2022.",
    ),
)

CN_PIPL = "http://www.npc.gov.cn/npc/c30834/202108/a8c4e3672c74491a80b53a172bb753fe.shtml"
CN_GBT = "https://www.chinesestandard.net/PDF/PDF.amp.aspx/GBT35273-2020"

# PIPL Art. 50: handlers set up a convenient way to take and handle requests under Arts. 44-47
# and give reasons for a refusal; Art. 45: copies "in a timely manner" (及时).
CN = Rule(
    code="cn",
    version="2021-11-01",
    effective=datetime.date(2021, 11, 1),
    name="PIPL",
    label="China (PIPL)",
    region="Asia-Pacific",
    citation="PIPL Art. 44-47, 50",
    sources=(
        Source("Personal Information Protection Law of the PRC (个人信息保护法), Art. 50", CN_PIPL),
        Source("GB/T 35273-2020 Personal information security specification (listing)", CN_GBT, primary=False),
    ),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, RESTRICTION, OBJECTION}),
    cost="The law sets no fee.",
    confidence="secondary",
    reasonable_period=True,
    holiday_country="CN",
    notes=(
        "Confidence is secondary: Art. 50 was not read in the official text.",
        "The law says in a timely manner and gives no number of days; the configured reasonable period is used.",
        "Secondary, not verified from the standard's text: the voluntary national standard GB/T "
        "35273-2020 (8.7) is commonly reported to ask for an answer within 30 days or the period a law "
        "sets; it does not bind.",
        "The npc.gov.cn address is the National People's Congress publication of the law as found; check "
        "it before relying on it.",
    ),
)

IN_ACT = "https://www.meity.gov.in/static/uploads/2024/06/2bf1f0e9f04e6fb4f8fef35e82c42aa5.pdf"
IN_RULES = "https://www.meity.gov.in/static/uploads/2025/11/53450e6e5dc0bfa85ebd78686cadad39.pdf"
IN_COMMENCEMENT = "https://www.meity.gov.in/static/uploads/2025/11/c56ceae6c383460ca69577428d36828b.pdf"
IN_RULES_SUMMARY = (
    "https://raw.githubusercontent.com/ThomasMoreAI/legal-skills-open/main/in/data-protection/skills/"
    "dpdpa/references/rules-2025.md"
)

# DPDP Act ss.11-13 (access, correction and erasure, grievance redressal) and DPDP Rules 2025
# r.14: in force on the expiry of 18 months from the Rules' publication on 13 November 2025.
IN = Rule(
    code="in",
    version="2027-05-13",
    effective=datetime.date(2027, 5, 13),
    name="DPDP Act",
    label="India (DPDP Act)",
    region="Asia-Pacific",
    citation="DPDP Act 2023 ss.11-13; DPDP Rules 2025 r.1, r.14",
    sources=(
        Source("Digital Personal Data Protection Act, 2023 (No. 22 of 2023), ss.11-14 (MeitY)", IN_ACT),
        Source("Digital Personal Data Protection Rules, 2025 (G.S.R. 846(E)), r.1 and r.14 (MeitY)", IN_RULES),
        Source("Notification of the commencement of the DPDP Act's provisions (MeitY)", IN_COMMENCEMENT),
        Source("DPDP Rules 2025, rule-by-rule summary (secondary)", IN_RULES_SUMMARY, primary=False),
    ),
    period=Period(30, "days"),
    extension=None,
    clock_stop=None,
    request_types=frozenset({ACCESS, CORRECTION, DELETION, APPEAL}),
    cost="The Act sets no fee.",
    confidence="secondary",
    reasonable_period=True,
    appeal=Appeal(
        answer_within=Period(90, "days"),
        citation="DPDP Act s.13(2); DPDP Rules 2025 r.14(3)",
        complaint="The Data Protection Board of India, once the grievance redressal is exhausted (s.13(3)).",
    ),
    holiday_country="IN",
    notes=(
        "Staged commencement: the Rules were published on 13 November 2025 and rules 1, 2 and 17-21 "
        "(with ss.18-26 of the Act, the Board) took effect that day; rule 4 (consent managers) a year "
        "later, 13 November 2026; rules 3, 5-16, 22 and 23, with the rights and grievance provisions "
        "(ss.11-14), on the expiry of 18 months, taken here as 13 May 2027 (some read 14 May; the "
        "earlier date is kept).",
        "A request received before 13 May 2027 is refused by this rule (the rights were not yet in "
        "force); count it under the configured default if the business answers it anyway.",
        "The Act sets no period for access, correction or erasure (ss.11-12): the configured "
        "reasonable period is used. A grievance (s.13, here an appeal) is answered within the period "
        "the Rules set, not more than 90 days (r.14(3)).",
        "Secondary: the MeitY documents are cited, but the commencement dates and the 90 days were "
        "read from secondary summaries, not from the Gazette text itself.",
    ),
)

RULES: tuple[Rule, ...] = (KR, SG, TW, AU, JP, CN, IN)
