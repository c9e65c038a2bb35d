"""Who must be told of an erasure or a correction (GDPR Art. 19), from the data map.

Each field of the data map lists its recipients. Once a deletion's erasures or a
correction's changes have outcomes, every recipient of a field that was really erased or
changed must be told, unless that proves impossible or involves disproportionate effort
(which staff record, with why). A recipient that is itself a system of the map (its
`recipient` names it) is told by that system's own erasure or correction; any other gets a
task for a person. Data that was not found, or is kept, is not communicated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from requests_app.fulfilment.connectors import ActionCounts
from requests_app.models import StoreAction, StoreOutcome, StoreTask, StoreTaskState

if TYPE_CHECKING:
    from requests_app.datamap.schema import DataMap, Dataset, System


@dataclass
class RecipientNotice:
    """One recipient, what of the subject's data it received that changed, and how it is told."""

    recipient: str
    fields: list[str] = field(default_factory=list)  # "system.dataset.field"
    told_by_system: str = ""  # the system that is this recipient, if any

    def add(self, where: str) -> None:
        if where not in self.fields:
            self.fields.append(where)


def _changed_datasets(task: StoreTask, system: System) -> list[Dataset]:
    """The datasets where the task really erased or changed something (or a person did)."""
    if task.state == StoreTaskState.RESOLVED:
        return list(system.datasets) if task.outcome == StoreOutcome.DONE_BY_HAND else []
    if task.state != StoreTaskState.DONE or task.not_searched:
        return []
    if system.kind == "http":
        # A processor carries out the whole erasure and rarely says how much it held.
        return list(system.datasets)
    counts = ActionCounts.from_dict(task.counts)
    return [
        dataset for dataset in system.datasets if (c := counts.datasets.get(dataset.name)) is not None and c.changes
    ]


def _changed_fields(task: StoreTask, dataset: Dataset, corrections: dict[str, object]) -> list[str]:
    if task.action == StoreAction.ERASE:
        return [f.name for f in dataset.fields if f.erasure != "retain"]
    wanted = corrections.get(task.system, {})
    chosen = wanted.get(dataset.name, {}) if isinstance(wanted, dict) else {}
    return list(chosen) if isinstance(chosen, dict) else []


def recipients_to_tell(
    datamap: DataMap, tasks: list[StoreTask], corrections: dict[str, object]
) -> dict[str, RecipientNotice]:
    """Every recipient of data the request erased or corrected, in the map's order."""
    notices: dict[str, RecipientNotice] = {}
    for task in tasks:
        if task.action not in (StoreAction.ERASE, StoreAction.CORRECT):
            continue
        system = datamap.get_system(task.system)
        if system is None:
            continue
        for dataset in _changed_datasets(task, system):
            for name in _changed_fields(task, dataset, corrections):
                data_field = dataset.get_field(name)
                for recipient in data_field.recipients if data_field else ():
                    key = recipient.strip()
                    if not key:
                        continue
                    notice = notices.get(key.casefold())
                    if notice is None:
                        told_by = datamap.system_told_as(key)
                        notice = RecipientNotice(key, told_by_system=told_by.name if told_by else "")
                        notices[key.casefold()] = notice
                    notice.add(f"{system.name}.{dataset.name}.{name}")
    return {notice.recipient: notice for notice in notices.values()}


def notify_instructions(notice: RecipientNotice, *, request_type: str, subject_email: str) -> str:
    """What the person telling the recipient does, in one paragraph."""
    done = "erased" if request_type == "deletion" else "corrected"
    return (
        f"Tell {notice.recipient} that the subject's personal data they received was {done} "
        f"({', '.join(notice.fields)}), and ask them to do the same (GDPR Art. 19). "
        f"The subject: {subject_email}. Record their confirmation, or why telling them is "
        "impossible or would take disproportionate effort."
    )
