"""The signed-message functions alone: plain bytes in, values or a refusal out (no database)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from requests_app.drp import messages
from requests_app.drp.messages import MessageRefused

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SKEW = timedelta(seconds=60)


def envelope(**changes: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "agent-id": "AA",
        "business-id": "CB",
        "issued-at": NOW.isoformat(),
        "expires-at": (NOW + timedelta(minutes=10)).isoformat(),
    }
    return claims | changes


def test_a_libsodium_combined_mode_message_opens_with_the_agents_key() -> None:
    key = nacl.signing.SigningKey.generate()
    signed = base64.b64encode(bytes(key.sign(b'{"a": 1}')))
    buffer = messages.body_decode(signed, max_bytes=1000)
    assert messages.signature_open(buffer, bytes(key.verify_key)) == b'{"a": 1}'


def test_a_message_signed_with_cryptography_opens_the_same_way() -> None:
    private = Ed25519PrivateKey.generate()
    message = b'{"b": 2}'
    buffer = private.sign(message) + message
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert messages.signature_open(buffer, public) == message


def test_a_message_opened_with_another_key_is_refused() -> None:
    signed = bytes(nacl.signing.SigningKey.generate().sign(b"{}"))
    other = bytes(nacl.signing.SigningKey.generate().verify_key)
    with pytest.raises(MessageRefused) as refused:
        messages.signature_open(signed, other)
    assert (refused.value.step, refused.value.status) == ("signature", 403)


def test_the_envelope_is_checked_in_the_protocols_order() -> None:
    claims = envelope(**{"business-id": "X", "issued-at": "nonsense"})
    with pytest.raises(MessageRefused) as refused:
        messages.envelope_check(claims, agent_id="AA", business_id="CB", now=NOW, clock_skew=SKEW)
    assert refused.value.step == "business-id"
    checked = messages.envelope_check(envelope(), agent_id="AA", business_id="CB", now=NOW, clock_skew=SKEW)
    assert (checked.agent_id, checked.expires_at) == ("AA", NOW + timedelta(minutes=10))


def test_an_offset_other_than_utc_names_the_same_moment() -> None:
    claims = envelope(**{"expires-at": "2026-12-02T12:05:00+02:00", "issued-at": "2026-12-02T11:00:30+01:00"})
    checked = messages.envelope_check(claims, agent_id="AA", business_id="CB", now=NOW, clock_skew=SKEW)
    assert (checked.issued_at, checked.expires_at) == (NOW + timedelta(seconds=30), NOW + timedelta(minutes=5))


def test_the_error_shape_is_the_protocols() -> None:
    error = MessageRefused("Unsupported rights actions submitted.", step="content", fatal=True)
    assert error.as_error() == {"code": "400", "message": "Unsupported rights actions submitted.", "fatal": True}
    assert "fatal" not in MessageRefused("x", step="json").as_error()


def test_an_oidc_address_is_read_as_one_line() -> None:
    claims = {
        "drp.version": "0.9.4",
        "exercise": "access",
        "email": "ada@example.org",
        "address": {"street_address": "1 Main St", "locality": "Oakland", "region": "CA", "postal_code": "94601"},
        "address_verified": True,
    }
    exercise = messages.exercise_read(claims)
    assert exercise.identity.address == "1 Main St, Oakland, CA, 94601"
    assert exercise.identity.verified == ("address",)
    assert exercise.regime == "" and exercise.status_callback == ""


def test_the_claims_must_be_a_json_object() -> None:
    assert messages.claims_read(json.dumps({"a": 1}).encode()) == {"a": 1}
    for bad in (b"\xff", b"null", b'"text"', b"{"):
        with pytest.raises(MessageRefused):
            messages.claims_read(bad)


def test_the_actions_read_are_the_ones_the_product_records() -> None:
    from requests_app.models import DrpAction

    assert set(DrpAction.values) == messages.SUPPORTED_ACTIONS <= messages.PROTOCOL_ACTIONS
