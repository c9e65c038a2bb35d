"""The review of a correction on the approval form: one row per field the data map lets change.

Each row shows the field, the values the subject's records hold now (once staff asked to see
them), what the requester asked for, and the decision: accept the value asked for, edit it
into another, or refuse it with a reason the requester is given. The rows are built on the
server from the data map, so a posted field that is not one of them is refused, never used;
what they produce is the same {system: {dataset: {field: value}}} the text box gives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from requests_app.datamap import DataMapError
from requests_app.fulfilment.current_values import correctable_fields
from requests_app.fulfilment.datamap_versions import datamap_current

if TYPE_CHECKING:
    from collections.abc import Mapping

    from requests_app.fulfilment.current_values import CorrectableField, StoreValues

Changes = dict[str, dict[str, dict[str, str]]]

DECISIONS = (
    ("", "Leave as it is"),
    ("accept", "Accept the value asked for"),
    ("edit", "Edit: set another value"),
    ("refuse", "Refuse"),
)
MAX_VALUE = 1000  # as the API's ApproveSerializer
MAX_REASON = 2000
# Bidirectional overrides and isolates: they make a value read differently from what it holds.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ROW_KEY = re.compile(r"^fix-(?P<path>.+)-(?P<part>decision|asked|edited|reason)$")


def text_problem(value: str, *, limit: int, lines: bool = False) -> str:
    """Why ``value`` cannot be stored as typed ("" when it can): too long, or control characters."""
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are allowed"
    allowed = "\n\r\t" if lines else ""
    bad = sorted(
        {c for c in value if (unicodedata.category(c) == "Cc" and c not in allowed) or c in BIDI_CONTROLS},
    )
    if bad:
        return "holds control characters (" + ", ".join(f"U+{ord(c):04X}" for c in bad) + "), which cannot be stored"
    return ""


@dataclass
class ReviewRow:
    """One correctable field, with what the store holds and what staff decided."""

    index: int
    target: CorrectableField
    inputs: dict[str, str] = field(default_factory=dict)  # see names()
    values: list[str] | None = None  # None: not read
    problem: str = ""  # why the values could not be read
    decision: str = ""
    asked: str = ""
    edited: str = ""
    reason: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.target.path

    def name(self, prefix: str, part: str) -> str:
        return f"{prefix}-fix-{self.path}-{part}"

    def names(self, prefix: str) -> dict[str, str]:
        """The inputs' names (by the field's path) and a base for their ids (by position)."""
        return {part: self.name(prefix, part) for part in ("decision", "asked", "edited", "reason")} | {
            "id": f"id_{prefix}-fix-{self.index}"
        }


@dataclass
class CorrectionReview:
    """The review's rows and what the page says about them."""

    prefix: str
    rows: list[ReviewRow]
    shown: bool = False  # the current values were read for this page
    problem: str = ""  # the data map cannot be read
    unknown: list[str] = field(default_factory=list)  # posted rows that are not the map's

    @property
    def decisions(self) -> tuple[tuple[str, str], ...]:
        return DECISIONS

    def problems_by_system(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for row in self.rows:
            if row.problem:
                seen.setdefault(row.target.system, row.problem)
        return list(seen.items())

    def parse(self) -> tuple[Changes, Changes, list[str]]:
        """The approved changes, the refusals with their reasons, and every problem found."""
        changes: Changes = {}
        refusals: Changes = {}
        problems = [
            f"{path[:120]} is not a field the data map lets a correction change; "
            "reload the page to see the fields it does"
            for path in self.unknown[:10]
        ]
        for row in self.rows:
            row.errors = _row_errors(row)
            problems += [f"{row.path}: {error}" for error in row.errors]
            if row.errors or not row.decision:
                continue
            where = (row.target.system, row.target.dataset, row.target.field.name)
            if row.decision == "refuse":
                _put(refusals, where, row.reason.strip())
            else:
                _put(changes, where, (row.asked if row.decision == "accept" else row.edited).strip())
        return changes, refusals, problems


def _row_errors(row: ReviewRow) -> list[str]:
    errors = []
    if row.decision not in {value for value, _ in DECISIONS}:
        return ["choose accept, edit or refuse"]
    for label, value, limit, lines in (
        ("The value asked for", row.asked, MAX_VALUE, False),
        ("The new value", row.edited, MAX_VALUE, False),
        ("The reason", row.reason, MAX_REASON, True),
    ):
        problem = text_problem(value, limit=limit, lines=lines)
        if problem:
            errors.append(f"{label} {problem}")
    if errors:
        return errors
    if row.decision == "accept" and not row.asked.strip():
        errors.append("write the value the requester asked for, to accept it")
    if row.decision == "edit" and not row.edited.strip():
        errors.append("write the new value to set")
    if row.decision == "refuse" and not row.reason.strip():
        errors.append("say why the change is refused; the requester is told")
    if not row.decision and (row.edited.strip() or row.reason.strip()):
        errors.append("choose accept, edit or refuse for what you typed, or clear it")
    return errors


def _put(target: Changes, where: tuple[str, str, str], value: str) -> None:
    system, dataset, name = where
    target.setdefault(system, {}).setdefault(dataset, {})[name] = value


def correction_review(
    *,
    prefix: str,
    data: Mapping[str, Any] | None = None,
    values: Mapping[str, StoreValues] | None = None,
) -> CorrectionReview:
    """The rows for every correctable field of the data map in use, with what was posted."""
    try:
        targets = correctable_fields(datamap_current())
    except DataMapError:
        return CorrectionReview(prefix, [], problem="The data map has problems, so its correctable fields are unknown.")
    rows = [ReviewRow(index, target) for index, target in enumerate(targets)]
    for row in rows:
        row.inputs = row.names(prefix)
    review = CorrectionReview(prefix, rows, shown=values is not None)
    for row in rows:
        store = values.get(row.target.system) if values is not None else None
        if store is not None:
            row.values = store.of(row.target.dataset, row.target.field.name)
            row.problem = store.problem
        if data is not None:
            for part in ("decision", "asked", "edited", "reason"):
                setattr(row, part, str(data.get(row.name(prefix, part), "")))
    if data is not None:
        known = {row.path for row in rows}
        posted = {
            match["path"]
            for key in data
            if key.startswith(f"{prefix}-") and (match := ROW_KEY.match(key.removeprefix(f"{prefix}-")))
        }
        review.unknown = sorted(posted - known)
    return review
