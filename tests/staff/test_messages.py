"""Messages received on a request: unread until someone who may see personal data reads them,
marked on the request page, the queue and the dashboard; their files and an agent's signed
authorisation downloaded safely, each download on the record."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import (
    AuditEvent,
    Channel,
    DataSubjectRequest,
    EmailAttachment,
    EmailMessage,
    EmailStatus,
    RequestAttachment,
    RequestType,
    State,
)
from requests_app.services import messages as services
from requests_app.services.requests import request_submit
from requests_app.services.retention import request_minimise
from requests_app.staff import selectors
from requests_app.workflow.audit import audit_open, audit_seal_keys
from requests_app.workflow.new_request import NewRequest
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast
from tests.staff.test_request_new import form as entry_form
from tests.staff.test_request_new import scan

if TYPE_CHECKING:
    from django.test import Client

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    """The analyst: sees personal data."""
    return client_for(cast.bob)


@pytest.fixture
def carol(cast: Cast) -> Client:
    """The auditor: sees what was done and when, not to whom."""
    return client_for(cast.carol)


def reply_to(
    request: DataSubjectRequest,
    text: str = "Here is the account number you asked for.",
    *,
    files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """A reply from the subject, quoting the reference, taken in by the real intake pipeline."""
    mime = MimeMessage()
    mime["From"] = request.subject_email
    mime["To"] = "privacy@example.com"
    mime["Subject"] = f"Re: your request {request.reference}"
    mime["Message-ID"] = make_msgid(domain="example.org")
    mime.set_content(text)
    for filename, content_type, payload in files:
        maintype, subtype = content_type.split("/", 1)
        mime.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    stored, _ = email_receive(mime.as_bytes(), source="pipe")
    email_process(stored.pk)
    stored.refresh_from_db()
    assert stored.request_id == request.pk and stored.status == EmailStatus.ATTACHED
    return stored


def request_page(client: Client, request: DataSubjectRequest) -> str:
    response = client.get(f"/staff/requests/{request.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def mark_read(client: Client, request: DataSubjectRequest, message: EmailMessage) -> Any:
    return client.post(f"/staff/requests/{request.reference}/messages/{message.pk}/read/")


def queue_references(body: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/staff/requests/(DSR-\w{4}-\w{4})/">', body)


def opened(event: AuditEvent) -> dict[str, Any]:
    assert event.request_id is not None
    return audit_open(event, audit_seal_keys([event.request_id])).personal


# --- Unread and read ------------------------------------------------------------------------


def test_a_reply_is_unread_and_the_request_page_says_so_at_the_top_and_on_the_message(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request)

    body = request_page(bob, request)

    assert "1 unread message" in body
    assert f'id="message-{message.pk}"' in body and f'href="?timeline=messages#message-{message.pk}"' in body
    assert '<span class="unread-badge">Unread</span>' in body
    assert f'action="/staff/requests/{request.reference}/messages/{message.pk}/read/"' in body
    message.refresh_from_db()
    # Showing the page is not reading the message: it stays unread until someone says so.
    assert message.read_at is None and message.read_by is None


def test_marking_read_records_who_and_when_with_an_audit_event_and_the_marks_go(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request)

    response = mark_read(bob, request, message)

    assert response.status_code == 302
    assert response["Location"] == f"/staff/requests/{request.reference}/#message-{message.pk}"
    message.refresh_from_db()
    assert message.read_by == cast.bob and message.read_at is not None
    event = AuditEvent.objects.get(request=request, action="email.read")
    assert event.actor == "staff:bob" and event.data == {"email": message.pk}
    body = request_page(bob, request)
    assert "unread message" not in body and 'class="unread-badge"' not in body
    assert "Read by bob on" in body
    assert "Email marked read" in body


def test_marking_read_twice_records_one_read_by_the_first(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request)
    mark_read(bob, request, message)
    first = EmailMessage.objects.get(pk=message.pk).read_at

    alice = client_for(cast.alice)
    response = mark_read(alice, request, message)

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.read_by, message.read_at) == (cast.bob, first)
    assert AuditEvent.objects.filter(action="email.read").count() == 1
    assert "already marked this message read" in request_page(alice, request)


def test_the_auditor_sees_the_unread_mark_but_neither_reads_nor_marks(cast: Cast, carol: Client) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request, "My secret account number is 12345.")

    body = request_page(carol, request)
    response = mark_read(carol, request, message)

    assert "1 unread message" in body and "12345" not in body
    assert "/read/" not in body
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.read_at is None
    assert not AuditEvent.objects.filter(action="email.read").exists()


@pytest.mark.parametrize("who", ["dave", "anonymous"])
def test_people_without_a_staff_role_cannot_mark_a_message_read(cast: Cast, who: str) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request)
    response = mark_read(client_for(cast.by_name(who)), request, message)
    assert response.status_code in (302, 403)
    message.refresh_from_db()
    assert message.read_at is None


def test_a_message_of_another_request_or_one_we_sent_cannot_be_marked_through_this_one(cast: Cast, bob: Client) -> None:
    request, other = request_in_state(State.VERIFIED), request_in_state(State.VERIFIED)
    theirs = reply_to(other)
    ours = EmailMessage.objects.create(
        direction="out", status=EmailStatus.SENT, kind="reply", request=request, message_id=make_msgid()
    )

    assert mark_read(bob, request, theirs).status_code == 404
    assert mark_read(bob, request, ours).status_code == 404
    assert bob.get(f"/staff/requests/{request.reference}/messages/{theirs.pk}/read/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_service_refuses_a_message_of_another_request(cast: Cast) -> None:
    request, other = request_in_state(State.VERIFIED), request_in_state(State.VERIFIED)
    theirs = reply_to(other)
    with pytest.raises(EmailMessage.DoesNotExist):
        services.email_mark_read(request=request, email_pk=theirs.pk, user=cast.bob)


def test_a_request_whose_personal_data_was_removed_counts_no_unread_message(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.COMPLETED)
    reply_to(request)
    # Long after the retention period.
    assert request_minimise(request_pk=request.pk, now=timezone.now() + timedelta(days=3650)) is not None

    assert "unread message" not in request_page(bob, request)
    assert selectors.unread_requests().total == 0


# --- The queue ------------------------------------------------------------------------------


def test_the_queue_marks_requests_with_unread_messages_and_filters_them(cast: Cast, bob: Client) -> None:
    quiet = request_in_state(State.VERIFIED)
    waiting = request_in_state(State.VERIFIED)
    reply_to(waiting)
    reply_to(waiting, "And another thing.")
    read = request_in_state(State.VERIFIED)
    mark_read(bob, read, reply_to(read))

    everything = bob.get("/staff/requests/").content.decode()
    unread_only = bob.get("/staff/requests/?unread=on").content.decode()

    assert set(queue_references(everything)) == {quiet.reference, waiting.reference, read.reference}
    assert everything.count('<span class="unread-badge">2 unread</span>') == 1
    assert 'name="unread"' in everything and "With unread messages" in everything
    assert queue_references(unread_only) == [waiting.reference]


def test_the_auditor_may_filter_the_queue_by_unread_messages(cast: Cast, carol: Client) -> None:
    waiting = request_in_state(State.VERIFIED)
    reply_to(waiting)
    request_in_state(State.VERIFIED)
    assert queue_references(carol.get("/staff/requests/?unread=on").content.decode()) == [waiting.reference]


def queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/requests/").status_code == 200
    return len(queries)


def test_the_queue_makes_as_many_queries_for_many_messages_as_for_few(cast: Cast, bob: Client) -> None:
    for _ in range(2):
        reply_to(request_in_state(State.VERIFIED))
    few = queue_queries(bob)
    for _ in range(6):
        request = request_in_state(State.VERIFIED)
        reply_to(request)
        reply_to(request, "Again.")

    assert queue_queries(bob) == few


def test_the_queue_stays_within_its_query_budget(cast: Cast, bob: Client, django_assert_max_num_queries: Any) -> None:
    for _ in range(8):
        reply_to(request_in_state(State.VERIFIED))
    bob.get("/staff/requests/")  # the session and permission caches, as any page after the first
    with django_assert_max_num_queries(15):
        bob.get("/staff/requests/")


# --- The dashboard --------------------------------------------------------------------------


def test_the_dashboard_lists_requests_with_unread_messages_longest_waiting_first(cast: Cast, bob: Client) -> None:
    first, second = request_in_state(State.VERIFIED), request_in_state(State.COMPLETED)
    reply_to(first)
    reply_to(second)
    reply_to(second, "Still waiting.")
    done = request_in_state(State.VERIFIED)
    mark_read(bob, done, reply_to(done))

    body = bob.get("/staff/").content.decode()
    card = body[body.index('id="unread-title"') : body.index('id="state-title"')]

    assert "2 requests with messages nobody has marked read" in card
    assert card.index(first.reference) < card.index(second.reference)
    assert f'href="/staff/requests/{second.reference}/"' in card
    assert "2 unread" in card and "1 unread" in card
    assert done.reference not in card
    assert 'href="/staff/requests/?state=any&amp;unread=on"' in card


def test_the_dashboard_says_when_every_message_was_read(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    mark_read(bob, request, reply_to(request))
    assert "Every message received on a request has been read." in bob.get("/staff/").content.decode()


# --- Downloading a message's files ----------------------------------------------------------


def attachment_url(request: DataSubjectRequest, attachment: EmailAttachment) -> str:
    return f"/staff/requests/{request.reference}/messages/{attachment.email_id}/attachments/{attachment.pk}/"


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_an_attachment_is_listed_under_its_message_and_downloads_with_safe_headers(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    message = reply_to(request, files=[("passport scan.pdf", "application/pdf", PDF)])
    attachment = message.attachments.get()

    page = request_page(bob, request)
    response = bob.get(attachment_url(request, attachment))

    assert f'href="{attachment_url(request, attachment)}" download>passport scan.pdf</a>' in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="passport scan.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert body_of(response) == PDF
    event = AuditEvent.objects.get(request=request, action="file.downloaded_by_staff")
    assert event.actor == "staff:bob"
    assert event.data == {
        "what": "email attachment",
        "email": message.pk,
        "attachment": attachment.pk,
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "size": len(PDF),
        "served_as": "application/pdf",
        "matches_received": True,
    }
    assert opened(event) == {"filename": "passport scan.pdf"}


@pytest.mark.parametrize(
    ("declared", "payload", "served"),
    [
        ("image/png", PNG, "image/png"),
        ("image/gif", b"GIF89a\x01\x00\x01\x00", "image/gif"),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        ("text/plain", "Grüße, my account is 42.\n".encode(), "text/plain; charset=utf-8"),
        # A type nobody checks, or a name that lies about the bytes: a plain download.
        ("text/html", HTML, "application/octet-stream"),
        ("image/svg+xml", b"<svg onload=alert(1)></svg>", "application/octet-stream"),
        ("application/pdf", HTML, "application/octet-stream"),
        ("image/png", PDF, "application/octet-stream"),
        ("text/plain", PDF, "application/octet-stream"),
        ("text/plain", b"\x00\x01binary", "application/octet-stream"),
    ],
)
def test_an_attachment_keeps_its_type_only_when_allowed_and_its_bytes_agree(
    cast: Cast, bob: Client, declared: str, payload: bytes, served: str
) -> None:
    request = request_in_state(State.VERIFIED)
    attachment = reply_to(request, files=[("file.bin", declared, payload)]).attachments.get()

    response = bob.get(attachment_url(request, attachment))

    assert response["Content-Type"] == served
    assert response["Content-Disposition"].startswith("attachment;")
    assert body_of(response) == payload
    assert AuditEvent.objects.get(action="file.downloaded_by_staff").data["served_as"] == served


def test_plain_text_cut_inside_a_character_at_the_head_still_counts_as_text() -> None:
    head = ("a" * (services.HEAD_BYTES - 1) + "é").encode()[: services.HEAD_BYTES]
    assert services.served_content_type("text/plain", head) == "text/plain; charset=utf-8"
    assert services.served_content_type("text/plain", b"\xff\xfe" + b"a" * 10) == services.OCTET_STREAM
    assert services.served_content_type("Application/PDF; name=x.pdf", PDF) == "application/pdf"


def test_a_hostile_name_from_the_sender_never_becomes_a_path_or_a_header(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    attachment = reply_to(request, files=[("../../x", "application/pdf", PDF)]).attachments.get()

    response = bob.get(attachment_url(request, attachment))

    assert attachment.filename == "x"
    assert attachment.file.name.startswith("email/attachments/") and ".." not in attachment.file.name
    assert response["Content-Disposition"] == 'attachment; filename="x"'


@pytest.mark.parametrize(
    ("stored_name", "header"),
    [
        ('a"b\r\n.pdf', 'attachment; filename="a_b.pdf"'),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("..\\..\\boot.ini", 'attachment; filename="boot.ini"'),
        ("\u202eexe.pdf", 'attachment; filename="exe.pdf"'),
        ("résumé.pdf", "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"),
        ("..", 'attachment; filename="file"'),
    ],
)
def test_a_hostile_name_kept_on_a_file_is_made_safe_when_it_is_served(
    cast: Cast, bob: Client, stored_name: str, header: str
) -> None:
    """Names are cleaned when mail comes in; a row holding any other name is still served safely."""
    request = request_in_state(State.VERIFIED)
    attachment = reply_to(request, files=[("scan.pdf", "application/pdf", PDF)]).attachments.get()
    EmailAttachment.objects.filter(pk=attachment.pk).update(filename=stored_name)

    response = bob.get(attachment_url(request, attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == header
    assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]


def test_a_file_whose_stored_bytes_changed_is_served_and_the_record_says_so(cast: Cast, bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    attachment = reply_to(request, files=[("scan.pdf", "application/pdf", PDF)]).attachments.get()
    with attachment.file.open("wb") as stored:
        stored.write(PDF + b"tampered")

    bob.get(attachment_url(request, attachment))

    event = AuditEvent.objects.get(action="file.downloaded_by_staff")
    assert event.data["matches_received"] is False
    assert event.data["sha256"] == hashlib.sha256(PDF + b"tampered").hexdigest()


def test_an_attachment_of_another_request_or_message_is_not_found_and_not_recorded(cast: Cast, bob: Client) -> None:
    request, other = request_in_state(State.VERIFIED), request_in_state(State.VERIFIED)
    mine = reply_to(request, files=[("mine.pdf", "application/pdf", PDF)])
    theirs = reply_to(other, files=[("theirs.pdf", "application/pdf", PDF)]).attachments.get()
    base = f"/staff/requests/{request.reference}/messages"

    assert bob.get(attachment_url(request, theirs)).status_code == 404
    # Their file through my message, and my message's number with their file's.
    assert bob.get(f"{base}/{mine.pk}/attachments/{theirs.pk}/").status_code == 404
    assert bob.get(f"/staff/requests/{other.reference}/messages/{mine.pk}/attachments/{theirs.pk}/").status_code == 404
    assert bob.get(f"{base}/{mine.pk}/attachments/999999/").status_code == 404
    assert not AuditEvent.objects.filter(action="file.downloaded_by_staff").exists()


def test_the_auditor_is_refused_a_download_and_is_not_shown_the_files(cast: Cast, carol: Client) -> None:
    request = request_in_state(State.VERIFIED)
    attachment = reply_to(request, files=[("passport.pdf", "application/pdf", PDF)]).attachments.get()

    page = request_page(carol, request)
    response = carol.get(attachment_url(request, attachment))

    assert "passport.pdf" not in page and "/attachments/" not in page
    assert response.status_code == 403 and PDF not in response.content
    assert AuditEvent.objects.filter(action="access.refused").exists()
    assert not AuditEvent.objects.filter(action="file.downloaded_by_staff").exists()


# --- The agent's signed authorisation -------------------------------------------------------


def agent_request(authorisation: bytes = PDF, name: str = "authorisation.pdf") -> DataSubjectRequest:
    new = NewRequest(
        channel=Channel.WEB,
        request_type=RequestType.ACCESS,
        subject_email="sam@example.org",
        subject_name="Sam Subject",
        agent_name="Alex Agent",
        agent_email="alex@agency.example",
    )
    return request_submit(new, agent_authorisation=ContentFile(authorisation, name=name))


def test_the_agents_signed_authorisation_downloads_from_the_request_page(cast: Cast, bob: Client) -> None:
    request = agent_request()
    url = f"/staff/requests/{request.reference}/agent-authorisation/"

    page = request_page(bob, request)
    response = bob.get(url)

    assert f'href="{url}" download>Download the signed authorisation</a>' in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="authorisation-{request.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response) == PDF
    event = AuditEvent.objects.get(request=request, action="file.downloaded_by_staff")
    assert event.actor == "staff:bob"
    assert event.data == {
        "what": "agent authorisation",
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "size": len(PDF),
        "served_as": "application/pdf",
    }


def test_an_authorisation_whose_bytes_are_not_its_type_downloads_as_plain_bytes(cast: Cast, bob: Client) -> None:
    request = agent_request()
    request.agent_authorisation.save("old.pdf", ContentFile(HTML), save=True)

    response = bob.get(f"/staff/requests/{request.reference}/agent-authorisation/")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_no_authorisation_is_not_found_and_the_auditor_is_refused_one(cast: Cast, bob: Client, carol: Client) -> None:
    without = request_in_state(State.VERIFIED)
    request = agent_request()

    assert bob.get(f"/staff/requests/{without.reference}/agent-authorisation/").status_code == 404
    assert bob.get("/staff/requests/DSR-ZZZZ-ZZZZ/agent-authorisation/").status_code == 404
    assert carol.get(f"/staff/requests/{request.reference}/agent-authorisation/").status_code == 403
    assert "/agent-authorisation/" not in request_page(carol, request)
    assert not AuditEvent.objects.filter(action="file.downloaded_by_staff").exists()


# --- The files entered with a request are served the same way -------------------------------


@pytest.mark.parametrize(
    ("name", "content", "served", "header"),
    [
        ("letter.pdf", PDF, "application/pdf", r'attachment; filename="letter\.pdf"'),
        ("letter.html", HTML, "application/octet-stream", r'attachment; filename="letter\.html"'),
        # Named safely when kept (with a digest of the name given), and again when served.
        ('a"b.pdf', HTML, "application/octet-stream", r'attachment; filename="a_b\.pdf-[0-9a-f]+"'),
    ],
)
def test_a_file_entered_with_a_request_downloads_with_a_checked_type_and_a_safe_name(
    cast: Cast, bob: Client, name: str, content: bytes, served: str, header: str
) -> None:
    bob.post("/staff/requests/new/", entry_form(attachments=[scan(name, content)]))
    request = DataSubjectRequest.objects.get()
    attachment = RequestAttachment.objects.get()

    response = bob.get(f"/staff/requests/{request.reference}/attachments/{attachment.pk}/")

    assert response["Content-Type"] == served
    assert re.fullmatch(header, response["Content-Disposition"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response) == content
