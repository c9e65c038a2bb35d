"""The data map kept in the database: import a document, export it, and snapshot versions.

Every import is validated whole by `load_datamap` before any row changes, and replaces the
rows in one transaction with its audit event, so the map in use is always one that passed.
"""

from __future__ import annotations

import os
from typing import Any

from django.db import transaction

from requests_app.datamap.schema import DataMap, dump_datamap
from requests_app.datamap.validate import FIELD_KEYS, load_datamap
from requests_app.models import DataMapVersion, Dataset, Field, System
from requests_app.workflow.audit import Actor, audit_append


def datamap_document() -> dict[str, Any]:
    """The map the rows describe, in the YAML document's shape (not yet validated)."""
    systems = System.objects.prefetch_related("datasets__fields").order_by("position", "id")
    # The label of the last version stored; an edit in the admin keeps it, the digest changes.
    latest = DataMapVersion.objects.order_by("-created_at", "-id").first()
    return {
        "version": latest.version if latest else "unversioned",
        "subject_identifiers": latest.document.get("subject_identifiers", ["email"]) if latest else ["email"],
        "systems": [_system_document(system) for system in systems],
    }


def _system_document(system: System) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": system.name,
        "kind": system.kind,
        "description": system.description,
        "connection": system.connection,
        "identifiers": system.identifiers,
        "depends_on": system.depends_on,
        "datasets": [
            {
                "name": dataset.name,
                "description": dataset.description,
                "locator": dataset.locator,
                "fields": [_field_document(field) for field in dataset.fields.all()],
            }
            for dataset in system.datasets.all()
        ],
    }
    if system.recipient:
        document["recipient"] = system.recipient
    if system.owner:
        document["owner"] = system.owner
    if system.transfers:
        document["transfers"] = system.transfers
    return document


# Keys a field's document has only when they say something (the map's digest stays stable).
OPTIONAL_FIELD_KEYS = ("erasure_reason", "disclose", "disclose_reason")


def _field_document(field: Field) -> dict[str, Any]:
    data: dict[str, Any] = {key: getattr(field, key) for key in FIELD_KEYS if key not in OPTIONAL_FIELD_KEYS}
    if field.erasure_reason:
        data["erasure_reason"] = field.erasure_reason
    if field.disclose != "always":
        data.update(disclose=field.disclose, disclose_reason=field.disclose_reason)
    return data


def datamap_current() -> DataMap:
    """The validated map in use (raises DataMapError if an admin edit broke it).

    With no system at all there is nothing to search: an empty map, so requests still flow
    (and staff see that no store was searched) before the company has described its stores.
    """
    if not System.objects.exists():
        return DataMap(version="empty", systems=())
    return load_datamap(datamap_document())


def datamap_import(document: dict[str, Any], *, actor: Actor) -> DataMapVersion:
    """Replace the map with ``document``, after validating all of it."""
    datamap = load_datamap(document)
    with transaction.atomic():
        Field.objects.all().delete()
        Dataset.objects.all().delete()
        System.objects.all().delete()
        for position, system in enumerate(dump_datamap(datamap)["systems"]):
            _create_system(system, position)
        version = datamap_snapshot(datamap)
        audit_append(
            actor=actor,
            action="datamap.imported",
            data={"version": datamap.version, "digest": version.digest, "systems": len(datamap.systems)},
        )
    return version


def _create_system(data: dict[str, Any], position: int) -> None:
    system = System.objects.create(
        name=data["name"],
        kind=data["kind"],
        description=data["description"],
        connection=data["connection"],
        identifiers=data["identifiers"],
        depends_on=data["depends_on"],
        recipient=data.get("recipient", ""),
        owner=data.get("owner", ""),
        transfers=data.get("transfers", []),
        position=position,
    )
    for d_position, dataset_data in enumerate(data["datasets"]):
        dataset = Dataset.objects.create(
            system=system,
            name=dataset_data["name"],
            description=dataset_data["description"],
            locator=dataset_data["locator"],
            position=d_position,
        )
        Field.objects.bulk_create(
            Field(dataset=dataset, position=f_position, **field_data)
            for f_position, field_data in enumerate(dataset_data["fields"])
        )


def datamap_snapshot(datamap: DataMap | None = None) -> DataMapVersion:
    """The stored version of ``datamap`` (the current one by default), created once per digest."""
    datamap = datamap or datamap_current()
    version, _ = DataMapVersion.objects.get_or_create(
        digest=datamap.digest, defaults={"version": datamap.version, "document": dump_datamap(datamap)}
    )
    return version


# Validated maps by digest: a stored version never changes, so each process reads it once.
_MAPS_BY_DIGEST: dict[str, DataMap] = {}


def datamap_of(version: DataMapVersion) -> DataMap:
    """The map a stored version holds."""
    datamap = _MAPS_BY_DIGEST.get(version.digest)
    if datamap is None:
        if version.document.get("systems"):
            datamap = load_datamap(version.document)
        else:
            datamap = DataMap(version=version.version, systems=())
        if len(_MAPS_BY_DIGEST) >= 32:
            _MAPS_BY_DIGEST.clear()
        _MAPS_BY_DIGEST[version.digest] = datamap
    return datamap


def datamap_reachable_only(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Leave out systems whose connection names an unset variable, and those that need them."""
    systems = list(document["systems"])
    skipped: list[str] = []
    while True:
        missing = [
            s for s in systems
            if any(k.endswith("_env") and not os.environ.get(str(v)) for k, v in s["connection"].items()
                   if k != "hash_salt_env")
        ]  # fmt: skip
        provided = {"email"} | {i for s in systems for i in s["identifiers"].get("provides", {})}
        orphans = [s for s in systems if not set(s["identifiers"].get("searched_by", [])) <= provided]
        gone = {s["name"] for s in missing + orphans}
        if not gone:
            break
        skipped += sorted(gone)
        systems = [s for s in systems if s["name"] not in gone]
        for s in systems:
            s["depends_on"] = [d for d in s["depends_on"] if d not in gone]
    result = {**document, "systems": systems}
    load_datamap(result)  # what is left must still be a valid map
    return result, skipped
