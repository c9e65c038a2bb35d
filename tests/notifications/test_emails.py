"""What each email says, and how it is sent exactly as recorded."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from requests_app.models import AuditEvent, EmailMessage, EmailStatus, State
from requests_app.notifications.emails import KINDS, email_failed, email_send, notify
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from tests.factories import DataSubjectRequestFactory, request_in_state

pytestmark = pytest.mark.django_db

STAFF = Actor.system("tests")
SCRIPT = "<script>alert(1)</script>"

CONTEXTS: dict[str, dict[str, Any]] = {
    "acknowledgement": {"verify_url": "https://p.example/request/verify/T/", "code": "1234-5678"},
    "verification": {"verify_url": "https://p.example/request/verify/T/", "code": "1234-5678"},
    "status_link": {"status_url": "https://p.example/request/status/S/"},
    "more_information": {"question": f"Which account? {SCRIPT}"},
    "extension": {"reason": f"Many systems {SCRIPT}"},
    "completion": {"status_url": "https://p.example/request/status/S/"},
    "rejection": {"reason": f"Not verifiable {SCRIPT}"},
    "closed_unverified": {},
    "appeal_decision": {"outcome": "upheld", "explanation": f"Exempt {SCRIPT}", "complaint_to": "the AG"},
    "download_code": {"code": "1234-5678"},
    "reply": {"message": f"Thanks for your patience {SCRIPT}"},
    "verification_reminder": {
        "verify_url": "https://p.example/request/verify/T/",
        "code": "1234-5678",
        "closes_at": timezone.now() + timedelta(days=1),
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_notification_has_a_subject_with_the_reference_a_text_and_an_html_part(kind: str) -> None:
    request = DataSubjectRequestFactory.create(subject_name=f"Ada {SCRIPT}")
    message = notify(request=request, kind=kind, to="ada@example.org", context=CONTEXTS[kind])
    assert message.subject.startswith(f"[{request.reference}] ")
    assert "\n" not in message.subject
    assert request.reference in message.body_text
    assert "<script>" not in message.body_html
    assert "&lt;script&gt;" in message.body_html or SCRIPT not in message.body_text
    assert AuditEvent.objects.filter(request=request, action="email.queued", data__kind=kind).exists()


def test_the_acknowledgement_tells_the_reference_the_due_date_and_how_to_verify() -> None:
    request = DataSubjectRequestFactory.create()
    text = notify(
        request=request, kind="acknowledgement", to="a@example.org", context=CONTEXTS["acknowledgement"]
    ).body_text
    assert request.reference in text
    assert request.due_at.strftime("%Y") in text
    assert "https://p.example/request/verify/T/" in text and "1234-5678" in text


def test_the_rejection_gives_the_reason_and_the_right_to_complain(settings: Any) -> None:
    settings.DSAR_SUPERVISORY_AUTHORITY = "the Example Data Protection Authority"
    request = request_in_state(State.VERIFIED)
    services.request_reject(request=request, actor=STAFF, reason="We hold no account for this address.")
    text = EmailMessage.objects.get(request=request, kind="rejection").body_text
    assert "We hold no account for this address." in text
    assert "the Example Data Protection Authority" in text
    assert "supervisory authority" in text


def test_the_extension_gives_the_new_date_and_the_reason() -> None:
    request = request_in_state(State.IN_PROGRESS)
    services.request_extend_with_notice(request=request, actor=STAFF, reason="Eleven systems to search.")
    request.refresh_from_db()
    text = EmailMessage.objects.get(request=request, kind="extension").body_text
    assert "Eleven systems to search." in text
    assert request.due_at.strftime("%-d %B %Y") in text


def test_an_agent_hears_the_outcome_and_the_subject_gets_the_link() -> None:
    request = request_in_state(State.IN_PROGRESS, agent_name="Alex", agent_email="agent@agency.example")
    services.request_ask_requester(request=request, actor=STAFF, question="A copy of your ID?")
    assert EmailMessage.objects.get(kind="more_information").to_addresses == ["agent@agency.example"]


def test_sending_delivers_the_recorded_message_with_its_message_id_and_keeps_the_raw_bytes() -> None:
    request = DataSubjectRequestFactory.create(subject_email="ada@example.org")
    message = notify(request=request, kind="closed_unverified", to="ada@example.org")

    assert email_send(message.pk) is True
    (sent,) = mail.outbox
    assert sent.to == ["ada@example.org"]
    assert sent.extra_headers["Message-ID"] == f"<{message.message_id}>"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.reply_to == [settings.DSAR_REPLY_TO_EMAIL]
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT and message.sent_at is not None
    raw = message.raw.read()
    assert hashlib.sha256(raw).hexdigest() == message.sha256
    assert message.message_id.encode() in raw


def test_a_message_says_the_language_it_is_written_in() -> None:
    german = DataSubjectRequestFactory.create(subject_email="greta@example.de", language="de")
    english = DataSubjectRequestFactory.create(subject_email="ada@example.org")
    for request in (german, english):
        email_send(notify(request=request, kind="closed_unverified", to=request.subject_email).pk)
    by_address = {sent.to[0]: sent for sent in mail.outbox}
    assert by_address["greta@example.de"].extra_headers["Content-Language"] == "de"
    assert by_address["ada@example.org"].extra_headers["Content-Language"] == "en"
    assert EmailMessage.objects.get(request=german).raw.read().count(b"Content-Language: de") == 1


def test_a_sent_message_is_not_sent_again_when_its_task_runs_twice() -> None:
    message = notify(request=DataSubjectRequestFactory.create(), kind="closed_unverified", to="a@example.org")
    assert email_send(message.pk) is True
    assert email_send(message.pk) is False
    assert len(mail.outbox) == 1


def test_a_message_that_finally_fails_is_marked_and_on_the_record() -> None:
    request = DataSubjectRequestFactory.create()
    message = notify(request=request, kind="closed_unverified", to="a@example.org")
    email_failed(message.pk, "SMTPRecipientsRefused: 550 no such user")
    message.refresh_from_db()
    assert message.status == EmailStatus.FAILED
    assert "550" in message.error
    assert AuditEvent.objects.filter(request=request, action="email.failed").exists()
    assert email_send(message.pk) is False


def test_closing_unverified_requests_tells_each_requester() -> None:
    stale = DataSubjectRequestFactory.create(received_at=timezone.now() - timedelta(days=20))
    assert services.requests_close_unverified() == 1
    notice = EmailMessage.objects.get(request=stale, kind="closed_unverified")
    assert notice.to_addresses == [stale.subject_email]


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notify(request=DataSubjectRequestFactory.create(), kind="marketing", to="a@example.org")


class _Inbox:
    """A real SMTP server's handler: keeps each message's bytes as they came over the wire."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received.append(envelope.original_content)  # type: ignore[attr-defined]
        return "250 OK"


def test_the_kept_copy_is_byte_for_byte_the_message_the_mail_server_was_given(settings: Any) -> None:
    from aiosmtpd.controller import Controller

    from tests.reliability.processes import free_port

    inbox, port = _Inbox(), free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    request = DataSubjectRequestFactory.create(subject_email="ada@example.org")
    message = notify(request=request, kind="completion", to="ada@example.org", context=CONTEXTS["completion"])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert email_send(message.pk) is True
    finally:
        controller.stop()

    (wire,) = inbox.received
    message.refresh_from_db()
    kept = message.raw.read()
    assert b"multipart/alternative" in kept  # text and HTML: a boundary that must match too
    assert wire.replace(b"\r\n", b"\n") == kept  # SMTP sends lines ending CRLF
    assert hashlib.sha256(kept).hexdigest() == message.sha256
