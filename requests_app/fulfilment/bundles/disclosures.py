"""What GDPR Art. 15(1)-(2) and CCPA §1798.110 require us to tell, gathered from the data map.

The data map describes each field (category, purpose, legal basis, recipients, retention,
source); the subject is told the same facts grouped the way the law lists them: by purpose,
by category, by recipient, by retention rule and by source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from requests_app.datamap.schema import Field
    from requests_app.fulfilment.bundles.inputs import BundleContext

# A source that means "the subject gave it to us": Art. 15(1)(g) asks only about the others.
_SUBJECT_SOURCES = frozenset({"", "you", "subject", "data subject", "the data subject", "provided by you"})


@dataclass(frozen=True)
class Located:
    system: str
    dataset: str
    field: Field

    @property
    def where(self) -> str:
        return f"{self.system} \u203a {self.dataset} \u203a {self.field.name}"  # a single right angle quote


@dataclass(frozen=True)
class Group:
    """One purpose, recipient, retention rule or source, and the categories it concerns."""

    title: str
    detail: str
    categories: tuple[str, ...]
    systems: tuple[str, ...]


@dataclass(frozen=True)
class CategoryGroup:
    category: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Disclosures:
    purposes: tuple[Group, ...]
    categories: tuple[CategoryGroup, ...]
    recipients: tuple[Group, ...]
    retention: tuple[Group, ...]
    sources: tuple[Group, ...]
    from_subject_only: bool


def _located(context: BundleContext) -> list[Located]:
    return [
        Located(system.name, dataset.name, fieldinfo)
        for system in context.systems
        for dataset in system.datasets
        for fieldinfo in dataset.fields
    ]


def _group(items: Iterable[tuple[tuple[str, str], Located]]) -> tuple[Group, ...]:
    """Group fields by a (title, detail) key, keeping the first-seen order of the data map."""
    categories: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    systems: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for key, located in items:
        categories[key][located.field.category] = None
        systems[key][located.system] = None
    return tuple(
        Group(title=title, detail=detail, categories=tuple(categories[key]), systems=tuple(systems[key]))
        for key in categories
        for title, detail in [key]
    )


def disclosures_build(context: BundleContext) -> Disclosures:
    fields = _located(context)
    by_category: dict[str, list[str]] = defaultdict(list)
    for located in fields:
        by_category[located.field.category].append(located.where)
    other_sources = [f for f in fields if f.field.source.strip().casefold() not in _SUBJECT_SOURCES]
    return Disclosures(
        purposes=_group(((f.field.purpose, f.field.legal_basis), f) for f in fields),
        categories=tuple(CategoryGroup(category, tuple(where)) for category, where in by_category.items()),
        recipients=_group(((recipient, ""), f) for f in fields for recipient in f.field.recipients),
        retention=_group(((f.field.retention, ""), f) for f in fields),
        # CCPA asks for every category of source, the subject included; GDPR for the others.
        sources=_group(((f.field.source or "you", ""), f) for f in fields),
        from_subject_only=not other_sources,
    )
