"""Find the rule a request answers to: by code or alias, by the day it was received, by version.

Codes are a contract (commands, the API and the form use them): ``uk``, ``us-XX`` for a US
state by its postal code (``ccpa`` is an alias of ``us-ca``), ``ca-qc`` for Quebec, ISO 3166
alpha-2 codes for other countries, and ``gdpr``, ``lgpd`` (``br``), ``pipeda`` (``ca``) and
``default``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings

from requests_app.errors import UnknownJurisdiction
from requests_app.laws.pack import PACK
from requests_app.laws.rules import (
    ACCESS,
    CORRECTION,
    DELETION,
    OBJECTION,
    OPT_OUT,
    RESTRICTION,
    ClockStop,
    Extension,
    Period,
    Rule,
    Source,
)

DEFAULT_CODE = "default"
DEFAULT_VERSION = "settings"


class RuleNotInForce(UnknownJurisdiction):
    """The law had not taken effect on the day the request was received."""


def _index(pack: tuple[Rule, ...]) -> tuple[dict[str, tuple[Rule, ...]], dict[str, str]]:
    versions: dict[str, list[Rule]] = defaultdict(list)
    aliases: dict[str, str] = {}
    for rule in pack:
        versions[rule.code].append(rule)
        for alias in rule.aliases:
            if aliases.setdefault(alias, rule.code) != rule.code:
                raise ValueError(f"alias {alias!r} names two rules")
    by_code = {code: tuple(sorted(rules, key=lambda r: r.effective)) for code, rules in versions.items()}
    for code, rules in by_code.items():
        if len({r.version for r in rules}) != len(rules) or len({r.effective for r in rules}) != len(rules):
            raise ValueError(f"{code}: two versions share a name or an effective date")
    clash = set(aliases) & (set(by_code) | {DEFAULT_CODE})
    if clash:
        raise ValueError(f"aliases {sorted(clash)} are also codes")
    return by_code, aliases


_BY_CODE, _ALIASES = _index(PACK)


def default_rule() -> Rule:
    """The rule for any other law, read from settings on each call (so it follows overrides)."""
    extension_days = settings.DSAR_DEFAULT_EXTENSION_DAYS
    extension = None
    if extension_days:
        extension = Extension(
            by=Period(extension_days, "days"),
            grounds="as the applicable law allows",
            notice="within the first period, with the reasons",
        )
    pause = None
    if settings.DSAR_DEFAULT_PAUSE_ALLOWED:
        pause = ClockStop(
            grounds=("information needed to identify the subject",),
            counting="suspends",
            citation="configured (DSAR_DEFAULT_PAUSE_ALLOWED)",
        )
    return Rule(
        code=DEFAULT_CODE,
        version=DEFAULT_VERSION,
        effective=datetime.date.min,
        name="Default",
        label="Other law (configured default)",
        region="Other",
        citation="configured default (DSAR_DEFAULT_DEADLINE_DAYS, DSAR_DEFAULT_EXTENSION_DAYS)",
        sources=(Source("This installation's settings", "", primary=False),),
        period=Period(settings.DSAR_DEFAULT_DEADLINE_DAYS, "days"),
        extension=extension,
        clock_stop=pause,
        # Without a law of its own, a request may ask for any right the company grants to all.
        request_types=frozenset({ACCESS, CORRECTION, DELETION, OPT_OUT, RESTRICTION, OBJECTION}),
        cost="As the applicable law says.",
        confidence="secondary",
        notes=("Not a law: the period this installation is configured to answer within.",),
    )


def known_codes() -> list[str]:
    return [*_BY_CODE, DEFAULT_CODE]


def canonical_code(code: str) -> str:
    """The rule's own code for ``code`` or one of its aliases; UnknownJurisdiction if none."""
    key = code.strip().lower()
    key = _ALIASES.get(key, key)
    if key == DEFAULT_CODE or key in _BY_CODE:
        return key
    known = known_codes()
    raise UnknownJurisdiction(
        f"Unknown jurisdiction {code!r}: known codes are {', '.join(known)} "
        f"(aliases: {', '.join(f'{a} for {c}' for a, c in sorted(_ALIASES.items()))}).",
        extra={"known": known},
    )


def versions(code: str) -> tuple[Rule, ...]:
    key = canonical_code(code)
    return (default_rule(),) if key == DEFAULT_CODE else _BY_CODE[key]


def get_rule(code: str, *, received: datetime.date | None = None, version: str | None = None) -> Rule:
    """The rule of ``code`` by stored ``version``, or the one in force on ``received``, or the newest.

    A stored version that is no longer in the pack is an error rather than a silent switch to
    another edition: the request's deadline was counted under it.
    """
    editions = versions(code)
    if version is not None:
        if editions[0].code == DEFAULT_CODE:
            return editions[0]
        for rule in editions:
            if rule.version == version:
                return rule
        raise UnknownJurisdiction(
            f"{editions[0].name} has no rule version {version!r} (versions: {', '.join(r.version for r in editions)})."
        )
    if received is None:
        return editions[-1]
    in_force = [rule for rule in editions if rule.effective <= received]
    if not in_force:
        first = editions[0]
        raise RuleNotInForce(
            f"{first.name} applies to requests received on or after {first.effective.isoformat()}; "
            f"this one was received on {received.isoformat()}.",
            extra={"effective": first.effective.isoformat()},
        )
    return in_force[-1]


def current_rules(today: datetime.date | None = None) -> list[Rule]:
    """The newest version of every rule (in force by ``today`` if given), then the default."""
    rules = []
    for editions in _BY_CODE.values():
        in_force = [r for r in editions if today is None or r.effective <= today]
        if in_force:
            rules.append(in_force[-1])
    return [*rules, default_rule()]


def jurisdiction_choices() -> list[tuple[str, str]]:
    """Every code, for a model field or a form: the choice list never drops a stored code."""
    return [(rule.code, rule.label) for rule in current_rules()]


def grouped_choices(today: datetime.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The rules in force on ``today``, grouped by region for a form's select, sorted by label."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rule in current_rules(today):
        groups[rule.region].append((rule.code, rule.label))
    return [(region, sorted(choices, key=lambda choice: choice[1])) for region, choices in groups.items()]


def aliases() -> dict[str, str]:
    return dict(_ALIASES)
