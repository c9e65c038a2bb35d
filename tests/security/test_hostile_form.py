"""The public request form under hostile input: any text in every field at once, and uploads.

tests/public/test_forms.py checks each named hostile value once, one field at a time; these
properties put hostile text in any mix of fields (NUL, bidi overrides, huge strings, markup,
spreadsheet formulas, SQL, header injection). The form either validates or says what to fix,
and the page answers 400 or 302 with every value escaped, never 500.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.public.forms import RequestForm

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Every example of a property posts from one address within one test: lift the limits, which
# tests/public/test_forms.py checks, so each example reaches the form.
NO_LIMITS = {
    "form_ip": (10**6, 3600),
    "form_email": (10**6, 86400),
    "verify_ip": (10**6, 3600),
    "resend": (10**6, 3600),
}
VALID = {
    "request_type": "access",
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "region": "DE",
    "details": "Please send me a copy.",
    "declaration": "on",
    "website": "",
}
FIELDS = [
    "request_type", "portability", "full_name", "email", "region", "details", "phone", "organisation", "is_agent",
    "agent_name", "agent_email", "declaration", "website",
]  # fmt: skip
HOSTILE = [
    "\x00", "Ada\x00Lovelace", "\u202egpj.exe", "\u200f\u202b\u2066", "\ufeffAda", "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>", "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0", "'; DROP TABLE requests_app_datasubjectrequest; --", "' OR '1'='1",
    "\r\nBcc: x@evil.example", "ada@example.org\r\nBcc: x@evil.example", "ada@example.org\nBcc: x@evil.example",
    "ada@example.org%0d%0aBcc:x@evil.example", "ada@exämple.org", "ADA@EXAMPLE.ORG ", "{{ request }}",
    "{% debug %}", "%s%s%n", "../../etc/passwd", "access\x00", "DE\r\n", "on", "off", "false", " ", "",
    "x" * 100_000, "\U0001d504" * 201, "a" * 5_001,
]  # fmt: skip
# Lone surrogates cannot arrive over HTTP (Django decodes the body with errors="replace"), and
# the test client cannot encode them, so only the form itself gets them.
SURROGATES = ["\udcff", "Ada\ud800Lovelace", "ada\udc80@example.org"]


def hostile_values(*, surrogates: bool) -> st.SearchStrategy[str]:
    pieces = HOSTILE + SURROGATES if surrogates else HOSTILE
    alphabet = st.characters(codec=None if surrogates else "utf-8")
    text = st.text(alphabet, max_size=300)
    return st.one_of(
        st.sampled_from(pieces),
        text,
        st.lists(st.one_of(st.sampled_from(pieces), text), max_size=4).map("".join),
    )


@st.composite
def form_data(draw: st.DrawFn, *, surrogates: bool) -> dict[str, str]:
    """The valid submission with any of its fields replaced by hostile text, or left out."""
    data = dict(VALID)
    replaced = draw(st.dictionaries(st.sampled_from(FIELDS), hostile_values(surrogates=surrogates), max_size=6))
    data.update(replaced)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
        data.pop(name, None)
    return data


def check_outcome(form: RequestForm) -> None:
    """A valid form holds clean addresses and no NUL; an invalid one says, per field, what to fix."""
    if form.is_valid():
        for name in ("email", "agent_email"):
            address = form.cleaned_data.get(name, "")
            assert "\r" not in address and "\n" not in address, (name, address)
        for name, value in form.cleaned_data.items():
            assert not (isinstance(value, str) and "\x00" in value), name
        return
    assert form.errors
    for name, messages in form.errors.items():
        assert messages and all(str(message).strip() for message in messages), name


@pytest.mark.parametrize("policy", ["email", "email+fact"], ids=["without", "with phone and organisation"])
@given(data=form_data(surrogates=True))
@PROPERTY
def test_any_text_in_any_field_either_validates_or_names_the_fields_to_fix(policy: str, data: dict[str, str]) -> None:
    with override_settings(DSAR_VERIFY_POLICY={"access": policy, "correction": policy, "deletion": policy}):
        check_outcome(RequestForm(data))


BAD_ADDRESSES = [
    "ada@example.org\r\nBcc: x@evil.example",
    "ada@example.org\nBcc: x@evil.example",
    "ada@example.org\rBcc: x@evil.example",
    "ada@example.org\r\n",  # stripped, so valid: what is left has no line break
    "ada@example.org,\r\n x@evil.example",
    '"ada\r\n"@example.org',
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
@pytest.mark.parametrize("field", ["email", "agent_email"])
def test_an_address_with_a_line_break_is_refused_or_cleaned_of_it(field: str, address: str) -> None:
    data = {**VALID, "is_agent": "on", "agent_name": "Alex Agent", "agent_email": "agent@agency.example"}
    form = RequestForm({**data, field: address})
    form.is_valid()

    assert field in form.errors or form.cleaned_data[field] == "ada@example.org"


@st.composite
def posted_data(draw: st.DrawFn) -> dict[str, Any]:
    """Form data as a browser (or a robot) posts it: a field may also come twice."""
    data: dict[str, Any] = draw(form_data(surrogates=False))
    for name in draw(st.lists(st.sampled_from(sorted(data)), max_size=2)):
        data[name] = [data[name], draw(hostile_values(surrogates=False))]
    return data


MARKUP = ("<script", "<img", "<svg")
# The page's own scripts: its form script and the JSON map of the types each place's law gives.
OWN_SCRIPTS = re.compile(
    r'<script src="/static/requests_app/request-form\.js" defer>'
    r'|<script id="request-types-by-region" type="application/json">'
)


@given(data=posted_data())
@settings(PROPERTY, max_examples=50)  # each example renders the page or records a request: 60 ms
def test_the_form_page_answers_any_post_with_400_or_302_and_never_shows_markup_unescaped(data: dict[str, Any]) -> None:
    with override_settings(DSAR_RATE_LIMITS=NO_LIMITS):
        response = Client().post("/request/", data, REMOTE_ADDR="192.0.2.1")
    body = OWN_SCRIPTS.sub("", response.content.decode()).lower()

    assert response.status_code in (302, 400)
    assert not any(tag in body for tag in MARKUP)


def test_markup_in_every_text_field_is_shown_escaped_on_the_refused_form() -> None:
    markup = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    fields = ("full_name", "details", "agent_name", "website", "email", "agent_email", "region", "request_type")
    response = Client().post("/request/", {**VALID, "is_agent": "on", **dict.fromkeys(fields, markup)})
    body = response.content.decode()

    assert response.status_code == 400
    assert markup not in body
    assert "&lt;script&gt;" in body and "&quot;&gt;&lt;img" in body


# --- uploads ------------------------------------------------------------------------------

AGENT = {
    **VALID,
    "request_type": "deletion",
    "is_agent": "on",
    "agent_name": "Alex Agent",
    "agent_email": "agent@agency.example",
}
MAGIC = [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b""]


@given(st.sampled_from(MAGIC), st.binary(max_size=2_000))
@PROPERTY
def test_any_bytes_behind_a_file_signature_are_accepted_or_refused_as_damaged(magic: bytes, content: bytes) -> None:
    upload = SimpleUploadedFile("letter.pdf", magic + content, content_type="application/pdf")
    form = RequestForm(AGENT, {"authorisation": upload})

    check_outcome(form)
    if form.is_valid():
        assert form.cleaned_data["authorisation"].name in {
            "authorisation.pdf",
            "authorisation.png",
            "authorisation.jpg",
        }


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A sound 60-byte PNG whose header claims 100,000 x 100,000 pixels: Pillow refuses to open it
# with DecompressionBombError, which is not among the errors forms._detect_upload catches.
PNG_BOMB = (
    b"\x89PNG\r\n\x1a\n"
    + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
    + png_chunk(b"IEND", b"")
)


def test_an_image_claiming_ten_billion_pixels_is_refused_before_it_is_decoded() -> None:
    form = RequestForm(AGENT, {"authorisation": SimpleUploadedFile("letter.png", PNG_BOMB)})

    assert not form.is_valid()
    assert "authorisation" in form.errors


def test_the_form_page_answers_an_image_claiming_ten_billion_pixels_with_400() -> None:
    upload = SimpleUploadedFile("letter.png", PNG_BOMB, content_type="image/png")
    response = Client().post("/request/", {**AGENT, "authorisation": upload}, REMOTE_ADDR="192.0.2.1")

    assert response.status_code == 400
