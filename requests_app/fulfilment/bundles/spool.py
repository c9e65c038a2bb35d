"""One dataset's records streamed to temporary files as JSON Lines and CSV while they arrive.

A ZIP can be written one entry at a time only, and records come interleaved across datasets,
so each dataset is spooled to disk and copied into the ZIP at the end. Only the count and the
first few records (for the PDF) stay in memory, so memory is bounded whatever the volume.
"""

from __future__ import annotations

import base64
import csv
import hashlib
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
# What that encoder writes for a str (ensure_ascii=False): the C function where CPython has it.
_encode_string = json.encoder.encode_basestring


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


# A store's rows share one shape; a few shapes per dataset at most. Past this many, the rows
# take the general path instead of growing the table of shapes without bound.
MAX_SHAPES = 32


@dataclass(frozen=True)
class _Shape:
    """How the records with one sequence of keys become a JSON line and a CSV row.

    Worked out once per sequence of keys, so a record costs one pass over its values: each
    value is encoded once for JSON and once for CSV (an ISO date is formatted once for both).
    """

    json_keys: tuple[tuple[int, str], ...]  # (position in the record, '"key": ') of every key kept
    csv_positions: tuple[int, ...]  # the position of each header column in the record, -1 if missing
    extra: tuple[int, ...]  # positions of kept keys that are not in the header


@dataclass
class DatasetSpool:
    """Spool of one (system, dataset): two temporary files, a count and the first records.

    Each file is hashed and measured while it is written, so the ZIP copy need not read it twice.
    ``withheld`` names fields never disclosed: they are dropped from every record here.
    """

    system: str
    dataset: str
    folder: str
    stem: str
    header: tuple[str, ...]
    sample_limit: int
    tmp_dir: Path | str | None = None
    withheld: frozenset[str] = frozenset()
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
        self.jsonl_sha256 = hashlib.sha256()
        self.csv_sha256 = hashlib.sha256()
        self.jsonl_size = 0
        self.csv_size = 0
        # Lines collect in memory and go to disk every FLUSH_CHARS: far fewer calls than one
        # write per record, and no TextIOWrapper (which resets a decoder on every write to a
        # readable file: a third of the time per record).
        self._jsonl_lines: list[str] = []
        self._csv_rows: list[list[Any]] = []
        self._csv_buffer = io.StringIO()
        self._csv = csv.writer(self._csv_buffer)
        self._pending = 0
        self._shapes: dict[tuple[Any, ...], _Shape | None] = {}
        # Column names come from the map or from the store's own keys: neutralised like cells.
        self._csv.writerow([csv_cell(name) for name in (*self.header, extra)])

    @property
    def jsonl_path(self) -> str:
        return f"data/{self.folder}/{self.stem}.jsonl"

    @property
    def csv_path(self) -> str:
        return f"data/{self.folder}/{self.stem}.csv"

    def _shape(self, keys: tuple[Any, ...]) -> _Shape | None:
        """The plan for records with these keys in this order; None: take the general path."""
        if any(type(key) is not str for key in keys):
            return None  # json turns other keys into text its own way (or refuses them)
        kept = [(i, key) for i, key in enumerate(keys) if key not in self.withheld]
        where = {key: i for i, key in kept}
        return _Shape(
            json_keys=tuple((i, _encode_string(key) + ": ") for i, key in kept),
            csv_positions=tuple(where.get(name, -1) for name in self.header),
            extra=tuple(i for i, key in kept if key not in self._header_set),
        )

    def add(self, record: dict[str, Any]) -> None:
        keys = tuple(record)
        try:
            shape = self._shapes[keys]
        except KeyError:
            shape = self._shape(keys) if len(self._shapes) < MAX_SHAPES else None
            if len(self._shapes) < MAX_SHAPES:
                self._shapes[keys] = shape
        if shape is None:
            self._add_general(record)
            return
        self.count += 1
        values = tuple(record.values())
        # One pass over the values: the JSON text of each (as json.JSONEncoder writes it inside
        # an object) and its CSV cell. Inlined for the common types: this loop is most of the
        # export's time.
        texts: list[Any] = list(values)
        parts = []
        for index, key in shape.json_keys:
            value = values[index]
            kind = type(value)
            if kind is str:
                parts.append(key + _encode_string(value))
                if value[:1] in FORMULA_START:
                    texts[index] = "'" + value
            elif kind is int:
                parts.append(key + int.__repr__(value))
            elif value is None:
                parts.append(key + "null")  # the csv module writes None as an empty cell
            elif kind is datetime:
                text = value.isoformat()  # ISO text never needs a JSON escape
                parts.append(key + '"' + text + '"')
                texts[index] = text
            else:
                parts.append(key + _json(value))
                texts[index] = csv_cell(value)
        line = "{" + ", ".join(parts) + "}"
        self._jsonl_lines.append(line)
        self._pending += len(line)
        row = [texts[i] if i >= 0 else None for i in shape.csv_positions]
        row.append(_json({keys[i]: values[i] for i in shape.extra}) if shape.extra else "")
        self._csv_rows.append(row)
        if self.count <= self.sample_limit:
            kept = {keys[i]: values[i] for i, _ in shape.json_keys} if self.withheld else record
            self._keep_sample(kept, self._header_set)
        if self._pending > FLUSH_CHARS:
            self.flush()

    def _add_general(self, record: dict[str, Any]) -> None:
        """Any record, whatever its keys: the reference the shaped path must match byte for byte."""
        if self.withheld:
            record = {key: value for key, value in record.items() if key not in self.withheld}
        self.count += 1
        line = _json(record)
        self._jsonl_lines.append(line)
        self._pending += len(line)
        header_set = self._header_set
        row: list[Any] = []
        for name in self.header:
            value: Any = record.get(name)
            row.append(None if value is None else csv_cell(value))
        if record.keys() <= header_set:
            row.append("")
        else:
            row.append(csv_cell({k: v for k, v in record.items() if k not in header_set}))
        self._csv_rows.append(row)
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
        """Write the lines collected so far to the temporary files, hashing what is written.

        backslashreplace keeps a lone surrogate (from badly decoded bytes) from failing the
        whole export: in JSON it becomes a valid \\udcxx escape of the same string.
        """
        if self._jsonl_lines:
            self._jsonl_lines.append("")  # so the join ends with a newline
            data = "\n".join(self._jsonl_lines).encode("utf-8", "backslashreplace")
            self._jsonl_lines.clear()
            self.jsonl_sha256.update(data)
            self.jsonl_size += len(data)
            self.jsonl_file.write(data)
        if self._csv_rows:
            self._csv.writerows(self._csv_rows)
            self._csv_rows.clear()
        data = self._csv_buffer.getvalue().encode("utf-8", "backslashreplace")
        self._csv_buffer.seek(0)
        self._csv_buffer.truncate()
        self.csv_sha256.update(data)
        self.csv_size += len(data)
        self.csv_file.write(data)
        self._pending = 0
        self.jsonl_file.flush()
        self.csv_file.flush()

    def close(self) -> None:
        """Close and so delete the temporary files (TemporaryFile has no name on disk)."""
        self.jsonl_file.close()
        self.csv_file.close()
