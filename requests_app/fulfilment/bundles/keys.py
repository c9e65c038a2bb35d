"""The Ed25519 key that signs every bundle's manifest, and the helpers to load and publish it."""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class BundleKeyError(ValueError):
    """A key could not be read: wrong format, wrong algorithm, or the wrong length."""


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _raw_32(data: bytes) -> bytes | None:
    """Return 32 raw key bytes given as themselves or as base64 text, else None."""
    if len(data) == 32:
        return data
    try:
        decoded = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == 32 else None


def load_signing_key(data: bytes | str) -> Ed25519PrivateKey:
    """Read a private key from PEM (PKCS#8), 32 raw bytes, or those 32 bytes in base64."""
    blob = data.encode() if isinstance(data, str) else data
    if blob.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(blob, password=None)
        except (ValueError, TypeError) as exc:
            raise BundleKeyError(f"not a readable unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise BundleKeyError(f"the PEM key is {type(key).__name__}, not Ed25519")
        return key
    raw = _raw_32(blob)
    if raw is None:
        raise BundleKeyError("an Ed25519 private key is PEM, 32 raw bytes, or 32 bytes in base64")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """Read a public key from PEM (SubjectPublicKeyInfo), 32 raw bytes, or base64 of them."""
    blob = data.encode() if isinstance(data, str) else data
    if blob.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(blob)
        except (ValueError, TypeError) as exc:
            raise BundleKeyError(f"not a readable PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise BundleKeyError(f"the PEM key is {type(key).__name__}, not Ed25519")
        return key
    raw = _raw_32(blob)
    if raw is None:
        raise BundleKeyError("an Ed25519 public key is PEM, 32 raw bytes, or 32 bytes in base64")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the public half as PEM, the form `openssl pkeyutl -verify -pubin` reads."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Name a key by the first 16 hex digits of the SHA-256 of its raw public bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
