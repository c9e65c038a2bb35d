"""What the bundle writers are given: plain frozen dataclasses the caller fills from the data map.

They do not import the data map on purpose: the writers only need what the subject is told,
and the caller (the finalize step) maps its `System`/`Dataset`/`Field` objects onto these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

# (system name, dataset name, record): streamed, possibly millions long; never materialised.
Records = Iterable[tuple[str, str, dict[str, Any]]]


@dataclass(frozen=True)
class FieldInfo:
    """One field of a dataset with what GDPR Art. 15(1) and CCPA §1798.110 require us to say."""

    name: str
    category: str
    purpose: str
    legal_basis: str
    recipients: tuple[str, ...]
    retention: str
    source: str
    erasure: str
    erasure_reason: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    fields: tuple[FieldInfo, ...] = ()


@dataclass(frozen=True)
class SystemInfo:
    name: str
    description: str
    kind: str
    datasets: tuple[DatasetInfo, ...] = ()

    def get_dataset(self, name: str) -> DatasetInfo | None:
        return next((d for d in self.datasets if d.name == name), None)


@dataclass(frozen=True)
class Branding:
    company_name: str
    logo_path: Path | str | None = None
    primary_colour: str = "#1d4f91"
    accent_colour: str = "#e8a33d"


@dataclass(frozen=True)
class BundleContext:
    """Who asked, when, under which law, and the data map the answer was made with."""

    reference: str
    request_type: str
    subject_name: str
    subject_email: str
    received_at: datetime
    completed_at: datetime
    jurisdiction_name: str
    company_name: str
    company_address: str
    contact_email: str
    supervisory_authority: str
    datamap_version: str
    systems: tuple[SystemInfo, ...]
    automated_decision_making: str
    transfer_safeguards: str
    branding: Branding
    # Where the subject can fetch the public key that checks manifest.sig (set by the caller).
    public_key_url: str = ""
    language: str = "en"

    def get_system(self, name: str) -> SystemInfo | None:
        return next((s for s in self.systems if s.name == name), None)


ErasureStatus = Literal["done", "manual", "failed"]


@dataclass(frozen=True)
class ErasureOutcome:
    """What erasure did in one dataset: counts per action (delete_row, null, mask, hash, retain)."""

    system: str
    dataset: str
    action_counts: dict[str, int] = field(hash=False)
    retained_reasons: tuple[str, ...] = ()
    status: ErasureStatus = "done"
    note: str = ""


@dataclass(frozen=True)
class CorrectionOutcome:
    """What a correction changed in one dataset; `refused` holds (field, why it was not changed)."""

    system: str
    dataset: str
    fields_changed: tuple[str, ...]
    rows_changed: int
    refused: tuple[tuple[str, str], ...] = ()
