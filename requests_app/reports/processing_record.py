"""The record of processing activities (GDPR Art. 30(1)) made from the data map.

Art. 30(1) asks a controller to record: (a) its name and contact details; (b) the purposes
of the processing; (c) the categories of data subjects and of personal data; (d) the
categories of recipients, including those in third countries; (e) transfers to a third
country and their safeguards; (f) where possible, the time limits for erasure; (g) where
possible, a general description of the security measures of Art. 32(1).

The data map answers (b), the data categories of (c), (d), (e) and (f), system by system and
category by category. (a) comes from the settings; the categories of data subjects and (g)
are not in the data map, and the record says so rather than invent them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from requests_app.datamap.schema import CATEGORIES

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from requests_app.datamap.schema import DataMap, System

NOT_IN_MAP = (
    "The categories of data subjects (Art. 30(1)(c)) and the security measures (Art. 30(1)(g)) "
    "are not part of the data map: add them to this record by hand."
)
COLUMNS = (
    "system",
    "system owner",
    "description",
    "data category (Art. 30(1)(c))",
    "fields",
    "purposes (Art. 30(1)(b))",
    "legal bases (Art. 6)",
    "recipients (Art. 30(1)(d))",
    "time limits for erasure (Art. 30(1)(f))",
    "transfers to third countries (Art. 30(1)(e))",
)


@dataclass(frozen=True)
class CategoryRecord:
    """What one system does with one category of personal data."""

    category: str
    fields: tuple[str, ...]
    purposes: tuple[str, ...]
    legal_bases: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: tuple[str, ...]


@dataclass(frozen=True)
class SystemRecord:
    name: str
    description: str
    owner: str
    kind: str
    transfers: tuple[str, ...]
    categories: tuple[CategoryRecord, ...]


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def _system_record(system: System) -> SystemRecord:
    fields = [f for dataset in system.datasets for f in dataset.fields]
    # The map's vocabulary order, so every record lists categories the same way.
    used = [c for c in CATEGORIES if any(f.category == c for f in fields)]
    used += sorted({f.category for f in fields} - set(used))
    categories = []
    for category in used:
        of_category = [f for f in fields if f.category == category]
        categories.append(
            CategoryRecord(
                category=category,
                fields=_distinct(
                    f"{d.name}.{f.name}" for d in system.datasets for f in d.fields if f.category == category
                ),
                purposes=_distinct(f.purpose for f in of_category),
                legal_bases=_distinct(f.legal_basis for f in of_category),
                recipients=_distinct(r for f in of_category for r in f.recipients),
                retention=_distinct(f.retention for f in of_category),
            )
        )
    return SystemRecord(
        name=system.name,
        description=system.description,
        owner=system.owner,
        kind=system.kind,
        transfers=tuple(f"{t.to}: {t.safeguard}" for t in system.transfers),
        categories=tuple(categories),
    )


def processing_record(datamap: DataMap) -> tuple[SystemRecord, ...]:
    """The record, system by system in the map's order."""
    return tuple(_system_record(system) for system in datamap.systems)


def record_lines(records: Iterable[SystemRecord]) -> Iterator[list[str]]:
    """The header, then one line per system and data category, for a CSV file."""
    yield list(COLUMNS)
    for system in records:
        for category in system.categories:
            yield [
                system.name,
                system.owner,
                system.description,
                category.category,
                ", ".join(category.fields),
                "; ".join(category.purposes),
                "; ".join(category.legal_bases),
                "; ".join(category.recipients) or "none",
                "; ".join(category.retention),
                "; ".join(system.transfers) or "none",
            ]
