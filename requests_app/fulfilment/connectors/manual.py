"""A manual step: a store no program can reach (a vendor's console), done by a person.

Export yields nothing and erasure changes nothing here: they return the dataset's
instructions with status "manual", which the lead turns into a staff task. For an access
request the person exports the subject's data from the vendor (`export_instructions`) and
uploads it, or records that the vendor holds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from requests_app.fulfilment.connectors.base import (
    ActionCounts,
    Checkpoint,
    Connector,
    CurrentValues,
    Subject,
    ValuesUnreadable,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping


class ManualConnector(Connector):
    def resolve(self, subject: Subject) -> dict[str, tuple[str, ...]]:
        return {}

    def export(self, subject: Subject, checkpoint: Checkpoint | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from ()

    def count(self, subject: Subject) -> dict[str, int]:
        return {}

    def erase(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        *,
        batch_size: int = 5000,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> ActionCounts:
        return self.instructions(subject)

    def current_values(self, subject: Subject, fields: Mapping[str, Iterable[str]]) -> CurrentValues:
        raise ValuesUnreadable(
            "a person reads this store by hand: no program can see its values", system=self.system.name
        )

    def correct(self, subject: Subject, changes: dict[str, dict[str, Any]], checkpoint: Checkpoint) -> ActionCounts:
        self.check_correction(changes)
        return self.instructions(subject, only=set(changes))

    def export_instructions(self, subject: Subject) -> ActionCounts:
        """Return status "manual": find and export the subject's data at the vendor, by hand."""
        counts = ActionCounts(status="manual")
        identifiers = self._identifiers(subject)
        for dataset in self.system.datasets:
            entry = counts.dataset(dataset.name)
            entry.status = "manual"
            entry.instructions = (
                f"Access request: find the subject in {self.system.description or self.system.name} and export "
                f"what it holds about them ({dataset.name}: {', '.join(f.name for f in dataset.fields)}). "
                "Upload the export, or record that nothing is held. The instructions for this store: "
                f"{dataset.instructions}" + (f"\nIdentifiers: {identifiers}" if identifiers else "")
            )
        return counts

    def _identifiers(self, subject: Subject) -> str:
        return "; ".join(
            f"{name}: {', '.join(subject.values(name))}" for name in self.system.searched_by if subject.values(name)
        )

    def instructions(self, subject: Subject, *, only: set[str] | None = None) -> ActionCounts:
        """Return status "manual" with each dataset's instructions and the identifiers to use."""
        identifiers = self._identifiers(subject)
        counts = ActionCounts(status="manual")
        for dataset in self.system.datasets:
            if only is not None and dataset.name not in only:
                continue
            entry = counts.dataset(dataset.name)
            entry.status = "manual"
            entry.instructions = dataset.instructions + (f"\nIdentifiers: {identifiers}" if identifiers else "")
            entry.retained_reasons = {f.name: f.erasure_reason for f in dataset.fields if f.erasure == "retain"}
        return counts
