"""Requests the privacy team enters (by phone, letter, in person): the service and the
``request_create`` command, with the hostile input each refuses."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines
from requests_app.models import (
    AuditEvent,
    Channel,
    DataSubjectRequest,
    EmailMessage,
    ReceivedVia,
    RequestAttachment,
    State,
)
from requests_app.services import requests as services
from requests_app.services import staff_entry
from requests_app.services.retention import request_minimise
from requests_app.services.staff_entry import IdentityCheck, request_attachment_open, request_enter
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import transition
from tests.staff.test_permissions import FAST_HASHERS, Cast, make_cast

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db

LETTER = b"%PDF-1.4\nDear privacy team, please send me a copy of my data.\n%%EOF\n"
NOTE = "Called back on the number on file"


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


def last_week() -> Any:
    return timezone.localdate() - timedelta(days=7)


def a_letter(**changes: Any) -> NewRequest:
    fields: dict[str, Any] = {
        "channel": Channel.STAFF,
        "request_type": "access",
        "subject_email": "ada@example.org",
        "subject_name": "Ada Lovelace",
        "jurisdiction": "gdpr",
        "details": "A copy of everything, please.",
        "identifiers": {"phone": "+44 20 7946 0000", "account_id": "acct-881"},
        "received_at": staff_entry.received_on(last_week()),
        "received_via": ReceivedVia.LETTER,
    }
    return NewRequest(**(fields | changes))


def scan(name: str = "letter.pdf", content: bytes = LETTER) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_letter_received_last_week_is_due_a_month_from_the_letter_not_from_today(cast: Cast) -> None:
    request = request_enter(
        a_letter(), actor=Actor.staff(cast.bob), identity=IdentityCheck.NOT_CHECKED, attachments=[scan()]
    )
    received = last_week()
    assert timezone.localdate(request.received_at) == received
    assert request.due_at == deadlines.due_date("gdpr", received).due
    assert request.due_at != deadlines.due_date("gdpr", timezone.localdate()).due
    assert 28 <= (request.due_at - received).days <= 34  # one month, moved to a working day
    assert (request.channel, request.received_via) == (Channel.STAFF, ReceivedVia.LETTER)
    assert request.subject_identifiers == {"phone": "+44 20 7946 0000", "account_id": "acct-881"}


def test_a_letter_from_weeks_ago_gives_the_subject_the_whole_window_to_confirm(cast: Cast, settings: Any) -> None:
    # The deadline counts from the letter; the subject's time to confirm, from our email.
    settings.DSAR_VERIFICATION_WINDOW_DAYS = 14
    weeks_ago = staff_entry.received_on(timezone.localdate() - timedelta(days=20))
    request = request_enter(
        a_letter(received_at=weeks_ago), actor=Actor.staff(cast.bob), identity=IdentityCheck.NOT_CHECKED
    )
    assert services.requests_close_unverified() == 0
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION
    # Fifteen days after it was entered, the window is over.
    DataSubjectRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=15))
    assert services.requests_close_unverified() == 1
    request.refresh_from_db()
    assert request.state == State.CLOSED_UNVERIFIED


def test_the_scanned_letter_is_kept_encrypted_and_comes_back_as_it_was(cast: Cast) -> None:
    request = request_enter(
        a_letter(), actor=Actor.staff(cast.bob), identity=IdentityCheck.NOT_CHECKED,
        attachments=[scan("../../Ada's letter.pdf"), scan("envelope.pdf", b"%PDF-1.4 envelope %%EOF")],
    )  # fmt: skip
    first, second = RequestAttachment.objects.filter(request=request).order_by("pk")
    assert "/" not in first.filename and first.filename.startswith("Ada") and second.filename == "envelope.pdf"
    assert first.size == len(LETTER) and len(first.sha256) == 64
    with first.file.open("rb") as stored:
        assert LETTER not in stored.read()  # encrypted at rest
    assert first.file.name.startswith("request-attachments/") and "letter" not in first.file.name
    opened, plain = request_attachment_open(request=request, attachment_pk=first.pk)
    assert opened == first
    with plain:
        assert plain.read() == LETTER
    entered = AuditEvent.objects.get(request=request, action="request.entered_by_staff")
    assert entered.data["received_via"] == "letter" and len(entered.data["attachments"]) == 2
    assert "letter" not in str(entered.data["attachments"])  # the names are sealed
    assert audit_open(entered).personal == {"attachments": [first.filename, second.filename]}


def test_identity_checked_by_staff_verifies_it_with_the_note_on_the_record_and_sends_the_status_link(
    cast: Cast,
) -> None:
    request = request_enter(
        a_letter(received_via=ReceivedVia.PHONE),
        actor=Actor.staff(cast.bob),
        identity=IdentityCheck.CHECKED_BY_STAFF,
        identity_note=NOTE,
    )
    assert request.verified_at is not None and request.state != State.PENDING_VERIFICATION
    assert request.verification_note == NOTE
    verified = AuditEvent.objects.get(request=request, action="request.transition", to_state=State.VERIFIED)
    assert audit_open(verified).reason == NOTE and verified.actor == "staff:bob"
    sent = set(EmailMessage.objects.filter(request=request).values_list("kind", flat=True))
    assert "status_link" in sent and "acknowledgement" not in sent and "verification" not in sent


def test_identity_not_checked_waits_for_verification_and_sends_the_verification_email(cast: Cast) -> None:
    request = request_enter(a_letter(), actor=Actor.staff(cast.bob), identity=IdentityCheck.NOT_CHECKED)
    assert request.state == State.PENDING_VERIFICATION and request.verified_at is None
    acknowledgement = EmailMessage.objects.get(request=request, kind="acknowledgement")
    assert acknowledgement.to_addresses == ["ada@example.org"]
    assert "/request/verify/" in acknowledgement.body_text
    received = AuditEvent.objects.get(request=request, action="request.received")
    assert received.actor == "staff:bob" and received.data["received_via"] == "letter"


@pytest.mark.parametrize(
    ("changes", "identity", "note", "files", "message"),
    [
        ({"subject_email": "not an address"}, "not_checked", "", [], "email address is not valid"),
        ({"jurisdiction": "atlantis"}, "not_checked", "", [], "Unknown jurisdiction"),
        ({"received_at": timezone.now() + timedelta(days=2)}, "not_checked", "", [], "in the future"),
        ({"received_at": timezone.now() - timedelta(days=900)}, "not_checked", "", [], "check the year"),
        ({"received_at": None}, "not_checked", "", [], "Give the day"),
        ({"received_via": ""}, "not_checked", "", [], "Say how the request reached us"),
        ({"received_via": "carrier pigeon"}, "not_checked", "", [], "Say how the request reached us"),
        ({"channel": Channel.WEB}, "not_checked", "", [], "channel 'staff'"),
        ({}, "checked_by_staff", "   ", [], "Say how the identity was checked"),
        ({}, "maybe", "", [], "Say whether the identity was checked"),
        ({}, "not_checked", "", [scan(content=b"")], "is empty"),
        ({}, "not_checked", "", [scan(content=b"x" * 2048)], "larger than"),
    ],
)
def test_hostile_input_is_refused_clearly_and_records_nothing(
    cast: Cast, settings: Any, changes: dict[str, Any], identity: str, note: str, files: list[Any], message: str
) -> None:
    settings.DSAR_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ApplicationError, match=message):
        request_enter(
            a_letter(**changes), actor=Actor.staff(cast.bob), identity=identity, identity_note=note, attachments=files
        )
    assert not DataSubjectRequest.objects.exists()
    assert not RequestAttachment.objects.exists() and not EmailMessage.objects.exists()


def test_the_retention_rule_removes_the_letter_and_keeps_its_digest(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    request = request_enter(
        a_letter(), actor=Actor.staff(cast.bob), identity=IdentityCheck.NOT_CHECKED, attachments=[scan()]
    )
    transition(request, State.CANCELLED, Actor.staff(cast.bob), reason="Withdrawn by phone")
    DataSubjectRequest.objects.filter(pk=request.pk).update(closed_at=timezone.now() - timedelta(days=800))
    attachment = RequestAttachment.objects.get(request=request)
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        result = request_minimise(request_pk=request.pk)
    assert result is not None and result.removed["request_attachments"] == 1
    attachment.refresh_from_db()
    assert (attachment.file.name, attachment.filename) == ("", "") and len(attachment.sha256) == 64
    assert not storage.exists(name)
    with pytest.raises(RequestAttachment.DoesNotExist):
        request_attachment_open(request=request, attachment_pk=attachment.pk)


# --- The command ----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("request_create", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_records_a_letter_with_its_scan_and_prints_the_reference(cast: Cast, tmp_path: Path) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(LETTER)
    received = last_week().isoformat()
    reference = run(
        "--actor", "bob", "--via", "letter", "--type", "access", "--law", "gdpr", "--email", "ada@example.org",
        "--name", "Ada Lovelace", "--phone", "+44 20 7946 0000", "--received", received,
        "--identity", "checked_by_staff", "--identity-note", NOTE, "--attach", str(letter),
    )  # fmt: skip
    request = DataSubjectRequest.objects.get(reference=reference)
    assert (request.channel, request.received_via, request.subject_identifiers) == (
        "staff", "letter", {"phone": "+44 20 7946 0000"},
    )  # fmt: skip
    assert request.due_at == deadlines.due_date("gdpr", last_week()).due
    assert request.verified_at is not None and request.verification_note == NOTE
    assert RequestAttachment.objects.get(request=request).filename == "letter.pdf"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--via", "letter", "--type", "access", "--email", "a@example.org", "--identity", "not_checked"], "--actor"),
        (["--actor", "bob", "--via", "fax", "--type", "access", "--email", "a@example.org"], "invalid choice"),
        (["--actor", "nobody", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--identity", "not_checked"], "No active user"),
        (["--actor", "carol", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--identity", "not_checked"], "may not act"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "nope",
          "--identity", "not_checked"], "email address is not valid"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "a@example.org", "--law", "mars",
          "--identity", "not_checked"], "Unknown jurisdiction"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--received", "2026-02-30", "--identity", "not_checked"], "not a real date"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--received", "2999-01-01", "--identity", "not_checked"], "in the future"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--identity", "checked_by_staff"], "Say how the identity was checked"),
        (["--actor", "bob", "--via", "letter", "--type", "access", "--email", "a@example.org",
          "--identity", "not_checked", "--attach", "/no/such/letter.pdf"], "Cannot read"),
    ],
)  # fmt: skip
def test_the_command_refuses_missing_or_invalid_options_and_records_nothing(
    cast: Cast, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not DataSubjectRequest.objects.exists()
