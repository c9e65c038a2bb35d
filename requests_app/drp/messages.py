"""Signed DRP messages: decode, verify and read them, in the order the protocol requires.

Pure functions over bytes and plain values (no Django, no database), so every refusal can be
tested on its own. Data Rights Protocol v0.9.4, §3.07 ("API Authentication"): a signed
message is a libsodium "combined mode" signed message (the 64-byte Ed25519 signature, then
the JSON document), base64-encoded and sent as ``text/plain``; it is validated in this order:

1. it decodes from base64 into a binary buffer;
2. the signature at the start of the buffer verifies with the key of the agent the bearer
   token (or, for key set-up, the URL) names;
3. the ``agent-id`` claim is that agent;
4. the ``business-id`` claim is this business;
5. the current time is after ``issued-at`` (allowing the configured clock skew);
6. the current time is before ``expires-at``.

Every refusal is a :class:`MessageRefused`, naming the step that failed, the HTTP status and
whether it is ``fatal`` (§3.06). The callers audit it and answer in the §3.06 error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from requests_app.errors import ApplicationError

SIGNATURE_BYTES = 64
# DRP §2.01: `drp.version` names the protocol version; 1.0 is 0.9.4 unchanged (its changelog).
SUPPORTED_VERSIONS = frozenset({"0.9.4", "1.0"})
# DRP §3.01: the rights actions of the protocol. This product carries out access and
# deletion; the sale actions are not rights it has, and the schema of the two narrower
# access actions is "declared at a later date".
SUPPORTED_ACTIONS = frozenset({"access", "deletion"})
PROTOCOL_ACTIONS = frozenset(
    {"access", "deletion", "sale:opt_out", "sale:opt-out", "sale:opt_in", "sale:opt-in", "access:categories",
     "access:specific"}
)  # fmt: skip

_MAX_TEXT = 200
_MAX_URL = 2000
_MAX_RELATIONSHIPS = 20


class MessageRefused(ApplicationError):
    """The agent's message is refused at ``step``; answered with ``status`` in the §3.06 shape."""

    def __init__(self, message: str, *, step: str, status: int = 400, fatal: bool = False) -> None:
        super().__init__(message, extra={"step": step})
        self.step = step
        self.status = status
        self.fatal = fatal

    def as_error(self) -> dict[str, object]:
        """The §3.06 error body: the status as text, the message, and ``fatal`` when it is."""
        body: dict[str, object] = {"code": str(self.status), "message": self.message}
        if self.fatal:
            body["fatal"] = True
        return body


@dataclass(frozen=True)
class Envelope:
    """The first group of claims (§2.01 "#1"): who sent it, to whom, and when it is valid."""

    agent_id: str
    business_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Identity:
    """The schema.org/Person claims of §3.04 this product uses, as received."""

    email: str
    name: str = ""
    phone_number: str = ""
    address: str = ""
    power_of_attorney: str = ""
    received: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """The second group of claims (§2.01 "#2") and the identity (§3.04) of an exercise request."""

    drp_version: str
    action: str
    regime: str
    identity: Identity
    agent_request_id: str = ""
    relationships: tuple[str, ...] = field(default_factory=tuple)
    status_callback: str = ""


def body_decode(body: bytes, *, max_bytes: int) -> bytes:
    """Step 1: the base64 text of the request body as a binary buffer (signature + message)."""
    if len(body) > max_bytes:
        raise MessageRefused(f"The body is larger than {max_bytes} bytes", step="size", status=413)
    try:
        buffer = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MessageRefused("The body is not base64 text", step="base64") from None
    if len(buffer) <= SIGNATURE_BYTES:
        raise MessageRefused("The body is too short to hold a signature and a message", step="base64")
    return buffer


def signature_open(buffer: bytes, verify_key: bytes) -> bytes:
    """Step 2: the message, if the signature in front of it verifies with ``verify_key``.

    The same check as libsodium's ``crypto_sign_open`` on a combined-mode signed message.
    """
    signature, message = buffer[:SIGNATURE_BYTES], buffer[SIGNATURE_BYTES:]
    try:
        Ed25519PublicKey.from_public_bytes(verify_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise MessageRefused(
            "The signature does not verify with the agent's key", step="signature", status=403
        ) from None
    return message


def claims_read(message: bytes) -> dict[str, Any]:
    """The signed JSON object (the signature covers these bytes, so they are read only now)."""
    try:
        claims = json.loads(message.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MessageRefused("The signed message is not JSON", step="json") from None
    if not isinstance(claims, dict):
        raise MessageRefused("The signed message is not a JSON object", step="json")
    return claims


def envelope_check(
    claims: dict[str, Any], *, agent_id: str, business_id: str, now: datetime, clock_skew: timedelta
) -> Envelope:
    """Steps 3 to 6 of §3.07, in that order: agent, business, issued-at, expires-at."""
    claimed_agent = claims.get("agent-id")
    if not isinstance(claimed_agent, str) or claimed_agent != agent_id:
        raise MessageRefused("The agent-id claim is not the agent of this token", step="agent-id", status=403)
    claimed_business = claims.get("business-id")
    if not isinstance(claimed_business, str) or claimed_business != business_id:
        raise MessageRefused("The business-id claim is not this business", step="business-id", status=403)
    issued_at = timestamp_read(claims, "issued-at")
    if issued_at > now + clock_skew:
        raise MessageRefused("The message was issued in the future (issued-at)", step="issued-at", status=403)
    expires_at = timestamp_read(claims, "expires-at")
    if expires_at <= now:
        # §2.01: "SHOULD discard requests made at a time after this value and respond with a
        # `fatal` Error State".
        raise MessageRefused("The message has expired (expires-at)", step="expires-at", status=403, fatal=True)
    return Envelope(agent_id=claimed_agent, business_id=claimed_business, issued_at=issued_at, expires_at=expires_at)


def timestamp_read(claims: dict[str, Any], name: str) -> datetime:
    """An ISO 8601 timestamp claim, with its offset (a time without one names no moment)."""
    value = claims.get(name)
    if not isinstance(value, str) or len(value) > 64:
        raise MessageRefused(f"The {name} claim must be an ISO 8601 timestamp", step=name, status=403)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MessageRefused(f"The {name} claim is not an ISO 8601 timestamp", step=name, status=403) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MessageRefused(f"The {name} claim has no time zone offset", step=name, status=403)
    return moment


def version_check(claims: dict[str, Any]) -> str:
    """The ``drp.version`` claim, which must be a version this product speaks."""
    version = claims.get("drp.version")
    if not isinstance(version, str):
        raise MessageRefused("The drp.version claim is missing", step="content")
    if version not in SUPPORTED_VERSIONS:
        raise MessageRefused(
            f"DRP version {version[:20]!r} is not supported; "
            f"this business speaks {', '.join(sorted(SUPPORTED_VERSIONS))}",
            step="content",
        )
    return version


def _text(claims: dict[str, Any], name: str, *, limit: int = _MAX_TEXT, required: bool = False) -> str:
    value = claims.get(name)
    if value is None:
        if required:
            raise MessageRefused(f"The {name} claim is missing", step="content")
        return ""
    if not isinstance(value, str):
        raise MessageRefused(f"The {name} claim must be a string", step="content")
    value = value.strip()
    if required and not value:
        raise MessageRefused(f"The {name} claim is empty", step="content")
    if len(value) > limit:
        raise MessageRefused(f"The {name} claim is longer than {limit} characters", step="content")
    return value


def _flag(claims: dict[str, Any], name: str) -> bool:
    value = claims.get(name, False)
    if not isinstance(value, bool):
        raise MessageRefused(f"The {name} claim must be true or false", step="content")
    return value


def _address(claims: dict[str, Any]) -> str:
    """The OpenID Connect address claim (§3.04, OIDC Core 1.0 §5.1.1) as one line of text."""
    value = claims.get("address")
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(claims, "address", limit=500)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise MessageRefused("The address claim must be an OpenID Connect address object", step="content")
    if formatted := value.get("formatted", "").strip():
        text = formatted
    else:
        parts = ("street_address", "locality", "region", "postal_code", "country")
        text = ", ".join(value[part].strip() for part in parts if value.get(part, "").strip())
    if len(text) > 500:
        raise MessageRefused("The address claim is longer than 500 characters", step="content")
    return " ".join(text.split())


def identity_read(claims: dict[str, Any]) -> Identity:
    """The §3.04 identity claims. The email address is required: the subject confirms it."""
    email = _text(claims, "email", limit=254)
    if not email:
        raise MessageRefused(
            "The email claim is required: the subject confirms their request at their own address", step="content"
        )
    names = ("name", "email", "phone_number", "address", "power_of_attorney")
    flags = ("email_verified", "phone_number_verified", "address_verified")
    verified = tuple(name.removesuffix("_verified") for name in flags if _flag(claims, name))
    return Identity(
        email=email,
        name=_text(claims, "name"),
        phone_number=_text(claims, "phone_number", limit=40),
        address=_address(claims),
        power_of_attorney=_text(claims, "power_of_attorney", limit=_MAX_URL),
        received=tuple(name for name in names if claims.get(name) not in (None, "")),
        verified=verified,
    )


def exercise_read(claims: dict[str, Any]) -> Exercise:
    """The request itself (§2.01): version, action, regime, hints, callback and identity."""
    version = version_check(claims)
    action = _text(claims, "exercise", limit=40, required=True)
    if action not in SUPPORTED_ACTIONS:
        known = "a protocol action this business does not carry out" if action in PROTOCOL_ACTIONS else "unknown"
        # §3.06's own example: {"code": "400", "message": "Unsupported rights actions submitted."}
        raise MessageRefused(
            f"Unsupported rights actions submitted: {action!r} is {known}; supported: "
            f"{', '.join(sorted(SUPPORTED_ACTIONS))}",
            step="content",
            fatal=True,
        )
    relationships = claims.get("relationships", [])
    if not isinstance(relationships, list) or not all(
        isinstance(hint, str) and len(hint) <= 100 for hint in relationships
    ):
        raise MessageRefused("The relationships claim must be a list of short strings", step="content")
    if len(relationships) > _MAX_RELATIONSHIPS:
        raise MessageRefused(f"At most {_MAX_RELATIONSHIPS} relationships", step="content")
    return Exercise(
        drp_version=version,
        action=action,
        regime=_text(claims, "regime", limit=32).lower(),
        identity=identity_read(claims),
        agent_request_id=_text(claims, "agent-request-id"),
        relationships=tuple(hint.strip() for hint in relationships if hint.strip()),
        status_callback=_text(claims, "status_callback", limit=_MAX_URL),
    )


def revoke_reason_read(claims: dict[str, Any]) -> str:
    """The ``reason`` of a revoke message (§2.04): optional text from the user."""
    return _text(claims, "reason", limit=2000)
