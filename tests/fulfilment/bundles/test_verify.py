"""verify_bundle and `manage.py verify_bundle`: a genuine bundle passes, any change is named."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING

import pytest

from requests_app.fulfilment.bundles.keys import (
    BundleKeyError,
    generate_signing_key,
    load_public_key,
    load_signing_key,
    private_key_pem,
    public_key_pem,
)
from requests_app.fulfilment.bundles.verify import verify_bundle
from tests.bundle_data import flip_byte, rewrite_zip, write_test_bundle
from tests.paths import ROOT as PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = PROJECT_ROOT
DATA_FILE = "data/accounts/api_requests.csv"


@pytest.fixture(scope="module")
def signing_key() -> Ed25519PrivateKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, signing_key: Ed25519PrivateKey) -> Path:
    path = tmp_path_factory.mktemp("verify") / "bundle.zip"
    write_test_bundle(path, signing_key)
    return path


def _read(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)


def test_a_genuine_bundle_verifies(bundle, signing_key):
    report = verify_bundle(bundle, signing_key.public_key())
    assert report.ok, report.problems
    assert report.reference == "DSR-7KQ2-M9XD"
    assert report.files_checked == len(json.loads(_read(bundle, "manifest.json"))["files"])


def test_one_changed_byte_in_the_manifest_breaks_the_signature(bundle, signing_key, tmp_path):
    forged = tmp_path / "forged.zip"
    rewrite_zip(bundle, forged, replace={"manifest.json": flip_byte(_read(bundle, "manifest.json"), 60)})
    report = verify_bundle(forged, signing_key.public_key())
    assert not report.ok
    assert any("signature does not match" in p for p in report.problems)


def test_one_changed_byte_in_a_data_file_is_a_hash_mismatch(bundle, signing_key, tmp_path):
    forged = tmp_path / "forged.zip"
    rewrite_zip(bundle, forged, replace={DATA_FILE: flip_byte(_read(bundle, DATA_FILE), 100)})
    report = verify_bundle(forged, signing_key.public_key())
    assert report.problems == [f"{DATA_FILE}: SHA-256 does not match the manifest (the file was changed)"]


def test_a_flipped_byte_in_the_zip_file_itself_is_caught(bundle, signing_key, tmp_path):
    data = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo(DATA_FILE)
    forged = tmp_path / "flipped.zip"
    forged.write_bytes(flip_byte(data, info.header_offset + 200))
    report = verify_bundle(forged, signing_key.public_key())
    assert not report.ok
    assert any(p.startswith(DATA_FILE) for p in report.problems), report.problems


def test_a_shorter_or_missing_file_and_an_unlisted_file_are_each_named(bundle, signing_key, tmp_path):
    forged = tmp_path / "forged.zip"
    rewrite_zip(
        bundle,
        forged,
        replace={DATA_FILE: _read(bundle, DATA_FILE)[:-10]},
        add={"data/accounts/extra.csv": b"a,b\n", "../outside.txt": b"x"},
    )
    report = verify_bundle(forged, signing_key.public_key())
    assert any(p.startswith(f"{DATA_FILE}: ") and "not the" in p for p in report.problems)
    assert "data/accounts/extra.csv: in the ZIP but not listed in the manifest" in report.problems
    assert "unsafe entry name '../outside.txt'" in report.problems


def test_another_key_does_not_verify(bundle):
    report = verify_bundle(bundle, generate_signing_key().public_key())
    assert not report.ok
    assert any("signed with key" in p for p in report.problems)


def test_a_file_that_is_not_a_zip_is_a_problem_not_a_crash(tmp_path, signing_key):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    report = verify_bundle(junk, signing_key.public_key())
    assert not report.ok and report.problems[0].startswith("not a readable ZIP file")


def test_keys_load_from_pem_and_from_raw_bytes(signing_key):
    assert load_signing_key(private_key_pem(signing_key)).public_key() == signing_key.public_key()
    assert load_public_key(public_key_pem(signing_key)) == signing_key.public_key()
    with pytest.raises(BundleKeyError):
        load_signing_key(b"too short")


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_bundle", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_command_prints_ok_and_exits_0_for_a_genuine_bundle(bundle, signing_key, tmp_path):
    pem = tmp_path / "public.pem"
    pem.write_bytes(public_key_pem(signing_key))
    result = _command(str(bundle), "--public-key", str(pem))
    files = len(json.loads(_read(bundle, "manifest.json"))["files"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK DSR-7KQ2-M9XD {files} files"


def test_the_command_prints_each_problem_and_exits_1_for_a_changed_bundle(bundle, signing_key, tmp_path):
    pem = tmp_path / "public.pem"
    pem.write_bytes(public_key_pem(signing_key))
    forged = tmp_path / "forged.zip"
    rewrite_zip(bundle, forged, replace={DATA_FILE: b"changed"}, add={"extra.txt": b"x"})
    result = _command(str(forged), "--public-key", str(pem))
    assert result.returncode == 1
    assert f"{DATA_FILE}: 7 bytes, not the" in result.stderr
    assert "extra.txt: in the ZIP but not listed in the manifest" in result.stderr


def test_without_a_key_the_command_checks_against_this_installations_own_key(bundle):
    # The test bundle was signed with a key of its own, not this installation's.
    result = _command(str(bundle))
    assert result.returncode == 1
    assert "not signed by us" in result.stderr


def test_the_readme_commands_check_the_signature_with_openssl(bundle, signing_key, tmp_path):
    """What README.txt tells the subject to type works, on the files as unpacked."""
    assert shutil.which("openssl"), "Debian's openssl package"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    (tmp_path / "public-key.pem").write_bytes(public_key_pem(signing_key))
    lines = [line.strip() for line in (tmp_path / "README.txt").read_text().splitlines()]
    decode, verify = (shlex.split(line) for line in lines if line.startswith(("python3 -c", "openssl ")))
    subprocess.run([sys.executable, *decode[1:]], cwd=tmp_path, check=True)
    result = subprocess.run(verify, cwd=tmp_path, capture_output=True, text=True)
    assert "Signature Verified Successfully" in result.stdout, result.stderr
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(flip_byte(manifest.read_bytes(), 30))
    assert subprocess.run(verify, cwd=tmp_path, capture_output=True).returncode != 0
