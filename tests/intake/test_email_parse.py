"""Reading email: what each corpus message becomes, each function alone, and hostile bytes."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.intake.email_parse import (
    AuthResults,
    EmailParseError,
    ParsedEmail,
    detect_request_type,
    find_reference,
    html_to_text,
    mask_address,
    parse_email,
    safe_filename,
)
from tests.email_corpus import (
    CORPUS,
    LARGE_ATTACHMENT_NAME,
    corpus_message,
    large_attachment_payload,
    make_large_message,
)

UTC = datetime.UTC
PASSED = AuthResults(spf="pass", dkim="pass", dmarc="pass")
UNKNOWN = AuthResults(spf="unknown", dkim="unknown", dmarc="unknown")


def parse(name: str) -> ParsedEmail:
    return parse_email(corpus_message(name))


def request_type(parsed: ParsedEmail) -> str | None:
    return detect_request_type(parsed.subject, parsed.text_without_quotes)


def message(body: str = "Hello.", *, headers: dict[str, str | None] | None = None) -> bytes:
    """A small UTF-8 message from Jane; `headers` adds, replaces (or with None removes) headers."""
    fields: dict[str, str | None] = {
        "From": "Jane Doe <jane.doe@example.org>",
        "To": "privacy@example.com",
        "Subject": "PRIVACY POLICY",
        "Date": "Mon, 02 Feb 2026 09:15:00 +0000",
        "Message-ID": "<m1@example.org>",
        "Content-Type": 'text/plain; charset="utf-8"',
        **(headers or {}),
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


# --- the corpus ---------------------------------------------------------------------------

CORPUS_FILES = {
    "plain.eml",
    "html_only.eml",
    "multipart_attachment.eml",
    "latin1.eml",
    "encoded_subject.eml",
    "forward.eml",
    "reply_quoted.eml",
    "auto_reply.eml",
    "bounce.eml",
    "bulk.eml",
    "broken_headers.eml",
    "duplicate.eml",
    "unclear.eml",
    "spoofed.eml",
}


def test_the_corpus_holds_exactly_the_messages_these_tests_describe() -> None:
    assert {path.name for path in CORPUS.glob("*.eml")} == CORPUS_FILES


def test_a_plain_request_is_an_access_request_from_its_sender() -> None:
    parsed = parse("plain.eml")

    assert parsed.subject == "PRIVACY POLICY request"
    assert parsed.from_address == "jane.doe@example.org"  # the domain is lower-cased
    assert parsed.from_name == "Jane Doe"
    assert parsed.to == ("privacy@example.com",)
    assert parsed.reply_to is None
    assert parsed.message_id == "CAF8kq2m9xd.4821.jane@mail.example.org"
    assert parsed.in_reply_to == ()
    assert parsed.references == ()
    assert parsed.date == datetime.datetime(2026, 2, 2, 8, 15, tzinfo=UTC)
    assert parsed.automated is None
    assert parsed.auth == PASSED
    assert parsed.attachments == ()
    assert parsed.defects == ()
    assert request_type(parsed) == "access"
    assert find_reference(parsed.subject, parsed.text_without_quotes) is None


def test_a_signature_is_part_of_the_text_but_not_of_the_new_text() -> None:
    parsed = parse("plain.eml")

    assert "12 Example Road" in parsed.text
    assert parsed.text_without_quotes.endswith("Thank you,\nJane")
    assert "12 Example Road" not in parsed.text_without_quotes


def test_a_duplicate_is_the_same_bytes_and_parses_to_the_same_value() -> None:
    assert corpus_message("duplicate.eml") == corpus_message("plain.eml")
    assert parse("duplicate.eml") == parse("plain.eml")


def test_an_html_only_deletion_request_in_german_becomes_plain_text_without_its_script() -> None:
    parsed = parse("html_only.eml")

    assert parsed.subject == "PRIVACY POLICY \u2013 Löschung meiner Daten"
    assert "bitte löschen Sie alle meine personenbezogenen Daten gemäß Art. 17 DSGVO" in parsed.text
    assert parsed.text.endswith("Mit freundlichen Grüßen\nMax Mustermann")
    for leftover in ("<", "document.cookie", "evil.example", "color: red", "Anfrage", "&nbsp;"):
        assert leftover not in parsed.text
    assert request_type(parsed) == "deletion"
    assert parsed.automated is None


def test_an_attachment_named_with_a_path_is_kept_under_its_base_name() -> None:
    parsed = parse("multipart_attachment.eml")

    [attachment] = parsed.attachments
    assert attachment.filename == "passwd.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.payload.startswith(b"%PDF-1.4\n")
    assert attachment.size == len(attachment.payload) == 142
    assert attachment.sha256 == hashlib.sha256(attachment.payload).hexdigest()
    assert parsed.skipped_attachments == ()
    assert parsed.text.startswith("Hi,\n\nPlease correct my postal address")
    assert request_type(parsed) == "correction"


def test_a_latin1_french_correction_request_keeps_its_accents() -> None:
    parsed = parse("latin1.eml")

    assert parsed.from_name == "François Lefèvre"
    assert parsed.from_address == "francois.lefevre@example.fr"
    assert parsed.subject == "PRIVACY POLICY : données erronées"
    assert "elle est erronée" in parsed.text
    assert "12 rue de l'Église, 75004 Paris" in parsed.text
    assert "\ufffd" not in parsed.text
    assert request_type(parsed) == "correction"


def test_an_encoded_spanish_subject_is_decoded_and_asks_for_deletion() -> None:
    parsed = parse("encoded_subject.eml")

    assert parsed.subject == "PRIVACY POLICY: eliminar mis datos"
    assert parsed.from_name == "María García"
    assert request_type(parsed) == "deletion"


def test_a_forwarded_request_is_read_from_the_forwarded_text_and_comes_from_the_forwarder() -> None:
    parsed = parse("forward.eml")

    assert parsed.from_address == "support@example.com"
    assert "please erase my account" in parsed.text_without_quotes
    assert "From: Lucy Smith <lucy.smith@example.net>" in parsed.text_without_quotes
    assert "Example Company Customer Care" not in parsed.text_without_quotes  # the forwarder's signature
    assert request_type(parsed) == "deletion"


def test_a_reply_finds_its_reference_and_ignores_the_words_it_quotes_from_us() -> None:
    parsed = parse("reply_quoted.eml")

    assert find_reference(parsed.subject, parsed.text_without_quotes) == "DSR-7KQ2-M9XD"
    assert parsed.in_reply_to == ("dsr.DSR-7KQ2-M9XD.1@privacy.example.com",)
    assert parsed.references == (
        "CAF8kq2m9xd.4821.jane@mail.example.org",
        "dsr.DSR-7KQ2-M9XD.1@privacy.example.com",
    )
    assert parsed.text_without_quotes == "Thanks. To be clear: I only want a copy of my data for now."
    assert "delete" in parsed.text
    assert request_type(parsed) == "access"
    # Counting the quoted "delete" would have made the request ambiguous.
    assert detect_request_type(parsed.subject, parsed.text) is None


def test_an_out_of_office_reply_is_automated() -> None:
    parsed = parse("auto_reply.eml")

    assert parsed.automated == "auto-reply"
    assert parsed.from_address == "jane.doe@example.org"


def test_a_bounce_is_automated_and_the_returned_message_is_not_an_attachment() -> None:
    parsed = parse("bounce.eml")

    assert parsed.automated == "bounce"
    assert parsed.from_address == "MAILER-DAEMON@mx.example.com"
    assert parsed.text.startswith("This is the mail system at host mx.example.com.")
    assert parsed.attachments == ()
    assert parsed.date == datetime.datetime(2026, 2, 6, 12, 0, tzinfo=UTC)


def test_a_newsletter_is_bulk() -> None:
    assert parse("bulk.eml").automated == "bulk"


def test_a_message_with_broken_headers_is_still_read_and_its_defects_are_listed() -> None:
    parsed = parse("broken_headers.eml")

    assert parsed.defects
    assert parsed.from_address == ""
    assert parsed.date is None
    assert parsed.subject == "=?UTF-8?B?UFJJVkFDWSBQT0xJQ1k gone wrong"  # kept as written, not dropped
    assert parsed.to == ("privacy@example.com",)
    assert parsed.text == "Please delete all my data. My email is jane.doe@example.org."
    assert request_type(parsed) == "deletion"


def test_a_question_without_request_words_has_no_request_type() -> None:
    parsed = parse("unclear.eml")

    assert request_type(parsed) is None
    assert parsed.automated is None
    assert parsed.from_address == "tom.brown@example.co.uk"


def test_a_spoofed_message_shows_failed_authentication_and_its_reply_to_is_only_recorded() -> None:
    parsed = parse("spoofed.eml")

    # The topmost header is the receiving server's; the "pass" one below it came with the message.
    assert parsed.auth == AuthResults(spf="fail", dkim="fail", dmarc="fail")
    assert parsed.from_address == "chris@example.com"
    assert parsed.reply_to == "chris.example.private@evil.example"


def test_an_attachment_over_the_limit_is_skipped_and_the_text_is_still_read() -> None:
    parsed = parse_email(make_large_message())

    assert parsed.attachments == ()
    assert parsed.skipped_attachments == (LARGE_ATTACHMENT_NAME,)
    assert parsed.text == "Please send me a copy of my personal data. My statements are attached."
    assert request_type(parsed) == "access"


def test_a_large_attachment_under_a_raised_limit_is_kept_whole() -> None:
    size = 20 * 1024 * 1024
    parsed = parse_email(make_large_message(size), max_attachment_bytes=size)

    [attachment] = parsed.attachments
    assert attachment.size == size
    assert attachment.sha256 == hashlib.sha256(large_attachment_payload(size)).hexdigest()
    assert parsed.skipped_attachments == ()


def test_the_large_message_is_built_the_same_way_every_time() -> None:
    assert make_large_message(100_000) == make_large_message(100_000)
    assert len(make_large_message()) > 20 * 1024 * 1024


# --- headers ------------------------------------------------------------------------------


def test_a_missing_from_gives_an_empty_address() -> None:
    parsed = parse_email(message(headers={"From": None}))

    assert (parsed.from_address, parsed.from_name) == ("", "")


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 02 Feb 2026 09:15:00 +0100", datetime.datetime(2026, 2, 2, 8, 15, tzinfo=UTC)),
        ("Mon, 02 Feb 2026 09:15:00 -0000", datetime.datetime(2026, 2, 2, 9, 15, tzinfo=UTC)),
        ("yesterday after lunch", None),
        ("Mon, 32 Jan 2026 25:61:00 +9999", None),
        ("Mon, 1 Jan 99999999999 10:00:00 +0000", None),
        (None, None),
    ],
)
def test_a_date_is_read_with_its_zone_or_is_none(date: str | None, expected: datetime.datetime | None) -> None:
    parsed = parse_email(message(headers={"Date": date}))

    assert parsed.date == expected
    assert parsed.date is None or parsed.date.tzinfo is not None


def test_an_unreadable_date_is_a_defect() -> None:
    assert "InvalidDateDefect" in parse_email(message(headers={"Date": "yesterday"})).defects


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("<abc@example.org>", ("abc@example.org",)),
        ("  <abc@example.org>  (a comment)", ("abc@example.org",)),
        ("Your message of Monday <abc@example.org>", ("abc@example.org",)),
        ("<a@x> <b@x>\r\n <a@x>", ("a@x", "b@x")),
        ("bare-id@example.org", ("bare-id@example.org",)),
        ("not an id at all", ()),
        ("<" + "x" * 300 + "@example.org>", ()),
    ],
)
def test_message_ids_are_read_without_brackets_and_nonsense_is_left_out(header: str, expected: tuple[str, ...]) -> None:
    assert parse_email(message(headers={"References": header})).references == expected


def test_the_reply_to_address_is_recorded() -> None:
    parsed = parse_email(message(headers={"Reply-To": "Other <Other@Example.NET>"}))

    assert parsed.reply_to == "Other@example.net"
    assert parsed.from_address == "jane.doe@example.org"


def test_every_to_address_is_listed() -> None:
    parsed = parse_email(message(headers={"To": "privacy@example.com, Legal <legal@EXAMPLE.com>, undisclosed:;"}))

    assert parsed.to == ("privacy@example.com", "legal@example.com")


def test_a_subject_folded_over_lines_is_one_line() -> None:
    parsed = parse_email(message(headers={"Subject": "PRIVACY\r\n  POLICY\r\n\trequest"}))

    assert parsed.subject == "PRIVACY POLICY request"


def test_a_raw_utf8_subject_is_read_as_utf8() -> None:
    raw = message().replace(b"Subject: PRIVACY POLICY", "Subject: PRIVACY POLICY \u2013 Löschung".encode())

    assert parse_email(raw).subject == "PRIVACY POLICY \u2013 Löschung"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("mx.example.com; spf=pass; dkim=pass; dmarc=pass", PASSED),
        ("mx.example.com; spf=softfail; dkim=none; dmarc=temperror", AuthResults("softfail", "none", "temperror")),
        ("mx.example.com; spf=neutral; dkim=permerror; dmarc=fail", AuthResults("neutral", "permerror", "fail")),
        ("mx.example.com; spf=hardfail", AuthResults("fail", "unknown", "unknown")),
        ("mx.example.com; dkim=fail header.d=a.example; dkim=pass header.d=b.example", AuthResults(dkim="pass")),
        ("mx.example.com; spf=fail (spf=pass would be nicer) smtp.mailfrom=x", AuthResults(spf="fail")),
        ("mx.example.com; SPF=Pass; DKIM=PASS", AuthResults("pass", "pass", "unknown")),
        ("mx.example.com; none", UNKNOWN),
        ("mx.example.com; spf=bestguesspass", UNKNOWN),
        ("spf=pass", UNKNOWN),  # no authserv-id: the results are not where RFC 8601 puts them
    ],
)  # fmt: skip
def test_authentication_results_are_read_per_method(header: str, expected: AuthResults) -> None:
    assert parse_email(message(headers={"Authentication-Results": header})).auth == expected


def test_no_authentication_results_header_means_unknown() -> None:
    assert parse_email(message()).auth == UNKNOWN


# --- automated mail -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-reply"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@example.org"}, "auto-reply"),
        ({"Auto-Submitted": "no"}, None),
        ({"X-Autoreply": "yes"}, "auto-reply"),
        ({"X-Autorespond": "Out of office"}, "auto-reply"),
        ({"Precedence": "auto_reply"}, "auto-reply"),
        ({"Subject": "Automatic reply: PRIVACY POLICY"}, "auto-reply"),
        ({"Subject": "Abwesenheitsnotiz: PRIVACY POLICY"}, "auto-reply"),
        ({"Subject": "Réponse automatique : PRIVACY POLICY"}, "auto-reply"),
        ({"Subject": "OUT OF OFFICE"}, "auto-reply"),
        ({"Auto-Submitted": "auto-replied", "Precedence": "bulk"}, "auto-reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"Precedence": "junk"}, "bulk"),
        ({"Precedence": "list"}, "bulk"),
        ({"List-Id": "<announce.example.org>"}, "bulk"),
        ({"List-Unsubscribe": "<https://example.org/u>"}, "bulk"),
        ({"Return-Path": "<>"}, "bounce"),
        ({"From": "postmaster@example.org"}, "bounce"),
        ({"From": "MAILER-DAEMON@example.org", "Auto-Submitted": "auto-replied"}, "bounce"),
        ({"Content-Type": "multipart/report; report-type=delivery-status; boundary=x"}, "bounce"),
        ({"Return-Path": "<jane.doe@example.org>"}, None),
        ({}, None),
    ],
)
def test_automated_mail_is_recognised_by_its_headers(headers: dict[str, str | None], expected: str | None) -> None:
    assert parse_email(message(headers=headers)).automated == expected


# --- body and charsets --------------------------------------------------------------------


def test_plain_text_is_preferred_to_html_in_an_alternative() -> None:
    body = (
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>From the <b>HTML</b></p>\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\nFrom the plain text\n--b--\n"
    )
    raw = message(body, headers={"Content-Type": 'multipart/alternative; boundary="b"'})

    assert parse_email(raw).text == "From the plain text"


def test_an_unknown_charset_falls_back_without_an_exception() -> None:
    raw = message(headers={"Content-Type": "text/plain; charset=x-no-such-charset"}).replace(b"Hello.", b"caf\xc3\xa9")
    parsed = parse_email(raw)

    assert parsed.text == "café"
    assert "UnknownCharset" in parsed.defects


def test_a_charset_that_is_not_a_text_encoding_falls_back() -> None:
    raw = message(headers={"Content-Type": "text/plain; charset=base64"}).replace(b"Hello.", b"caf\xe9")

    assert parse_email(raw).text == "café"


def test_utf8_bytes_declared_as_ascii_are_read_as_utf8() -> None:
    raw = message(headers={"Content-Type": "text/plain; charset=us-ascii"}).replace(b"Hello.", "Grüße".encode())

    assert parse_email(raw).text == "Grüße"


def test_undecodable_bytes_become_replacement_characters() -> None:
    raw = message(headers={"Content-Type": "text/plain; charset=utf-8"}).replace(b"Hello.", b"ok \xff\xfe ok")

    assert parse_email(raw).text == "ok \ufffd\ufffd ok"


def test_nul_and_control_characters_never_reach_the_text() -> None:
    raw = message(headers={"Subject": "PRIVACY\x00POLICY\x07"}).replace(b"Hello.", b"a\x00b\x1bc\r\nd")
    parsed = parse_email(raw)

    assert parsed.subject == "PRIVACY POLICY"
    assert parsed.text == "abc\nd"


def test_broken_base64_is_a_defect_not_an_exception() -> None:
    raw = message("!!! not base64 ===", headers={"Content-Transfer-Encoding": "base64"})
    parsed = parse_email(raw)

    assert parsed.defects
    assert isinstance(parsed.text, str)


def test_an_inline_text_file_is_an_attachment_only_when_sent_as_one() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nSee the file.\n"
        '--b\nContent-Type: text/plain; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\n\n'
        "my notes\n"
        '--b\nContent-Type: image/png; name="scan.png"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n'
        "--b\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlh\n--b--\n"
    )
    parsed = parse_email(message(body, headers={"Content-Type": 'multipart/mixed; boundary="b"'}))

    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("notes.txt", "text/plain"),
        ("scan.png", "image/png"),
    ]
    assert parsed.text == "See the file."


def test_an_attachment_without_a_name_is_numbered() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nHi\n"
        "--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment\n\nabc\n"
        '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=".."\n\nabc\n--b--\n'
    )
    parsed = parse_email(message(body, headers={"Content-Type": 'multipart/mixed; boundary="b"'}))

    assert [a.filename for a in parsed.attachments] == ["attachment-1", "attachment-2"]


def test_a_forwarded_message_attached_whole_is_an_attachment() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nForwarding this.\n"
        '--b\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="request.eml"\n\n'
        "From: lucy@example.net\nSubject: please delete\n\nDelete me.\n--b--\n"
    )
    parsed = parse_email(message(body, headers={"Content-Type": 'multipart/mixed; boundary="b"'}))

    [attachment] = parsed.attachments
    assert attachment.filename == "request.eml"
    assert attachment.content_type == "message/rfc822"
    assert b"Delete me." in attachment.payload
    assert parsed.text == "Forwarding this."


# --- quotes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "On Tue, 3 Feb 2026 at 10:00, Privacy Team <privacy@example.com> wrote:",
        "On 3 Feb 2026, at 10:00, Privacy Team <privacy@example.com> wrote:",
        "Am 03.02.2026 um 10:00 schrieb Privacy Team <privacy@example.com>:",
        "Le mar. 3 févr. 2026 à 10:00, Privacy Team <privacy@example.com> a écrit :",
        "El mar, 3 feb 2026 a las 10:00, Privacy Team (<privacy@example.com>) escribió:",
    ],
)
def test_a_reply_header_in_any_of_our_languages_and_the_quote_below_it_are_removed(header: str) -> None:
    body = f"Yes, go ahead.\n\n{header}\n> Do you want us to delete your data?\n> Privacy Team\n"

    assert parse_email(message(body)).text_without_quotes == "Yes, go ahead."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----\nFrom: Privacy Team\nSent: Tuesday, 3 February 2026 10:00",
        "-----Ursprüngliche Nachricht-----\nVon: Privacy Team",
        "________________________________\nFrom: Privacy Team <privacy@example.com>\nSent: Tuesday",
        "From: Privacy Team <privacy@example.com>\nSent: Tuesday, 3 February 2026 10:00\nTo: Jane",
        "Von: Privacy Team <privacy@example.com>\nGesendet: Dienstag, 3. Februar 2026 10:00",
    ],
)
def test_an_outlook_reply_header_ends_the_new_text(separator: str) -> None:
    body = f"Yes, go ahead.\n\n{separator}\nSubject: your request\n\nDo you want us to delete your data?\n"

    assert parse_email(message(body)).text_without_quotes == "Yes, go ahead."


def test_answers_written_between_quoted_lines_are_kept() -> None:
    body = (
        "On Tue, 3 Feb 2026 at 10:00, Privacy Team <privacy@example.com> wrote:\n"
        "> What is your customer number?\n48213\n\n> Which data do you mean?\nAll of it, please.\n"
    )

    assert parse_email(message(body)).text_without_quotes == "48213\n\nAll of it, please."


def test_a_sentence_that_merely_mentions_writing_is_not_a_reply_header() -> None:
    body = "On reflection, this is what I wrote:\nplease send me a copy."

    assert parse_email(message(body)).text_without_quotes == body


@pytest.mark.parametrize(
    "signature", ["-- \nJane Doe", "--\nJane Doe", "Sent from my iPhone", "Von meinem iPhone gesendet"]
)
def test_a_signature_is_removed_from_the_new_text(signature: str) -> None:
    assert parse_email(message(f"Please delete my data.\n\n{signature}\n")).text_without_quotes == (
        "Please delete my data."
    )


def test_a_quoted_html_reply_loses_its_blockquote() -> None:
    html = (
        "<div>Yes, a copy please.</div><div class='gmail_quote'><div>On Tue, 3 Feb 2026 at 10:00 Privacy Team"
        " &lt;privacy@example.com&gt; wrote:<br></div><blockquote>Shall we delete your data?</blockquote></div>"
    )
    parsed = parse_email(message(html, headers={"Content-Type": "text/html; charset=utf-8"}))

    assert parsed.text_without_quotes == "Yes, a copy please."
    assert request_type(parsed) == "access"


# --- html_to_text -------------------------------------------------------------------------


def test_html_becomes_its_visible_text_with_a_line_per_block() -> None:
    html = (
        "<html><head><title>Title</title><style>p{}</style><script>var x = 1;</script></head>"
        "<body><h1>Dear team</h1><p>Line one<br>line   two</p><ul><li>first</li><li>second</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr></table><script>alert(1)</script></body></html>"
    )

    assert html_to_text(html) == "Dear team\n\nLine one\nline two\n\nfirst\nsecond\n\na b"


def test_html_entities_are_decoded_into_text_not_markup() -> None:
    assert html_to_text("<p>Tom &amp; Jerry &lt;b&gt; caf&#233;&nbsp;ok</p>") == "Tom & Jerry <b> café ok"


def test_a_head_or_title_left_open_does_not_hide_the_body() -> None:
    assert html_to_text("<html><head><title>Request<body><p>Please delete my data.</p>") == "Please delete my data."


def test_preformatted_html_keeps_its_lines() -> None:
    assert html_to_text("<pre>one\ntwo\n\nthree</pre>") == "one\ntwo\n\nthree"


def test_blockquotes_become_quoted_lines() -> None:
    assert html_to_text("<p>Mine</p><blockquote><p>Theirs</p><blockquote>Older</blockquote></blockquote>") == (
        "Mine\n\n> Theirs\n\n> > Older"
    )


@pytest.mark.parametrize(
    "html",
    ["", "<", "<!", "<![CDATA[", "<!--", "<script>", "</p></div>", "<p <p <p", "<a href='", "&#xFFFFFFFF;", "<<<>>>"],
)
def test_broken_html_never_raises(html: str) -> None:
    assert "<script" not in html_to_text(html + "<script>x</script>tail")


@given(st.text(max_size=500))
@settings(max_examples=200, deadline=None, database=None)
def test_html_to_text_accepts_any_text(html: str) -> None:
    assert isinstance(html_to_text(html), str)


# --- safe_filename ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\jane\\scan.pdf", "scan.pdf"),
        ("/etc/shadow", "shadow"),
        (".htaccess", "htaccess"),
        ("...pdf", "pdf"),
        ("report..final.pdf", "report.final.pdf"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ('what?<>|*:".txt', "what_______.txt"),
        ("  spaced   out  .doc ", "spaced out.doc"),
        ("trailing dots...", "trailing dots"),
        ("..", "fallback"),
        ("../..", "fallback"),
        ("   ", "fallback"),
        ("", "fallback"),
        (None, "fallback"),
    ],
)
def test_a_declared_filename_is_made_safe(declared: str | None, expected: str) -> None:
    assert safe_filename(declared, fallback="fallback") == expected


def test_a_long_filename_is_cut_to_100_characters_keeping_its_extension() -> None:
    name = safe_filename("x" * 300 + ".pdf", fallback="f")

    assert len(name) == 100
    assert name.endswith("xxx.pdf")
    assert len(safe_filename("y" * 300, fallback="f")) == 100


@given(st.one_of(st.none(), st.text(max_size=300)))
@settings(max_examples=300, deadline=None, database=None)
def test_any_declared_filename_becomes_a_safe_basename(declared: str | None) -> None:
    name = safe_filename(declared, fallback="attachment-1")

    assert 0 < len(name) <= 100
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith(".")
    assert not any(unicodedata.category(c).startswith("C") for c in name)
    assert unicodedata.normalize("NFC", name) == name


# --- detect_request_type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("", "Please send me a copy of my personal data.", "access"),
        ("Subject access request", "", "access"),
        ("", "What data do you hold about me?", "access"),
        ("", "Please export everything you have on me.", "access"),
        ("", "I want to exercise my right to data portability.", "access"),
        ("", "Bitte erteilen Sie mir Auskunft über meine Daten.", "access"),
        ("", "Ich möchte eine Datenkopie nach Art. 15.", "access"),
        ("", "Je demande l'accès à mes données.", "access"),
        ("", "Envoyez-moi une copie de mes données.", "access"),
        ("", "Solicito el acceso a mis datos.", "access"),
        ("", "Quiero una copia de mis datos.", "access"),
        ("", "Please delete my account.", "deletion"),
        ("", "ERASE MY DATA NOW", "deletion"),
        ("", "I invoke my right to be forgotten.", "deletion"),
        ("", "Please remove my personal data from your lists.", "deletion"),
        ("", "Bitte LÖSCHEN Sie meine Daten.", "deletion"),
        ("", "Ich verlange die Datenlöschung.", "deletion"),
        ("", "Bitte um Loeschung.", "deletion"),
        ("", "Recht auf Vergessenwerden", "deletion"),
        ("", "Merci de supprimer mes données.", "deletion"),
        ("", "Veuillez effacer mon compte.", "deletion"),
        ("", "J'exerce mon droit à l\u2019oubli.", "deletion"),
        ("", "Quiero eliminar mis datos.", "deletion"),
        ("", "Por favor borren mis datos.", "deletion"),
        ("", "Solicito suprimir mis datos.", "deletion"),
        ("", "Ejerzo mi derecho al olvido.", "deletion"),
        ("", "Please correct my address.", "correction"),
        ("", "I ask you to rectify my date of birth.", "correction"),
        ("", "Please update my email address.", "correction"),
        ("", "Fix my name please, it is misspelled.", "correction"),
        ("", "Bitte berichtigen Sie meine Anschrift.", "correction"),
        ("", "Antrag auf Berichtigung", "correction"),
        ("", "Bitte korrigieren Sie meinen Namen.", "correction"),
        ("", "Merci de rectifier mon adresse.", "correction"),
        ("", "Pouvez-vous corriger mon nom ?", "correction"),
        ("", "Quiero rectificar mi dirección.", "correction"),
        ("", "Por favor corregir mi nombre.", "correction"),
        ("", "Deseo actualizar mi dirección.", "correction"),
    ],
)
def test_the_request_type_is_found_in_each_language(subject: str, text: str, expected: str) -> None:
    assert detect_request_type(subject, text) == expected


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("", ""),
        ("PRIVACY POLICY question", "Do you use cookies on your website?"),
        ("", "Send me a copy, then delete everything."),  # two types: a person decides
        ("", "Please correct my address and erase my old orders."),
        ("", "The copyright notice on your accessibility page is undeleted and incorrectly dated."),
        ("", "Is this the correct address for privacy questions?"),
        ("", "I forgot my password."),
    ],
)
def test_no_type_is_guessed_when_the_words_are_missing_or_point_both_ways(subject: str, text: str) -> None:
    assert detect_request_type(subject, text) is None


def test_a_long_hostile_word_is_read_quickly() -> None:
    assert detect_request_type("", "a" * 200_000 + " delete") == "deletion"


# --- find_reference -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("Re: PRIVACY POLICY request DSR-7KQ2-M9XD", "", "DSR-7KQ2-M9XD"),
        ("", "my reference is dsr 7kq2 m9xd.", "DSR-7KQ2-M9XD"),
        ("", "(DSR7KQ2M9XD)", "DSR-7KQ2-M9XD"),
        ("", "DSR_7KQ2_M9XO", "DSR-7KQ2-M9X0"),
        ("Re: DSR-AAAA-BBBB", "about DSR-7KQ2-M9XD", "DSR-AAAA-BBBB"),
        ("Re: DSR-7KQ2-M9XU", "DSR-7KQ2-M9XD", "DSR-7KQ2-M9XD"),  # U is not in the alphabet
        ("", "XDSR-7KQ2-M9XDX", None),
        ("", "DSR-7KQ2-M9X", None),
        ("PRIVACY POLICY", "no reference here", None),
    ],
)
def test_a_reference_is_found_as_people_type_it(subject: str, text: str, expected: str | None) -> None:
    assert find_reference(subject, text) == expected


# --- mask_address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("jane.doe@example.org", "j***@example.org"),
        ("J@EXAMPLE.ORG", "J***@example.org"),
        ("@example.org", "***@example.org"),
        ("not an address", "***"),
        ("", ""),
        ("a\nforged log line@example.org", "a***@example.org"),
    ],
)
def test_an_address_is_masked_for_logs(address: str, expected: str) -> None:
    assert mask_address(address) == expected


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None, database=None)
def test_a_masked_address_never_holds_a_line_break_or_the_local_part(address: str) -> None:
    masked = mask_address(address)

    assert "\n" not in masked and "\r" not in masked
    local = address.rpartition("@")[0]
    if len(local) > 3:
        assert local not in masked


# --- hostile input ------------------------------------------------------------------------


def check_invariants(parsed: ParsedEmail) -> None:
    """What any parsed message promises, however broken the input was."""
    for field in dataclasses.fields(parsed):
        value = getattr(parsed, field.name)
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, str):
                assert "\x00" not in item, field.name
    assert "\r" not in parsed.text
    assert parsed.from_address == "" or parsed.from_address.count("@") == 1
    assert parsed.automated in {None, "auto-reply", "bounce", "bulk"}
    allowed = {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "unknown"}
    assert {parsed.auth.spf, parsed.auth.dkim, parsed.auth.dmarc} <= allowed
    for attachment in parsed.attachments:
        assert attachment.filename == safe_filename(attachment.filename, fallback="-")
        assert attachment.size == len(attachment.payload)
    assert parsed.date is None or parsed.date.tzinfo is not None


def parse_or_reject(raw: bytes) -> ParsedEmail | None:
    """parse_email's result, or None when it said EmailParseError; any other exception fails the test."""
    try:
        parsed = parse_email(raw)
    except EmailParseError:
        return None
    check_invariants(parsed)
    return parsed


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n\t  ", b"\x00" * 100, b"just a sentence, not an email\n", random.Random(7).randbytes(5000)],
    ids=["empty", "whitespace", "nul bytes", "a sentence", "random bytes"],
)
def test_bytes_that_are_not_a_message_are_a_parse_error(raw: bytes) -> None:
    with pytest.raises(EmailParseError):
        parse_email(raw)


def nested_multipart(depth: int) -> bytes:
    head = b"Subject: nested\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    return head + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(depth)
    )


HOSTILE = {
    "deeply nested multiparts": nested_multipart(3000),
    "nested multiparts past our own limit": nested_multipart(60),
    "thousands of parts": b"Subject: x\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
    + b"--z\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nx\r\n" * 600
    + b"--z--\r\n",
    "nested comments in From": b"From: " + b"(" * 5000 + b"jane@example.org\r\nSubject: x\r\n\r\nhi",
    "nested comments and a huge token in From": b"From: " + b"(" * 2000 + b"a" * 300_000 + b"\r\n\r\nhi",
    "nested comments in Content-Type": b"Content-Type: " + b"(" * 3000 + b"text/html\r\n\r\n<p>hi",
    "nested comments in Content-Disposition": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
    b"Content-Disposition: attachment; " + b"(" * 3000 + b"\r\n\r\nabc\r\n--z--\r\n",
    "thousands of encoded words": b"Subject: " + b"=?utf-8?q?" * 20000 + b"\r\n\r\nhi",
    "a 2 MB header line": b"Subject: " + b"A" * 2_000_000 + b"\r\n\r\nx",
    "a 1 MB body line": b"Subject: x\r\n\r\non " + b"x" * 1_000_000 + b" wrote:",
    "thousands of recipients": b"To: " + b", ".join(b"a%d@example.org" % i for i in range(20000)) + b"\r\n\r\nx",
    "thousands of parameters": b"Content-Type: text/plain; " + b"a=b; " * 20000 + b"\r\n\r\nhi",
    "many headers": b"".join(b"X-H%d: v\r\n" % i for i in range(20000)) + b"\r\nhi",
    "NUL bytes in headers": b"From: a\x00b@example.org\r\nSubject: hi\x00there\r\n\r\nbody\x00",
    "garbage Content-Type": b'Content-Type: \xff\xfe/;;;;===="\r\nContent-Disposition: \x00;filename=\r\n\r\nx',
    "unknown RFC 2231 charset": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
    b"Content-Disposition: attachment; filename*=x-unknown''%FF%FE%00..%2F..%2Fevil\r\n\r\nabc\r\n--z--\r\n",
    "empty attached message": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
    b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n\r\n--z--\r\n",
    "unclosed boundary": b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nhi",
    "multipart without a boundary": b"Content-Type: multipart/mixed\r\n\r\n--z\r\n\r\nhi\r\n--z--",
    "UTF-16 body with an odd length": b"Content-Type: text/plain; charset=utf-16\r\n\r\n\xff\xfe\x00",
    "broken quoted-printable": b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=C3",
    "carriage returns only": b"From: a@example.org\rSubject: x\r\rbody",
    "an mbox From line": b"From MAILER-DAEMON Mon Jan 1 00:00:00 2026\nFrom: a@example.org\n\nx",
    "headers and no body": b"From: a@example.org\r\nSubject: x",
    "a header without a name": b": value\r\nSubject: x\r\n\r\nx",
    "invalid Message-ID": b"Message-ID: <<<>>>\r\nIn-Reply-To: <\r\nReferences: >\r\n\r\nx",
    "a 100 kB Message-ID": b"Message-ID: <" + b"a" * 100_000 + b">\r\n\r\nx",
    "garbage Authentication-Results": b"Authentication-Results: ;;;spf=;dkim==pass dmarc=\r\n\r\nx",
    "HTML that never closes": b"Content-Type: text/html\r\n\r\n" + b"<div><!--<![CDATA[<a href='" * 2000,
    "a header followed by random bytes": b"Subject: x\r\n" + random.Random(3).randbytes(5000),
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_read_or_rejected_but_never_crashes(raw: bytes) -> None:
    parse_or_reject(raw)


def test_multiparts_nested_too_deep_still_give_the_headers() -> None:
    parsed = parse_or_reject(nested_multipart(3000))

    assert parsed is not None
    assert parsed.subject == "nested"
    assert "TooDeeplyNested" in parsed.defects


def test_a_header_the_parser_cannot_read_still_gives_its_address() -> None:
    parsed = parse_or_reject(HOSTILE["nested comments in From"])

    assert parsed is not None
    assert parsed.from_address == "jane@example.org"
    assert parsed.subject == "x"


def test_a_huge_header_is_cut_and_recorded() -> None:
    parsed = parse_or_reject(HOSTILE["a 2 MB header line"])

    assert parsed is not None
    assert "HeaderTooLong:Subject" in parsed.defects


HEADER_NAMES = [
    b"From", b"To", b"Reply-To", b"Subject", b"Date", b"Message-ID", b"In-Reply-To", b"References",
    b"Content-Type", b"Content-Transfer-Encoding", b"Content-Disposition", b"Auto-Submitted", b"Precedence",
    b"List-Id", b"Return-Path", b"Authentication-Results", b"MIME-Version",
]  # fmt: skip
FRAGMENTS = [
    b"=?utf-8?b?", b"=?x-unknown?q?caf=E9?=", b"?=", b"multipart/mixed; boundary=b", b"multipart/report",
    b"text/html; charset=utf-16", b"attachment; filename*=utf-8''..%2F", b"base64", b"quoted-printable",
    b"<a@b>", b"(", b")", b'"', b"\\", b"\x00", b"\r\n\t", b"\r\n", b";", b",", b"@", b":", b"\xff", b"\xc3",
]  # fmt: skip
BODY_FRAGMENTS = [
    b"--b\r\n", b"--b--\r\n", b"Content-Type: text/plain; charset=utf-8\r\n\r\n", b"Content-Type: text/html\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n", b"Content-Disposition: attachment; filename=../x\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n\r\n", b"<p>hi</p>", b"<script>", b"> quoted\r\n",
    b"On Mon, 1 Jan 2026 someone wrote:\r\n", b"-- \r\n", b"=C3=A9", b"\xff\xfe", b"\r\n", b"DSR-7KQ2-M9XD",
]  # fmt: skip
header_values = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=40)), max_size=8).map(b"".join)
headers = st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_values), max_size=12)
bodies = st.lists(st.one_of(st.sampled_from(BODY_FRAGMENTS), st.binary(max_size=40)), max_size=25).map(b"".join)


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None, database=None)
def test_no_byte_string_raises_anything_but_a_parse_error(raw: bytes) -> None:
    parse_or_reject(raw)


@given(headers, bodies)
@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_message_shaped_bytes_raise_anything_but_a_parse_error(
    fields: list[tuple[bytes, bytes]], body: bytes
) -> None:
    parse_or_reject(b"".join(name + b": " + value + b"\r\n" for name, value in fields) + b"\r\n" + body)
