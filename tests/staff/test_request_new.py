"""The staff "New request" page: a letter, a phone call or a visit entered by the privacy
team, and the files that came with it on the request page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from requests_app.laws import deadlines
from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, RequestAttachment, State
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

pytestmark = pytest.mark.django_db

LETTER = b"%PDF-1.4\nPlease delete my account.\n%%EOF\n"
NOTE = "Called back on the number on file"


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


def last_week() -> Any:
    return timezone.localdate() - timedelta(days=7)


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "received_via": "letter",
        "received_on": last_week().isoformat(),
        "request_type": "access",
        "jurisdiction": "gdpr",
        "subject_name": "Grace Hopper",
        "subject_email": "grace@example.org",
        "phone": "+1 555 0100",
        "account_id": "",
        "details": "Everything you hold about me.",
        "identity": "not_checked",
        "identity_note": "",
    }
    return data | changes


def scan(name: str = "letter.pdf", content: bytes = LETTER) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_queue_offers_new_request_to_those_who_may_act_only(cast: Cast, bob: Client) -> None:
    assert 'href="/staff/requests/new/"' in bob.get("/staff/requests/").content.decode()
    assert 'href="/staff/requests/new/"' not in client_for(cast.carol).get("/staff/requests/").content.decode()


def test_the_page_starts_at_today_under_the_default_law(bob: Client, settings: Any) -> None:
    body = bob.get("/staff/requests/new/").content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in body
    assert f'<option value="{settings.DSAR_DEFAULT_JURISDICTION}" selected>' in body
    assert 'enctype="multipart/form-data"' in body and "multiple" in body


def test_a_letter_from_last_week_lands_on_its_page_due_from_the_letters_date_with_the_scan(bob: Client) -> None:
    response = bob.post("/staff/requests/new/", form(attachments=[scan(), scan("page2.pdf")]), follow=True)
    request = DataSubjectRequest.objects.get(subject_email="grace@example.org")
    assert response.redirect_chain == [(f"/staff/requests/{request.reference}/", 302)]
    due = deadlines.due_date("gdpr", last_week()).due
    assert request.due_at == due and (request.channel, request.received_via) == ("staff", "letter")
    assert request.state == State.PENDING_VERIFICATION and request.subject_identifiers == {"phone": "+1 555 0100"}
    body = response.content.decode()
    assert f"{due.day} {due:%b %Y}" in body and "via entered by staff (letter)" in body
    assert "the subject was sent the verification email" in body
    first, second = RequestAttachment.objects.filter(request=request).order_by("pk")
    for attachment in (first, second):
        assert f'href="/staff/requests/{request.reference}/attachments/{attachment.pk}/"' in body
    assert "letter.pdf" in body and "page2.pdf" in body
    assert EmailMessage.objects.filter(request=request, kind="acknowledgement").count() == 1


def test_the_letter_downloads_as_it_was_for_the_analyst_on_the_record_and_never_for_the_auditor(
    cast: Cast, bob: Client
) -> None:
    bob.post("/staff/requests/new/", form(attachments=[scan()]))
    request = DataSubjectRequest.objects.get()
    attachment = RequestAttachment.objects.get()
    url = f"/staff/requests/{request.reference}/attachments/{attachment.pk}/"
    response = bob.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == LETTER  # type: ignore[attr-defined]
    assert 'attachment; filename="letter.pdf"' in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    read = AuditEvent.objects.filter(request=request, action="personal_data.viewed", data__what__startswith="attach")
    assert read.get().actor == "staff:bob"
    carol = client_for(cast.carol)
    assert carol.get(url).status_code == 403
    page = carol.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "letter.pdf" not in page and "/attachments/" not in page


def test_identity_checked_by_phone_call_verifies_it_with_the_note_and_sends_the_status_link(bob: Client) -> None:
    response = bob.post(
        "/staff/requests/new/",
        form(received_via="phone", received_on=timezone.localdate().isoformat(), identity="checked_by_staff",
             identity_note=NOTE),
        follow=True,
    )  # fmt: skip
    request = DataSubjectRequest.objects.get()
    assert request.verified_at is not None and request.verification_note == NOTE
    assert "the subject was sent its status link" in response.content.decode()
    assert EmailMessage.objects.filter(request=request, kind="status_link").count() == 1
    assert not EmailMessage.objects.filter(request=request, kind="acknowledgement").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject_email": "grace at example"}, "Enter a valid email address."),
        ({"subject_email": ""}, "This field is required."),
        ({"jurisdiction": "atlantis"}, "Select a valid choice."),
        ({"received_on": (timezone.localdate() + timedelta(days=3)).isoformat()}, "is in the future"),
        ({"received_on": "2001-01-01"}, "check the year"),
        ({"received_on": "2026-02-30"}, "Enter a valid date."),
        ({"received_via": "pigeon"}, "Select a valid choice."),
        ({"identity": "checked_by_staff", "identity_note": " "}, "Say how the identity was checked"),
        ({"identity": ""}, "This field is required."),
        ({"attachments": [scan(content=b"")]}, "The submitted file is empty."),
        ({"attachments": [scan(content=b"x" * 4096)]}, "is larger than"),
    ],
)
def test_hostile_input_is_refused_clearly_keeping_what_was_typed(
    bob: Client, settings: Any, changes: dict[str, Any], message: str
) -> None:
    settings.DSAR_MAX_UPLOAD_BYTES = 2048
    typed = form(details="Typed <b>carefully</b> by hand", **changes)
    response = bob.post("/staff/requests/new/", typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert message.replace("'", "&#x27;") in body
    assert "Typed &lt;b&gt;carefully&lt;/b&gt; by hand" in body  # kept, and escaped
    if typed["subject_email"]:
        assert f'value="{typed["subject_email"]}"' in body
    assert "<title>Error: New request" in body
    assert not DataSubjectRequest.objects.exists() and not RequestAttachment.objects.exists()


def test_the_auditor_is_refused_and_nothing_is_recorded(cast: Cast) -> None:
    carol = client_for(cast.carol)
    assert carol.get("/staff/requests/new/").status_code == 403
    assert carol.post("/staff/requests/new/", form()).status_code == 403
    assert client_for(cast.dave).post("/staff/requests/new/", form()).status_code == 403
    anonymous = Client().post("/staff/requests/new/", form())
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login/")
    assert not DataSubjectRequest.objects.exists()
