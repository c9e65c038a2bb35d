"""The data files of an access bundle hold exactly what a plain, record-by-record export writes.

The writer encodes each record once, by a plan worked out per sequence of keys, and hashes
each file while it is spooled. The reference here is the straightforward way: json.dumps of
the record without its withheld fields, and a csv.writer row of the header's cells plus the
other keys as JSON. Every record shape the stores send is covered: the mapped order, keys
missing, reordered or extra, withheld fields, values of every type, lone surrogates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from requests_app.datamap.schema import Dataset, Field, System
from requests_app.fulfilment.bundles.keys import generate_signing_key
from requests_app.fulfilment.bundles.spool import MAX_SHAPES, csv_cell, json_default
from requests_app.fulfilment.bundles.verify import verify_bundle
from requests_app.fulfilment.bundles.writer import write_access_bundle
from tests.bundle_data import make_context

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class Text(str):
    pass


class Moment(datetime):
    pass


VALUES: tuple[Any, ...] = (
    None, 0, -5, 2**70, True, False, 1.5, float("nan"), float("-inf"), -0.0, "", "ok", "=1+1", "-2", "+x",
    "@a", "\tx", "\rx", 'quote " back \\ newline \n', "lone \ud800 surrogate", "Зоя 李小龙", Text("=sub"),
    datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 1, 2, 3, 456), Moment(2025, 1, 1), date(2024, 2, 3),
    time(1, 2), Decimal("1.10"), UUID(int=5), b"\x00\xff", {"a": [1, "=x"]}, [1, None], (2, 3), {3, 1},
)  # fmt: skip
HEADER = ("id", "at", "path", "note")
SECRET = "password_hash"


def _field(name: str, **overrides: Any) -> Field:
    values: dict[str, Any] = {
        "name": name, "category": "usage data", "purpose": "Operating the API", "legal_basis": "Contract",
        "recipients": (), "retention": "90 days", "source": "you", "correctable": False, "erasure": "delete_row",
    }  # fmt: skip
    return Field(**{**values, **overrides})


def _context() -> Any:
    fields = (*(_field(n) for n in HEADER), _field(SECRET, disclose="never", disclose_reason="Security"))
    api = System(
        name="api",
        description="",
        kind="sql",
        connection={},
        datasets=(Dataset(name="requests", description="", locator={}, fields=fields),),
    )
    return replace(make_context(), systems=(api,))


def _record(index: int) -> dict[str, Any]:
    """Mostly the mapped shape, as a SQL store sends it; every tenth record another shape."""
    value = VALUES[index % len(VALUES)]
    other = VALUES[(index * 7) % len(VALUES)]
    shape = index % 10
    if shape == 1:
        return {"note": value, "id": index, "path": other}  # reordered, "at" missing
    if shape == 2:
        return {"id": index, "at": value, "path": other, "note": value, "legacy": other, "_extra": value}
    if shape == 3:
        return {"id": index, SECRET: "$argon2id$secret", "note": value}
    if shape == 4:
        return {}
    if shape == 5:
        return {f"k{index % (MAX_SHAPES * 2)}": value, "id": index}  # more shapes than the writer plans
    return {"id": index, "at": value, "path": other, "note": value, SECRET: "$argon2id$secret"}


def _records(count: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for index in range(count):
        yield "api", "requests", _record(index)
        if index % 3 == 0:
            # No data map fields: the first record's keys make the header.
            thing: dict[Any, Any] = {"b": VALUES[index % len(VALUES)], "a": index, index % 4: "number key"}
            yield "unmapped", "things", thing


def _reference(records: list[dict[str, Any]], header: tuple[str, ...], withheld: frozenset[str]) -> tuple[bytes, bytes]:
    jsonl, text = io.StringIO(), io.StringIO()
    writer = csv.writer(text)
    writer.writerow([csv_cell(name) for name in (*header, "_extra" if "_extra" not in header else "__extra")])
    for full in records:
        record = {k: v for k, v in full.items() if k not in withheld}
        jsonl.write(json.dumps(record, ensure_ascii=False, default=json_default) + "\n")
        extra = {k: v for k, v in record.items() if k not in header}
        writer.writerow(
            [*(csv_cell(record[name]) if name in record else "" for name in header), csv_cell(extra) if extra else ""]
        )
    return jsonl.getvalue().encode("utf-8", "backslashreplace"), text.getvalue().encode("utf-8", "backslashreplace")


@pytest.mark.parametrize("count", [1, 5_000])
def test_data_files_match_a_plain_export_byte_for_byte(tmp_path: Path, count: int) -> None:
    key = generate_signing_key()
    path = tmp_path / "bundle.zip"
    with path.open("wb") as out:
        summary = write_access_bundle(out, _context(), _records(count), signing_key=key)

    api = [r for s, _, r in _records(count) if s == "api"]
    unmapped = [r for s, _, r in _records(count) if s == "unmapped"]
    expected = {
        "data/api/requests": _reference(api, HEADER, frozenset({SECRET})),
        "data/unmapped/things": _reference(unmapped, tuple(str(k) for k in unmapped[0]), frozenset()),
    }
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        hashes = {f["path"]: (f["size"], f["sha256"]) for f in manifest["files"]}
        for stem, (jsonl, table) in expected.items():
            for name, data in ((f"{stem}.jsonl", jsonl), (f"{stem}.csv", table)):
                assert bundle.read(name) == data, name
                assert hashes[name] == (len(data), hashlib.sha256(data).hexdigest()), name
    assert SECRET.encode() not in expected["data/api/requests"][0]
    assert summary.counts == {("api", "requests"): len(api), ("unmapped", "things"): len(unmapped)}
    assert verify_bundle(path, key.public_key()).ok


def test_a_spooled_file_that_changed_before_the_copy_fails_the_bundle(tmp_path: Path) -> None:
    """The manifest's hash is taken as the file is spooled: bytes that differ at copy time stop it."""
    from requests_app.fulfilment.bundles.manifest import SignedZip

    source = io.BytesIO(b"written and hashed, then one byte more")
    with (tmp_path / "b.zip").open("wb") as out:
        bundle = SignedZip(out, created_at=datetime.now(UTC))
        with pytest.raises(OSError, match="were written and hashed"):
            bundle.copy_hashed("data/a.jsonl", source, size=10, sha256=hashlib.sha256(b"x").hexdigest())
        bundle.abort()
        assert bundle.files == []
