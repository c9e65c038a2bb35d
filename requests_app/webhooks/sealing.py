"""Webhook secrets encrypted at rest: AES-256-GCM under a key derived from the bundle key.

The server must read a secret to sign with it, so it cannot be stored hashed. It is sealed
under a key derived (HKDF-SHA256, its own label) from ``DSAR_BUNDLE_ENCRYPTION_KEY``, which
every web and worker process already holds, so a copy of the database alone does not give
the secrets away. Losing that key loses the secrets as it loses the bundles: rotate each
subscription's secret then.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from requests_app.fulfilment import bundle_keys

SEAL_PREFIX = "v1:"
_AAD = b"dsar-webhook-secret:v1"


class SecretUnreadable(Exception):
    """A sealed secret that does not open: made under another key, or changed."""


@functools.cache
def _key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dsar webhook secrets").derive(master)


def secret_seal(secret: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(bundle_keys.encryption_key())).encrypt(nonce, secret.encode("ascii"), _AAD)
    return SEAL_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def secret_open(sealed: str) -> str:
    if not sealed.startswith(SEAL_PREFIX):
        raise SecretUnreadable("Not a sealed webhook secret")
    try:
        raw = base64.b64decode(sealed.removeprefix(SEAL_PREFIX), validate=True)
        plain = AESGCM(_key(bundle_keys.encryption_key())).decrypt(raw[:12], raw[12:], _AAD)
    except (binascii.Error, ValueError, InvalidTag) as error:
        raise SecretUnreadable("The webhook secret does not open with this encryption key") from error
    return plain.decode("ascii")
