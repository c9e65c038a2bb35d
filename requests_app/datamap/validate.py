"""Build a `DataMap` from parsed YAML, listing every problem with its path.

The loader keeps going after a problem so an engineer fixing a map sees all of them at once
("systems[2].datasets[0].fields[3].category: missing"), then raises one `DataMapError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from requests_app.datamap.connection import check_connection
from requests_app.datamap.schema import (
    CATEGORIES,
    DEFAULT_SUBJECT_IDENTIFIERS,
    DISCLOSE,
    ERASURE_ACTIONS,
    KINDS,
    REDIS_TYPES,
    DataMap,
    DataMapError,
    Dataset,
    Derivation,
    Field,
    System,
    Transfer,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# An email address as far as a map can check it: one @, a dot in the domain, no spaces.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# The keys of a field, in the order the YAML format writes them.
FIELD_KEYS = (
    "name",
    "category",
    "purpose",
    "legal_basis",
    "recipients",
    "retention",
    "source",
    "correctable",
    "erasure",
    "erasure_reason",
    "disclose",
    "disclose_reason",
)
LOCATOR_KEYS = {
    "sql": {"table", "primary_key", "match"},
    "redis": {"keys", "type"},
    "http": set(),
    "manual": {"instructions"},
}


# How deep a connection or locator may nest: far more than any real one needs.
MAX_DEPTH = 8


def plain_data_problem(value: Any, depth: int = 0) -> str:
    """Why ``value`` is not plain JSON data (text keys, no cycles, shallow), or "" when it is.

    Connections and locators are stored as JSON and hashed into the map's digest, so they
    must be data JSON can hold in one canonical form; a YAML alias that refers to itself
    would otherwise recurse without end.
    """
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return "keys must be text"
        return next((p for item in value.values() if (p := plain_data_problem(item, depth + 1))), "")
    if isinstance(value, list):
        return next((p for item in value if (p := plain_data_problem(item, depth + 1))), "")
    if value is None or isinstance(value, str | int | float | bool):
        return ""
    return f"{type(value).__name__} is not plain data (text, numbers, true/false, lists, mappings)"


class Problems:
    """Collects problems, each prefixed with the path of the value it is about."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add(f"{path}.{key}", "missing")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be text, not {type(value).__name__}")
            return ""
        return value

    def names(
        self, data: Mapping[str, Any], key: str, path: str, *, pattern: re.Pattern[str] = IDENTIFIER
    ) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(f"{path}.{key}", "must be a list")
            return []
        for i, name in enumerate(value):
            if not isinstance(name, str) or not pattern.match(name):
                self.add(f"{path}.{key}[{i}]", f"{name!r} is not a valid name")
        return [name for name in value if isinstance(name, str)]

    def mapping(self, data: Mapping[str, Any], key: str, path: str, *, plain: bool = False) -> dict[str, Any]:
        """The mapping under ``key``; ``plain`` also requires it to be plain JSON data."""
        value = data.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(f"{path}.{key}", "must be a mapping")
            return {}
        if plain and (problem := plain_data_problem(value)):
            self.add(f"{path}.{key}", problem)
            return {}
        return value

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(f"{path}.{key}", "unknown key")

    def duplicates(self, names: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name and name in seen:
                self.add(f"{path}[{i}].name", f"duplicate {what} name {name!r}")
            seen.add(name)

    def items_of(self, data: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.add(f"{path}.{key}", "missing" if value is None else "must be a non-empty list")
            return []
        good = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.add(f"{path}.{key}[{i}]", "must be a mapping")
                good.append({})
        return good


def load_datamap(data: Mapping[str, Any]) -> DataMap:
    """Return the data map described by `data`, or raise `DataMapError` listing every problem."""
    problems = Problems()
    if not isinstance(data, Mapping):
        raise DataMapError([f"(top): must be a mapping, not {type(data).__name__}"])
    problems.unknown_keys(data, {"version", "subject_identifiers", "systems"}, "(top)")
    version = data.get("version")
    if version is None or version == "":
        problems.add("version", "missing")
    subject_ids = tuple(problems.names(data, "subject_identifiers", "(top)")) or DEFAULT_SUBJECT_IDENTIFIERS
    systems = [
        _system(item, f"systems[{i}]", problems) for i, item in enumerate(problems.items_of(data, "systems", "(top)"))
    ]
    problems.duplicates([s.name for s in systems], "systems", "system")
    systems = _link(systems, subject_ids, problems)
    if problems.items:
        raise DataMapError(problems.items)
    return DataMap(version=str(version), systems=tuple(systems), subject_identifiers=subject_ids)


def _system(data: dict[str, Any], path: str, problems: Problems) -> System:
    keys = {
        "name",
        "kind",
        "description",
        "connection",
        "identifiers",
        "depends_on",
        "datasets",
        "recipient",
        "owner",
        "transfers",
    }
    problems.unknown_keys(data, keys, path)
    name = problems.text(data, "name", path)
    if name and not SLUG.match(name):
        problems.add(f"{path}.name", f"{name!r} is not a slug (lowercase letters, digits, - and _)")
    kind = problems.text(data, "kind", path)
    if kind and kind not in KINDS:
        problems.add(f"{path}.kind", f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
        kind = ""
    connection = problems.mapping(data, "connection", path, plain=True)
    identifiers = problems.mapping(data, "identifiers", path)
    problems.unknown_keys(identifiers, {"searched_by", "provides"}, f"{path}.identifiers")
    searched_by = problems.names(identifiers, "searched_by", f"{path}.identifiers")
    if not searched_by:
        problems.add(f"{path}.identifiers.searched_by", "missing: name the identifiers this system is searched by")
    datasets_data = problems.items_of(data, "datasets", path)
    datasets = [_dataset(item, kind, f"{path}.datasets[{i}]", problems) for i, item in enumerate(datasets_data)]
    problems.duplicates([d.name for d in datasets], f"{path}.datasets", "dataset")
    provides = _provides(
        problems.mapping(identifiers, "provides", path), kind, datasets, f"{path}.identifiers.provides", problems
    )
    if kind:
        uses_hash = any(f.erasure == "hash" for d in datasets for f in d.fields)
        for problem_path, message in check_connection(kind, connection, uses_hash=uses_hash):
            problems.add(f"{path}.connection{problem_path}", message)
    known = set(searched_by) | {d.identifier for d in provides}
    for i, dataset in enumerate(datasets):
        for identifier in _dataset_identifiers(dataset, kind):
            if identifier not in known:
                problems.add(
                    f"{path}.datasets[{i}].locator",
                    f"identifier {identifier!r} is neither searched_by nor provided by this system",
                )
    return System(
        name=name,
        kind=kind,
        description=problems.text(data, "description", path),
        connection=connection,
        searched_by=tuple(searched_by),
        provides=tuple(provides),
        depends_on=tuple(problems.names(data, "depends_on", path, pattern=SLUG)),
        datasets=tuple(datasets),
        recipient=problems.text(data, "recipient", path, required=False).strip(),
        owner=_owner(data, path, problems),
        transfers=_transfers(data, path, problems),
    )


def _owner(data: dict[str, Any], path: str, problems: Problems) -> str:
    owner = problems.text(data, "owner", path, required=False).strip()
    if owner and (len(owner) > 254 or not EMAIL.match(owner)):
        problems.add(f"{path}.owner", f"{owner!r} is not an email address")
        return ""
    return owner


def _transfers(data: dict[str, Any], path: str, problems: Problems) -> tuple[Transfer, ...]:
    """Each transfer is a mapping {to: the third country, safeguard: what allows the transfer}."""
    value = data.get("transfers")
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(f"{path}.transfers", "must be a list of {to, safeguard}")
        return ()
    transfers = []
    for i, item in enumerate(value):
        item_path = f"{path}.transfers[{i}]"
        if not isinstance(item, dict):
            problems.add(item_path, "must be a mapping {to: country, safeguard: what allows the transfer}")
            continue
        problems.unknown_keys(item, {"to", "safeguard"}, item_path)
        to = problems.text(item, "to", item_path).strip()
        safeguard = problems.text(item, "safeguard", item_path).strip()
        if to and safeguard:
            transfers.append(Transfer(to=to, safeguard=safeguard))
    return tuple(transfers)


def _dataset_identifiers(dataset: Dataset, kind: str) -> list[str]:
    """The identifiers a dataset's locator names (a malformed locator is reported elsewhere)."""
    if kind == "sql":
        match = dataset.locator.get("match")
        return [str(k) for k in match] if isinstance(match, dict) else []
    if kind == "redis":
        keys = dataset.locator.get("keys")
        return (
            [m for key in keys if isinstance(key, str) for m in PLACEHOLDER.findall(key)]
            if isinstance(keys, list)
            else []
        )
    return []


def _dataset(data: dict[str, Any], kind: str, path: str, problems: Problems) -> Dataset:
    problems.unknown_keys(data, {"name", "description", "locator", "fields"}, path)
    name = problems.text(data, "name", path)
    if name and not SLUG.match(name):
        problems.add(f"{path}.name", f"{name!r} is not a slug (lowercase letters, digits, - and _)")
    locator = problems.mapping(data, "locator", path, plain=True)
    fields_data = problems.items_of(data, "fields", path)
    fields = [_field(item, f"{path}.fields[{i}]", problems) for i, item in enumerate(fields_data)]
    problems.duplicates([f.name for f in fields], f"{path}.fields", "field")
    if kind:
        problems.unknown_keys(locator, LOCATOR_KEYS[kind], f"{path}.locator")
        _check_locator(kind, locator, fields, f"{path}.locator", problems)
    actions = {f.erasure for f in fields}
    if "delete_row" in actions and "retain" in actions:
        problems.add(f"{path}.fields", "delete_row deletes the retained fields too: use null, mask or hash instead")
    return Dataset(
        name=name, description=problems.text(data, "description", path), locator=locator, fields=tuple(fields)
    )


def _check_locator(kind: str, locator: dict[str, Any], fields: list[Field], path: str, problems: Problems) -> None:
    if kind == "sql":
        problems.text(locator, "table", path)
        problems.text(locator, "primary_key", path)
        match = locator.get("match")
        if not isinstance(match, dict) or not match:
            problems.add(f"{path}.match", "missing: map each identifier to the column that holds it")
        elif not all(isinstance(k, str) and isinstance(v, str) and v for k, v in match.items()):
            problems.add(f"{path}.match", "must map identifier names to column names")
    elif kind == "redis":
        _check_redis_locator(locator, fields, path, problems)
    elif kind == "manual":
        problems.text(locator, "instructions", path)


def _check_redis_locator(locator: dict[str, Any], fields: list[Field], path: str, problems: Problems) -> None:
    keys = locator.get("keys")
    if not isinstance(keys, list) or not keys:
        problems.add(f"{path}.keys", "missing: list key templates such as 'session:{user_id}:*'")
    else:
        for i, key in enumerate(keys):
            names = PLACEHOLDER.findall(key) if isinstance(key, str) else []
            # A template without an identifier would match every subject's keys.
            if not names or not all(IDENTIFIER.match(n) for n in names):
                problems.add(f"{path}.keys[{i}]", f"{key!r} must name at least one identifier, like {{user_id}}")
    redis_type = locator.get("type", "hash")
    if redis_type not in REDIS_TYPES:
        problems.add(f"{path}.type", f"unknown type {redis_type!r} (one of: {', '.join(REDIS_TYPES)})")
    elif redis_type != "hash":
        if len(fields) != 1:
            problems.add(f"{path}.type", f"a {redis_type} key holds one value: describe exactly one field")
        if redis_type == "set" and any(f.erasure in ("mask", "hash") for f in fields):
            problems.add(f"{path}.type", "set members can be deleted or retained, not masked or hashed")


def _provides(
    data: dict[str, Any], kind: str, datasets: list[Dataset], path: str, problems: Problems
) -> list[Derivation]:
    result = []
    for identifier, spec in data.items():
        spec_path = f"{path}.{identifier}"
        if not isinstance(identifier, str) or not IDENTIFIER.match(identifier):
            problems.add(spec_path, f"{identifier!r} is not a valid identifier name")
            continue
        if kind in ("http", "manual"):
            problems.add(spec_path, f"a {kind} system cannot provide identifiers")
            continue
        if not isinstance(spec, dict):
            problems.add(spec_path, "must be a mapping with dataset and column (sql) or field (redis)")
            continue
        column_key = "column" if kind == "sql" else "field"
        problems.unknown_keys(spec, {"dataset", column_key}, spec_path)
        dataset_name = problems.text(spec, "dataset", spec_path)
        column = problems.text(spec, column_key, spec_path, required=kind == "sql")
        dataset = next((d for d in datasets if d.name == dataset_name), None)
        if dataset_name and dataset is None:
            problems.add(f"{spec_path}.dataset", f"unknown dataset {dataset_name!r}")
        elif (
            dataset is not None
            and column
            and kind == "sql"
            and column != dataset.locator.get("primary_key")
            and dataset.get_field(column) is None
        ):
            problems.add(f"{spec_path}.column", f"{column!r} is neither the primary key nor a field of {dataset.name}")
        result.append(Derivation(identifier=identifier, dataset=dataset_name, column=column))
    return result


def _field(data: dict[str, Any], path: str, problems: Problems) -> Field:
    problems.unknown_keys(data, set(FIELD_KEYS), path)
    category = problems.text(data, "category", path)
    if category and category not in CATEGORIES:
        problems.add(f"{path}.category", f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    erasure = problems.text(data, "erasure", path)
    if erasure and erasure not in ERASURE_ACTIONS:
        problems.add(f"{path}.erasure", f"unknown erasure action {erasure!r} (one of: {', '.join(ERASURE_ACTIONS)})")
    reason = problems.text(data, "erasure_reason", path, required=False)
    if erasure == "retain" and not reason and not data.get("erasure_reason"):
        problems.add(f"{path}.erasure_reason", "missing: retain needs the legal reason to keep the data")
    recipients = data.get("recipients", [])
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        problems.add(f"{path}.recipients", "must be a list of names")
        recipients = []
    correctable = data.get("correctable", False)
    if not isinstance(correctable, bool):
        problems.add(f"{path}.correctable", "must be true or false")
        correctable = False
    disclose = problems.text(data, "disclose", path, required=False) or "always"
    if disclose not in DISCLOSE:
        problems.add(f"{path}.disclose", f"unknown value {disclose!r} (one of: {', '.join(DISCLOSE)})")
        disclose = "always"
    disclose_reason = problems.text(data, "disclose_reason", path, required=False)
    if disclose == "never" and not disclose_reason.strip():
        problems.add(f"{path}.disclose_reason", "missing: say why the field is kept out of the subject's copy")
    return Field(
        name=problems.text(data, "name", path),
        category=category,
        purpose=problems.text(data, "purpose", path),
        legal_basis=problems.text(data, "legal_basis", path),
        recipients=tuple(recipients),
        retention=problems.text(data, "retention", path),
        source=problems.text(data, "source", path),
        correctable=correctable,
        erasure=erasure,
        erasure_reason=reason,
        disclose=disclose,
        disclose_reason=disclose_reason if disclose == "never" else "",
    )


def _link(systems: list[System], subject_ids: tuple[str, ...], problems: Problems) -> list[System]:
    """Derive each system's dependencies from who provides its identifiers; check they resolve."""
    names = {s.name for s in systems}
    providers: dict[str, list[str]] = {}
    for system in systems:
        for identifier in system.provided_identifiers:
            providers.setdefault(identifier, []).append(system.name)
    linked = []
    for i, system in enumerate(systems):
        for j, dep in enumerate(system.depends_on):
            if dep not in names:
                problems.add(f"systems[{i}].depends_on[{j}]", f"unknown system {dep!r}")
        for j, identifier in enumerate(system.searched_by):
            if identifier not in subject_ids and identifier not in providers:
                problems.add(
                    f"systems[{i}].identifiers.searched_by[{j}]",
                    f"no system provides {identifier!r} and it is not a subject identifier",
                )
        derived = [p for ident in system.searched_by for p in providers.get(ident, []) if p != system.name]
        depends_on = list(dict.fromkeys([*system.depends_on, *derived]))
        linked.append(replace(system, depends_on=tuple(depends_on)))
    cycle = _find_cycle(linked)
    if cycle:
        problems.add("systems", f"cycle in the derivation order: {' -> '.join(cycle)}")
    return linked


def _find_cycle(systems: list[System]) -> list[str]:
    """Return one dependency cycle as a path of names (first name repeated at the end), or []."""
    graph = {s.name: list(s.depends_on) for s in systems}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for dep in graph.get(name, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in graph and dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return []

    for name in graph:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []
