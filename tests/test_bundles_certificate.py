"""The deletion certificate and the correction report: signed ZIPs that say what, never the data."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from requests_app.bundles.certificate import write_correction_report, write_deletion_certificate
from requests_app.bundles.inputs import CorrectionOutcome, ErasureOutcome
from requests_app.bundles.keys import generate_signing_key
from requests_app.bundles.verify import verify_bundle
from tests.bundle_data import make_context

OUTCOMES = [
    ErasureOutcome("accounts", "users", {"delete_row": 1}),
    ErasureOutcome(
        "accounts",
        "invoices",
        {"mask": 12, "retain": 12},
        retained_reasons=("Tax records are kept for 10 years (German Fiscal Code §147)",),
    ),
    ErasureOutcome("backups", "nightly", {}, status="manual", note="Expires with the 35-day backup rotation"),
    ErasureOutcome("crm", "contacts", {"delete_row": 0}, status="failed", note="The CRM API timed out; retrying"),
]
CHANGES = [
    CorrectionOutcome("accounts", "users", ("name", "phone"), 1),
    CorrectionOutcome("billing", "invoices", (), 0, refused=(("name", "Issued invoices cannot be altered (tax law)"),)),
]


@pytest.fixture(scope="module")
def signing_key() -> Ed25519PrivateKey:
    return generate_signing_key()


def _pdf_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as zf:
        reader = PdfReader(io.BytesIO(zf.read(name)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_deletion_certificate_is_signed_and_verifies(tmp_path, signing_key):
    path = tmp_path / "certificate.zip"
    with path.open("wb") as out:
        write_deletion_certificate(out, make_context(request_type="deletion"), OUTCOMES, signing_key=signing_key)
    report = verify_bundle(path, signing_key.public_key())
    assert report.ok, report.problems
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "certificate.pdf", "manifest.json", "manifest.sig"]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["kind"] == "deletion_certificate"
    assert manifest["outcomes"][1]["action_counts"] == {"mask": 12, "retain": 12}


def test_the_certificate_says_what_was_done_kept_and_left_open(tmp_path, signing_key):
    path = tmp_path / "certificate.zip"
    with path.open("wb") as out:
        write_deletion_certificate(out, make_context(request_type="deletion"), OUTCOMES, signing_key=signing_key)
    text = _pdf_text(path, "certificate.pdf")
    assert "Certificate of erasure" in text
    assert "1 deleted" in text
    assert "12 masked" in text
    assert "German Fiscal Code §147" in text
    assert "Done by hand by our staff" in text
    assert "Not done yet" in text
    assert "35-day backup rotation" in text


def test_the_correction_report_names_fields_and_counts_not_values(tmp_path, signing_key):
    path = tmp_path / "correction.zip"
    with path.open("wb") as out:
        write_correction_report(out, make_context(request_type="correction"), CHANGES, signing_key=signing_key)
    assert verify_bundle(path, signing_key.public_key()).ok
    text = _pdf_text(path, "correction-report.pdf")
    assert "name, phone" in text
    assert "Issued invoices cannot be altered (tax law)" in text
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["kind"] == "correction_report"
    assert manifest["changes"][0]["fields_changed"] == ["name", "phone"]
