"""The data map as data: systems, their datasets and fields, in frozen dataclasses.

A data map says where a company keeps personal data, how one subject is found in each
store, and what erasure does to every field. Connectors read it; the export report explains
it to the subject; its digest stamps every export so a bundle names the map it was made with.
`load_datamap` (in `validate.py`) builds these objects from parsed YAML and refuses a map
with any problem; `dump_datamap` turns them back into the same plain data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

KINDS = ("sql", "redis", "http", "manual")
ERASURE_ACTIONS = ("delete_row", "null", "mask", "hash", "retain")
# Whether a field goes into the subject's copy. "never" keeps it out of every copy (a password
# hash, a security answer, an internal fraud score), with a reason the report gives; the
# field is still listed, by category, among the data held (GDPR Art. 15(1)(b), 15(4)).
DISCLOSE = ("always", "never")
REDIS_TYPES = ("hash", "string", "set")

# One vocabulary, so reports and exports name the same kind of data the same way. The
# privacy policy's categories: registration data, content submitted through the API,
# tracking/usage/device data and cookies; plus billing and authentication.
CATEGORIES = (
    "contact",
    "identifier",
    "online identifier",
    "account",
    "authentication",
    "usage content",
    "usage data",
    "device data",
    "location",
    "billing",
    "communications",
)

# Identifiers every request carries: the subject's email address.
DEFAULT_SUBJECT_IDENTIFIERS = ("email",)


class DataMapError(ValueError):
    """The data map has problems; `problems` lists every one, each starting with its path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"The data map has {len(self.problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Field:
    """One piece of personal data, with what the law asks a controller to tell about it."""

    name: str
    category: str
    purpose: str
    legal_basis: str
    recipients: tuple[str, ...]
    retention: str
    source: str
    correctable: bool
    erasure: str
    erasure_reason: str = ""
    disclose: str = "always"
    disclose_reason: str = ""

    @property
    def withheld(self) -> bool:
        """Whether the field is kept out of the subject's copy."""
        return self.disclose == "never"

    @property
    def withheld_reason(self) -> str:
        """Why the field is kept out of the subject's copy, as the report says it; "" if it is not."""
        return self.disclose_reason if self.withheld else ""


@dataclass(frozen=True)
class Dataset:
    """A table, a family of keys or a processor's collection; `locator` says how to find it.

    sql: {table, primary_key, match: {identifier: column}}; redis: {keys: [templates such as
    "session:{user_id}:*"], type: hash | string | set}; http: {}; manual: {instructions}.
    """

    name: str
    description: str
    locator: dict[str, Any] = field(hash=False)
    fields: tuple[Field, ...] = ()

    def get_field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def withheld_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.withheld)

    @property
    def withheld(self) -> tuple[Field, ...]:
        """The fields kept out of the subject's copy, in the map's order."""
        return tuple(f for f in self.fields if f.withheld)

    @property
    def instructions(self) -> str:
        return str(self.locator.get("instructions", ""))


@dataclass(frozen=True)
class Derivation:
    """This system turns the identifiers it is searched by into `identifier`.

    The values are `column` of the rows of `dataset` that match the subject (sql), or the
    values of the dataset's keys (redis: set members, string value, or hash field `column`).
    """

    identifier: str
    dataset: str
    column: str = ""


@dataclass(frozen=True)
class Transfer:
    """Personal data of a system sent to a third country, and the safeguard that allows it.

    For the record of processing activities: GDPR Art. 30(1)(e) asks for the transfers to a
    third country and, for those under Art. 49(1) second subparagraph, the safeguards; the
    safeguard is the Chapter V ground (an adequacy decision, Art. 45; standard contractual
    clauses, Art. 46(2)(c); binding corporate rules, Art. 47; ...).
    """

    to: str
    safeguard: str


@dataclass(frozen=True)
class System:
    """One data store; `connection` names environment variables, never holds secrets.

    `recipient` names the recipient (as the fields' `recipients` lists call it) that this
    system is: erasing or correcting here is how that recipient is told (GDPR Art. 19), so no
    separate task to tell it is made. `owner` is the email address of the person responsible
    for the system; `transfers` its transfers to third countries (GDPR Art. 30(1)(e)).
    """

    name: str
    kind: str
    description: str
    connection: dict[str, Any] = field(hash=False)
    searched_by: tuple[str, ...] = ()
    provides: tuple[Derivation, ...] = ()
    depends_on: tuple[str, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    recipient: str = ""
    owner: str = ""
    transfers: tuple[Transfer, ...] = ()

    def get_dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def correction_refusals(self, changes: Mapping[str, Iterable[str]]) -> list[str]:
        """The fields of ``changes`` ({dataset: field names}) that may not be corrected here.

        The one rule of what a correction may touch: a field the map has and marks
        ``correctable``. Each refusal reads "dataset.field (why)".
        """
        refused = []
        for dataset_name, names in changes.items():
            dataset = self.get_dataset(dataset_name)
            for name in names:
                found = dataset.get_field(name) if dataset else None
                if found is None:
                    refused.append(f"{dataset_name}.{name} (not in the data map)")
                elif not found.correctable:
                    refused.append(f"{dataset_name}.{name} (not correctable)")
        return refused

    @property
    def provided_identifiers(self) -> tuple[str, ...]:
        return tuple(d.identifier for d in self.provides)


@dataclass(frozen=True)
class DataMap:
    version: str
    systems: tuple[System, ...]
    subject_identifiers: tuple[str, ...] = DEFAULT_SUBJECT_IDENTIFIERS

    def get_system(self, name: str) -> System | None:
        return next((s for s in self.systems if s.name == name), None)

    def correction_refusals(self, corrections: Mapping[str, Mapping[str, Iterable[str]]]) -> list[str]:
        """:meth:`System.correction_refusals` for every system, as "system.dataset.field (why)"."""
        refused = []
        for system_name, changes in corrections.items():
            system = self.get_system(system_name)
            if system is None:
                refused += [
                    f"{system_name}.{d}.{f} (not in the data map)" for d, names in changes.items() for f in names
                ]
            else:
                refused += [f"{system_name}.{refusal}" for refusal in system.correction_refusals(changes)]
        return refused

    def system_told_as(self, recipient: str) -> System | None:
        """The system that is this recipient, if any (see `System.recipient`)."""
        wanted = recipient.strip().casefold()
        return next((s for s in self.systems if s.recipient and s.recipient.strip().casefold() == wanted), None)

    @property
    def digest(self) -> str:
        """Return the sha256 of the canonical dump: the same map always gives the same digest."""
        return datamap_digest(self)


def dump_datamap(datamap: DataMap) -> dict[str, Any]:
    """Return the map as plain data; `load_datamap(dump_datamap(m)) == m`."""
    return {
        "version": datamap.version,
        "subject_identifiers": list(datamap.subject_identifiers),
        "systems": [_dump_system(system) for system in datamap.systems],
    }


def _dump_system(system: System) -> dict[str, Any]:
    provides: dict[str, Any] = {}
    for derivation in system.provides:
        spec = {"dataset": derivation.dataset}
        if derivation.column:
            spec["column" if system.kind == "sql" else "field"] = derivation.column
        provides[derivation.identifier] = spec
    data: dict[str, Any] = {
        "name": system.name,
        "kind": system.kind,
        "description": system.description,
        "connection": dict(system.connection),
        "identifiers": {"searched_by": list(system.searched_by), "provides": provides},
        "depends_on": list(system.depends_on),
        "datasets": [_dump_dataset(dataset) for dataset in system.datasets],
    }
    # Written only when set, so a map that does not use it keeps the digest it always had.
    if system.recipient:
        data["recipient"] = system.recipient
    if system.owner:
        data["owner"] = system.owner
    if system.transfers:
        data["transfers"] = [{"to": t.to, "safeguard": t.safeguard} for t in system.transfers]
    return data


def _dump_dataset(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "description": dataset.description,
        "locator": json.loads(json.dumps(dataset.locator)),
        "fields": [_dump_field(f) for f in dataset.fields],
    }


def _dump_field(f: Field) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f.name,
        "category": f.category,
        "purpose": f.purpose,
        "legal_basis": f.legal_basis,
        "recipients": list(f.recipients),
        "retention": f.retention,
        "source": f.source,
        "correctable": f.correctable,
        "erasure": f.erasure,
    }
    if f.erasure_reason:
        data["erasure_reason"] = f.erasure_reason
    if f.withheld:
        data["disclose"] = f.disclose
        data["disclose_reason"] = f.disclose_reason
    return data


def datamap_digest(datamap: DataMap) -> str:
    """Return the sha256 hex of the canonical JSON dump (sorted keys, no spaces)."""
    canonical = json.dumps(dump_datamap(datamap), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def waves(datamap: DataMap) -> list[list[System]]:
    """Group the systems so each runs after every system it depends on, in declaration order.

    The first wave holds the systems searched only by the subject's own identifiers (the
    email); a system searched by user_id comes in a wave after the one that resolves it.
    `load_datamap` refuses cycles, so every system lands in a wave.
    """
    placed: set[str] = set()
    remaining = list(datamap.systems)
    result: list[list[System]] = []
    while remaining:
        wave = [s for s in remaining if all(dep in placed for dep in s.depends_on)]
        if not wave:
            names = ", ".join(s.name for s in remaining)
            raise DataMapError([f"systems: cycle in the derivation order among {names}"])
        result.append(wave)
        placed.update(s.name for s in wave)
        remaining = [s for s in remaining if s.name not in placed]
    return result
