"""The request register: every request, one CSV line each, with what came of it and when.

Without subjects it holds no personal data (references, types, dates, outcomes) and can go to
an auditor. With subjects it names each subject and agent: that export is put on the audit
trail, with who made it, before any line is written.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from requests_app.reports.metrics import OUTCOME_LABELS, days_taken, outcome
from requests_app.reports.queries import ROW_FIELDS, requests_of_year, row_from_values, with_partial_flag
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

COLUMNS = (
    "reference",
    "type",
    "channel",
    "jurisdiction",
    "state",
    "received",
    "due",
    "closed",
    "outcome",
    "days_taken",
    "extended",
)
# The request's own field names, so they are read as they are.
SUBJECT_COLUMNS = ("subject_name", "subject_email", "agent_name", "agent_email")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): a
# subject's name is theirs to choose, so such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _when(moment: datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def register_lines(*, year: int | None, with_subjects: bool) -> Iterator[list[str]]:
    """The header, then one line per request received in ``year`` (every request for None)."""
    yield [*COLUMNS, *(SUBJECT_COLUMNS if with_subjects else ())]
    fields = [*ROW_FIELDS, "reference", *(SUBJECT_COLUMNS if with_subjects else ())]
    requests = with_partial_flag(requests_of_year(year)).values(*fields, "has_partial_task")
    for values in requests.iterator(chunk_size=2000):
        row = row_from_values(values)
        taken = days_taken(row)
        line = [
            values["reference"],
            row.request_type,
            row.channel,
            row.jurisdiction,
            row.state,
            _when(values["received_at"]),
            row.due_on.isoformat(),
            _when(values["closed_at"]),
            OUTCOME_LABELS[outcome(row)],
            "" if taken is None else str(taken),
            "yes" if row.extended else "no",
        ]
        if with_subjects:
            line += [str(values[name]) for name in SUBJECT_COLUMNS]
        yield [spreadsheet_safe(cell) for cell in line]


def register_export_record(*, year: int | None, actor: Actor) -> None:
    """Put an export of the register with subjects' names and addresses on the audit trail."""
    with transaction.atomic():
        audit_append(
            actor=actor,
            action="register.exported_with_subjects",
            data={"year": year, "requests": requests_of_year(year).count()},
        )


def register_write(out: Any, *, year: int | None, with_subjects: bool, actor: Actor) -> int:
    """Write the register as CSV to the text stream ``out``; return how many requests it lists.

    With subjects, the export is audited first: a failure to record it writes nothing.
    """
    if with_subjects:
        register_export_record(year=year, actor=actor)
    writer = csv.writer(out, lineterminator="\n")
    lines = register_lines(year=year, with_subjects=with_subjects)
    writer.writerow(next(lines))
    count = 0
    for line in lines:
        writer.writerow(line)
        count += 1
    return count
