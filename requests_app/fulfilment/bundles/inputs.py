"""What the bundle writers are given: the request's facts, the data map's systems as they are
(``datamap.schema``: the one shape of a map in memory), the records and the record of the search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path

    from requests_app.datamap.schema import System

# (system name, dataset name, record): streamed, possibly millions long; never materialised.
Records = Iterable[tuple[str, str, dict[str, Any]]]


@dataclass(frozen=True)
class Branding:
    company_name: str
    logo_path: Path | str | None = None
    primary_colour: str = "#1d4f91"
    accent_colour: str = "#e8a33d"


@dataclass(frozen=True)
class StoreRecord:
    """What the request did in one system: one line of the record of the search.

    ``words`` is the outcome in the records' vocabulary ("Searched", "Erased by hand",
    "Not searched"); ``done`` is False when the work did not happen, with ``note`` saying
    why. ``by`` names the person who recorded the outcome (empty: a program did the work).
    """

    system: str
    action: str  # resolve, erase, correct
    words: str
    done: bool = True
    searched_with: tuple[tuple[str, tuple[str, ...]], ...] = ()
    found: tuple[tuple[str, int], ...] = ()  # (dataset, records), for a search a program did
    by: str = ""
    at: datetime | None = None
    note: str = ""
    evidence: str = ""  # the name of the file the person attached

    @property
    def by_hand(self) -> bool:
        return bool(self.by)


@dataclass(frozen=True)
class RecipientRecord:
    """A recipient of data that was erased or corrected, and whether it was told (GDPR Art. 19)."""

    recipient: str
    fields: tuple[str, ...]  # "system.dataset.field"
    words: str
    done: bool = True
    told_by_system: str = ""
    by: str = ""
    at: datetime | None = None
    note: str = ""

    @property
    def fields_by_dataset(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The fields grouped under their dataset, named "system, a right angle quote, dataset"."""
        grouped: dict[str, list[str]] = {}
        for where in self.fields:
            system, _, rest = where.partition(".")
            dataset, _, name = rest.partition(".")
            grouped.setdefault(f"{system} \u203a {dataset}", []).append(name)
        return tuple((dataset, tuple(names)) for dataset, names in grouped.items())


@dataclass(frozen=True)
class ManualExport:
    """A file a person exported by hand from a system no program reaches; it goes into the bundle."""

    system: str
    name: str
    open: Callable[[], IO[bytes]] = field(hash=False, compare=False)


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
    systems: tuple[System, ...]
    automated_decision_making: str
    transfer_safeguards: str
    branding: Branding
    # Where the subject can fetch the public key that checks manifest.sig (set by the caller).
    public_key_url: str = ""
    language: str = "en"
    # The request type in the requester's words and language ("Access to your data").
    request_type_label: str = ""
    # The record of the search (and of the change), one line per system and action, and the
    # recipients told; empty when the caller has none to give.
    store_records: tuple[StoreRecord, ...] = ()
    recipients: tuple[RecipientRecord, ...] = ()

    def records_of(self, action: str) -> tuple[StoreRecord, ...]:
        return tuple(r for r in self.store_records if r.action == action)

    def record_of(self, system: str, action: str) -> StoreRecord | None:
        return next((r for r in self.store_records if r.system == system and r.action == action), None)

    def get_system(self, name: str) -> System | None:
        return next((s for s in self.systems if s.name == name), None)


@dataclass(frozen=True)
class ErasureOutcome:
    """What erasure did in one dataset: counts per action (delete_row, null, mask, hash, retain).

    ``words`` is the outcome ("Erased", "Erased by hand", "Not erased"); ``done`` is False
    when the erasure did not happen there, and ``note`` says why (or what a person did).
    """

    system: str
    dataset: str
    action_counts: dict[str, int] = field(hash=False)
    retained_reasons: tuple[str, ...] = ()
    words: str = "Erased"
    done: bool = True
    note: str = ""
    by: str = ""


@dataclass(frozen=True)
class FieldChange:
    """One corrected field: the values it held (as far as known) and the value it holds now."""

    field: str
    was: tuple[str, ...]
    now: str
    withheld_reason: str = ""  # a never-disclosed field shows neither value


@dataclass(frozen=True)
class CorrectionOutcome:
    """What a correction changed in one dataset; `refused` holds (field, why it was not changed)."""

    system: str
    dataset: str
    fields_changed: tuple[str, ...]
    rows_changed: int
    refused: tuple[tuple[str, str], ...] = ()
    changes: tuple[FieldChange, ...] = ()
    words: str = "Corrected"
    by: str = ""
    note: str = ""
    # Asked for and refused when staff approved the correction: no store was asked to change it.
    refused_at_review: bool = False


@dataclass(frozen=True)
class Decision:
    """A decision the subject asked for (opt-out, limit, restriction, objection), and its law."""

    request_type: str
    asked: str  # "opt out of the sale or sharing of your personal data ..."
    law: str  # the rule's label: "United States — California (CCPA/CPRA)"
    citation: str  # the decision's provision: "CCPA §1798.120; 11 CCR §7026(f)"
    due: date
    gpc_signal: bool = False


@dataclass(frozen=True)
class DecisionOutcome:
    """What a person recorded for the decision in one system.

    ``applied`` is True only for the outcome "done by hand" ("Applied"): no other outcome is
    ever reported as the decision applied.
    """

    system: str
    outcome: str  # done_by_hand, no_data, retained, not_done
    words: str
    applied: bool
    by: str = ""
    at: datetime | None = None
    note: str = ""
    evidence: str = ""


def company_facts() -> dict[str, Any]:
    """What every document says of the company, from its settings: the `BundleContext` fields
    that are the same for every request (results.py builds each request's context with them,
    and a worker warms the explanation they are laid out in with them: bundles/warm.py)."""
    return {
        "company_name": settings.DSAR_COMPANY_NAME,
        "company_address": settings.DSAR_COMPANY_ADDRESS,
        "contact_email": settings.DSAR_REPLY_TO_EMAIL,
        "supervisory_authority": settings.DSAR_SUPERVISORY_AUTHORITY,
        "automated_decision_making": settings.DSAR_AUTOMATED_DECISIONS,
        "transfer_safeguards": settings.DSAR_TRANSFER_SAFEGUARDS,
        "branding": Branding(company_name=settings.DSAR_COMPANY_NAME),
    }
