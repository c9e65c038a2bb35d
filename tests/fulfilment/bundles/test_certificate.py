"""The deletion certificate and the correction report: signed ZIPs that say what, never the data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from requests_app.fulfilment.bundles.certificate import write_correction_report, write_deletion_certificate
from requests_app.fulfilment.bundles.inputs import (
    CorrectionOutcome,
    ErasureOutcome,
    FieldChange,
    RecipientRecord,
    StoreRecord,
)
from requests_app.fulfilment.bundles.keys import generate_signing_key
from requests_app.fulfilment.bundles.verify import verify_bundle
from tests.bundle_data import make_context

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

OUTCOMES = [
    ErasureOutcome("accounts", "users", {"delete_row": 1}),
    ErasureOutcome(
        "accounts",
        "invoices",
        {"mask": 12, "hash": 3, "null": 2, "retain": 12},
        retained_reasons=("Tax records are kept for 10 years (German Fiscal Code §147)",),
    ),
    ErasureOutcome("sessions", "cookies", {}),
    ErasureOutcome("billing", "invoices", {"retain": 4}, words="Kept for a legal reason"),
    ErasureOutcome(
        "backups", "-", {}, words="Erased by hand", note="Expires with the 35-day backup rotation", by="Bob Analyst"
    ),
]
NOT_DONE = ErasureOutcome(
    "crm", "-", {}, words="Not erased", done=False, note="The vendor refuses until the contract ends", by="Bob Analyst"
)
SEARCHES = (
    StoreRecord(
        "accounts", "resolve", "Searched", searched_with=(("email", ("x@example.org",)),), found=(("users", 1),)
    ),
    StoreRecord(
        "telemetry", "resolve", "Not searched", done=False, note="Not searched: no user_id is known for the subject"
    ),
    StoreRecord(
        "backups", "erase", "Erased by hand", by="Bob Analyst", at=datetime(2026, 3, 19, 10, 0, tzinfo=UTC),
        note="Expires with the 35-day backup rotation", evidence="rotation-policy.pdf",
    ),
)  # fmt: skip
RECIPIENTS = (
    RecipientRecord("our affiliates", ("accounts.users.email",), "Told", by="Bob Analyst", note="Emailed their DPO"),
    RecipientRecord("authentication provider", ("auth.credentials.email",), "Erased", told_by_system="auth"),
)
CHANGES = [
    CorrectionOutcome(
        "accounts", "users", ("name", "phone"), 1,
        changes=(
            FieldChange("name", ("Ada Lovelace",), "Ada King"),
            FieldChange("phone", ("+44 1",), "+44 20 7946 0000"),
        ),
    ),
    CorrectionOutcome(
        "billing", "invoices", ("name",), 0, refused=(("name", "Issued invoices cannot be altered (tax law)"),),
        changes=(FieldChange("name", (), "Ada King"),), words="Not corrected",
    ),
]  # fmt: skip


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
    assert manifest["outcomes"][1]["action_counts"] == {"mask": 12, "hash": 3, "null": 2, "retain": 12}


def test_the_certificate_says_what_was_done_kept_and_done_by_hand(tmp_path, signing_key):
    path = tmp_path / "certificate.zip"
    context = make_context(request_type="deletion", store_records=SEARCHES, recipients=RECIPIENTS)
    with path.open("wb") as out:
        write_deletion_certificate(out, context, OUTCOMES, signing_key=signing_key)
    text = _pdf_text(path, "certificate.pdf")
    assert "Certificate of erasure" in text
    assert "We have carried out your request in every system" in text
    assert "1 deleted" in text
    assert "12 masked" in text
    assert "German Fiscal Code §147" in text
    # A step a person did is named as such, with who recorded it, never as "nothing found".
    assert "Erased by hand" in text and "Bob Analyst" in text
    assert "35-day backup rotation" in text and "rotation-policy.pdf" in text
    # The record of the search: with which identifiers, and what was not searched, and why.
    assert "email: x@example.org" in text
    assert "no user_id is known for the subject" in text
    # Recipients told (GDPR Art. 19), and one told through its own system.
    assert "our affiliates" in text and "Emailed their DPO" in text
    assert "accounts \u203a users: email" in text  # the fields, under their dataset
    assert "through the auth system itself" in text


def test_the_certificate_uses_one_word_per_erasure_action_in_table_and_legend(tmp_path, signing_key):
    path = tmp_path / "certificate.zip"
    with path.open("wb") as out:
        write_deletion_certificate(out, make_context(request_type="deletion"), OUTCOMES, signing_key=signing_key)
    text = _pdf_text(path, "certificate.pdf").replace("one- way", "one-way")  # a line break in the cell
    for count, word in (("12", "masked"), ("3", "replaced by a one-way hash"), ("2", "emptied"), ("12", "kept")):
        assert f"{count} {word}" in text
        assert f"“{word}”" in text.lower() or f"“{word.capitalize()}”" in text
    assert "nulled" not in text and "hashed" not in text and "kept, as the law requires" not in text
    # A searched store with nothing in it says so; a store done by hand never does.
    assert "nothing found" in text


def test_a_certificate_with_an_erasure_not_done_says_so_and_why(tmp_path, signing_key):
    path = tmp_path / "certificate.zip"
    with path.open("wb") as out:
        write_deletion_certificate(
            out, make_context(request_type="deletion"), [*OUTCOMES, NOT_DONE], signing_key=signing_key
        )
    text = _pdf_text(path, "certificate.pdf")
    assert "We could not erase your data in every system" in text
    assert "Not erased" in text and "The vendor refuses until the contract ends" in text
    assert "We have carried out your request in every system" not in text


def test_the_correction_report_shows_each_field_before_and_after(tmp_path, signing_key):
    path = tmp_path / "correction.zip"
    with path.open("wb") as out:
        write_correction_report(out, make_context(request_type="correction"), CHANGES, signing_key=signing_key)
    assert verify_bundle(path, signing_key.public_key()).ok
    text = _pdf_text(path, "correction-report.pdf")
    assert "users \u203a name" in text and "users \u203a phone" in text  # dataset, a right angle quote, field
    # What each field was and what it is now.
    assert "Ada Lovelace" in text and "Ada King" in text
    assert "+44 20 7946 0000" in text
    assert "Issued invoices cannot be altered (tax law)" in text
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["kind"] == "correction_report"
    assert manifest["changes"][0]["fields_changed"] == ["name", "phone"]
