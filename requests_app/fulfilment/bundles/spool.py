"""One dataset's records streamed to temporary files as JSON Lines and CSV while they arrive.

A ZIP can be written one entry at a time only, and records come interleaved across datasets,
so each dataset is spooled to disk and copied into the ZIP at the end. Only the count and the
first few records (for the PDF) stay in memory, so memory is bounded whatever the volume.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from pathlib import Path

# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = frozenset({"=", "+", "-", "@", "\t", "\r"})
EXTRA_COLUMN = "_extra"
SAMPLE_CELL_CHARS = 300
FLUSH_CHARS = 64 * 1024  # per dataset; a data map has tens of datasets, so a few MB in all


def json_default(value: Any) -> Any:
    """Turn what json cannot encode into text: dates as ISO 8601, bytes as base64."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Decimal | UUID):
        return str(value)
    return str(value)


# One encoder for all records: json.dumps with options builds a new one on every call.
_json = json.JSONEncoder(ensure_ascii=False, default=json_default).encode


def csv_cell(value: Any) -> str:
    """Render one value as CSV text that no spreadsheet will run as a formula.

    Text starting with = + - @ TAB or CR gets a leading apostrophe (OWASP). Numbers are left
    alone: an int or Decimal cannot hold a formula, and "-5" must stay a negative number.
    """
    if type(value) is str:  # the common case first: this runs for every cell of every record
        return "'" + value if value[:1] in FORMULA_START else value
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        return str(value)
    elif isinstance(value, datetime | date | time):
        return value.isoformat()
    elif isinstance(value, dict | list | tuple):
        text = _json(value)
    else:
        text = str(json_default(value))
    return "'" + text if text[:1] in FORMULA_START else text


def displayable(text: str) -> str:
    """Make text safe to lay out: a lone surrogate (badly decoded bytes) becomes a visible escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def display_cell(value: Any) -> str:
    """Render one value for the PDF: short, readable, the full value is in the data files."""
    if value is None:
        return ""
    # csv_cell's apostrophe guards spreadsheets; a PDF runs nothing, so it is dropped here.
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")  # a space lets a narrow column wrap between date and time
    else:
        text = csv_cell(value).removeprefix("'")
    if len(text) > SAMPLE_CELL_CHARS:
        text = text[:SAMPLE_CELL_CHARS] + "…"
    return displayable(text)


@dataclass
class DatasetSpool:
    """Spool of one (system, dataset): two temporary files, a count and the first records."""

    system: str
    dataset: str
    folder: str
    stem: str
    header: tuple[str, ...]
    sample_limit: int
    tmp_dir: Path | str | None = None
    count: int = 0
    sample: list[dict[str, str]] = field(default_factory=list)
    extra_keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._header_set = frozenset(self.header)
        extra = EXTRA_COLUMN
        while extra in self._header_set:
            extra = f"_{extra}"
        self.jsonl_file: IO[bytes] = tempfile.TemporaryFile(dir=self.tmp_dir)  # noqa: SIM115
        self.csv_file: IO[bytes] = tempfile.TemporaryFile(dir=self.tmp_dir)  # noqa: SIM115
        # Lines collect in memory and go to disk every FLUSH_CHARS: far fewer calls than one
        # write per record, and no TextIOWrapper (which resets a decoder on every write to a
        # readable file: a third of the time per record).
        self._jsonl_lines: list[str] = []
        self._csv_buffer = io.StringIO()
        self._csv = csv.writer(self._csv_buffer)
        self._pending = 0
        # Column names come from the map or from the store's own keys: neutralised like cells.
        self._csv.writerow([csv_cell(name) for name in (*self.header, extra)])

    @property
    def jsonl_path(self) -> str:
        return f"data/{self.folder}/{self.stem}.jsonl"

    @property
    def csv_path(self) -> str:
        return f"data/{self.folder}/{self.stem}.csv"

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        line = _json(record)
        self._jsonl_lines.append(line)
        self._pending += len(line)
        header_set = self._header_set
        row: list[Any] = []
        for name in self.header:
            # Inlined csv_cell for the common types: this loop is most of the export's time.
            value: Any = record.get(name)
            kind = type(value)
            if kind is str:
                row.append("'" + value if value[:1] in FORMULA_START else value)
            elif kind is int or value is None:
                row.append(value)  # the csv module writes None as an empty cell
            elif kind is datetime:
                row.append(value.isoformat())
            else:
                row.append(csv_cell(value))
        if record.keys() <= header_set:
            row.append("")
        else:
            row.append(csv_cell({k: v for k, v in record.items() if k not in header_set}))
        self._csv.writerow(row)
        if self.count <= self.sample_limit:
            self._keep_sample(record, header_set)
        if self._pending > FLUSH_CHARS:
            self.flush()

    def _keep_sample(self, record: dict[str, Any], header_set: frozenset[str]) -> None:
        for key in record:
            if key not in header_set and displayable(str(key)) not in self.extra_keys:
                self.extra_keys.append(displayable(str(key)))
        self.sample.append({displayable(str(k)): display_cell(v) for k, v in record.items()})

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the PDF shows: the header, then extra keys seen in the first records."""
        return (*(displayable(name) for name in self.header), *self.extra_keys)

    def flush(self) -> None:
        """Write the lines collected so far to the temporary files.

        backslashreplace keeps a lone surrogate (from badly decoded bytes) from failing the
        whole export: in JSON it becomes a valid \\udcxx escape of the same string.
        """
        if self._jsonl_lines:
            self._jsonl_lines.append("")  # so the join ends with a newline
            self.jsonl_file.write("\n".join(self._jsonl_lines).encode("utf-8", "backslashreplace"))
            self._jsonl_lines.clear()
        self.csv_file.write(self._csv_buffer.getvalue().encode("utf-8", "backslashreplace"))
        self._csv_buffer.seek(0)
        self._csv_buffer.truncate()
        self._pending = 0
        self.jsonl_file.flush()
        self.csv_file.flush()

    def close(self) -> None:
        """Close and so delete the temporary files (TemporaryFile has no name on disk)."""
        self.jsonl_file.close()
        self.csv_file.close()
