"""Which systems a decision (opt-out, limit, restriction, objection) affects, from the data map.

A decision is applied by a person in each system it affects; no program reads or changes
data for it. The data map says which systems those are, and why, in words:

- opt-out of sale/sharing and targeted advertising (CCPA §1798.120, the state laws): a
  system with a field disclosed to a recipient, or whose purpose speaks of advertising or
  marketing;
- limit the use of sensitive personal information (CCPA §1798.121): a system with a field
  in a sensitive category (``SENSITIVE_CATEGORIES``);
- restriction (GDPR Art. 18): every system, since any may hold the subject's data;
- objection (GDPR Art. 21): a system with a field processed on legitimate interests or a
  public task (Art. 6(1)(e), (f)), or for direct marketing (Art. 21(2)).

A map that names no affected system for an opt-out, a limit or an objection is not proof
that there is nothing to do (a purpose left vague, a recipient not written down): then every
system is affected, and a person checks each, told why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from requests_app.datamap.schema import DataMap, Field, System
    from requests_app.laws.rules import Rule

OPT_OUT, LIMIT, RESTRICTION, OBJECTION = "opt_out", "limit", "restriction", "objection"
DECISIONS = (OPT_OUT, LIMIT, RESTRICTION, OBJECTION)

# The categories of the data map's vocabulary (datamap.schema.CATEGORIES) that hold what CCPA
# §1798.140(ae) calls sensitive personal information:
# - "authentication": account log-in with the password or credentials that open it, (ae)(1)(B);
# - "billing": a financial account, debit or credit card number, (ae)(1)(B);
# - "location": precise geolocation, (ae)(1)(C) (the vocabulary does not tell precise from
#   coarse, so a person judges: a country or a time zone alone is not sensitive);
# - "communications": the contents of mail, email and text messages, (ae)(1)(E).
# Government identifiers, racial or ethnic origin, religion, union membership, genetic,
# biometric and health data and sex life have no category of their own in the vocabulary
# ("identifier" is an account's id, not a passport number): a map that names none of the
# categories above makes every system affected, so a person looks for them.
SENSITIVE_CATEGORIES = {
    "authentication": "account log-in credentials",
    "billing": "financial account or card data",
    "location": "location (sensitive where precise)",
    "communications": "contents of communications",
}

ADVERTISING = re.compile(r"advertis|marketing|\bads?\b|profiling for ads|retarget", re.IGNORECASE)
DIRECT_MARKETING = re.compile(r"direct marketing|marketing|newsletter|promotion", re.IGNORECASE)
LEGITIMATE_INTERESTS = re.compile(r"legitimate interest|6\s*\(1\)\s*\(f\)", re.IGNORECASE)
PUBLIC_TASK = re.compile(r"public (task|interest)|official authority|6\s*\(1\)\s*\(e\)", re.IGNORECASE)

# What each decision asks for, in the words the record and the email use.
ASKED = {
    OPT_OUT: _("opt out of the sale or sharing of your personal data and of targeted advertising"),
    LIMIT: _("limit the use and disclosure of your sensitive personal information"),
    RESTRICTION: _("restrict the processing of your personal data"),
    OBJECTION: _("object to the processing of your personal data"),
}

# Each decision's own provision, in the law that first created it (its "home" law).
_HOME = {
    OPT_OUT: ("us-ca", "CCPA §1798.120"),
    LIMIT: ("us-ca", "CCPA §1798.121"),
    RESTRICTION: ("gdpr", "GDPR Art. 18"),
    OBJECTION: ("gdpr", "GDPR Art. 21"),
}


@dataclass(frozen=True)
class Affected:
    """One system a decision affects: why, in words, and the fields and recipients concerned.

    ``named`` is False when the map named no system for the decision and every system is
    affected so that a person checks it.
    """

    system: str
    reasons: tuple[str, ...]
    fields: tuple[str, ...] = ()  # "dataset.field"
    recipients: tuple[str, ...] = ()
    named: bool = True


def _fields(system: System) -> list[tuple[str, Field]]:
    return [(f"{dataset.name}.{f.name}", f) for dataset in system.datasets for f in dataset.fields]


def _opt_out(system: System) -> Affected | None:
    fields, recipients, reasons = [], [], []
    for where, f in _fields(system):
        shared = [r for r in f.recipients if r.strip()]
        advertising = bool(ADVERTISING.search(f.purpose))
        if shared or advertising:
            fields.append(where)
            recipients += [r for r in shared if r not in recipients]
        if advertising and "its purpose speaks of advertising or marketing" not in reasons:
            reasons.append("its purpose speaks of advertising or marketing")
    if not fields:
        return None
    if recipients:
        reasons.insert(0, f"it discloses personal data to {', '.join(recipients)}")
    return Affected(system.name, tuple(reasons), tuple(fields), tuple(recipients))


def _limit(system: System) -> Affected | None:
    fields, kinds = [], []
    for where, f in _fields(system):
        kind = SENSITIVE_CATEGORIES.get(f.category)
        if kind:
            fields.append(where)
            if kind not in kinds:
                kinds.append(kind)
    if not fields:
        return None
    return Affected(system.name, (f"it holds sensitive personal information: {', '.join(kinds)}",), tuple(fields))


def _restriction(system: System) -> Affected:
    recipients = list(dict.fromkeys(r for _, f in _fields(system) for r in f.recipients if r.strip()))
    return Affected(
        system.name,
        ("it may hold the subject's personal data",),
        tuple(where for where, _ in _fields(system)),
        tuple(recipients),
    )


def _objection(system: System) -> Affected | None:
    fields, reasons = [], []
    for where, f in _fields(system):
        basis, purpose = f.legal_basis, f.purpose
        found = []
        if LEGITIMATE_INTERESTS.search(basis):
            found.append("legitimate interests (GDPR Art. 6(1)(f))")
        if PUBLIC_TASK.search(basis):
            found.append("a public task (GDPR Art. 6(1)(e))")
        if DIRECT_MARKETING.search(purpose) or DIRECT_MARKETING.search(basis):
            found.append("direct marketing (GDPR Art. 21(2))")
        if found:
            fields.append(where)
            reasons += [r for r in found if r not in reasons]
    if not fields:
        return None
    return Affected(system.name, (f"it processes personal data for {' and '.join(reasons)}",), tuple(fields))


def affected_systems(datamap: DataMap, decision: str) -> tuple[Affected, ...]:
    """The systems ``decision`` affects, in the map's order, each with why; never empty for a
    map with systems (see the module's docstring)."""
    if decision not in DECISIONS:
        raise ValueError(f"{decision!r} is not a decision")
    if decision == RESTRICTION:
        return tuple(_restriction(system) for system in datamap.systems)
    pick = {OPT_OUT: _opt_out, LIMIT: _limit, OBJECTION: _objection}[decision]
    named = tuple(a for system in datamap.systems if (a := pick(system)) is not None)
    if named:
        return named
    why = {
        OPT_OUT: "the data map names no system that discloses personal data or uses it for advertising",
        LIMIT: "the data map names no field in a sensitive category",
        OBJECTION: "the data map names no processing on legitimate interests, a public task or for direct marketing",
    }[decision]
    return tuple(
        Affected(
            system.name,
            (f"{why}, which may only mean the map is incomplete: check this system",),
            tuple(where for where, _ in _fields(system)),
            named=False,
        )
        for system in datamap.systems
    )


def decision_citation(decision: str, rule: Rule) -> str:
    """The provision the decision is made under: its own article where the request's law is
    the one that created it, else the request's law and its citation."""
    home, article = _HOME[decision]
    timing = rule.timing(decision)
    if rule.code == home:
        return f"{article}; {timing.citation}" if decision in rule.by_type else article
    return f"{rule.label}: {timing.citation}"


def _listed(names: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def apply_instructions(affected: Affected, *, decision: str, subject_email: str, citation: str, gpc: bool) -> str:
    """What the person applying the decision in one system does, in plain words."""
    where = affected.system
    details = []
    if affected.fields:
        details.append(f"fields: {_listed(affected.fields)}")
    if affected.recipients:
        details.append(f"disclosed to: {', '.join(affected.recipients)}")
    held = f"held in {where}" + (f" ({'; '.join(details)})" if details else "")
    what = {
        OPT_OUT: (
            f"Stop selling or sharing the personal data of {subject_email} {held}, and stop targeted "
            "advertising to them; keep the preference so that it holds for data collected later."
        ),
        LIMIT: (
            f"Stop using or disclosing the sensitive personal information of {subject_email} {held} "
            "for anything beyond providing the services they asked for (and the other uses 11 CCR §7027(m) "
            "allows, such as security and fraud prevention); keep the preference for data collected later."
        ),
        RESTRICTION: (
            f"Mark the personal data of {subject_email} {held} as restricted: keep it stored, but do "
            "nothing else with it except with their consent, for legal claims, to protect another person's "
            "rights, or for an important public interest (GDPR Art. 18(2)). Tell each recipient listed "
            "(GDPR Art. 19), and tell the subject before the restriction is lifted (Art. 18(3))."
        ),
        OBJECTION: (
            f"Stop processing the personal data of {subject_email} {held} for the purposes objected to, "
            "unless there are compelling legitimate grounds that override their interests, rights and "
            "freedoms, or the processing is for legal claims (GDPR Art. 21(1)). Processing for direct "
            "marketing must stop in every case (Art. 21(3))."
        ),
    }[decision]
    lines = [what, f"Why this system: {'; '.join(affected.reasons)}."]
    if gpc and decision == OPT_OUT:
        lines.append(
            "The request came with a Global Privacy Control signal (Sec-GPC: 1) from the subject's "
            "browser: it is a valid opt-out of sale and sharing that must be honoured (11 CCR §7025), "
            "for that browser or device and, where it is known, for the subject's account."
        )
    if decision == RESTRICTION:
        outcome_hint = "Record 'Applied' with what you did, 'No data held' if the system holds none of their data"
    else:
        outcome_hint = "Record 'Applied' with what you did, 'No data held' if none of this data is theirs"
    lines.append(
        f"{outcome_hint}, or 'Not applied: a legal ground to continue' naming the ground (the subject is told it)."
    )
    lines.append(citation + ".")
    return "\n".join(lines)
