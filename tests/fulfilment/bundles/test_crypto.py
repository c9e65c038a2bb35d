"""Encryption at rest: chunked AES-256-GCM round-trips and refuses any change."""

from __future__ import annotations

import base64
import io
import os
import struct

import pytest

from requests_app.fulfilment.bundles.crypto import (
    _FRAME,
    _HEADER,
    BundleDecryptError,
    decrypt_stream,
    encrypt_stream,
    generate_key,
    parse_key,
)

KEY = bytes(range(32))
CHUNK = 1024


def _encrypt(plain: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), out, key, chunk_size=CHUNK)
    return out.getvalue()


def _decrypt(sealed: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed), out, key)
    return out.getvalue()


def _frames(sealed: bytes) -> tuple[bytes, list[bytes]]:
    """Split an encrypted file into its header and its chunk frames."""
    header, rest, frames = sealed[: _HEADER.size], sealed[_HEADER.size :], []
    while rest:
        _, length = _FRAME.unpack(rest[: _FRAME.size])
        end = _FRAME.size + length
        frames.append(rest[:end])
        rest = rest[end:]
    return header, frames


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])
def test_encryption_round_trips_at_every_size_around_a_chunk(size):
    plain = os.urandom(size)
    sealed = _encrypt(plain)
    # A byte or a few of them turn up in any ciphertext by chance; a longer run never does.
    assert size < 16 or plain not in sealed
    assert _decrypt(sealed) == plain


def test_the_default_chunk_is_one_mebibyte_and_round_trips_a_few_of_them():
    plain = os.urandom((3 << 20) + 5)
    sealed = io.BytesIO()
    assert encrypt_stream(io.BytesIO(plain), sealed, KEY) == len(plain)
    assert len(_frames(sealed.getvalue())[1]) == 4
    assert _decrypt(sealed.getvalue()) == plain


def test_two_encryptions_of_the_same_file_differ():
    assert _encrypt(b"same") != _encrypt(b"same")


def test_a_flipped_byte_anywhere_is_detected():
    sealed = _encrypt(os.urandom(3 * CHUNK + 10))
    for offset in (_HEADER.size + _FRAME.size + 5, len(sealed) - 1, len(sealed) // 2):
        forged = bytearray(sealed)
        forged[offset] ^= 0x01
        with pytest.raises(BundleDecryptError):
            _decrypt(bytes(forged))


def test_a_changed_header_is_detected():
    sealed = bytearray(_encrypt(b"x" * 3000))
    sealed[20] ^= 0x01  # inside the nonce prefix
    with pytest.raises(BundleDecryptError):
        _decrypt(bytes(sealed))


def test_truncation_at_a_chunk_boundary_is_detected():
    header, frames = _frames(_encrypt(os.urandom(3 * CHUNK + 10)))
    with pytest.raises(BundleDecryptError, match="cut short"):
        _decrypt(header + b"".join(frames[:2]))


def test_truncation_inside_a_chunk_is_detected():
    sealed = _encrypt(os.urandom(3 * CHUNK + 10))
    with pytest.raises(BundleDecryptError, match="cut short"):
        _decrypt(sealed[:-5])


def test_a_last_chunk_cannot_be_passed_off_as_the_end_early():
    """Relabelling chunk 1 as the last one (flag byte) fails: the flag is in the associated data."""
    header, frames = _frames(_encrypt(os.urandom(3 * CHUNK + 10)))
    _, length = _FRAME.unpack(frames[1][: _FRAME.size])
    relabelled = struct.pack(">BI", 1, length) + frames[1][_FRAME.size :]
    with pytest.raises(BundleDecryptError):
        _decrypt(header + frames[0] + relabelled)


def test_reordered_chunks_are_detected():
    header, frames = _frames(_encrypt(os.urandom(3 * CHUNK + 10)))
    with pytest.raises(BundleDecryptError, match="chunk 0"):
        _decrypt(header + frames[1] + frames[0] + b"".join(frames[2:]))


def test_appended_data_is_detected():
    with pytest.raises(BundleDecryptError, match="appended"):
        _decrypt(_encrypt(b"hello") + b"more")


def test_another_key_is_named_as_such():
    with pytest.raises(BundleDecryptError, match="another key"):
        _decrypt(_encrypt(b"hello"), key=bytes(32))


def test_a_file_that_is_not_encrypted_is_refused():
    with pytest.raises(BundleDecryptError, match="not an encrypted bundle"):
        _decrypt(b"PK\x03\x04" + bytes(100))


def test_keys_are_read_from_base64_text():
    assert parse_key(base64.b64encode(KEY).decode()) == KEY
    assert parse_key(base64.urlsafe_b64encode(KEY).decode() + "\n") == KEY
    assert len(parse_key(generate_key())) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        parse_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        parse_key("not base64 at all!")
