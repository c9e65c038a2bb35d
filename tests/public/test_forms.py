"""The public request form: the happy path and every hostile case we can think of."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from requests_app.models import (
    DataSubjectRequest,
    EmailMessage,
    State,
    VerificationChallenge,
    VerificationPolicy,
)

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "request_type": "access",
        "full_name": "Ada Lovelace",
        "email": "ada@example.org",
        "region": "DE",
        "details": "Please send me a copy.",
        "declaration": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(client: Client, ip: str = "192.0.2.1", **overrides: Any) -> Any:
    return client.post("/request/", form_data(**overrides), REMOTE_ADDR=ip)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_form_page_is_served_with_labels_and_a_csrf_token(client: Client) -> None:
    response = client.get("/request/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in body
    for label in ("Full name", "Email address", "Where do you live?", "Signed authorisation"):
        assert label in body
    assert '<html lang="en">' in body


def test_a_valid_request_is_recorded_and_answered_with_check_your_inbox(client: Client) -> None:
    response = submit(client)
    assert response.status_code == 302
    assert response["Location"] == "/request/sent/"
    assert "Check your inbox" in client.get(response["Location"]).content.decode()

    request = DataSubjectRequest.objects.get()
    assert (request.request_type, request.jurisdiction, request.state) == ("access", "gdpr", State.PENDING_VERIFICATION)
    assert request.channel == "web"
    assert request.verification_policy == VerificationPolicy.EMAIL
    assert request.source_ip_hash and "192.0.2.1" not in request.source_ip_hash
    (ack,) = EmailMessage.objects.filter(request=request)
    assert (ack.kind, ack.to_addresses) == ("acknowledgement", ["ada@example.org"])
    assert request.reference in ack.subject
    challenge = VerificationChallenge.objects.get(request=request)
    assert challenge.token_hash not in ack.body_text  # only the hash is stored


@pytest.mark.parametrize(
    ("region", "law"),
    [("US-CA", "us-ca"), ("US-VA", "us-va"), ("GB", "uk"), ("BR", "lgpd"), ("CA-ON", "pipeda"), ("OTHER", "default")],
)
def test_the_region_sets_the_law_and_the_deadline(client: Client, region: str, law: str) -> None:
    submit(client, region=region)
    assert DataSubjectRequest.objects.get().jurisdiction == law


def test_a_post_without_a_csrf_token_is_refused_and_records_nothing() -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/request/", form_data())
    assert response.status_code == 403
    assert not DataSubjectRequest.objects.exists()


def test_a_filled_honeypot_looks_like_success_but_records_nothing(client: Client) -> None:
    response = submit(client, website="http://spam.example")
    assert (response.status_code, response["Location"]) == (302, "/request/sent/")
    assert not DataSubjectRequest.objects.exists()
    assert not EmailMessage.objects.exists()


@pytest.mark.parametrize("field", ["request_type", "full_name", "email", "region", "declaration"])
def test_a_missing_field_is_named_in_the_summary_and_marked_on_the_field(client: Client, field: str) -> None:
    response = client.post("/request/", form_data(**{field: None}), REMOTE_ADDR="192.0.2.1")
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in body
    assert f'href="#id_{field}' in body
    assert 'aria-invalid="true"' in body
    assert f"id_{field}" in body and f'id="id_{field}_error"' in body
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not an address"}, "Enter a valid email address"),
        ({"email": "ada@example.org\r\nBcc: victim@example.com"}, "Enter a valid email address"),
        ({"region": "XX"}, "Choose where you live from the list"),
        ({"request_type": "portability"}, "Choose one of the requests listed"),
        ({"request_type": "correction", "details": "  "}, "what is wrong"),
        ({"full_name": "x" * 201}, "at most 200 characters"),
        ({"details": "x" * 5001}, "at most 5000 characters"),
        ({"full_name": "Ada\x00Lovelace"}, "Null characters are not allowed"),
    ],
)
def test_bad_input_gets_a_clear_error_and_records_nothing(
    client: Client, overrides: dict[str, str], message: str
) -> None:
    response = submit(client, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_html_and_script_in_every_text_field_is_shown_escaped(client: Client) -> None:
    response = submit(client, full_name=SCRIPT, details=SCRIPT, email="not-valid")
    body = response.content.decode()
    assert response.status_code == 400
    assert "<script>" not in body
    assert "&lt;script&gt;" in body


def test_html_in_a_name_reaches_the_email_escaped_in_html_and_literal_in_text(client: Client) -> None:
    submit(client, full_name=SCRIPT, details=SCRIPT)
    ack = EmailMessage.objects.get()
    assert "<script>" not in ack.body_html
    assert "&lt;script&gt;" in ack.body_html
    assert SCRIPT in ack.body_text  # plain text shows what was typed; nothing runs there
    assert "<script>" not in ack.subject


def _agent_data(upload: SimpleUploadedFile | None) -> dict[str, Any]:
    data = form_data(
        request_type="deletion",
        email="subject@example.org",
        full_name="Sam Subject",
        is_agent="on",
        agent_name="Alex Agent",
        agent_email="agent@agency.example",
    )
    if upload is not None:
        data["authorisation"] = upload
    return data


def test_an_agent_request_is_verified_with_the_subject_and_waits_for_staff(client: Client) -> None:
    upload = SimpleUploadedFile("my letter.pdf", PDF, content_type="application/pdf")
    response = client.post("/request/", _agent_data(upload), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302

    request = DataSubjectRequest.objects.get()
    assert (request.agent_name, request.agent_email) == ("Alex Agent", "agent@agency.example")
    assert request.verification_policy == VerificationPolicy.EMAIL_AND_STAFF
    assert "agent_request" in [s["code"] for s in request.fraud_signals]
    assert request.agent_authorisation.name.endswith(".pdf")
    assert "my letter" not in request.agent_authorisation.name
    assert request.agent_authorisation.read() == PDF
    sent = {(m.kind, m.to_addresses[0]) for m in EmailMessage.objects.all()}
    assert sent == {("acknowledgement", "agent@agency.example"), ("verification", "subject@example.org")}
    assert "Alex Agent" in EmailMessage.objects.get(kind="verification").body_text


def test_an_agent_request_needs_the_signed_authorisation(client: Client) -> None:
    response = client.post("/request/", _agent_data(None))
    assert response.status_code == 400
    assert "Upload the signed authorisation" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("letter.pdf", b"<html><script>alert(1)</script></html>", "must be a PDF, PNG or JPEG"),
        ("letter.png", b"MZ\x90\x00 an executable renamed", "must be a PDF, PNG or JPEG"),
        ("letter.png", b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "image file is damaged"),
        ("letter.pdf", b"%PDF-1.4 but cut short", "PDF file is damaged"),
    ],
)
def test_a_disguised_or_broken_upload_is_refused_whatever_its_name(
    client: Client, name: str, content: bytes, message: str
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post("/request/", _agent_data(upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_a_real_png_is_accepted_and_stored_under_its_real_type(client: Client) -> None:
    upload = SimpleUploadedFile("../../etc/passwd.pdf", png_bytes(), content_type="application/pdf")
    assert client.post("/request/", _agent_data(upload)).status_code == 302
    stored = DataSubjectRequest.objects.get().agent_authorisation.name
    assert stored.startswith("authorisations/") and stored.endswith(".png")
    assert ".." not in stored and "passwd" not in stored


def test_an_oversized_upload_is_refused_with_the_limit(client: Client, settings: Any) -> None:
    settings.DSAR_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = client.post("/request/", _agent_data(upload))
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client: Client, settings: Any) -> None:
    settings.DSAR_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("huge.pdf", PDF + b"0" * (2 * 1024 * 1024), content_type="application/pdf")
    response = client.post("/request/", _agent_data(upload))
    assert response.status_code == 413
    assert not DataSubjectRequest.objects.exists()


def test_a_known_and_an_unknown_address_get_the_same_page_and_the_same_emails(client: Client) -> None:
    submit(client, email="known@example.org", ip="192.0.2.20")  # now the address is known to us
    EmailMessage.objects.all().delete()

    known = submit(client, email="known@example.org", ip="192.0.2.21")
    unknown = submit(client, email="stranger@example.org", ip="192.0.2.22")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    by_address = {m.to_addresses[0]: m for m in EmailMessage.objects.all()}
    assert set(by_address) == {"known@example.org", "stranger@example.org"}
    assert by_address["known@example.org"].kind == by_address["stranger@example.org"].kind == "acknowledgement"
    normalise = lambda m: m.body_text.replace(m.request.reference, "REF").split("http")[0]  # noqa: E731
    assert normalise(by_address["known@example.org"]) == normalise(by_address["stranger@example.org"])


def test_too_many_posts_from_one_address_get_a_429_saying_when_to_try_again(client: Client, settings: Any) -> None:
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "form_ip": (3, 3600)}
    for n in range(3):
        assert submit(client, email=f"p{n}@example.org").status_code == 302
    response = submit(client, email="p4@example.org")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Please try again in" in response.content.decode()
    assert DataSubjectRequest.objects.count() == 3


def test_too_many_requests_for_one_email_are_limited_whatever_the_ip(client: Client, settings: Any) -> None:
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "form_email": (2, 86400)}
    assert submit(client, ip="192.0.2.30").status_code == 302
    assert submit(client, ip="192.0.2.31", email="ADA@example.org").status_code == 302
    assert submit(client, ip="192.0.2.32").status_code == 429
    assert DataSubjectRequest.objects.count() == 2


def test_fraud_signals_are_recorded_for_staff_and_never_shown_to_the_requester(client: Client) -> None:
    response = submit(client, email="someone@mailinator.com")
    request = DataSubjectRequest.objects.get()
    assert [s["code"] for s in request.fraud_signals] == ["disposable_email"]
    assert "disposable" not in client.get(response["Location"]).content.decode()
    assert "disposable" not in EmailMessage.objects.get().body_text


def test_many_requests_from_one_ip_raise_a_signal(client: Client) -> None:
    for n in range(4):
        submit(client, email=f"person{n}@example.org", ip="198.51.100.7")
    last = DataSubjectRequest.objects.order_by("-id").first()
    assert last is not None
    assert "many_from_ip" in [s["code"] for s in last.fraud_signals]


def test_the_trusted_proxy_setting_decides_which_address_is_the_client(client: Client, settings: Any) -> None:
    settings.DSAR_TRUSTED_PROXY_COUNT = 1
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "form_ip": (1, 3600)}
    first = client.post(
        "/request/", form_data(), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1, 192.0.2.50"
    )
    assert first.status_code == 302
    # A client cannot escape the limit by writing another address at the left of the header.
    second = client.post(
        "/request/",
        form_data(email="b@example.org"),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.99, 192.0.2.50",
    )
    assert second.status_code == 429
