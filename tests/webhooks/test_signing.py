"""The signature scheme against the Standard Webhooks specification's own example, and the
secrets kept encrypted at rest."""

from __future__ import annotations

import base64

import pytest

from requests_app.webhooks import sealing, signing

# The example of the specification's reference libraries (standard-webhooks, libraries/*/tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_headers(signature: str = SPEC_SIGNATURE) -> dict[str, str]:
    return {"Webhook-Id": SPEC_ID, "Webhook-Timestamp": str(SPEC_TIMESTAMP), "Webhook-Signature": signature}


def test_the_signature_of_the_specifications_example_is_the_published_one() -> None:
    assert signing.sign(secret=SPEC_SECRET, message_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY) == (
        SPEC_SIGNATURE
    )


def test_the_specifications_example_verifies_within_the_tolerance_and_not_after() -> None:
    signing.verify(secret=SPEC_SECRET, headers=spec_headers(), body=SPEC_BODY, now=SPEC_TIMESTAMP + 299)
    with pytest.raises(signing.SignatureInvalid, match="too old"):
        signing.verify(secret=SPEC_SECRET, headers=spec_headers(), body=SPEC_BODY, now=SPEC_TIMESTAMP + 301)
    with pytest.raises(signing.SignatureInvalid, match="too new"):
        signing.verify(secret=SPEC_SECRET, headers=spec_headers(), body=SPEC_BODY, now=SPEC_TIMESTAMP - 301)


def test_one_matching_signature_among_several_verifies() -> None:
    several = f"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,xyz {SPEC_SIGNATURE}"
    signing.verify(secret=SPEC_SECRET, headers=spec_headers(several), body=SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (spec_headers(), SPEC_BODY + b" "),
        (spec_headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), SPEC_BODY),
        (spec_headers(SPEC_SIGNATURE.replace("v1,", "v2,")), SPEC_BODY),
        ({**spec_headers(), "Webhook-Id": "msg_other"}, SPEC_BODY),
        ({k: v for k, v in spec_headers().items() if k != "Webhook-Timestamp"}, SPEC_BODY),
        ({**spec_headers(), "Webhook-Timestamp": "soon"}, SPEC_BODY),
    ],
)
def test_a_changed_body_signature_id_or_timestamp_does_not_verify(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(secret=SPEC_SECRET, headers=headers, body=body, now=SPEC_TIMESTAMP)


def test_a_new_secret_is_whsec_and_the_base64_of_32_random_bytes() -> None:
    first, second = signing.secret_generate(), signing.secret_generate()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert signing.secret_key(first) == base64.b64decode(first.removeprefix("whsec_"))


def test_a_message_id_never_holds_a_full_stop_and_one_that_does_is_refused() -> None:
    ids = {signing.message_id_generate() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("msg_") and "." not in i for i in ids)
    with pytest.raises(ValueError, match="full stop"):
        signing.sign(secret=SPEC_SECRET, message_id="msg_a.b", timestamp=1, body=b"")


def test_a_sealed_secret_opens_to_itself_and_shows_nothing_of_it(settings: object) -> None:
    secret = signing.secret_generate()
    sealed = sealing.secret_seal(secret)
    assert secret.removeprefix("whsec_") not in sealed
    assert sealing.secret_seal(secret) != sealed, "a fresh nonce every time"
    assert sealing.secret_open(sealed) == secret
    tampered = sealed[:-6] + ("AAAAA=" if not sealed.endswith("AAAAA=") else "BBBBB=")
    with pytest.raises(sealing.SecretUnreadable):
        sealing.secret_open(tampered)
