"""Polling a real IMAP server (Dovecot on loopback): each message is taken in exactly once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from requests_app.intake import mailbox
from requests_app.intake.pipeline import email_process, unprocessed
from requests_app.models import DataSubjectRequest, Direction, EmailMessage, MailboxState
from tests.email_corpus import corpus_message
from tests.intake import test_imap
from tests.intake.test_imap import Server, append, flags

if TYPE_CHECKING:
    from requests_app.intake.imap import MailboxSettings

# The IMAP tests' fixtures: the test Dovecot, and a folder of each test's own.
server = test_imap.server
mailbox_settings = test_imap.mailbox_settings

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def numbered(n: int) -> bytes:
    return (
        f"From: Person {n} <person{n}@example.org>\r\nTo: privacy@example.com\r\n"
        f"Subject: PRIVACY POLICY request\r\nMessage-ID: <poll-{n}@example.org>\r\n\r\n"
        "Please send me a copy of my data.\r\n"
    ).encode()


def inbound() -> int:
    return EmailMessage.objects.filter(direction=Direction.INBOUND).count()


def process_all() -> None:
    for pk in unprocessed():
        email_process(pk)


def test_two_polls_take_each_message_in_once(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, numbered(1), numbered(2))
    assert mailbox.mailbox_poll(mailbox_settings) == 2
    assert mailbox.mailbox_poll(mailbox_settings) == 0
    append(server, mailbox_settings, numbered(3))
    assert mailbox.mailbox_poll(mailbox_settings) == 1
    process_all()
    assert inbound() == 3
    assert DataSubjectRequest.objects.count() == 3
    assert all("$DsarProcessed" in f for f in flags(server, mailbox_settings.folder))


def test_a_restart_after_storing_but_before_marking_takes_nothing_in_twice(
    server: Server, mailbox_settings: MailboxSettings, monkeypatch: Any
) -> None:
    append(server, mailbox_settings, numbered(10), corpus_message("plain.eml"))

    def crash(*args: object, **kwargs: object) -> None:
        raise ConnectionResetError("the poller died before marking")

    monkeypatch.setattr(mailbox, "mark_processed", crash)
    with pytest.raises(ConnectionResetError):
        mailbox.mailbox_poll(mailbox_settings)
    assert inbound() == 2
    # A new poller, as after a restart: the position was kept with each stored message.
    monkeypatch.undo()
    assert mailbox.mailbox_poll(mailbox_settings) == 0
    state = MailboxState.objects.get()
    state.last_uid = 0  # even a lost position only re-reads, it does not duplicate
    state.save()
    assert mailbox.mailbox_poll(mailbox_settings) == 0
    assert inbound() == 2
    process_all()
    assert DataSubjectRequest.objects.count() == 2


def test_the_poll_mailbox_command_takes_in_the_configured_folder(
    server: Server, mailbox_settings: MailboxSettings, settings: Any
) -> None:
    import io

    from django.core.management import call_command

    settings.DSAR_IMAP_HOST, settings.DSAR_IMAP_PORT = server.host, server.port
    settings.DSAR_IMAP_USER, settings.DSAR_IMAP_PASSWORD = server.user, server.password
    settings.DSAR_IMAP_FOLDER, settings.DSAR_IMAP_CAFILE = mailbox_settings.folder, server.cafile
    settings.DSAR_IMAP_PROCESSED_FOLDER = ""
    append(server, mailbox_settings, numbered(40), numbered(41))
    output = io.StringIO()
    call_command("poll_mailbox", stdout=output)
    # This process's worker, when one runs, may process some of them first: each once.
    assert re.fullmatch(r"2 new messages stored, [0-2] processed here", output.getvalue().strip())
    assert not unprocessed()
    assert DataSubjectRequest.objects.count() == 2
    output = io.StringIO()
    call_command("poll_mailbox", stdout=output)
    assert output.getvalue().strip() == "0 new messages stored, 0 processed here"
