"""Fetch new mail from the privacy mailbox over IMAPS, and mark what was taken in.

A thin shell over imap-tools: it moves bytes and nothing else. Parsing is ``email_parse``'s
job, and remembering what was stored is the caller's (the database is the source of truth).

Exactly-once, as ``poll_mailbox`` is meant to use it: fetch with the UIDVALIDITY and highest UID
the database holds, store each message under a unique key (UIDVALIDITY and UID, and its content
hash), then ``mark_processed`` what was stored. A crash between storing and marking fetches the
same messages again next time, and the unique key makes storing them a no-op. Fetching never
sets \\Seen (BODY.PEEK), so a message nobody stored stays new for people and pollers alike.
"""

from __future__ import annotations

import imaplib
import ssl
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from imap_tools import MailBox, MailMessage
from imap_tools.errors import ImapToolsError, MailboxFlagError, MailboxFolderCreateError
from imap_tools.utils import check_command_status

if TYPE_CHECKING:
    from collections.abc import Iterator

# The keyword (RFC 3501 flag without a backslash) that marks a message taken in, when the
# mailbox keeps processed mail where it is instead of moving it to processed_folder.
PROCESSED_KEYWORD = "$DsarProcessed"

# What the network, TLS, imaplib and imap-tools raise when the server or the link fails.
_TRANSPORT_ERRORS = (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError)


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str = field(repr=False)  # never in a repr, a log line or an error message
    folder: str = "INBOX"
    # None: processed mail stays in `folder`, marked \Seen and PROCESSED_KEYWORD.
    processed_folder: str | None = None
    # None: the system's trusted certificates with host name checking (never unverified TLS).
    ssl_context: ssl.SSLContext | None = None
    timeout: int = 30

    def __post_init__(self) -> None:
        if self.processed_folder is not None and self.processed_folder == self.folder:
            raise ValueError("processed_folder must differ from folder")


@dataclass(frozen=True)
class FetchedMessage:
    uidvalidity: int
    uid: int
    raw: bytes


class MailboxError(Exception):
    """Our side or the link failed (unreachable, TLS, login, a refused command): try again later.

    The message names the host and never the password.
    """

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(message)
        self.host = host


def fetch_new(
    settings: MailboxSettings, *, uidvalidity: int | None, after_uid: int, limit: int = 100
) -> tuple[int, list[FetchedMessage]]:
    """Return the folder's current UIDVALIDITY and up to `limit` messages with a UID above `after_uid`, oldest first.

    `uidvalidity` is the value the caller stored with `after_uid` (None on the first poll).
    When the server's differs, its UIDs were renumbered (RFC 3501 2.3.1.1) and `after_uid`
    means nothing any more: then every message not yet marked processed is returned, that is
    every one still in `folder` (processed_folder mode) or not carrying PROCESSED_KEYWORD, and
    the caller recognises those it already has by their content hash. Messages already marked
    are never returned in keyword mode, whatever `after_uid` says.
    """
    with _connected(settings, "fetching from") as mailbox:
        current = _select(mailbox, settings, readonly=True)
        if uidvalidity is not None and uidvalidity != current:
            after_uid = 0
        criteria = f"UID {after_uid + 1}:*"
        if settings.processed_folder is None:
            criteria += f" UNKEYWORD {PROCESSED_KEYWORD}"
        # "UID n:*" also matches the highest UID when it is below n (RFC 3501 6.4.8: "*" is the
        # largest UID in use, and a range means the same either way round), hence the filter.
        uids = sorted(uid for uid in map(int, mailbox.uids(criteria)) if uid > after_uid)[: max(limit, 0)]
        if not uids:  # an empty uid_list would make imap-tools search ALL
            return current, []
        fetched = mailbox.fetch(uid_list=[str(uid) for uid in uids], mark_seen=False)
        messages = [
            FetchedMessage(uidvalidity=current, uid=int(message.uid), raw=message.raw)
            for message in fetched
            if isinstance(message, _RawMessage) and message.uid is not None and int(message.uid) in uids
        ]
    return current, sorted(messages, key=lambda message: message.uid)


def mark_processed(settings: MailboxSettings, uids: list[int], *, uidvalidity: int | None = None) -> None:
    """Move the messages to processed_folder (made if missing), or flag them \\Seen and PROCESSED_KEYWORD.

    Give `uidvalidity` (from fetch_new) so that UIDs renumbered since then are refused rather
    than marking other messages. Marking a message twice, or one already gone, changes nothing.
    """
    if not uids:
        return
    uid_set = ",".join(str(uid) for uid in sorted(set(uids)))
    with _connected(settings, "marking messages at") as mailbox:
        current = _select(mailbox, settings, readonly=False)
        if uidvalidity is not None and uidvalidity != current:
            raise MailboxError(
                f"UIDVALIDITY of {settings.folder!r} at {settings.host} changed from {uidvalidity} to {current}: "
                "nothing was marked; fetch again",
                host=settings.host,
            )
        if settings.processed_folder is not None:
            _move(mailbox, settings, uid_set, settings.processed_folder)
        else:
            _flag(mailbox, settings, uid_set)


class _RawMessage(MailMessage):
    """A fetched message kept as the server's bytes; imap-tools' own parsing is skipped."""

    def __init__(self, fetch_data: list[bytes | tuple[bytes, bytes]]) -> None:
        # Not super().__init__: it parses the whole message (twice the memory for a 20 MB one),
        # and parse_email does that properly later. `uid` only needs these two attributes.
        self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)


class _MailBox(MailBox):
    email_message_class = _RawMessage


@contextmanager
def _connected(settings: MailboxSettings, action: str) -> Iterator[_MailBox]:
    """A logged-in connection; transport failures inside the block become MailboxError."""
    context = settings.ssl_context or ssl.create_default_context()
    try:
        mailbox = _MailBox(settings.host, settings.port, timeout=settings.timeout, ssl_context=context)
    except _TRANSPORT_ERRORS as exc:
        raise _error(settings, f"connecting to {action}", exc) from None
    try:
        mailbox.login(settings.user, settings.password, initial_folder=None)
        # imaplib keeps the capabilities of the greeting, before login; servers announce more
        # after it (Dovecot: MOVE, UIDPLUS), and imap-tools decides how to move by them.
        typ, data = mailbox.client.capability()
        if typ == "OK" and data and isinstance(data[-1], bytes):
            mailbox.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        yield mailbox
    except _TRANSPORT_ERRORS as exc:
        # `from None`: the chained exception's frames hold the settings, password included.
        raise _error(settings, action, exc) from None
    finally:
        with suppress(*_TRANSPORT_ERRORS):
            mailbox.logout()


def _error(settings: MailboxSettings, action: str, exc: BaseException) -> MailboxError:
    detail = f"{type(exc).__name__}: {exc}"
    if settings.password:
        detail = detail.replace(settings.password, "***")
    return MailboxError(
        f"IMAP {action} {settings.host}:{settings.port} ({settings.folder!r}) failed: {detail}", host=settings.host
    )


def _select(mailbox: _MailBox, settings: MailboxSettings, *, readonly: bool) -> int:
    """Select the folder and return its UIDVALIDITY."""
    mailbox.folder.set(settings.folder, readonly=readonly)
    _, data = mailbox.client.response("UIDVALIDITY")
    try:
        return int(data[-1])
    except (TypeError, ValueError, IndexError):
        raise MailboxError(
            f"{settings.host} did not report the UIDVALIDITY of {settings.folder!r}", host=settings.host
        ) from None


def _move(mailbox: _MailBox, settings: MailboxSettings, uid_set: str, destination: str) -> None:
    if "MOVE" not in mailbox.client.capabilities:
        # imap-tools would copy, flag \Deleted and EXPUNGE the whole folder, deleting for good
        # whatever else someone had flagged \Deleted there. Keyword mode needs no MOVE.
        raise MailboxError(
            f"{settings.host} cannot MOVE (RFC 6851): leave processed_folder unset to flag messages instead",
            host=settings.host,
        )
    if not mailbox.folder.exists(destination):
        try:
            mailbox.folder.create(destination)
        except MailboxFolderCreateError:
            # Another poller may have created it between our check and our CREATE.
            if not mailbox.folder.exists(destination):
                raise
    mailbox.move(uid_set, destination)


def _flag(mailbox: _MailBox, settings: MailboxSettings, uid_set: str) -> None:
    _, data = mailbox.client.response("PERMANENTFLAGS")
    permanent = b" ".join(item for item in data if isinstance(item, bytes)).decode("ascii", "replace")
    if "\\*" not in permanent and PROCESSED_KEYWORD not in permanent:
        raise MailboxError(
            f"{settings.host} does not keep the keyword {PROCESSED_KEYWORD} in {settings.folder!r}: "
            "set processed_folder to move processed mail instead",
            host=settings.host,
        )
    # Straight to UID STORE: imap-tools' flag() follows every STORE with an EXPUNGE, which would
    # delete whatever else someone had flagged \Deleted in the folder.
    result = mailbox.client.uid("STORE", uid_set, "+FLAGS.SILENT", f"(\\Seen {PROCESSED_KEYWORD})")
    check_command_status(result, MailboxFlagError)
