"""Verification by link and by code, the status page, and the hostile cases around them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.core import signing
from django.utils import timezone

from requests_app.models import (
    AuditEvent,
    DataSubjectRequest,
    EmailMessage,
    State,
    VerificationChallenge,
)
from requests_app.services import requests as services
from requests_app.verification.challenges import LINK_SALT, status_token
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from tests.fanout_helpers import use_manual_map

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


def new_request(request_type: str = "access", email: str = "ada@example.org") -> tuple[DataSubjectRequest, str, str]:
    """Submit a request as the form does; return it with the link path and code it was sent."""
    request = services.request_submit(
        NewRequest(
            channel="web", request_type=request_type, subject_email=email, subject_name="Ada", jurisdiction="gdpr"
        )
    )
    text = EmailMessage.objects.filter(request=request).latest("id").body_text
    link = re.search(r"http://[^\s]+(/request/verify/[^\s]+/)", text)
    code = re.search(r"\b(\d{4}-\d{4})\b", text)
    assert link and code
    return request, link.group(1), code.group(1)


def test_opening_the_link_shows_a_button_and_uses_nothing(client: Client) -> None:
    request, link, _ = new_request()
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm my email address" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert VerificationChallenge.objects.get(request=request).used_at is None


def test_confirming_by_link_verifies_and_leads_to_the_status_page(client: Client) -> None:
    use_manual_map()
    request, link, _ = new_request()
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/request/status/")

    request.refresh_from_db()
    # An access request needs no approval: verified, then straight to work on the stores.
    assert request.state == State.IN_PROGRESS
    assert request.email_verified_at is not None
    assert AuditEvent.objects.filter(request=request, to_state=State.VERIFIED).exists()
    assert AuditEvent.objects.filter(request=request, action="fanout.created").exists()
    page = client.get(response["Location"]).content.decode()
    assert request.reference in page
    assert "In progress" in page
    # The emailed link leads to the same page (its signature's timestamp may be a second apart).
    status_mail = EmailMessage.objects.get(request=request, kind="status_link")
    emailed = re.search(r"/request/status/[^/\s]+/", status_mail.body_text)
    assert emailed is not None
    assert request.reference in client.get(emailed.group(0)).content.decode()


def test_a_used_link_gets_a_clear_page_and_changes_nothing(client: Client) -> None:
    _, link, _ = new_request()
    client.post(link)
    events = AuditEvent.objects.count()
    emails = EmailMessage.objects.count()

    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        assert "already been used" in response.content.decode()
    assert (AuditEvent.objects.count(), EmailMessage.objects.count()) == (events, emails)


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client: Client) -> None:
    request, link, _ = new_request()
    VerificationChallenge.objects.filter(request=request).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    request.refresh_from_db()
    assert (request.state, request.email_verified_at) == (State.PENDING_VERIFICATION, None)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:],
        lambda link: link.replace("/request/verify/", "/request/verify/x"),
        lambda link: "/request/verify/" + signing.dumps({"c": 1, "t": "guess"}, salt="another.salt") + "/",
        lambda link: "/request/verify/" + signing.dumps({"c": 1, "t": "guess"}, salt=LINK_SALT, key="k" * 50) + "/",
    ],
    ids=["one-character-changed", "garbage-prefix", "signed-for-something-else", "signed-with-another-key"],
)
def test_a_tampered_or_foreign_link_gets_a_clear_page_and_changes_nothing(client: Client, tamper: Any) -> None:
    request, link, _ = new_request()
    response = client.post(tamper(link))
    assert response.status_code in (400, 404)
    request.refresh_from_db()
    assert request.email_verified_at is None


def test_a_genuine_token_for_a_guessed_challenge_id_is_refused(client: Client) -> None:
    new_request(email="first@example.org")
    second, _, _ = new_request(email="second@example.org")
    other = VerificationChallenge.objects.get(request=second)
    forged = signing.dumps({"c": other.pk, "t": "not-the-token"}, salt=LINK_SALT)
    assert client.post(f"/request/verify/{forged}/").status_code == 404
    second.refresh_from_db()
    assert second.email_verified_at is None


def test_confirming_by_code_verifies(client: Client) -> None:
    use_manual_map()
    request, _, code = new_request()
    response = client.post("/request/verify/", {"reference": request.reference.lower(), "code": code.replace("-", "")})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS
    assert AuditEvent.objects.get(request=request, action="verification.email_confirmed").data == {"method": "code"}


def test_a_wrong_code_counts_and_too_many_lock_the_code(client: Client, settings: Any) -> None:
    settings.DSAR_VERIFICATION_CODE_ATTEMPTS = 3
    request, _, code = new_request()
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    for _ in range(3):
        response = client.post("/request/verify/", {"reference": request.reference, "code": wrong})
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    response = client.post("/request/verify/", {"reference": request.reference, "code": code})
    assert "Too many wrong codes" in response.content.decode()
    request.refresh_from_db()
    assert request.email_verified_at is None


def test_a_code_for_another_request_or_an_unknown_reference_gets_the_same_answer(client: Client) -> None:
    _, _, first_code = new_request(email="first@example.org")
    second, _, _ = new_request(email="second@example.org")
    wrong_request = client.post("/request/verify/", {"reference": second.reference, "code": first_code})
    unknown = client.post("/request/verify/", {"reference": "DSR-0000-0000", "code": first_code})
    nonsense = client.post("/request/verify/", {"reference": "'; DROP TABLE x; --", "code": first_code})
    assert wrong_request.status_code == unknown.status_code == nonsense.status_code == 400
    assert "This link or code is not valid" in unknown.content.decode()
    assert not DataSubjectRequest.objects.filter(email_verified_at__isnull=False).exists()


def test_sending_again_replaces_the_old_link_and_code(client: Client) -> None:
    request, old_link, old_code = new_request()
    response = client.post("/request/verify/resend/", {"reference": request.reference, "email": "ADA@example.org"})
    assert response.status_code == 200
    assert EmailMessage.objects.filter(request=request, kind="verification").count() == 1

    assert "expired" in client.post(old_link).content.decode()
    assert client.post("/request/verify/", {"reference": request.reference, "code": old_code}).status_code == 400
    text = EmailMessage.objects.get(request=request, kind="verification").body_text
    fresh = re.search(r"http://[^\s]+(/request/verify/[^\s]+/)", text)
    assert fresh is not None
    assert client.post(fresh.group(1)).status_code == 302


def test_sending_again_says_the_same_whatever_the_reference_and_address(client: Client) -> None:
    request, _, _ = new_request()
    pages = [
        client.post("/request/verify/resend/", {"reference": request.reference, "email": "ada@example.org"}),
        client.post("/request/verify/resend/", {"reference": request.reference, "email": "mallory@example.org"}),
        client.post("/request/verify/resend/", {"reference": "DSR-0000-0000", "email": "ada@example.org"}),
    ]
    assert {p.status_code for p in pages} == {200}
    assert len({p.content for p in pages}) == 1
    assert EmailMessage.objects.filter(kind="verification").count() == 1


def test_sending_again_is_rate_limited(client: Client, settings: Any) -> None:
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "resend": (2, 3600)}
    request, _, _ = new_request()
    data = {"reference": request.reference, "email": "ada@example.org"}
    assert [client.post("/request/verify/resend/", data).status_code for _ in range(3)] == [200, 200, 429]


def test_code_guessing_is_rate_limited_per_ip(client: Client, settings: Any) -> None:
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "verify_ip": (2, 3600)}
    request, _, code = new_request()
    statuses = [
        client.post("/request/verify/", {"reference": request.reference, "code": "1"}).status_code for _ in range(2)
    ]
    assert statuses == [400, 400]
    assert client.post("/request/verify/", {"reference": request.reference, "code": code}).status_code == 429


def test_a_deletion_waits_for_staff_after_the_email_is_confirmed_and_is_not_closed(client: Client) -> None:
    request, link, _ = new_request(request_type="deletion")
    client.post(link)
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION
    assert request.email_verified_at is not None

    DataSubjectRequest.objects.filter(pk=request.pk).update(received_at=timezone.now() - timedelta(days=30))
    assert services.requests_close_unverified() == 0
    services.request_verify_manually(request=request, actor=Actor.system("tests"), note="Matched the account phone")
    request.refresh_from_db()
    # A deletion also waits for a staff decision before any store is touched.
    assert request.state == State.AWAITING_APPROVAL
    assert request.verification_note == "Matched the account phone"


def test_the_status_page_shows_nothing_before_the_email_is_confirmed(client: Client) -> None:
    request, _, _ = new_request()
    response = client.get(f"/request/status/{status_token(request)}/")
    assert response.status_code == 404
    assert request.reference not in response.content.decode()


def test_a_forged_status_link_is_refused(client: Client) -> None:
    request, link, _ = new_request()
    client.post(link)
    forged = signing.dumps({"r": request.reference}, salt="dsar.status", key="k" * 50)
    # A forged link, a mangled one, and another request's: one answer, "not found".
    assert client.get(f"/request/status/{forged}/").status_code == 404
    assert client.get("/request/status/nonsense/").status_code == 404
    assert client.get(f"/request/status/{status_token(request)}x/").status_code == 404


def test_the_status_page_shows_messages_from_the_team_escaped_and_never_codes(client: Client) -> None:
    request, link, code = new_request()
    location = client.post(link)["Location"]
    services.request_ask_requester(
        request=request, actor=Actor.system("tests"), question="Which account? <script>alert(1)</script>"
    )
    page = client.get(location).content.decode()
    assert "Which account?" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Waiting for the requester" in page
    assert code not in page
    assert "/request/verify/" not in page
    assert page.count(request.reference) >= 1
