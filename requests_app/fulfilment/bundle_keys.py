"""The keys bundles are signed and encrypted with, from settings (made under var/ in development)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from requests_app.fulfilment.bundles.crypto import generate_key, parse_key
from requests_app.fulfilment.bundles.keys import generate_signing_key, load_signing_key, private_key_pem, public_key_pem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _development_file(name: str, make: bytes) -> bytes:
    path = settings.VAR_DIR / name
    if not path.exists():
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Written once, readable by the owner only: a second process finds the same key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(make)
    return path.read_bytes()


@functools.cache
def signing_key() -> Ed25519PrivateKey:
    if settings.DSAR_BUNDLE_SIGNING_KEY_FILE:
        try:
            with Path(settings.DSAR_BUNDLE_SIGNING_KEY_FILE).open("rb") as handle:
                return load_signing_key(handle.read())
        except OSError as error:
            raise ImproperlyConfigured(f"DSAR_BUNDLE_SIGNING_KEY_FILE cannot be read: {error}") from None
    return load_signing_key(_development_file("bundle-signing-key.pem", private_key_pem(generate_signing_key())))


@functools.cache
def encryption_key() -> bytes:
    if settings.DSAR_BUNDLE_ENCRYPTION_KEY:
        return parse_key(settings.DSAR_BUNDLE_ENCRYPTION_KEY)
    return parse_key(_development_file("bundle-encryption.key", generate_key().encode()).decode())


def public_key() -> bytes:
    return public_key_pem(signing_key())
