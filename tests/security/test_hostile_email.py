"""Mail built to hurt: injected line breaks, NUL, long lines, lying charsets, broken multiparts.

tests/intake/test_email_parse.py already feeds parse_email arbitrary bytes and messages glued from
fragments. These properties build the hostile parts on purpose (a header block that parses, a
MIME tree whose boundaries lie, encoded words that decode to line breaks) so the bytes get past
the first reading and reach the code that decodes, walks and cleans. Whatever arrives, the
answer is a ParsedEmail with clean text fields or EmailParseError, never another exception.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.intake.email_parse import EmailParseError, ParsedEmail, parse_email
from requests_app.intake.email_text import detect_request_type, find_reference, stated_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The fields that end up in one-line places: a log line, a staff table cell, our reply's headers.
SINGLE_LINE_FIELDS = (
    "message_id",
    "in_reply_to",
    "references",
    "subject",
    "from_address",
    "from_name",
    "reply_to",
    "to",
)


def texts_in(value: object, name: str = "") -> Iterator[tuple[str, str]]:
    """Every text a parsed message holds, with where it is (attachments and auth results too)."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from texts_in(item, f"{name}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from texts_in(getattr(value, field.name), f"{name}.{field.name}".lstrip("."))


def parse_or_reject(raw: bytes) -> ParsedEmail | None:
    """parse_email's result with its text fields checked, or None for EmailParseError.

    Any other exception propagates, and so fails the test that called this.
    """
    try:
        parsed = parse_email(raw)
    except EmailParseError:
        return None
    for where, text in texts_in(parsed):
        assert "\x00" not in text, where
    for field in SINGLE_LINE_FIELDS:
        for where, text in texts_in(getattr(parsed, field), field):
            assert "\r" not in text and "\n" not in text, (where, text)
    for attachment in parsed.attachments:
        assert "\r" not in attachment.filename and "\n" not in attachment.filename
    assert "\r" not in parsed.text and "\r" not in parsed.text_without_quotes
    return parsed


# --- hostile headers ----------------------------------------------------------------------

INJECTIONS = [
    b"\r\nBcc: evil@example.net",
    b"\nBcc: evil@example.net",
    b"\rBcc: evil@example.net",
    b"\r\n\r\n<script>alert(1)</script>",
    b"\r\n\t",
    b"\x00",
    b"a\x00b",
    b"%0d%0aBcc: evil@example.net",
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE in UTF-8
]
CHARSETS = [
    b"utf-8", b"us-ascii", b"iso-8859-1", b"x-unknown", b"utf-16", b"utf-7", b"iso-2022-jp", b"base64", b"rot13",
    b"idna", b"utf-8*en", b"", b"\xff",
]  # fmt: skip


@st.composite
def encoded_words(draw: st.DrawFn) -> bytes:
    """An RFC 2047 encoded word, often lying: unknown charsets, broken base64, raw bytes, CR/LF inside."""
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from([b"b", b"q", b"B", b"Q", b"x", b""]))
    decoded = draw(st.one_of(st.binary(max_size=30), st.sampled_from(INJECTIONS)))
    if encoding.lower() == b"b":
        exact = base64.b64encode(decoded)
        payload = draw(st.sampled_from([exact, exact[:-1], exact + b"=", exact.replace(b"=", b""), b"####"]))
    else:
        escaped = b"".join(b"=%02X" % byte for byte in decoded)
        payload = draw(st.sampled_from([escaped, decoded.replace(b"?", b""), escaped + b"=Z", b"_=0D=0A_"]))
    return b"=?" + charset + b"?" + encoding + b"?" + payload + b"?="


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def latin1(text: str) -> bytes:
    return text.encode("latin-1", "replace")


header_pieces: st.SearchStrategy[bytes] = st.one_of(
    encoded_words(),
    st.sampled_from(INJECTIONS),
    st.text(max_size=30).map(utf8),
    st.text(max_size=30).map(latin1),  # next to UTF-8 pieces: mixed encodings in one value
    st.sampled_from([998, 5_000, 9_000]).map(lambda n: b"A" * n),  # up to past the 8,192 the parser reads
    st.binary(max_size=20),
)
header_values = st.lists(header_pieces, max_size=6).map(b" ".join)
MAILBOXES = [b"jane@example.org", b"jane\r\n@example.org", b"ja\x00ne@example.org", b"", b"@", b"a@b@c", b"<>"]
mailbox_values = st.builds(lambda name, box: name + b" <" + box + b">", header_values, st.sampled_from(MAILBOXES))
HEADER_NAMES = [
    b"From", b"To", b"Reply-To", b"Subject", b"Message-ID", b"In-Reply-To", b"References", b"Date",
    b"Content-Type", b"Content-Disposition", b"Content-Transfer-Encoding", b"Authentication-Results",
    b"Auto-Submitted", b"List-Id", b"Return-Path",
]  # fmt: skip
fields = st.tuples(st.sampled_from(HEADER_NAMES), st.one_of(header_values, mailbox_values))
line_ends = st.sampled_from([b"\r\n", b"\n"])


def with_headers(head: list[tuple[bytes, bytes]], body: bytes, eol: bytes = b"\r\n") -> bytes:
    return b"".join(name + b": " + value + eol for name, value in head) + eol + body


@given(st.lists(fields, min_size=1, max_size=8), line_ends)
@PROPERTY
def test_hostile_header_values_give_clean_fields_or_a_parse_error(head: list[tuple[bytes, bytes]], eol: bytes) -> None:
    parse_or_reject(with_headers(head, b"Please delete my data.", eol))


PLAIN_HEAD = [
    (b"From", b"Jane Doe <jane@example.org>"),
    (b"To", b"privacy@example.com"),
    (b"Subject", b"Please delete my data"),
    (b"Message-ID", b"<m1@example.org>"),
]


@given(st.sampled_from(HEADER_NAMES), st.binary(max_size=600))
@PROPERTY
def test_any_bytes_as_the_value_of_a_real_header_give_clean_fields_or_a_parse_error(name: bytes, value: bytes) -> None:
    parse_or_reject(with_headers([*PLAIN_HEAD, (name, value)], b"Hello."))


@given(st.binary(max_size=2_000))
@PROPERTY
def test_any_bytes_after_a_real_header_block_give_clean_fields_or_a_parse_error(body: bytes) -> None:
    parse_or_reject(with_headers([*PLAIN_HEAD, (b"Content-Type", b"text/plain; charset=utf-8")], body))


ENCODED_WORD_ABUSE = {
    "an encoded subject that decodes to a Bcc line": b"Subject: =?utf-8?q?hello=0D=0ABcc:_evil@example.net?=",
    "an encoded word in a quoted display name": b'From: "=?utf-8?q?Jane=0A=00?=" <jane@example.org>',
    "an encoded word holding NUL": b"Subject: =?utf-8?q?a=00b?=",
    "an encoded word in an unknown charset": b"Subject: =?x-unknown?q?caf=E9?=",
    "an encoded word in a charset that is not text": b"Subject: =?rot13?q?uryyb?= =?base64?b?aGk=?=",
    "an encoded word with broken base64": b"Subject: =?utf-8?b?####?= =?utf-8?b?YQ?=",
    "an encoded word that decodes to another encoded word": b"Subject: =?utf-8?q?=3D=3Futf-8=3Fq=3F=0A=3F=3D?=",
    "ten thousand adjacent encoded words": b"Subject: " + b"=?utf-8?q?=0A?=" * 10_000,
    "an encoded word around a message id": b"Message-ID: =?utf-8?q?<a=0D=0Ab@example.org>?=",
}


@pytest.mark.parametrize("header", ENCODED_WORD_ABUSE.values(), ids=ENCODED_WORD_ABUSE.keys())
def test_encoded_word_abuse_never_puts_a_line_break_or_nul_in_a_field(header: bytes) -> None:
    raw = with_headers([(b"From", b"Jane Doe <jane@example.org>"), (b"To", b"privacy@example.com")], b"Hello.")
    parsed = parse_or_reject(header + b"\r\n" + raw)

    assert parsed is not None
    assert parsed.to == ("privacy@example.com",)


def test_a_display_name_that_decodes_to_a_line_break_is_dropped_and_the_address_kept() -> None:
    # The email package refuses CR/LF in an address part; the guarded parser then reads the
    # header as text and takes the address from it, so nothing decoded reaches from_name.
    name = b"=?utf-8?b?" + base64.b64encode(b"Jane\r\nBcc: evil@example.net") + b"?="
    parsed = parse_or_reject(with_headers([(b"From", name + b" <jane@example.org>")], b"x"))

    assert parsed is not None
    assert (parsed.from_address, parsed.from_name) == ("jane@example.org", "")
    assert "UnreadableHeader:From" in parsed.defects


# --- hostile MIME trees -------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    content_type: bytes
    transfer_encoding: bytes | None
    disposition: bytes | None
    body: bytes


@dataclass(frozen=True)
class Multipart:
    subtype: bytes
    boundary: str  # a key of BOUNDARIES: how this part's boundary lies
    parts: tuple[Leaf | Multipart, ...]


# (declared parameter, boundary used in the body, closing line written) from this part's own
# boundary and its parent's.
BOUNDARIES: dict[str, Callable[[bytes, bytes], tuple[bytes, bytes, bool]]] = {
    "sound": lambda own, parent: (b'; boundary="' + own + b'"', own, True),
    "unclosed": lambda own, parent: (b"; boundary=" + own, own, False),
    "mismatched": lambda own, parent: (b"; boundary=" + own, own + b"x", True),
    "the parent's": lambda own, parent: (b"; boundary=" + (parent or own), parent or own, True),
    "a prefix of the parent's": lambda own, parent: (b"; boundary=" + parent + b"-", parent + b"-", True),
    "missing": lambda own, parent: (b"", own, True),
    "empty": lambda own, parent: (b'; boundary=""', b"", True),
    "hostile": lambda own, parent: (b'; boundary="a b;c=\\"d\x00"', b'a b;c="d\x00', True),
    "too long": lambda own, parent: (b"; boundary=" + own * 100, own * 100, True),
    "given twice": lambda own, parent: (b"; boundary=" + own + b"; boundary=" + own + b"y", own + b"y", True),
}
LEAF_TYPES = [
    b"text/plain", b"text/plain; charset=x-unknown", b"text/plain; charset=utf-16", b"text/plain; charset=rot13",
    b'text/plain; charset="utf-8"; format=flowed', b"text/plain; charset=utf-8*en", b"text/html",
    b"text/html; charset=iso-2022-jp", b'application/pdf; name="../../etc/passwd"', b"message/rfc822",
    b"message/delivery-status", b"multipart/mixed", b"image/png; name*=x-unknown''%FF%00.png", b"\xff/\xfe",
]  # fmt: skip
TRANSFER_ENCODINGS = [None, b"base64", b"quoted-printable", b"7bit", b"8bit", b"binary", b"x-uuencode", b"gzip"]
DISPOSITIONS = [
    None, b"attachment", b"inline", b'attachment; filename="..\\..\\boot.ini"',
    b"attachment; filename*=utf-8''%2E%2E%2F%00evil%0D%0A.txt", b'attachment; filename="=?utf-8?q?a=0D=0Ab.txt?="',
    b"attachment; filename*0=a; filename*1=%00; filename*5=b",
]  # fmt: skip
BODY_PIECES = [
    b"<p>hi<script>alert(1)</script>", b"=C3=A9=0", base64.b64encode("Löschung bitte".encode()), b"\xff\xfe\x00",
    b"--b0\r\n", b"--b1--\r\n", b"begin 644 x\r\n`\r\nend\r\n", b"x" * 5_000, "café".encode("latin-1"),
    "café".encode(), b"my name is Ada\r\n", b"\r\n",
]  # fmt: skip
leaf_bodies = st.lists(st.one_of(st.sampled_from(BODY_PIECES), st.binary(max_size=60)), max_size=6).map(b"".join)
leaves = st.builds(
    Leaf,
    st.sampled_from(LEAF_TYPES),
    st.sampled_from(TRANSFER_ENCODINGS),
    st.sampled_from(DISPOSITIONS),
    leaf_bodies,
)
mime_trees = st.recursive(
    leaves,
    lambda inner: st.builds(
        Multipart,
        st.sampled_from([b"mixed", b"alternative", b"related", b"report; report-type=delivery-status", b"digest"]),
        st.sampled_from(sorted(BOUNDARIES)),
        st.lists(inner, max_size=4).map(tuple),
    ),
    max_leaves=12,
)


def render(part: Leaf | Multipart, *, parent: bytes, depth: int, eol: bytes) -> bytes:
    """One MIME part's headers and body, with its boundaries lying as the part says."""
    if isinstance(part, Leaf):
        head = [b"Content-Type: " + part.content_type]
        if part.transfer_encoding is not None:
            head.append(b"Content-Transfer-Encoding: " + part.transfer_encoding)
        if part.disposition is not None:
            head.append(b"Content-Disposition: " + part.disposition)
        return eol.join(head) + eol + eol + part.body
    declared, used, closed = BOUNDARIES[part.boundary](b"b%d" % depth, parent)
    lines = [b"Content-Type: multipart/" + part.subtype + declared, b""]
    for child in part.parts:
        lines += [b"--" + used, render(child, parent=used, depth=depth + 1, eol=eol)]
    if closed:
        lines.append(b"--" + used + b"--")
    return eol.join(lines)


@given(mime_trees, line_ends)
@PROPERTY
def test_nested_multiparts_with_lying_boundaries_give_clean_fields_or_a_parse_error(
    tree: Leaf | Multipart, eol: bytes
) -> None:
    head = eol.join([b"From: Jane Doe <jane@example.org>", b"Subject: Please delete my data", b"MIME-Version: 1.0"])
    parsed = parse_or_reject(head + eol + render(tree, parent=b"", depth=0, eol=eol))

    assert parsed is not None  # a readable header block always gives a message
    assert parsed.from_address == "jane@example.org"
    assert len(parsed.defects) <= 100


# --- the words of a message ---------------------------------------------------------------

TEXT_PIECES = [
    "my name is ", "My name is Ada Lovelace", "Name:", "full name:", "\n", "\r\n", "\r", "\t", " ", "\x00", "\u202e",
    "\ufeff", "\udcff", "DSR-", "dsr ", "DSR_7KQ2_M9XD", "7KQ2", "M9XD", "\u017f", "\u212a", "ß", "löschen", "delete",
    "access", "corrección", "<script>", "On Mon, 1 Jan 2026 Ada wrote:", "> ", "-- ",
]  # fmt: skip
hostile_texts = st.one_of(
    st.text(max_size=2_000),
    st.lists(st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=20)), max_size=60).map("".join),
)
CANONICAL_REFERENCE = re.compile(r"DSR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@given(hostile_texts, hostile_texts)
@PROPERTY
def test_the_request_type_of_any_text_is_one_of_three_or_none(subject: str, text: str) -> None:
    assert detect_request_type(subject, text) in {None, "access", "correction", "deletion"}


@given(hostile_texts, hostile_texts)
@PROPERTY
def test_a_reference_found_in_any_text_is_in_canonical_form(subject: str, text: str) -> None:
    found = find_reference(subject, text)

    assert found is None or CANONICAL_REFERENCE.fullmatch(found)


@given(hostile_texts)
@PROPERTY
def test_a_name_stated_in_any_text_is_one_line_of_words_from_that_text(text: str) -> None:
    name = stated_name(text)

    assert isinstance(name, str)
    assert "\n" not in name and "\r" not in name and "\x00" not in name
    assert all(word in text for word in name.split(" ") if word)


def test_a_message_of_blank_lines_states_no_name() -> None:
    parsed = parse_or_reject(with_headers(PLAIN_HEAD, b"\r\n" * 100_000 + b"my name is\r\n" + b" \r\n" * 50_000))

    assert parsed is not None
    assert stated_name(parsed.text_without_quotes) == ""


def test_a_name_is_never_read_across_a_line_end() -> None:
    """Only spaces and tabs may separate "my name is" from the name (a pattern that crossed line
    ends also took quadratic time on runs of blank lines: 20,000 took ten seconds)."""
    assert stated_name("my name is\nAda Lovelace") == ""
    assert stated_name("Name:\n\nAda") == ""
    assert stated_name("\n" * 20_000) == ""
    assert stated_name("Hello\n\n   Name:\tAda   Lovelace\n") == "Ada Lovelace"
