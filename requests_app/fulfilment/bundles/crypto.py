"""Encryption at rest for bundles: AES-256-GCM in sealed chunks, streamed both ways.

A bundle can be several GB, so it is never held whole: the file is cut into chunks of
CHUNK_SIZE, each sealed on its own (the STREAM construction of Hoang, Reyhanitabar, Rogaway
and Vizár, "Online Authenticated-Encryption", 2015). Every chunk's nonce is a random
per-file prefix plus the chunk's index, and its associated data holds the file header, the
index and whether it is the last chunk, so changing, dropping, reordering or truncating
chunks, or appending to the file, all fail to decrypt.

Layout:  header = MAGIC (8) | key id (8) | nonce prefix (8) | chunk size (4, big-endian)
         then per chunk: flag (1: 0 more, 1 last) | ciphertext length (4) | ciphertext+tag
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"DSARENC1"
CHUNK_SIZE = 1 << 20
KEY_BYTES = 32
TAG_BYTES = 16
_HEADER = struct.Struct(">8s8s8sI")
_FRAME = struct.Struct(">BI")
_MAX_CHUNK = 64 << 20  # refuse headers that would make the reader allocate absurd buffers


class BundleDecryptError(Exception):
    """The file is not ours, was made with another key, or was changed or cut short."""


def parse_key(text: str | bytes) -> bytes:
    """Read a 32-byte AES key given as base64 (standard or URL-safe), e.g. from the environment."""
    raw = text.strip() if isinstance(text, bytes) else text.strip().encode("ascii", "replace")
    try:
        key = base64.b64decode(raw.replace(b"-", b"+").replace(b"_", b"/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the bundle encryption key is not base64: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"the bundle encryption key must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def generate_key() -> str:
    """Return a new key as base64 text, the form parse_key reads."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def encryption_key_id(key: bytes) -> bytes:
    """Name a key without revealing it, so a file made with an old key says so."""
    return hashlib.sha256(b"dsar-bundle-encryption-key-id\x00" + key).digest()[:8]


def _read_full(src: IO[bytes], size: int) -> bytes:
    """Read exactly `size` bytes unless the stream ends first (pipes return short reads)."""
    parts, missing = [], size
    while missing > 0 and (part := src.read(missing)):
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def _aad(header: bytes, index: int, *, last: bool) -> bytes:
    return header + struct.pack(">QB", index, int(last))


def encrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Encrypt `src` into `dst`; return the number of plaintext bytes. Holds two chunks at most."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"an AES-256 key is {KEY_BYTES} bytes")
    if not 0 < chunk_size <= _MAX_CHUNK:
        raise ValueError("chunk size out of range")
    aead = AESGCM(key)
    prefix = os.urandom(8)
    header = _HEADER.pack(MAGIC, encryption_key_id(key), prefix, chunk_size)
    dst.write(header)
    total, index = 0, 0
    chunk = _read_full(src, chunk_size)
    while True:
        following = _read_full(src, chunk_size) if len(chunk) == chunk_size else b""
        last = not following
        sealed = aead.encrypt(prefix + struct.pack(">I", index), chunk, _aad(header, index, last=last))
        dst.write(_FRAME.pack(int(last), len(sealed)) + sealed)
        total += len(chunk)
        if last:
            return total
        chunk, index = following, index + 1
        if index >= 1 << 32:
            raise ValueError("file too large for one nonce prefix")


def _read_header(src: IO[bytes], key: bytes) -> tuple[bytes, bytes, int]:
    header = _read_full(src, _HEADER.size)
    if len(header) != _HEADER.size:
        raise BundleDecryptError("not an encrypted bundle: the file is too short")
    magic, kid, prefix, chunk_size = _HEADER.unpack(header)
    if magic != MAGIC:
        raise BundleDecryptError("not an encrypted bundle (wrong magic bytes)")
    if kid != encryption_key_id(key):
        raise BundleDecryptError(f"encrypted with another key (key id {kid.hex()})")
    if not 0 < chunk_size <= _MAX_CHUNK:
        raise BundleDecryptError("the header is damaged (chunk size)")
    return header, prefix, chunk_size


def decrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes) -> int:
    """Decrypt what encrypt_stream wrote; raise BundleDecryptError on any change or truncation.

    Plaintext of a chunk is written only after its tag verifies, but earlier chunks are
    already in `dst` when a later one fails: write to a temporary file and discard it on error.
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"an AES-256 key is {KEY_BYTES} bytes")
    aead = AESGCM(key)
    header, prefix, chunk_size = _read_header(src, key)
    total, index = 0, 0
    while True:
        frame = _read_full(src, _FRAME.size)
        if len(frame) != _FRAME.size:
            raise BundleDecryptError("the file was cut short (no last chunk)")
        last, length = _FRAME.unpack(frame)
        if last not in (0, 1) or length > chunk_size + TAG_BYTES or (not last and length != chunk_size + TAG_BYTES):
            raise BundleDecryptError(f"chunk {index} is damaged (bad frame)")
        sealed = _read_full(src, length)
        if len(sealed) != length:
            raise BundleDecryptError("the file was cut short (inside a chunk)")
        try:
            plain = aead.decrypt(prefix + struct.pack(">I", index), sealed, _aad(header, index, last=bool(last)))
        except InvalidTag:
            raise BundleDecryptError(f"chunk {index} was changed, moved or is from another file") from None
        dst.write(plain)
        total += len(plain)
        if last:
            if src.read(1):
                raise BundleDecryptError("data was appended after the last chunk")
            return total
        index += 1
