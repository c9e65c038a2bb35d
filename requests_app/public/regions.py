"""Where the subject lives, as offered on the public form, and the rule that answers for it.

Region codes are ISO 3166: a country (``DE``) or a subdivision (``US-VA``, ``CA-QC``). Each
place names the rule it would answer to; :func:`jurisdiction_for` decides on the day, because a
place whose rule is not in the pack (most US states) or not yet in force (India's DPDP Act
before 13 May 2027) answers to the configurable ``default`` rule. Every US state is listed
whether or not it has a law, so a person always finds theirs and the form follows the pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from requests_app.laws import registry
from requests_app.laws.registry import DEFAULT_CODE, RuleNotInForce
from requests_app.models import RequestType

if TYPE_CHECKING:
    import datetime

    from django.utils.functional import _StrOrPromise

    from requests_app.laws.rules import Rule


@dataclass(frozen=True)
class Place:
    """One option of the form: ``rule`` is the rule's code, ``law_of`` whose law it is (for
    messages; empty for a law named without its place, "the GDPR")."""

    code: str
    name: _StrOrPromise
    rule: str
    law_of: _StrOrPromise


# EU and EEA member states: the GDPR.
_EUROPE = {
    "AT": _("Austria"), "BE": _("Belgium"), "BG": _("Bulgaria"), "HR": _("Croatia"), "CY": _("Cyprus"),
    "CZ": _("Czechia"), "DK": _("Denmark"), "EE": _("Estonia"), "FI": _("Finland"), "FR": _("France"),
    "DE": _("Germany"), "GR": _("Greece"), "HU": _("Hungary"), "IE": _("Ireland"), "IT": _("Italy"),
    "LV": _("Latvia"), "LT": _("Lithuania"), "LU": _("Luxembourg"), "MT": _("Malta"), "NL": _("Netherlands"),
    "PL": _("Poland"), "PT": _("Portugal"), "RO": _("Romania"), "SK": _("Slovakia"), "SI": _("Slovenia"),
    "ES": _("Spain"), "SE": _("Sweden"), "IS": _("Iceland"), "LI": _("Liechtenstein"), "NO": _("Norway"),
}  # fmt: skip

# The 50 states and the District of Columbia, by postal code. A state's rule is ``us-xx``
# when the pack has one; the others answer to the default rule.
_US_STATES = {
    "AL": _("Alabama"), "AK": _("Alaska"), "AZ": _("Arizona"), "AR": _("Arkansas"), "CA": _("California"),
    "CO": _("Colorado"), "CT": _("Connecticut"), "DE": _("Delaware"), "DC": _("District of Columbia"),
    "FL": _("Florida"), "GA": _("Georgia"), "HI": _("Hawaii"), "ID": _("Idaho"), "IL": _("Illinois"),
    "IN": _("Indiana"), "IA": _("Iowa"), "KS": _("Kansas"), "KY": _("Kentucky"), "LA": _("Louisiana"),
    "ME": _("Maine"), "MD": _("Maryland"), "MA": _("Massachusetts"), "MI": _("Michigan"), "MN": _("Minnesota"),
    "MS": _("Mississippi"), "MO": _("Missouri"), "MT": _("Montana"), "NE": _("Nebraska"), "NV": _("Nevada"),
    "NH": _("New Hampshire"), "NJ": _("New Jersey"), "NM": _("New Mexico"), "NY": _("New York"),
    "NC": _("North Carolina"), "ND": _("North Dakota"), "OH": _("Ohio"), "OK": _("Oklahoma"), "OR": _("Oregon"),
    "PA": _("Pennsylvania"), "RI": _("Rhode Island"), "SC": _("South Carolina"), "SD": _("South Dakota"),
    "TN": _("Tennessee"), "TX": _("Texas"), "UT": _("Utah"), "VT": _("Vermont"), "VA": _("Virginia"),
    "WA": _("Washington"), "WV": _("West Virginia"), "WI": _("Wisconsin"), "WY": _("Wyoming"),
}  # fmt: skip

# Provinces and territories: PIPEDA, except Quebec's own private-sector act.
_CANADA = {
    "AB": _("Alberta"), "BC": _("British Columbia"), "MB": _("Manitoba"), "NB": _("New Brunswick"),
    "NL": _("Newfoundland and Labrador"), "NS": _("Nova Scotia"), "NT": _("Northwest Territories"),
    "NU": _("Nunavut"), "ON": _("Ontario"), "PE": _("Prince Edward Island"), "QC": _("Quebec"),
    "SK": _("Saskatchewan"), "YT": _("Yukon"),
}  # fmt: skip

# Countries with a rule of their own: (name, rule code).
_COUNTRIES = {
    "BR": (_("Brazil"), "lgpd"),
    "KR": (_("South Korea"), "kr"),
    "SG": (_("Singapore"), "sg"),
    "TW": (_("Taiwan"), "tw"),
    "ZA": (_("South Africa"), "za"),
    "AU": (_("Australia"), "au"),
    "JP": (_("Japan"), "jp"),
    "CN": (_("China"), "cn"),
    "IN": (_("India"), "in"),
}

_UNITED_STATES = _("United States")
_CANADA_NAME = _("Canada")

_EUROPE_PLACES = [
    *(Place(code, name, "gdpr", "") for code, name in _EUROPE.items()),
    Place("GB", _("United Kingdom"), "uk", ""),
    Place("CH", _("Switzerland"), "ch", _("Switzerland")),
]
_US_PLACES = [
    Place(f"US-{postal}", format_lazy("{} — {}", _UNITED_STATES, name), f"us-{postal.lower()}", name)
    for postal, name in _US_STATES.items()
]
_CANADA_PLACES = [
    Place(
        f"CA-{code}",
        format_lazy("{} — {}", _CANADA_NAME, name),
        "ca-qc" if code == "QC" else "pipeda",
        name if code == "QC" else _CANADA_NAME,
    )
    for code, name in _CANADA.items()
]
_OTHER_PLACES = [Place(code, name, rule, name) for code, (name, rule) in _COUNTRIES.items()]
_ANOTHER_COUNTRY = Place("OTHER", _("Another country"), DEFAULT_CODE, "")

GROUPS: tuple[tuple[_StrOrPromise, list[Place]], ...] = (
    (_("Europe"), _EUROPE_PLACES),
    (_UNITED_STATES, _US_PLACES),
    (_CANADA_NAME, _CANADA_PLACES),
    (_("Elsewhere"), [*_OTHER_PLACES, _ANOTHER_COUNTRY]),
)

# Codes the form once offered, still accepted from an old page or link, but not listed.
_HIDDEN = {
    "CA": Place("CA", _CANADA_NAME, "pipeda", _CANADA_NAME),
    "US-OTHER": Place("US-OTHER", _("United States: another state"), DEFAULT_CODE, ""),
}

PLACES: dict[str, Place] = {place.code: place for _group, places in GROUPS for place in places}
_ACCEPTED = {**PLACES, **_HIDDEN}


Choices = list[tuple[str, str | list[tuple[str, str]]]]


def region_choices() -> Choices:
    """Grouped choices for the form's select element, each group in the reader's alphabet.

    "Another country" stays last wherever its name sorts.
    """
    choices: Choices = [("", str(_("Choose where you live")))]
    for label, places in GROUPS:
        listed = sorted((p for p in places if p is not _ANOTHER_COUNTRY), key=lambda p: str(p.name))
        options = [(p.code, str(p.name)) for p in listed]
        if _ANOTHER_COUNTRY in places:
            options.append((_ANOTHER_COUNTRY.code, str(_ANOTHER_COUNTRY.name)))
        choices.append((str(label), options))
    return choices


def is_known(region: str) -> bool:
    return region in _ACCEPTED


def place_for(region: str) -> Place | None:
    return _ACCEPTED.get(region)


def jurisdiction_for(region: str, today: datetime.date) -> str:
    """The code of the rule a request from ``region`` received on ``today`` answers to.

    A place's own rule when the pack has it and it is in force that day, else ``default``;
    a region nobody chose (or one this list does not know) gets DSAR_DEFAULT_JURISDICTION.
    """
    place = _ACCEPTED.get(region)
    if place is None:
        return settings.DSAR_DEFAULT_JURISDICTION
    if place.rule == DEFAULT_CODE or place.rule not in registry.known_codes():
        return DEFAULT_CODE
    try:
        return registry.get_rule(place.rule, received=today).code
    except RuleNotInForce:
        return DEFAULT_CODE


def rule_for(region: str, today: datetime.date) -> Rule:
    return registry.get_rule(jurisdiction_for(region, today), received=today)


def request_types_for(rule: Rule) -> list[str]:
    """The request types the form offers under ``rule``: every type the law gives, in the form's order.

    The product takes every RequestType; a type the pack names that is not one would be left out.
    """
    return [kind for kind in RequestType.values if kind in rule.request_types]


def request_types_by_region(today: datetime.date) -> dict[str, list[str]]:
    """Each listed place's request types on ``today``, for the form's script."""
    return {code: request_types_for(rule_for(code, today)) for code in PLACES}


def law_phrase(region: str, rule: Rule) -> str:
    """Whose law, by its short name, as a message says it: "Canada's PIPEDA"."""
    place = _ACCEPTED.get(region)
    if rule.code == DEFAULT_CODE or place is None or place.rule != rule.code:
        return str(_("The law we apply where you live"))
    # The pack's short names add the place when two laws share one: "PDPA (Singapore)".
    short = re.sub(r"\s*\([^)]*\)$", "", rule.name)
    if not place.law_of:
        return str(_("The %(law)s") % {"law": short})
    return str(_("%(place)s's %(law)s") % {"place": place.law_of, "law": short})
