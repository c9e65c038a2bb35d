"""The one small interface every connector implements, and what they share.

A connector works on one `System` of the data map for one subject: it resolves the
identifiers the system provides (email -> user_id), streams the subject's records, counts
them, erases them field by field as the map says, and applies corrections to the fields
the map marks correctable. Long operations save a checkpoint after every committed batch
and call `heartbeat()`, so a task killed half-way continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from requests_app.datamap.schema import Dataset, Field, System

HASH_PREFIX = "sha256:"
# How many distinct earlier values of one field a correction keeps for its report.
PREVIOUS_VALUES_KEPT = 10
# How many distinct values of one field a read of the current values shows.
CURRENT_VALUES_SHOWN = 10

# What `current_values` answers: {dataset: {field: [distinct values, as text]}}.
CurrentValues = dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class Subject:
    """The identifiers one data subject is known by, each with one or more values."""

    identifiers: dict[str, tuple[str, ...]]

    def values(self, name: str) -> tuple[str, ...]:
        return self.identifiers.get(name, ())

    def merged(self, more: Mapping[str, Iterable[str]]) -> Subject:
        """Return a subject with `more` values added (kept in order, without duplicates)."""
        combined = {name: list(values) for name, values in self.identifiers.items()}
        for name, values in more.items():
            combined.setdefault(name, []).extend(str(v) for v in values)
        return Subject({name: tuple(dict.fromkeys(values)) for name, values in combined.items()})

    def to_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.identifiers.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]]) -> Subject:
        return cls({name: tuple(str(v) for v in values) for name, values in data.items()})


class Checkpoint(Protocol):
    """Where a connector keeps its progress; the lead persists it in the StoreTask row."""

    def get(self) -> dict[str, Any]: ...

    def save(self, state: dict[str, Any]) -> None: ...


class MemoryCheckpoint:
    """A checkpoint kept in memory: for tests, and for runs that need no restart.

    The state goes through JSON both ways, as it does in the StoreTask's JSON field, so a
    connector that forgot to save, or saved something JSON cannot hold, fails here too.
    """

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state: dict[str, Any] = json.loads(json.dumps(state or {}))
        self.saves = 0

    def get(self) -> dict[str, Any]:
        return dict(json.loads(json.dumps(self.state)))

    def save(self, state: dict[str, Any]) -> None:
        self.state = json.loads(json.dumps(state))
        self.saves += 1


@dataclass
class DatasetCounts:
    """What an erasure or correction did to one dataset; rows are counted once per action."""

    matched: int = 0
    deleted: int = 0
    nulled: int = 0
    masked: int = 0
    hashed: int = 0
    corrected: int = 0
    retained: int = 0
    retained_reasons: dict[str, str] = field(default_factory=dict)
    status: str = "done"  # "done", or "manual": a person must do it (see instructions)
    instructions: str = ""
    # For a correction: the distinct values each changed field held before, for the report.
    previous: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return self.deleted + self.nulled + self.masked + self.hashed + self.corrected

    def note_previous(self, name: str, value: object) -> None:
        """Remember a value a correction replaced (a few distinct ones per field)."""
        text = "" if value is None else str(value)
        kept = self.previous.setdefault(name, [])
        if text not in kept and len(kept) < PREVIOUS_VALUES_KEPT:
            kept.append(text)

    def merge_previous(self, other: DatasetCounts) -> None:
        for name, values in other.previous.items():
            for value in values:
                self.note_previous(name, value)


@dataclass
class ActionCounts:
    """Per dataset counts of an erasure or correction; JSON-able through to_dict/from_dict."""

    datasets: dict[str, DatasetCounts] = field(default_factory=dict)
    status: str = "done"  # "done" or "manual"

    def dataset(self, name: str) -> DatasetCounts:
        return self.datasets.setdefault(name, DatasetCounts())

    @property
    def changes(self) -> int:
        """Rows changed (deleted, nulled, masked, hashed or corrected); 0 on a repeated run."""
        return sum(counts.changes for counts in self.datasets.values())

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "datasets": {name: asdict(c) for name, c in self.datasets.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionCounts:
        datasets = {name: DatasetCounts(**counts) for name, counts in data.get("datasets", {}).items()}
        return cls(datasets=datasets, status=str(data.get("status", "done")))


class ConnectorError(Exception):
    """A connector failed; `transient` says whether trying again later can help.

    transient=True: timeouts, refused connections, a store restarting. transient=False: bad
    configuration, a missing table or column, answers that make no sense; retrying would
    fail the same way, so the lead shows the error to staff.
    """

    def __init__(self, message: str, *, transient: bool, system: str = "") -> None:
        super().__init__(f"{system}: {message}" if system else message)
        self.message = message
        self.transient = transient
        self.system = system


class ConnectorPending(ConnectorError):
    """The work was handed over (to a processor) and is not finished: poll again later.

    The checkpoint holds what is needed to poll, so running the task again does not submit
    the work twice. Not a failure: the lead should not count it as a failed attempt.
    """

    def __init__(self, message: str, *, system: str = "", retry_after: float = 60.0) -> None:
        super().__init__(message, transient=True, system=system)
        self.retry_after = retry_after


class CorrectionRefused(ConnectorError):
    """The correction names fields the map does not mark correctable (or does not know)."""

    def __init__(self, fields: list[str], *, system: str = "") -> None:
        message = "these fields cannot be corrected here: " + ", ".join(fields)
        super().__init__(message, transient=False, system=system)
        self.fields = fields


class ValuesUnreadable(ConnectorError):
    """This kind of store cannot show one field's current values (a person, or a processor's API)."""

    def __init__(self, message: str, *, system: str = "") -> None:
        super().__init__(message, transient=False, system=system)


class Connector(ABC):
    """One system of the data map, for any number of subjects."""

    def __init__(self, system: System) -> None:
        self.system = system

    @abstractmethod
    def resolve(self, subject: Subject) -> dict[str, tuple[str, ...]]:
        """Return the identifiers this system provides for the subject (may be empty)."""

    @abstractmethod
    def export(self, subject: Subject, checkpoint: Checkpoint | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (dataset name, JSON-able record) for every record of the subject, streaming."""

    @abstractmethod
    def count(self, subject: Subject) -> dict[str, int]:
        """Return the number of the subject's records per dataset (absent: unknown)."""

    def search(self, subject: Subject) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
        """Return what :meth:`resolve` and :meth:`count` return, reading each thing once where the kind can."""
        return self.resolve(subject), self.count(subject)

    @abstractmethod
    def erase(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        *,
        batch_size: int = 5000,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> ActionCounts:
        """Apply every field's erasure action; a second run changes nothing."""

    @abstractmethod
    def correct(self, subject: Subject, changes: dict[str, dict[str, Any]], checkpoint: Checkpoint) -> ActionCounts:
        """Set the given {dataset: {field: value}} on the subject's records, correctable fields only."""

    def current_values(self, subject: Subject, fields: Mapping[str, Iterable[str]]) -> CurrentValues:
        """Return the distinct values the subject's records hold in ``fields`` ({dataset: names}).

        For a person reviewing a correction: what the store holds now. A kind of store that
        cannot read single fields without side effects says so with ValuesUnreadable.
        """
        raise ValuesUnreadable("this kind of store cannot be read from here", system=self.system.name)

    def close(self) -> None:  # noqa: B027  # An optional hook: not every connector holds connections.
        """Release connections."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def error(self, message: str, *, transient: bool) -> ConnectorError:
        return ConnectorError(message, transient=transient, system=self.system.name)

    def check_correction(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Refuse the whole correction, naming every field that may not be corrected here."""
        refused = self.system.correction_refusals(changes)
        if refused:
            raise CorrectionRefused(refused, system=self.system.name)

    def run_subject(self, subject: Subject, state: dict[str, Any]) -> Subject:
        """Return the subject with this system's own identifiers, fixed for the whole run.

        They are resolved once and kept in the checkpoint: erasing the rows they come from
        (a user_id's account row, a cookie index) must not lose them for a restarted run.
        """
        if "identifiers" in state:
            return Subject.from_dict(state["identifiers"])
        run = subject.merged(self.resolve(subject))
        state["identifiers"] = run.to_dict()
        return run


def erasure_groups(dataset: Dataset) -> dict[str, list[Field]]:
    """Return the dataset's fields grouped by erasure action (only actions in use)."""
    groups: dict[str, list[Field]] = {}
    for f in dataset.fields:
        groups.setdefault(f.erasure, []).append(f)
    return groups


def retained_reasons(dataset: Dataset) -> dict[str, str]:
    return {f.name: f.erasure_reason for f in dataset.fields if f.erasure == "retain"}


def hash_value(salt: str, value: object) -> str:
    """Return the salted sha256 that erasure by hash stores: same value, same hash.

    The prefix marks a value as already hashed, so a second erasure leaves it alone.
    """
    return HASH_PREFIX + hashlib.sha256(f"{salt}{value}".encode()).hexdigest()


def note_value(values: dict[str, list[str]], name: str, value: object) -> None:
    """Add ``value`` (as text, "" for none) to the distinct values kept for field ``name``."""
    text = "" if value is None else str(value)
    kept = values.setdefault(name, [])
    if text not in kept and len(kept) < CURRENT_VALUES_SHOWN:
        kept.append(text)
