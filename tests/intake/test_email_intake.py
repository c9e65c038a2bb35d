"""What each message of the corpus becomes, through the one intake pipeline."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection

from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import (
    DataSubjectRequest,
    Direction,
    EmailMessage,
    EmailStatus,
    State,
)
from tests.conftest import _database_url
from tests.email_corpus import corpus_message, make_large_message
from tests.factories import request_in_state
from tests.paths import ROOT as PROJECT_ROOT

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = PROJECT_ROOT


def take_in(name_or_raw: str | bytes, source: str = "pipe") -> EmailMessage:
    raw = corpus_message(name_or_raw) if isinstance(name_or_raw, str) else name_or_raw
    message, _ = email_receive(raw, source=source)
    email_process(message.pk)
    message.refresh_from_db()
    return message


def sent_to(address: str) -> list[str]:
    return list(
        EmailMessage.objects.filter(direction=Direction.OUTBOUND, to_addresses__contains=[address]).values_list(
            "kind", flat=True
        )
    )


def test_a_plain_request_becomes_an_access_request_answered_at_its_from_address() -> None:
    message = take_in("plain.eml")
    assert message.status == EmailStatus.ATTACHED
    request = message.request
    assert request is not None
    assert (request.request_type, request.channel, request.state) == ("access", "email", State.PENDING_VERIFICATION)
    assert request.subject_email == "jane.doe@example.org"
    assert sent_to("jane.doe@example.org") == ["acknowledgement"]
    assert message.raw.read() == corpus_message("plain.eml")
    assert message.sha256 == hashlib.sha256(corpus_message("plain.eml")).hexdigest()


@pytest.mark.parametrize(
    ("name", "request_type", "email"),
    [
        ("html_only.eml", "deletion", "max.mustermann@example.de"),
        ("latin1.eml", "correction", "francois.lefevre@example.fr"),
        ("encoded_subject.eml", "deletion", "maria.garcia@example.es"),
        ("multipart_attachment.eml", "correction", "sam.taylor@example.com.au"),
    ],
)
def test_requests_in_other_shapes_and_languages_become_requests(name: str, request_type: str, email: str) -> None:
    message = take_in(name)
    assert message.request is not None
    assert (message.request.request_type, message.request.subject_email) == (request_type, email)


def test_an_attachment_is_stored_under_a_safe_name_and_never_a_path() -> None:
    message = take_in("multipart_attachment.eml")
    (attachment,) = message.attachments.all()
    assert "/" not in attachment.filename and ".." not in attachment.filename
    assert attachment.file.name.startswith("email/attachments/") and attachment.file.name.endswith(".bin")
    assert hashlib.sha256(attachment.file.read()).hexdigest() == attachment.sha256


def test_html_only_mail_is_kept_as_safe_text() -> None:
    message = take_in("html_only.eml")
    assert "<script" not in message.body_text
    assert "Löschung" in message.body_text or "löschen" in message.body_text.lower()


def test_a_reply_with_a_reference_is_attached_to_its_request_and_resumes_it() -> None:
    request = request_in_state(
        State.AWAITING_REQUESTER, paused_from=State.VERIFIED, subject_email="jane.doe@example.org"
    )
    DataSubjectRequest.objects.filter(pk=request.pk).update(reference="DSR-7KQ2-M9XD")
    message = take_in("reply_quoted.eml")
    assert message.status == EmailStatus.ATTACHED
    assert message.request_id == request.pk
    request.refresh_from_db()
    assert request.state == State.VERIFIED
    assert DataSubjectRequest.objects.count() == 1


def test_a_reply_threads_by_the_message_id_we_sent() -> None:
    request = request_in_state(State.VERIFIED, subject_email="jane.doe@example.org")
    ours = EmailMessage.objects.create(
        direction=Direction.OUTBOUND, status=EmailStatus.SENT, request=request, message_id="ours-1@example.com"
    )
    raw = (
        b"From: Jane Doe <jane.doe@example.org>\r\nTo: privacy@example.com\r\nSubject: Re: hello\r\n"
        b"Message-ID: <reply-1@example.org>\r\nIn-Reply-To: <" + ours.message_id.encode() + b">\r\n\r\nThanks!\r\n"
    )
    assert take_in(raw).request_id == request.pk


@pytest.mark.parametrize(
    ("name", "reason"), [("auto_reply.eml", "auto-reply"), ("bounce.eml", "bounce"), ("bulk.eml", "bulk")]
)
def test_machine_mail_never_creates_a_request_and_is_never_answered(name: str, reason: str) -> None:
    message = take_in(name)
    assert (message.status, message.automated) == (EmailStatus.IGNORED, reason)
    assert not DataSubjectRequest.objects.exists()
    assert not EmailMessage.objects.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.parametrize("name", ["unclear.eml", "broken_headers.eml"])
def test_mail_whose_request_is_unclear_waits_in_triage(name: str) -> None:
    message = take_in(name)
    assert message.status == EmailStatus.TRIAGE
    assert message.triage_reason
    assert not DataSubjectRequest.objects.exists()


def test_broken_headers_are_kept_as_defects_for_staff() -> None:
    assert take_in("broken_headers.eml").defects


def test_bytes_that_are_no_message_at_all_are_kept_and_put_in_triage() -> None:
    garbage = b"\x00\x01\x02 not an email \xff\xfe"
    message = take_in(garbage)
    assert message.status == EmailStatus.TRIAGE
    assert "could not be read" in message.triage_reason
    assert message.raw.read() == garbage


def test_a_duplicate_is_recognised_and_not_processed_twice() -> None:
    first, created = email_receive(corpus_message("plain.eml"), source="imap")
    second, created_again = email_receive(corpus_message("duplicate.eml"), source="pipe")
    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    email_process(first.pk)
    assert email_process(first.pk) is None
    assert DataSubjectRequest.objects.count() == 1


def test_a_spoofed_request_is_verified_at_from_never_reply_to_and_its_failures_are_signals() -> None:
    message = take_in("spoofed.eml")
    request = message.request
    assert request is not None
    codes = {s["code"] for s in request.fraud_signals}
    assert {"spf_fail", "dkim_fail", "dmarc_fail", "reply_to_differs"} <= codes
    assert sent_to("chris@example.com") == ["acknowledgement"]
    assert message.reply_to
    assert sent_to(message.reply_to) == []


def test_a_20_mb_message_is_stored_whole_and_read_without_its_oversized_attachment() -> None:
    raw = make_large_message()
    message = take_in(raw)
    assert message.raw.size == len(raw)
    assert message.status in (EmailStatus.ATTACHED, EmailStatus.TRIAGE)
    assert not message.attachments.exists()


@pytest.mark.django_db(transaction=True)
def test_ingest_email_stores_across_processes_and_refuses_empty_input() -> None:
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict)}

    def run(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "manage.py", "ingest_email"],
            input=data,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )

    first = run(corpus_message("plain.eml"))
    again = run(corpus_message("duplicate.eml"))
    empty = run(b"")
    assert (first.returncode, again.returncode, empty.returncode) == (0, 0, 65)
    assert again.stdout.startswith(b"already stored")
    assert EmailMessage.objects.filter(direction=Direction.INBOUND).count() == 1


SIGNING_KEY = "test-signing-key"


def mailgun_post(client: Client, raw: bytes, *, key: str | None = SIGNING_KEY) -> Any:
    timestamp, token = str(int(time.time())), "token-" + hashlib.sha256(raw).hexdigest()[:16]
    data = {"body-mime": raw.decode("utf-8", "replace"), "recipient": "privacy@example.com", "sender": "x@example.org"}
    if key is not None:
        signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
        data.update(timestamp=timestamp, token=token, signature=signature)
    return client.post("/inbound/email/", data)


@pytest.fixture
def webhook_configured(settings: Any) -> None:
    settings.DSAR_INBOUND_PROVIDER = "mailgun"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": None}


def test_a_correctly_signed_webhook_call_stores_the_message(client: Client, webhook_configured: None) -> None:
    response = mailgun_post(client, corpus_message("plain.eml"))
    assert response.status_code == 200
    message = EmailMessage.objects.get(direction=Direction.INBOUND)
    assert message.source == "webhook:mailgun"
    email_process(message.pk)
    message.refresh_from_db()
    assert message.request is not None


@pytest.mark.parametrize("key", ["the-wrong-key", None], ids=["badly-signed", "unsigned"])
def test_an_unsigned_or_badly_signed_webhook_call_gets_400_and_creates_nothing(
    client: Client, webhook_configured: None, key: str | None
) -> None:
    response = mailgun_post(client, corpus_message("plain.eml"), key=key)
    assert 400 <= response.status_code < 500
    assert not EmailMessage.objects.exists()


def test_the_webhook_does_not_exist_until_it_is_configured(client: Client, settings: Any) -> None:
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "", "WEBHOOK_SECRET": None}
    assert client.post("/inbound/email/", {"body-mime": "x"}).status_code == 404
