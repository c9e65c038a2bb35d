"""Keyed hashes of who asked: what a minimised request keeps of its subject.

HMAC-SHA256 under the secret key, as the submitter's IP address is kept (``fraud.ip_hash``):
without the key nobody can test guesses against a database dump, and with it staff can still
answer "did this address make a request?" by hashing the address they were given.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from django.conf import settings

PREFIX = "hmac-sha256:"


def _normalise(kind: str, value: str) -> str:
    """One spelling per identity: the same address or name typed differently hashes the same."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind in ("email", "name"):
        return " ".join(text.casefold().split())
    return text


def identity_hash(kind: str, value: str) -> str:
    """``hmac-sha256:<hex>`` of ``value`` as a ``kind`` ("email", "name", "identifier", "text")."""
    message = f"dsar-retention:{kind}:{_normalise(kind, value)}".encode()
    return PREFIX + hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def is_identity_hash(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX) and len(value) == len(PREFIX) + 64
