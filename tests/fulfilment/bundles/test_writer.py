"""The access bundle as the subject receives it: files, manifest, signature, CSV and PDF."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.exceptions import InvalidSignature
from pypdf import PdfReader

from requests_app.fulfilment.bundles.keys import generate_signing_key, key_id
from requests_app.fulfilment.bundles.verify import verify_bundle
from requests_app.fulfilment.bundles.writer import BundleError, BundleSummary, write_access_bundle
from tests import bundle_data
from tests.bundle_data import FORMULAS, MARKUP, SUBJECT_NAME, make_context, records, write_test_bundle

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@pytest.fixture(scope="module")
def signing_key() -> Ed25519PrivateKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, signing_key: Ed25519PrivateKey) -> tuple[Path, BundleSummary]:
    path = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    return path, write_test_bundle(path, signing_key)


@pytest.fixture(scope="module")
def zf(bundle: tuple[Path, BundleSummary]) -> zipfile.ZipFile:
    return zipfile.ZipFile(bundle[0])


@pytest.fixture(scope="module")
def manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(zf.read("manifest.json"))


@pytest.fixture(scope="module")
def pdf_text(zf: zipfile.ZipFile) -> str:
    reader = PdfReader(io.BytesIO(zf.read("report.pdf")))
    return "\n".join(page.extract_text() for page in reader.pages)


def _csv_rows(zf: zipfile.ZipFile, manifest: dict[str, Any], system: str, dataset: str) -> list[dict[str, str]]:
    entry = next(d for d in manifest["datasets"] if (d["system"], d["dataset"]) == (system, dataset))
    path = next(p for p in entry["files"] if p.endswith(".csv"))
    return list(csv.DictReader(io.StringIO(zf.read(path).decode("utf-8"), newline="")))


def test_every_file_in_the_zip_matches_its_size_and_hash_in_the_manifest(zf, manifest):
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(zf.namelist()) == {*listed, "manifest.json", "manifest.sig"}
    for path, entry in listed.items():
        data = zf.read(path)
        assert len(data) == entry["size"], path
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], path


def test_the_manifest_names_the_request_the_data_map_and_the_format(manifest):
    assert manifest["reference"] == "DSR-7KQ2-M9XD"
    assert manifest["datamap_version"] == "2026-03-01.1"
    assert manifest["format_version"] == 1
    assert manifest["kind"] == "access"
    assert manifest["created_at"]


def test_the_signature_verifies_with_the_public_key_and_not_after_a_byte_changes(zf, signing_key):
    signature = json.loads(zf.read("manifest.sig"))
    assert signature["algorithm"] == "Ed25519"
    assert signature["key_id"] == key_id(signing_key)
    raw = base64.b64decode(signature["signature"])
    manifest_bytes = zf.read("manifest.json")
    signing_key.public_key().verify(raw, manifest_bytes)
    with pytest.raises(InvalidSignature):
        signing_key.public_key().verify(raw, bundle_data.flip_byte(manifest_bytes, 40))


def test_the_summary_counts_each_dataset_and_lists_the_files(bundle, manifest):
    _, summary = bundle
    assert summary.counts[("accounts", "api_requests")] == bundle_data.LONG_TABLE
    assert summary.counts[("sessions", "CON")] == 3
    assert summary.counts[("accounts", "users")] == 1
    assert summary.total_records == sum(summary.counts.values()) == bundle_data.LONG_TABLE + 7
    assert [(f.path, f.size, f.sha256) for f in summary.files] == [
        (f["path"], f["size"], f["sha256"]) for f in manifest["files"]
    ]
    assert summary.zip_size == bundle[0].stat().st_size


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(zf, manifest):
    (user,) = _csv_rows(zf, manifest, "accounts", "users")
    assert user["company"] == "'" + FORMULAS[0]
    assert user["phone"] == "'+1 555 0100"
    assert user["balance"] == "-12.50"  # a number, not text: left as it is
    assert json.loads(user["_extra"]) == {"legacy_flag": "@SUM(A1)"}
    notes = [row["note"] for row in _csv_rows(zf, manifest, "accounts", "api_requests")[:2]]
    assert notes == ["'@SUM(A1)", "'-2+3"]
    (hostile,) = _csv_rows(zf, manifest, "../../etc", "../passwd")
    assert hostile["segment"].startswith("'=cmd")


def test_the_json_lines_keep_every_value_as_it_was(zf, manifest):
    entry = next(d for d in manifest["datasets"] if d["dataset"] == "users" and d["system"] == "accounts")
    (line,) = zf.read(entry["files"][0]).decode("utf-8").splitlines()
    record = json.loads(line)
    assert record["company"] == FORMULAS[0]
    assert record["name"] == SUBJECT_NAME
    assert record["created_at"] == "2021-05-04T12:00:00+00:00"
    assert record["balance"] == "-12.50"


def test_csv_header_is_the_data_maps_fields_then_extra(zf, manifest):
    entry = next(d for d in manifest["datasets"] if d["dataset"] == "api_requests")
    header = zf.read(entry["files"][1]).decode("utf-8").splitlines()[0]
    assert header == "id,at,path,ip,user_agent,note,_extra"


def test_file_names_from_hostile_data_stay_in_their_folder(zf, tmp_path):
    for name in zf.namelist():
        parts = name.split("/")
        assert ".." not in parts and not name.startswith("/") and "\x00" not in name and "\\" not in name
        if parts[0] == "data":
            assert len(parts) == 3, name
            assert parts[2].split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}, name
    target = tmp_path / "unpacked"
    zf.extractall(target)
    for path in target.rglob("*"):
        assert path.resolve().is_relative_to(target.resolve())


def test_names_that_differ_only_in_case_get_separate_files(manifest):
    folders = {d["dataset"]: d["files"][0] for d in manifest["datasets"] if d["system"].startswith("unmapped")}
    assert folders["Users"].casefold() != folders["users"].casefold()


def test_the_report_holds_every_item_article_15_requires(pdf_text):
    text = " ".join(pdf_text.split()).casefold()
    for item in (
        "purposes",
        "categories of personal data",
        "recipients",
        "retention",
        "source",
        "automated decision-making",
        "safeguards for transfers",
        "right to rectify",
        "right to erase",
        "right to restrict",
        "right to object",
        "right to complain to a supervisory authority",
        "data protection commission (ireland)",
        "standard contractual clauses",
        "data broker (example leads inc.)",
    ):
        assert item in text, item


def test_the_report_gives_each_systems_counts_and_points_to_the_files(pdf_text):
    text = " ".join(pdf_text.split())
    assert "api_requests: 300 records" in text
    assert "users: 1 record" in text
    assert "CON: 3 records" in text
    assert "System: ../../etc" in text
    assert "There are 300 records in this dataset; the first 50 are shown here" in text
    assert "data/accounts/api_requests.csv" in "".join(text.split())  # a long path wraps


def test_the_report_is_a_tagged_pdf_with_title_language_and_outline(zf):
    reader = PdfReader(io.BytesIO(zf.read("report.pdf")))
    root = reader.root_object
    assert root["/MarkInfo"]["/Marked"]  # type: ignore[index]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert reader.metadata is not None
    assert str(reader.metadata.title).startswith("Your personal data held by")
    titles = _outline_titles(reader.outline)
    for expected in ("Your rights", "Right to object", "System: accounts", "Where the data came from (source)"):
        assert any(title.startswith(expected) for title in titles), expected


def _outline_titles(outline: list[Any]) -> list[str]:
    titles: list[str] = []
    for item in outline:
        titles.extend(_outline_titles(item) if isinstance(item, list) else [item.title])
    return titles


def test_markup_in_a_record_is_printed_as_text_and_never_fetched(pdf_text):
    assert "".join(MARKUP.split()) in "".join(pdf_text.split())  # the cell wraps, so compare without spaces


def test_records_arriving_for_a_dataset_the_data_map_lacks_use_their_keys_as_header(zf, manifest):
    rows = _csv_rows(zf, manifest, "unmapped\x00system/..", "Users")
    assert rows == [{"x": "1", "_extra": ""}]


def test_a_record_that_is_not_a_dict_is_refused(tmp_path, signing_key):
    with (tmp_path / "b.zip").open("wb") as out, pytest.raises(BundleError, match="not a dict"):
        write_access_bundle(out, make_context(), [("accounts", "users", ["x"])], signing_key=signing_key)  # type: ignore[list-item]


def test_a_bundle_can_be_written_to_a_stream_that_cannot_seek(tmp_path, signing_key):
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self.buffer += bytes(data)
            return len(data)

    pipe = Pipe()
    summary = write_access_bundle(pipe, make_context(), records(api_requests=5), signing_key=signing_key)  # type: ignore[arg-type]
    assert summary.zip_size == len(pipe.buffer)
    path = tmp_path / "piped.zip"
    path.write_bytes(pipe.buffer)
    assert verify_bundle(path, signing_key.public_key()).ok


def test_a_bundle_with_no_records_still_has_a_report_and_a_valid_signature(tmp_path, signing_key):
    path = tmp_path / "empty.zip"
    with path.open("wb") as out:
        summary = write_access_bundle(out, make_context(), iter(()), signing_key=signing_key)
    assert summary.total_records == 0
    report = verify_bundle(path, signing_key.public_key())
    assert report.ok, report.problems
    assert report.files_checked == 2  # README.txt and report.pdf


def test_a_badly_decoded_string_does_not_fail_the_export_and_survives_in_json(tmp_path, signing_key):
    broken = b"caf\xe9".decode("utf-8", "surrogateescape")  # "caf\udce9"
    path = tmp_path / "surrogate.zip"
    with path.open("wb") as out:
        write_access_bundle(out, make_context(), [("accounts", "users", {"name": broken})], signing_key=signing_key)
    with zipfile.ZipFile(path) as archive:
        line = archive.read("data/accounts/users.jsonl").decode("utf-8")
    assert json.loads(line)["name"] == broken


def test_a_badly_decoded_name_and_key_from_the_records_still_render(tmp_path, signing_key):
    broken = b"\xff".decode("utf-8", "surrogateescape")
    path = tmp_path / "names.zip"
    with path.open("wb") as out:
        summary = write_access_bundle(
            out, make_context(), [(f"sys{broken}", f"ds{broken}", {f"k{broken}": broken})], signing_key=signing_key
        )
    assert summary.total_records == 1
    assert verify_bundle(path, signing_key.public_key()).ok
