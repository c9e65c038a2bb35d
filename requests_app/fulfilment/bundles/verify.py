"""Check a bundle: the signature over manifest.json, then every file against the manifest.

Anyone can run this with the published public key. It trusts nothing in the ZIP before the
signature verifies, reads each entry at most one byte past its listed size (so a forged
entry cannot make it read forever), and reports every problem it finds, not just the first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature

from requests_app.fulfilment.bundles.keys import ALGORITHM, key_id
from requests_app.fulfilment.bundles.manifest import COPY_CHUNK, MANIFEST_NAME, SIGNATURE_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_MANIFEST_BYTES = 64 << 20


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    reference: str = ""
    files_checked: int = 0


def _unsafe(name: str) -> bool:
    """An entry that could be unpacked outside the folder it is unpacked in."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts or "\x00" in name


def _read_limited(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with zf.open(name) as entry:
        return entry.read(limit + 1)


def _check_signature(zf: zipfile.ZipFile, public_key: Ed25519PublicKey) -> tuple[bytes | None, list[str]]:
    """Return manifest.json's bytes if its signature verifies, else None and why."""
    names = set(zf.namelist())
    missing = [n for n in (MANIFEST_NAME, SIGNATURE_NAME) if n not in names]
    if missing:
        return None, [f"missing {name}" for name in missing]
    manifest = _read_limited(zf, MANIFEST_NAME, MAX_MANIFEST_BYTES)
    if len(manifest) > MAX_MANIFEST_BYTES:
        return None, [f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES} bytes"]
    try:
        sig = json.loads(_read_limited(zf, SIGNATURE_NAME, 64 << 10))
        signature = base64.b64decode(sig["signature"], validate=True)
        algorithm, signer = sig["algorithm"], sig.get("key_id", "")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return None, [f"{SIGNATURE_NAME} is not readable: {exc}"]
    if algorithm != ALGORITHM:
        return None, [f"{SIGNATURE_NAME} uses {algorithm!r}, expected {ALGORITHM}"]
    problems = []
    if signer != key_id(public_key):
        problems.append(f"signed with key {signer!r}, but the public key given is {key_id(public_key)!r}")
    try:
        public_key.verify(signature, manifest)
    except InvalidSignature:
        return None, [*problems, f"the signature does not match {MANIFEST_NAME}: it was changed or not signed by us"]
    return manifest, problems


def _check_file(zf: zipfile.ZipFile, listed: dict[str, Any]) -> str | None:
    """Compare one entry's size and SHA-256 with what the manifest lists; None when it matches."""
    path, size, expected = str(listed.get("path")), int(listed.get("size", -1)), str(listed.get("sha256"))
    sha, seen = hashlib.sha256(), 0
    try:
        with zf.open(path) as entry:
            while seen <= size and (chunk := entry.read(min(COPY_CHUNK, size + 1 - seen))):
                sha.update(chunk)
                seen += len(chunk)
    except KeyError:
        return f"{path}: listed in the manifest but missing from the ZIP"
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        return f"{path}: cannot be read ({exc})"
    if seen > size:
        return f"{path}: larger than the {size} bytes listed in the manifest"
    if seen < size:
        return f"{path}: {seen} bytes, not the {size} listed in the manifest"
    if sha.hexdigest() != expected:
        return f"{path}: SHA-256 does not match the manifest (the file was changed)"
    return None


def _verify_zip(zf: zipfile.ZipFile, public_key: Ed25519PublicKey) -> VerifyReport:
    names = zf.namelist()
    problems = [f"unsafe entry name {name!r}" for name in names if _unsafe(name)]
    problems += [f"entry {name!r} appears more than once" for name, n in Counter(names).items() if n > 1]
    manifest_bytes, signature_problems = _check_signature(zf, public_key)
    problems += signature_problems
    if manifest_bytes is None:
        return VerifyReport(ok=False, problems=problems)
    try:
        manifest = json.loads(manifest_bytes)
        files = list(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        return VerifyReport(ok=False, problems=[*problems, f"{MANIFEST_NAME} is not readable: {exc}"])
    listed = {str(entry.get("path")) for entry in files}
    problems += [p for entry in files if (p := _check_file(zf, entry))]
    extra = sorted(set(names) - listed - {MANIFEST_NAME, SIGNATURE_NAME})
    problems += [f"{name}: in the ZIP but not listed in the manifest" for name in extra]
    return VerifyReport(
        ok=not problems, problems=problems, reference=str(manifest.get("reference", "")), files_checked=len(files)
    )


def verify_bundle(path_or_file: str | Path | IO[bytes], public_key: Ed25519PublicKey) -> VerifyReport:
    """Verify a bundle ZIP (access export, deletion certificate or correction report)."""
    try:
        with zipfile.ZipFile(path_or_file) as zf:
            return _verify_zip(zf, public_key)
    except (zipfile.BadZipFile, OSError) as exc:
        return VerifyReport(ok=False, problems=[f"not a readable ZIP file: {exc}"])
