"""Resumable verification: from an expired link's page, a fresh link for the same request."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.core import signing
from django.utils import timezone

from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, VerificationChallenge
from requests_app.services import requests as services
from requests_app.verification.challenges import LINK_SALT
from requests_app.workflow.new_request import NewRequest
from tests.fanout_helpers import use_manual_map
from tests.verification.test_challenges import new_request

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


def old_request() -> tuple[DataSubjectRequest, str]:
    """A request received 15 days ago, its window over, with the link it was sent."""
    request = services.request_submit(
        NewRequest(
            channel="web",
            request_type="access",
            subject_email="ada@example.org",
            jurisdiction="gdpr",
            received_at=timezone.now() - timedelta(days=15),
        )
    )
    return request, latest_link(request)


def expire(request: DataSubjectRequest) -> None:
    VerificationChallenge.objects.filter(request=request).update(expires_at=timezone.now() - timedelta(seconds=1))


def latest_link(request: DataSubjectRequest) -> str:
    text = (
        EmailMessage.objects.filter(request=request, kind__in=("acknowledgement", "verification"))
        .latest("id")
        .body_text
    )
    found = re.search(r"http://[^\s]+(/request/verify/[^\s]+/)", text)
    assert found
    return found.group(1)


def test_the_expired_link_page_offers_a_new_link_for_the_same_request(client: Client) -> None:
    request, link, _ = new_request()
    expire(request)
    page = client.get(link)
    assert page.status_code == 410
    body = page.content.decode()
    assert "Email me a new link" in body and "you do not need to make a new one" in body
    assert f'action="{link}renew/"' in body


def test_asking_for_a_new_link_sends_one_to_the_requests_own_address_and_it_works(client: Client) -> None:
    use_manual_map()
    request, link, _ = new_request(email="ada@example.org")
    expire(request)
    response = client.post(f"{link}renew/")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    renewal = EmailMessage.objects.filter(request=request, kind="verification").latest("id")
    assert renewal.to_addresses == ["ada@example.org"]
    assert AuditEvent.objects.filter(request=request, action="verification.renewed").count() == 1
    assert DataSubjectRequest.objects.count() == 1, "the same request, not a new one"
    confirmed = client.post(latest_link(request))
    assert confirmed.status_code == 302
    request.refresh_from_db()
    assert request.email_verified_at is not None


def test_a_request_that_was_closed_unverified_says_how_to_start_again(client: Client) -> None:
    request, link = old_request()
    expire(request)
    assert services.requests_close_unverified() == 1
    emails = EmailMessage.objects.count()
    response = client.post(f"{link}renew/")
    assert response.status_code == 410
    assert "Make a new request" in response.content.decode()
    assert EmailMessage.objects.count() == emails


def test_a_forged_renewal_link_is_not_found_and_sends_nothing(client: Client) -> None:
    request, _, _ = new_request()
    emails = EmailMessage.objects.count()
    forged = signing.dumps({"c": VerificationChallenge.objects.get(request=request).pk, "t": "guess"}, salt=LINK_SALT)
    assert client.post(f"/request/verify/{forged}/renew/").status_code == 404
    assert client.post("/request/verify/not-a-token/renew/").status_code == 404
    assert client.get(f"/request/verify/{forged}/renew/").status_code == 405
    assert EmailMessage.objects.count() == emails


def test_renewing_again_and_again_is_rate_limited(client: Client) -> None:
    request, link, _ = new_request()
    expire(request)
    statuses = [client.post(f"{link}renew/").status_code for _ in range(12)]
    assert statuses[0] == 200 and 429 in statuses


def test_the_closed_unverified_notice_says_how_to_start_again() -> None:
    request, _ = old_request()
    assert services.requests_close_unverified() == 1
    notice = EmailMessage.objects.get(request=request, kind="closed_unverified")
    assert "http://127.0.0.1:8000/request/" in notice.body_text
    assert "Make a new request" in notice.body_html
