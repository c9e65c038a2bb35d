"""The mailbox shell against a real Dovecot on loopback (scripts/dovecot.sh), over verified TLS."""

from __future__ import annotations

import os
import secrets
import ssl
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pytest
from imap_tools import MailBox

from requests_app.intake.email_parse import parse_email
from requests_app.intake.imap import (
    PROCESSED_KEYWORD,
    FetchedMessage,
    MailboxError,
    MailboxSettings,
    fetch_new,
    mark_processed,
)
from tests.email_corpus import LARGE_ATTACHMENT_NAME, corpus_message, make_large_message

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

PLAIN, REPLY, SPOOFED = (corpus_message(name) for name in ("plain.eml", "reply_quoted.eml", "spoofed.eml"))


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    cafile: str
    password: str = field(repr=False)

    def context(self) -> ssl.SSLContext:
        """Certificate and host name verification on, trusting only the test server's own certificate."""
        return ssl.create_default_context(cafile=self.cafile)


@pytest.fixture(scope="module")
def server() -> Server:
    names = ["DSAR_TEST_IMAP_HOST", "DSAR_TEST_IMAP_PORT", "DSAR_TEST_IMAP_USER", "DSAR_TEST_IMAP_PASSWORD"]
    missing = [name for name in [*names, "DSAR_TEST_IMAP_CAFILE"] if not os.environ.get(name)]
    if missing:
        pytest.fail(
            "The IMAP tests need the test Dovecot: run `scripts/dovecot.sh start` and "
            f'`eval "$(scripts/dovecot.sh env)"` (missing {", ".join(missing)})',
            pytrace=False,
        )
    env = os.environ
    return Server(
        host=env["DSAR_TEST_IMAP_HOST"],
        port=int(env["DSAR_TEST_IMAP_PORT"]),
        user=env["DSAR_TEST_IMAP_USER"],
        password=env["DSAR_TEST_IMAP_PASSWORD"],
        cafile=env["DSAR_TEST_IMAP_CAFILE"],
    )


def admin(server: Server) -> MailBox:
    """A connection of the test's own, to set up and inspect the mailbox behind the code's back."""
    return MailBox(server.host, server.port, timeout=30, ssl_context=server.context()).login(
        server.user, server.password, initial_folder=None
    )


@pytest.fixture
def mailbox_settings(server: Server) -> Iterator[MailboxSettings]:
    """Settings for a folder of this test's own (and its processed folder), removed afterwards."""
    folder = f"test-{uuid.uuid4().hex[:12]}"
    with admin(server) as mailbox:
        mailbox.folder.create(folder)
    yield MailboxSettings(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        folder=folder,
        ssl_context=server.context(),
        timeout=30,
    )
    with admin(server) as mailbox:
        for name in (folder, f"{folder}-processed"):
            if mailbox.folder.exists(name):
                mailbox.folder.delete(name)


def append(server: Server, mailbox_settings: MailboxSettings, *messages: bytes) -> None:
    with admin(server) as mailbox:
        for raw in messages:
            mailbox.append(raw, mailbox_settings.folder)


def flags(server: Server, folder: str) -> list[set[str]]:
    """Each message's flags in `folder`, oldest first (read without setting \\Seen)."""
    with admin(server) as mailbox:
        mailbox.folder.set(folder, readonly=True)
        messages = mailbox.fetch(mark_seen=False, headers_only=True)
        return [set(message.flags) - {"\\Recent"} for message in messages]


def uids(messages: list[FetchedMessage]) -> list[int]:
    return [message.uid for message in messages]


def test_new_messages_come_oldest_first_as_the_exact_bytes_sent(
    server: Server, mailbox_settings: MailboxSettings
) -> None:
    append(server, mailbox_settings, PLAIN, REPLY, SPOOFED)

    uidvalidity, messages = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    assert [message.raw for message in messages] == [PLAIN, REPLY, SPOOFED]
    assert uids(messages) == sorted(uids(messages))
    assert {message.uidvalidity for message in messages} == {uidvalidity}
    assert parse_email(messages[0].raw).from_address == "jane.doe@example.org"


def test_fetching_leaves_messages_unread(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN)

    fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    assert flags(server, mailbox_settings.folder) == [set()]


def test_a_message_is_taken_in_exactly_once_across_two_polls(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN, REPLY)
    uidvalidity, first = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)
    mark_processed(mailbox_settings, uids(first), uidvalidity=uidvalidity)

    _, second = fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=max(uids(first)))
    _, from_the_start = fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=0)
    append(server, mailbox_settings, SPOOFED)
    _, third = fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=max(uids(first)))

    assert len(first) == 2
    assert second == []
    assert from_the_start == []  # marked messages are never handed out again
    assert [message.raw for message in third] == [SPOOFED]


def test_a_restarted_poller_at_the_same_position_gets_nothing_new(
    server: Server, mailbox_settings: MailboxSettings
) -> None:
    append(server, mailbox_settings, PLAIN, REPLY)
    uidvalidity, before = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    # A new process: a new connection, the position it stored, nothing marked yet.
    again, after = fetch_new(replace(mailbox_settings), uidvalidity=uidvalidity, after_uid=max(uids(before)))

    assert (again, after) == (uidvalidity, [])
    # Unmarked, the messages are still there for a poller that lost its position.
    assert uids(fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=0)[1]) == uids(before)


def test_after_uid_skips_older_messages(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN, REPLY, SPOOFED)
    uidvalidity, everything = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)
    first, second, third = uids(everything)

    assert uids(fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=first)[1]) == [second, third]
    assert uids(fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=third)[1]) == []
    # "UID n:*" with n above every UID still matches the last message on the server: not ours.
    assert uids(fetch_new(mailbox_settings, uidvalidity=uidvalidity, after_uid=third + 100)[1]) == []


def test_limit_takes_the_oldest_first(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN, REPLY, SPOOFED)

    _, messages = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0, limit=2)

    assert [message.raw for message in messages] == [PLAIN, REPLY]


def test_marking_flags_the_messages_seen_and_processed(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN, REPLY)
    uidvalidity, messages = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    mark_processed(mailbox_settings, uids(messages)[:1], uidvalidity=uidvalidity)
    mark_processed(mailbox_settings, uids(messages)[:1], uidvalidity=uidvalidity)  # twice changes nothing

    assert flags(server, mailbox_settings.folder) == [{"\\Seen", PROCESSED_KEYWORD}, set()]


def test_processed_folder_mode_moves_the_messages_into_a_folder_it_creates(
    server: Server, mailbox_settings: MailboxSettings
) -> None:
    moving = replace(mailbox_settings, processed_folder=f"{mailbox_settings.folder}-processed")
    append(server, mailbox_settings, PLAIN, REPLY)
    uidvalidity, messages = fetch_new(moving, uidvalidity=None, after_uid=0)

    mark_processed(moving, uids(messages)[:1], uidvalidity=uidvalidity)

    with admin(server) as mailbox:
        mailbox.folder.set(f"{mailbox_settings.folder}-processed", readonly=True)
        moved = [message.obj.as_bytes() for message in mailbox.fetch(mark_seen=False)]
    assert len(moved) == 1
    assert parse_email(moved[0]).message_id == "CAF8kq2m9xd.4821.jane@mail.example.org"
    assert [message.raw for message in fetch_new(moving, uidvalidity=uidvalidity, after_uid=0)[1]] == [REPLY]


def test_a_changed_uidvalidity_returns_every_message_not_yet_processed(
    server: Server, mailbox_settings: MailboxSettings
) -> None:
    append(server, mailbox_settings, PLAIN, REPLY, SPOOFED)
    uidvalidity, messages = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)
    mark_processed(mailbox_settings, uids(messages)[:1], uidvalidity=uidvalidity)

    current, again = fetch_new(mailbox_settings, uidvalidity=uidvalidity + 1, after_uid=max(uids(messages)))

    assert current == uidvalidity
    assert [message.raw for message in again] == [REPLY, SPOOFED]


def test_marking_under_a_stale_uidvalidity_marks_nothing(server: Server, mailbox_settings: MailboxSettings) -> None:
    append(server, mailbox_settings, PLAIN)
    uidvalidity, messages = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    with pytest.raises(MailboxError, match="UIDVALIDITY"):
        mark_processed(mailbox_settings, uids(messages), uidvalidity=uidvalidity + 1)

    assert flags(server, mailbox_settings.folder) == [set()]


def test_marking_nothing_does_not_connect() -> None:
    unreachable = MailboxSettings(host="127.0.0.1", port=1, user="u", password="p")

    mark_processed(unreachable, [])


def test_a_20_mb_message_is_fetched_whole(server: Server, mailbox_settings: MailboxSettings) -> None:
    large = make_large_message()
    append(server, mailbox_settings, large)

    _, [message] = fetch_new(mailbox_settings, uidvalidity=None, after_uid=0)

    assert message.raw == large
    assert parse_email(message.raw).skipped_attachments == (LARGE_ATTACHMENT_NAME,)


def test_a_wrong_password_is_a_mailbox_error_that_never_shows_the_password(mailbox_settings: MailboxSettings) -> None:
    wrong = replace(mailbox_settings, password=f"wrong-{secrets.token_hex(8)}")

    with pytest.raises(MailboxError) as raised:
        fetch_new(wrong, uidvalidity=None, after_uid=0)

    assert raised.value.host == mailbox_settings.host
    assert mailbox_settings.host in str(raised.value)
    assert "AUTHENTICATIONFAILED" in str(raised.value)
    assert wrong.password not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert wrong.password not in repr(wrong)


def test_a_certificate_the_system_does_not_trust_is_refused(mailbox_settings: MailboxSettings) -> None:
    system_trust = replace(mailbox_settings, ssl_context=None)

    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED") as raised:
        fetch_new(system_trust, uidvalidity=None, after_uid=0)

    assert mailbox_settings.password not in str(raised.value)


def test_the_test_context_verifies_the_certificate_and_the_host_name(server: Server) -> None:
    context = server.context()

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_a_missing_folder_is_a_mailbox_error(mailbox_settings: MailboxSettings) -> None:
    with pytest.raises(MailboxError, match="no-such-folder"):
        fetch_new(replace(mailbox_settings, folder="no-such-folder"), uidvalidity=None, after_uid=0)


def test_an_unreachable_server_is_a_mailbox_error_naming_the_host() -> None:
    unreachable = MailboxSettings(host="127.0.0.1", port=1, user="privacy", password="secret-value", timeout=5)

    with pytest.raises(MailboxError, match=r"127\.0\.0\.1:1") as raised:
        fetch_new(unreachable, uidvalidity=None, after_uid=0)

    assert "secret-value" not in str(raised.value)


def test_processed_folder_must_differ_from_the_folder() -> None:
    with pytest.raises(ValueError, match="processed_folder"):
        MailboxSettings(host="h", port=1, user="u", password="p", folder="INBOX", processed_folder="INBOX")
