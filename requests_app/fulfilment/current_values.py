"""What the stores hold now in the fields a correction may change, for the person reviewing it.

Staff approving a correction see, for every field the data map marks correctable, the
values this subject's records hold, read live from each store as fulfilment would find the
subject: the email, then the identifiers the systems before resolve (email -> user_id). The
read is on the audit trail (who, which systems and fields, never the values) and nothing is
kept: the values live in the one page that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from requests_app.datamap.schema import DataMapError, waves
from requests_app.errors import GuardFailed
from requests_app.fulfilment.connectors import ConnectorError, Subject, ValuesUnreadable, connector_for
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.models import DataSubjectRequest, RequestType, State
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from requests_app.datamap.schema import DataMap, Field, System

# Where a correction waits for the decision on what changes.
REVIEWABLE_STATES = (State.VERIFIED, State.AWAITING_APPROVAL)


@dataclass(frozen=True)
class CorrectableField:
    """One field the data map lets a correction change."""

    system: str
    dataset: str
    field: Field

    @property
    def path(self) -> str:
        return f"{self.system}.{self.dataset}.{self.field.name}"


def correctable_fields(datamap: DataMap) -> list[CorrectableField]:
    """Every field the map marks correctable, in the map's order."""
    return [
        CorrectableField(system.name, dataset.name, f)
        for system in datamap.systems
        for dataset in system.datasets
        for f in dataset.fields
        if f.correctable
    ]


@dataclass
class StoreValues:
    """What one store said: the values of its correctable fields, or why they could not be read."""

    system: str
    values: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    problem: str = ""

    def of(self, dataset: str, name: str) -> list[str] | None:
        """The field's values (empty: no record holds one), or None when they were not read."""
        if self.problem:
            return None
        return self.values.get(dataset, {}).get(name, [])


def correction_values_read(*, request: DataSubjectRequest, actor: Actor) -> dict[str, StoreValues]:
    """Read the subject's current values of every correctable field, store by store, and audit it.

    A store that is down, or of a kind that cannot be read from here, says so for itself;
    the others are still read. The stores are read before the audit row is written, so the
    audit chain is not locked while a store takes its time to answer; the values reach the
    caller only once the row that records the read is committed.
    """
    request.refresh_from_db(fields=["state", "minimised_at", "request_type"])
    if request.request_type != RequestType.CORRECTION:
        raise GuardFailed("Current values are shown for a correction request only")
    if request.is_minimised:
        raise GuardFailed("The personal data of this request was removed under the retention rule")
    if request.state not in REVIEWABLE_STATES:
        raise GuardFailed("Current values are shown while a correction waits for approval")
    try:
        datamap = datamap_current()
    except DataMapError as error:
        problems = "; ".join(error.problems[:5])
        raise GuardFailed(f"The data map has problems, so no store can be read: {problems}") from error
    result = _read_stores(datamap, Subject.from_dict({"email": [request.subject_email]}))
    read = sorted(name for name, store in result.items() if not store.problem)
    with transaction.atomic():
        audit_append(
            request=request,
            actor=actor,
            action="personal_data.viewed",
            data={
                "what": "current values of the correctable fields",
                "systems": read,
                "not_read": sorted(name for name, store in result.items() if store.problem),
                "fields": [f.path for f in correctable_fields(datamap) if f.system in read],
            },
        )
    return result


def _read_stores(datamap: DataMap, subject: Subject) -> dict[str, StoreValues]:
    """Each system with correctable fields, read in the derivation order fulfilment uses."""
    wanted: dict[str, dict[str, list[str]]] = {}
    for f in correctable_fields(datamap):
        wanted.setdefault(f.system, {}).setdefault(f.dataset, []).append(f.field.name)
    result: dict[str, StoreValues] = {}
    # Identifiers a system that could not be read was to provide: who needs them is told why.
    lost: dict[str, str] = {}
    for wave in waves(datamap):
        resolved = subject
        for system in wave:
            if system.name in wanted:
                result[system.name] = _read_one(system, subject, wanted[system.name], lost)
                failed = bool(result[system.name].problem)
            else:
                failed = False
            if system.provides and _leads_on(system, datamap, wanted):
                more = None if failed else _resolved(system, subject)
                if more is None:
                    lost.update(dict.fromkeys(system.provided_identifiers, system.name))
                else:
                    resolved = resolved.merged(more)
        # The identifiers this wave resolves serve the waves after it, as in fulfilment.
        subject = resolved
    return result


def _read_one(system: System, subject: Subject, fields: dict[str, list[str]], lost: dict[str, str]) -> StoreValues:
    if not any(subject.values(name) for name in system.searched_by):
        needed = sorted({lost[name] for name in system.searched_by if name in lost})
        if needed:
            problem = (
                f"Could not be read now: it is searched by what {', '.join(needed)} holds, which could not be read."
            )
        else:
            problem = (
                f"Not searched: the subject has no {' or '.join(system.searched_by)} here, so no record is theirs."
            )
        return StoreValues(system.name, problem=problem)
    try:
        with connector_for(system) as connector:
            return StoreValues(system.name, values=connector.current_values(subject, fields))
    except ValuesUnreadable as error:
        return StoreValues(system.name, problem=f"Cannot be read here: {error.message}.")
    except ConnectorError as error:
        return StoreValues(system.name, problem=f"Could not be read now: {error.message}")


def _leads_on(system: System, datamap: DataMap, wanted: dict[str, dict[str, list[str]]]) -> bool:
    """Whether a system with correctable fields is searched by an identifier this one provides."""
    provided = set(system.provided_identifiers)
    return any(provided & set(other.searched_by) for other in datamap.systems if other.name in wanted)


def _resolved(system: System, subject: Subject) -> dict[str, tuple[str, ...]] | None:
    """The identifiers this system provides for the subject, or None if it cannot be read."""
    if not any(subject.values(n) for n in system.searched_by):
        return {}
    try:
        with connector_for(system) as connector:
            return connector.resolve(subject)
    except ConnectorError:
        return None
