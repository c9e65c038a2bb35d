"""Handing the result to its subject: status link plus a fresh one-time code, and every refusal."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.fulfilment import bundle_keys
from requests_app.models import AuditEvent, Bundle, DataSubjectRequest, EmailMessage, State
from requests_app.verification.challenges import status_token
from requests_app.workflow.audit import audit_open
from tests.factories import request_in_state, stored_bundle

if TYPE_CHECKING:
    from pathlib import Path

    from django.test import Client

pytestmark = pytest.mark.django_db


def _zip(bundle: Bundle) -> bytes:
    from requests_app.services.downloads import bundle_open

    with bundle_open(bundle) as plain:
        return plain.read()


def completed_with_bundle(tmp_path: Path, **bundle: Any) -> tuple[DataSubjectRequest, Bundle]:
    request = request_in_state(State.COMPLETED)
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=timezone.now())
    return request, stored_bundle(request, **bundle)


def page(request: DataSubjectRequest, bundle: Bundle) -> str:
    return f"/request/status/{status_token(request)}/download/{bundle.pk}/"


def send_code(client: Client, url: str, request: DataSubjectRequest) -> str:
    assert client.post(url, {"action": "send"}).status_code == 200
    text = EmailMessage.objects.filter(request=request, kind="download_code").latest("id").body_text
    code = re.search(r"\b\d{4}-\d{4}\b", text)
    assert code is not None
    return code.group(0)


def refusals(request: DataSubjectRequest | None) -> list[str]:
    return [
        audit_open(event).reason
        for event in AuditEvent.objects.filter(request=request, action="bundle.download_refused")
    ]


def test_the_status_page_lists_the_result_and_the_right_code_downloads_the_zip(client: Client, tmp_path: Path) -> None:
    request, bundle = completed_with_bundle(tmp_path)
    status = client.get(f"/request/status/{status_token(request)}/").content.decode()
    assert f"/download/{bundle.pk}/" in status
    url = page(request, bundle)
    code = send_code(client, url, request)
    response = client.post(url, {"action": "download", "code": code})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="your-data.zip"')
    assert b"".join(response.streaming_content) == _zip(bundle)  # type: ignore[attr-defined]
    bundle.refresh_from_db()
    assert bundle.downloads == 1
    assert AuditEvent.objects.filter(request=request, action="bundle.downloaded").count() == 1


def test_a_code_works_once(client: Client, tmp_path: Path) -> None:
    request, bundle = completed_with_bundle(tmp_path)
    url = page(request, bundle)
    code = send_code(client, url, request)
    assert client.post(url, {"action": "download", "code": code}).status_code == 200
    assert client.post(url, {"action": "download", "code": code}).status_code == 403
    assert refusals(request) == ["Wrong or expired download code"]


def test_a_wrong_code_is_refused_and_audited(client: Client, tmp_path: Path) -> None:
    request, bundle = completed_with_bundle(tmp_path)
    url = page(request, bundle)
    code = send_code(client, url, request)
    wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
    response = client.post(url, {"action": "download", "code": wrong})
    assert response.status_code == 403
    assert "Wrong or expired download code" in response.content.decode()
    assert refusals(request) == ["Wrong or expired download code"]


def test_an_expired_download_is_refused_and_audited(client: Client, tmp_path: Path) -> None:
    request, bundle = completed_with_bundle(tmp_path, expires_at=timezone.now() - timedelta(minutes=1))
    url = page(request, bundle)
    code = send_code(client, url, request)
    assert client.post(url, {"action": "download", "code": code}).status_code == 403
    assert refusals(request) == ["The download has expired"]
    assert f"/download/{bundle.pk}/" not in client.get(f"/request/status/{status_token(request)}/").content.decode()


def test_a_used_up_download_is_refused_and_audited(client: Client, tmp_path: Path) -> None:
    request, bundle = completed_with_bundle(tmp_path, max_downloads=1, downloads=1)
    url = page(request, bundle)
    code = send_code(client, url, request)
    assert client.post(url, {"action": "download", "code": code}).status_code == 403
    assert refusals(request) == ["The download has been used the allowed number of times"]


def test_a_link_or_code_for_another_request_is_refused_and_audited(client: Client, tmp_path: Path) -> None:
    mine, my_bundle = completed_with_bundle(tmp_path)
    other, other_bundle = completed_with_bundle(tmp_path)
    # My status link with the other request's bundle number.
    crossed = f"/request/status/{status_token(mine)}/download/{other_bundle.pk}/"
    assert client.get(crossed).status_code == 404
    assert refusals(mine) == ["A download was tried for a bundle of another request"]
    # A code sent for the other request does not open mine.
    other_code = send_code(client, page(other, other_bundle), other)
    assert client.post(page(mine, my_bundle), {"action": "download", "code": other_code}).status_code == 403
    # A forged status link.
    assert client.get(f"/request/status/forged/download/{my_bundle.pk}/").status_code == 404
    assert refusals(None) == ["A download was tried with an invalid or expired status link"]


def test_the_public_key_is_published(client: Client) -> None:
    response = client.get("/.well-known/dsar-bundle-signing-key.pem")
    assert response.status_code == 200
    assert response.content == bundle_keys.public_key()
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_expired_bundles_are_purged_and_the_record_stays(tmp_path: Path) -> None:
    from requests_app.fulfilment.results import bundles_purge

    request, bundle = completed_with_bundle(tmp_path, expires_at=timezone.now() - timedelta(days=1))
    assert bundles_purge() == 1
    bundle.refresh_from_db()
    assert bundle.purged_at is not None
    assert AuditEvent.objects.filter(request=request, action="bundle.purged").exists()
    assert bundles_purge() == 0
