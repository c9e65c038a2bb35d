"""The Standard Webhooks signature scheme (symmetric, ``v1``): pure functions, no Django.

A secret is shown as ``whsec_`` and the base64 of random bytes; the HMAC key is those bytes.
A delivery carries ``webhook-id`` (the message id, the same on every retry),
``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature``:
``v1,`` and the base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}``, several separated
by spaces. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
# The specification asks for 24 to 64 bytes of randomness; 32 is HMAC-SHA256's block half.
SECRET_BYTES = 32
VERSION = "v1"
# How far a receiver should let a timestamp stray from its own clock (the spec's suggestion).
TOLERANCE_SECONDS = 5 * 60


class SignatureInvalid(Exception):
    """A delivery whose headers are missing, too old or too new, or whose signature does not match."""


def secret_generate() -> str:
    """A new secret in its shown form, ``whsec_<base64 of 32 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64-decoded part after ``whsec_``."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("A webhook secret is whsec_ followed by base64") from error
    if not key:
        raise ValueError("A webhook secret may not be empty")
    return key


def message_id_generate() -> str:
    """A new message id: ``msg_`` and 24 URL-safe characters (never a full stop, as the spec asks)."""
    return "msg_" + secrets.token_urlsafe(18)


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one attempt: ``v1,<base64 HMAC-SHA256>``."""
    if "." in message_id:
        # The signed content is delimited by full stops: an id with one would be ambiguous.
        raise ValueError("A message id must not contain a full stop")
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def verify(*, secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Check a delivery as a receiver would; raise ``SignatureInvalid`` if it does not verify.

    ``headers`` may use any case. Any one ``v1`` signature in the list may match (several are
    sent while a secret is being rotated).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    message_id = lower.get("webhook-id", "")
    raw_timestamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (message_id and raw_timestamp and signatures):
        raise SignatureInvalid("Missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise SignatureInvalid("webhook-timestamp is not a whole number of seconds") from None
    if timestamp < now - tolerance:
        raise SignatureInvalid("The timestamp is too old")
    if timestamp > now + tolerance:
        raise SignatureInvalid("The timestamp is too new")
    try:
        expected = sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body).encode("ascii")
    except ValueError:
        raise SignatureInvalid("The message id is not valid") from None
    for candidate in signatures.split(" "):
        if candidate.startswith(f"{VERSION},") and hmac.compare_digest(candidate.encode("ascii", "replace"), expected):
            return
    raise SignatureInvalid("No signature matches")
