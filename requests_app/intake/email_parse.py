"""Read a raw email into the facts the intake needs, without the database.

Small pure functions that return values (the shape of zulip's ``email_mirror.py`` and
healthchecks' ``smtpd.py``). Mail comes from strangers, so nothing here trusts it: any header
may be missing or broken and any charset may lie. ``parse_email`` records what it could not
read in ``defects`` instead of failing, and raises ``EmailParseError`` only when the bytes are
not a message at all; the caller keeps the raw bytes either way and shows staff what broke.
"""

from __future__ import annotations

import datetime
import email
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from requests_app.intake.email_text import (
    clean_line,
    clean_text,
    crude_html_to_text,
    detect_request_type,
    find_reference,
    fold,
    html_to_text,
    is_forward,
    text_without_quotes,
    unsurrogate,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Attachment",
    "AuthResults",
    "EmailParseError",
    "ParsedEmail",
    "detect_request_type",
    "find_reference",
    "html_to_text",
    "mask_address",
    "parse_email",
    "safe_filename",
]

# Deeper multipart nesting than this is an attack, not a mail client; the parts below it are ignored.
_MAX_DEPTH = 40
_MAX_PARTS = 500
_MAX_DEFECTS = 100
_MAX_MESSAGE_ID = 250
_MAX_PARSED_HEADER = 8_192  # see _GuardedHeaderRegistry
# A request is a few paragraphs. Longer bodies are cut (the raw message keeps all of it) so one
# hostile message cannot make the HTML and quote handling run for minutes.
_MAX_BODY_CHARS = 2_000_000
_AUTH_VALUES = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}


class EmailParseError(Exception):
    """The sender's mistake: these bytes cannot be understood as an email message.

    The caller keeps the raw message and flags it for a person to look at; it never drops it.
    """


@dataclass(frozen=True)
class Attachment:
    filename: str  # safe_filename() of the declared name, or "attachment-N"
    content_type: str
    size: int
    sha256: str
    payload: bytes


@dataclass(frozen=True)
class AuthResults:
    """What the receiving server's Authentication-Results header says, one word per method.

    Each is "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", or
    "unknown" when there is no such header, the header does not name the method, or names a
    result outside RFC 8601's list. Trust it only when the mail server in front of the
    mailbox adds this header itself (and removes copies the sender wrote).
    """

    spf: str = "unknown"
    dkim: str = "unknown"
    dmarc: str = "unknown"


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    reply_to: str | None  # recorded only: a sender chooses it freely, so it never verifies anyone
    to: tuple[str, ...]
    date: datetime.datetime | None
    text: str
    text_without_quotes: str
    attachments: tuple[Attachment, ...]
    skipped_attachments: tuple[str, ...]
    automated: str | None  # None, "auto-reply", "bounce" or "bulk"
    auth: AuthResults
    defects: tuple[str, ...]
    # The Content-Language header (RFC 3282) of the message or its text part; None if absent.
    content_language: str | None = None


# --- the message --------------------------------------------------------------------------


def parse_email(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> ParsedEmail:
    """Read a raw RFC 5322 message; raise EmailParseError only when it is not a message at all.

    Broken headers, bodies and charsets give empty or partial values and a name in `defects`.
    Attachments over `max_attachment_bytes` are left out and named in `skipped_attachments`.
    """
    if not raw or not raw.strip():
        raise EmailParseError("the message is empty")
    try:
        return _parse(bytes(raw), max_attachment_bytes)
    except (EmailParseError, MemoryError):
        raise
    except Exception as exc:
        # The email package has raised from deep inside on hostile input before (IndexError,
        # RecursionError, ...). Whatever the cause, the caller's answer is the same: keep the
        # raw bytes and show them to a person, so the chained cause is kept for the logs.
        raise EmailParseError(f"the message could not be read ({type(exc).__name__})") from exc


def _parse(raw: bytes, max_attachment_bytes: int) -> ParsedEmail:
    defects = _Defects()
    reading = policy.default.clone(header_factory=_GuardedHeaderRegistry(defects))
    try:
        msg = email.message_from_bytes(raw, policy=reading)
    except RecursionError:
        # MIME parts nested deeper than the parser's recursion allows: read the headers and
        # leave the body unread rather than lose the whole message.
        defects.add("TooDeeplyNested")
        msg = BytesHeaderParser(policy=reading).parsebytes(raw)
    if not msg.keys():
        raise EmailParseError("no header could be read: these bytes are not an email message")
    _collect_header_defects(msg, defects)
    parts = _leaf_parts(msg, defects)

    subject = clean_line(_header_text(msg, "Subject"))
    senders = _addresses(msg, "From")
    from_name, from_address = senders[0] if senders else ("", "")
    reply_tos = [address for _, address in _addresses(msg, "Reply-To") if address]
    message_ids = _message_ids(_raw_header(msg, "Message-ID"), defects)
    text = _body_text(parts, defects)
    attachments, skipped = _attachments(parts, max_attachment_bytes, defects)
    for part in parts:  # decoding a part records its own defects (bad base64 ...)
        defects.add_all(part.defects)
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_message_ids(_raw_header(msg, "In-Reply-To"), defects),
        references=_message_ids(_raw_header(msg, "References"), defects),
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_tos[0] if reply_tos else None,
        to=tuple(address for _, address in _addresses(msg, "To") if address),
        date=_date(msg, defects),
        text=text,
        text_without_quotes=text_without_quotes(text, forwarded=is_forward(subject, text)),
        attachments=tuple(attachments),
        skipped_attachments=tuple(skipped),
        automated=_automated(msg, parts, subject=subject, from_address=from_address, from_name=from_name),
        auth=_auth_results(_raw_header(msg, "Authentication-Results")),
        defects=defects.names(),
        content_language=_content_language(msg, parts),
    )


def _content_language(msg: EmailMessage, parts: list[MIMEPart]) -> str | None:
    for part in (msg, *parts):
        value = clean_line(_header_text(part, "Content-Language"))  # type: ignore[arg-type]
        if value:
            return value[:100]
    return None


class _Defects:
    """Defect names in the order met, each once, at most _MAX_DEFECTS of them."""

    def __init__(self) -> None:
        self._names: dict[str, None] = {}

    def add(self, name: str) -> None:
        if len(self._names) < _MAX_DEFECTS:
            self._names[name] = None

    def add_all(self, defects: Iterable[object]) -> None:
        for defect in defects:
            self.add(type(defect).__name__)

    def names(self) -> tuple[str, ...]:
        return tuple(self._names)


# --- headers ------------------------------------------------------------------------------


class _GuardedHeaderRegistry(HeaderRegistry):
    """The email package's header parsing, bounded: it never raises and never runs for long.

    Its structured parser recurses (thousands of nested comments raise RecursionError) and
    slows down sharply on huge values (thousands of addresses or parameters), and the package
    parses Content-Type and friends itself whenever a part is asked its type. So every header
    goes through here: a value over _MAX_PARSED_HEADER characters is cut to that length, and one
    that still cannot be parsed is read as if it were empty (the part then gets the defaults,
    such as text/plain). Both are recorded in `defects`.
    """

    def __init__(self, defects: _Defects) -> None:
        super().__init__()
        self._defects = defects

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > _MAX_PARSED_HEADER:
            self._defects.add(f"HeaderTooLong:{clean_line(name)[:40]}")
            value = value[:_MAX_PARSED_HEADER]
        try:
            return super().__call__(name, value)
        except Exception:
            self._defects.add(f"UnreadableHeader:{clean_line(name)[:40]}")
            return super().__call__(name, "")


def _collect_header_defects(msg: EmailMessage, defects: _Defects) -> None:
    for name, value in msg.raw_items():
        defects.add_all(getattr(msg.policy.header_fetch_parse(name, value), "defects", ()))


def _raw_header(msg: EmailMessage, name: str) -> str | None:
    """The first `name` header as written (unfolded, undecoded), or None."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return re.sub(r"\r?\n(?=[ \t])", "", unsurrogate(str(value)))
    return None


def _header_text(msg: EmailMessage, name: str) -> str:
    """The first `name` header with RFC 2047 encoded words decoded, or ""."""
    header = msg.get(name)
    return "" if header is None else unsurrogate(str(header))


# What looks like an address in a header the email package could not read. A plain regular
# expression on purpose: the package's own fallback (getaddresses) recurses on nested comments.
# It starts only where a token starts and never backtracks (++), so a huge token costs linear time.
_LOOSE_ADDRESS = re.compile(r"(?<![^\s<>(),;:\"'@])[^\s<>(),;:\"'@]++@[^\s<>(),;:\"'@]++")


def _addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, addr-spec) of each address in the first `name` header; "" for a bad address."""
    header = msg.get(name)
    if header is None:
        return []
    addresses = getattr(header, "addresses", ())
    if addresses:
        return [(clean_line(a.display_name), _addr_spec(a.username, a.domain)) for a in addresses]
    # Nothing the parser could read (or read in time): take what looks like addresses.
    raw = _raw_header(msg, name) or ""
    return [("", _addr_spec(*found.rsplit("@", 1))) for found in _LOOSE_ADDRESS.findall(raw)]


_BAD_ADDRESS_CHARS = re.compile(r"[\s<>()\[\],;:\\\"@]")


def _addr_spec(local: str, domain: str) -> str:
    local, domain = unsurrogate(local), unsurrogate(domain)
    if not local or not domain or _BAD_ADDRESS_CHARS.search(local) or _BAD_ADDRESS_CHARS.search(domain):
        return ""
    if any(unicodedata.category(c).startswith("C") for c in local + domain):
        return ""
    return f"{local}@{domain.lower()}"


_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def _message_ids(raw: str | None, defects: _Defects) -> tuple[str, ...]:
    """Message-IDs without angle brackets; a lone bare token is taken as one (some clients omit them)."""
    if not raw:
        return ()
    found = _MESSAGE_ID.findall(raw)
    if not found and raw.strip() and not re.search(r"\s", raw.strip()):
        found = [raw.strip()]
    ids: dict[str, None] = {}
    for candidate in found:
        candidate = clean_line(candidate)
        if candidate and len(candidate) <= _MAX_MESSAGE_ID:
            ids[candidate] = None
        else:
            defects.add("InvalidMessageId")
    return tuple(ids)


def _date(msg: EmailMessage, defects: _Defects) -> datetime.datetime | None:
    raw = _raw_header(msg, "Date")
    if raw is None:
        return None
    try:
        value = parsedate_to_datetime(raw.strip())
    except Exception:
        defects.add("InvalidDateDefect")
        return None
    # "-0000" means the sender's zone is unknown (RFC 5322 3.3): UTC is the only reading.
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


# --- body ---------------------------------------------------------------------------------


def _body_text(parts: list[MIMEPart], defects: _Defects) -> str:
    """The first text/plain part that is not an attachment, else the first text/html one as text, else ""."""
    candidates = [part for part in parts if part.get_content_maintype() == "text" and not part.is_attachment()]
    part = next((p for p in candidates if p.get_content_subtype() == "plain"), None)
    part = part or next((p for p in candidates if p.get_content_subtype() == "html"), None)
    if part is None:
        return ""
    content = _decode_part(part, defects)
    if len(content) > _MAX_BODY_CHARS:
        defects.add("BodyTruncated")
        content = content[:_MAX_BODY_CHARS]
    if part.get_content_subtype() == "html":
        try:
            content = html_to_text(content)
        except Exception:
            defects.add("UnreadableHtml")
            content = crude_html_to_text(content)
    return clean_text(content)


def _decode_part(part: MIMEPart, defects: _Defects) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        defects.add("UndecodablePayload")
        return ""
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return _decode_bytes(payload, charset, defects)


def _decode_bytes(data: bytes, charset: str | None, defects: _Defects) -> str:
    # Mail that says US-ASCII (or nothing) is often UTF-8 in practice; UTF-8 cannot be misread
    # as anything else, so it is tried first for those. Old undeclared mail is mostly Windows-1252.
    if charset and charset.lower() not in {"us-ascii", "ascii"}:
        try:
            return data.decode(charset, errors="replace")
        except Exception:  # an unknown name, or a codec that is not a text encoding
            defects.add("UnknownCharset")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# --- attachments --------------------------------------------------------------------------


def _leaf_parts(msg: EmailMessage, defects: _Defects) -> list[MIMEPart]:
    """Every non-multipart part in document order (message/* parts count as leaves), at most _MAX_PARTS."""
    leaves: list[MIMEPart] = []
    stack: list[tuple[MIMEPart, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        defects.add_all(part.defects)
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            if depth >= _MAX_DEPTH:
                defects.add("TooDeeplyNested")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, MIMEPart))
        elif len(leaves) == _MAX_PARTS:
            defects.add("TooManyParts")
            break
        else:
            leaves.append(part)
    return leaves


def _attachments(parts: list[MIMEPart], limit: int, defects: _Defects) -> tuple[list[Attachment], list[str]]:
    """Parts sent as attachments (or non-text parts with a file name), and the names of those over `limit`."""
    kept: list[Attachment] = []
    skipped: list[str] = []
    number = 0
    for part in parts:
        declared = part.get_filename()
        if not part.is_attachment() and (declared is None or part.get_content_maintype() == "text"):
            continue
        number += 1
        filename = safe_filename(declared, fallback=f"attachment-{number}")
        try:
            payload = _part_bytes(part)
        except Exception:
            defects.add("UnreadableAttachment")
            skipped.append(filename)
            continue
        if len(payload) > limit:
            skipped.append(filename)
            continue
        kept.append(
            Attachment(
                filename=filename,
                content_type=part.get_content_type(),
                size=len(payload),
                sha256=hashlib.sha256(payload).hexdigest(),
                payload=payload,
            )
        )
    return kept, skipped


def _part_bytes(part: MIMEPart) -> bytes:
    if part.is_multipart():  # message/rfc822 and friends hold one parsed message
        inner = part.get_payload(0)
        return inner.as_bytes() if isinstance(inner, MIMEPart) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


_UNSAFE_FILENAME_CHARS = re.compile(r'[<>:"|?*]')


def safe_filename(name: str | None, *, fallback: str) -> str:
    """A declared attachment name made safe to store and show: `fallback` when nothing is left.

    Basename only, NFC, no control or format characters (no right-to-left override tricks), no
    leading dots or "..", characters Windows forbids replaced, at most 100 characters with the
    extension kept.
    """
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", unsurrogate(name))
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_FILENAME_CHARS.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return fallback
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        stem, extension = name, ""
    limit = 100 - (len(extension) + 1 if extension else 0)
    stem = stem[:limit].rstrip(" .") or fallback
    return f"{stem}.{extension}" if extension else stem


# --- automated mail and authentication ----------------------------------------------------

_AUTO_REPLY_SUBJECT = re.compile(
    r"\b(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|abwesenheitsnotiz|automatische antwort|"
    r"reponse automatique|respuesta automatica|fuera de la oficina)\b",
)


def _automated(
    msg: EmailMessage, parts: list[MIMEPart], *, subject: str, from_address: str, from_name: str
) -> str | None:
    """Why a machine sent this message ("bounce", "auto-reply", "bulk"), or None for a person's mail.

    Bounces first: they are often marked auto-replied too. Then auto-replies, which often carry
    Precedence: bulk as well.
    """

    def value(name: str) -> str | None:
        raw = _raw_header(msg, name)
        return None if raw is None else raw.strip().casefold()

    content_type = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "") or "").casefold()
    if content_type == "multipart/report" and report_type == "delivery-status":
        return "bounce"
    if any(part.get_content_type() == "message/delivery-status" for part in parts):
        return "bounce"
    if from_address.rpartition("@")[0].casefold() in {"mailer-daemon", "postmaster"}:
        return "bounce"
    if from_name.casefold() in {"mail delivery system", "mail delivery subsystem"}:
        return "bounce"
    if value("Return-Path") in {"<>", "< >"}:
        return "bounce"

    auto_submitted = value("Auto-Submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip() not in {"", "no"}:
        return "auto-reply"
    if value("X-Autoreply") is not None or value("X-Autorespond") is not None:
        return "auto-reply"
    precedence = value("Precedence")
    if precedence == "auto_reply":
        return "auto-reply"
    if content_type == "multipart/report" and report_type == "disposition-notification":
        return "auto-reply"  # a read receipt
    if _AUTO_REPLY_SUBJECT.search(fold(subject)):
        return "auto-reply"

    if precedence in {"bulk", "junk", "list"}:
        return "bulk"
    if value("List-Id") is not None or value("List-Unsubscribe") is not None:
        return "bulk"
    return None


def _auth_results(raw: str | None) -> AuthResults:
    """Read the topmost Authentication-Results header (RFC 8601), the one our own server adds."""
    if raw is None:
        return AuthResults()
    text = re.sub(r"\([^()]*\)", " ", raw).casefold()  # comments
    _, _, results = text.partition(";")  # skip the authserv-id
    found: dict[str, list[str]] = {}
    for method, result in re.findall(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", results):
        found.setdefault(method, []).append("fail" if result == "hardfail" else result)

    def verdict(method: str) -> str:
        seen = found.get(method, [])
        if "pass" in seen:  # several DKIM signatures: one good one is enough (RFC 6376 s6.1)
            return "pass"
        return seen[0] if seen and seen[0] in _AUTH_VALUES else "unknown"

    return AuthResults(spf=verdict("spf"), dkim=verdict("dkim"), dmarc=verdict("dmarc"))


def mask_address(address: str) -> str:
    """An address fit for logs: "jane@example.org" -> "j***@example.org"."""
    address = clean_line(address)
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain.lower()}"
