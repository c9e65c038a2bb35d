"""A signed ZIP: every entry hashed while it is written, then a signed manifest of them all.

Every bundle the subject receives (the access export, the deletion certificate, the
correction report) is one of these, so one verifier (`verify.py`) checks them all. The
signature covers the exact bytes of manifest.json, and the manifest holds each file's size
and SHA-256, so changing any byte of any file is detected without trusting the ZIP itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from requests_app.fulfilment.bundles.keys import ALGORITHM, key_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORMAT = "dsar-bundle"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


class HashingSink:
    """A write-only file that hashes and counts what passes through it to `raw`."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._sha.update(data)
        self.size += len(data)
        self._raw.write(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _check_path(path: str) -> None:
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"unsafe path inside a bundle: {path!r}")


class SignedZip:
    """Write entries into a ZIP one at a time, streamed, then close it with a signed manifest."""

    def __init__(self, out: BinaryIO, *, created_at: datetime) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.created_at = created_at.astimezone(UTC)
        self._date_time = self.created_at.timetuple()[:6]
        self.files: list[FileEntry] = []

    def _info(self, path: str) -> zipfile.ZipInfo:
        _check_path(path)
        info = zipfile.ZipInfo(path, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16  # rw-r--r-- when unpacked on Unix
        return info

    @contextmanager
    def entry(self, path: str) -> Iterator[HashingSink]:
        """Open one entry for writing; its size and hash are recorded when the block ends.

        force_zip64 because the size is not known in advance and may pass 4 GiB.
        """
        with self._zip.open(self._info(path), "w", force_zip64=True) as raw:
            sink = HashingSink(raw)
            yield sink
        self.files.append(FileEntry(path=path, size=sink.size, sha256=sink.hexdigest()))

    def write_bytes(self, path: str, data: bytes) -> None:
        with self.entry(path) as sink:
            sink.write(data)

    def copy_file(self, path: str, source: IO[bytes]) -> None:
        """Copy an open file into an entry in chunks, so memory stays bounded at any size."""
        source.seek(0)
        with self.entry(path) as sink:
            while chunk := source.read(COPY_CHUNK):
                sink.write(chunk)

    def copy_hashed(self, path: str, source: IO[bytes], *, size: int, sha256: str) -> None:
        """Copy a file whose size and SHA-256 were taken while it was written, without hashing again.

        The copy still counts its bytes: a file that is not the size it was when hashed is an
        error, never a manifest that names other bytes than the ZIP holds.
        """
        source.seek(0)
        copied = 0
        with self._zip.open(self._info(path), "w", force_zip64=True) as raw:
            while chunk := source.read(COPY_CHUNK):
                copied += len(chunk)
                raw.write(chunk)
        if copied != size:
            raise OSError(f"{path}: {copied} bytes to copy, {size} were written and hashed")
        self.files.append(FileEntry(path=path, size=size, sha256=sha256))

    def close_signed(self, signing_key: Ed25519PrivateKey, fields: dict[str, Any]) -> bytes:
        """Write manifest.json (with `fields` and every file so far) and its signature; close."""
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at.isoformat(),
            **fields,
            "hash_algorithm": "sha256",
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        # backslashreplace turns a lone surrogate (a badly decoded name) into its JSON escape.
        text = json.dumps(manifest, indent=2, ensure_ascii=False)
        manifest_bytes = text.encode("utf-8", "backslashreplace") + b"\n"
        signature = {
            "algorithm": ALGORITHM,
            "key_id": key_id(signing_key),
            "signed_file": MANIFEST_NAME,
            "signature": base64.b64encode(signing_key.sign(manifest_bytes)).decode("ascii"),
        }
        with self._zip.open(self._info(MANIFEST_NAME), "w") as raw:
            raw.write(manifest_bytes)
        with self._zip.open(self._info(SIGNATURE_NAME), "w") as raw:
            raw.write(json.dumps(signature, indent=2).encode("utf-8") + b"\n")
        self._zip.close()
        return manifest_bytes

    def abort(self) -> None:
        """Close the ZIP after a failure; what was written is incomplete and unsigned."""
        self._zip.close()
