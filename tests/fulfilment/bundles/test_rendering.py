"""The PDF renderer's per-process caches: the same document with them as without them.

A fresh thread has empty caches (they are per thread), so "without" is a first render in a
new thread and "with" is a later render in a thread whose caches already hold the entries.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.utils import translation
from pypdf import PdfReader

from requests_app.fulfilment.bundles import rendering
from requests_app.fulfilment.bundles.inputs import Branding
from requests_app.fulfilment.bundles.report import render_access_report
from requests_app.fulfilment.bundles.spool import DatasetSpool
from requests_app.fulfilment.bundles.warm import pdf_warm
from tests.bundle_data import ACCOUNTS, make_context

if TYPE_CHECKING:
    from collections.abc import Callable

    from requests_app.fulfilment.bundles.inputs import BundleContext

GENERATED = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)


def _in_fresh_thread(work: Callable[[], Any]) -> Any:
    """Run `work` in a new thread, so with empty caches, and return what it returned."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the test's thread below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _pdf(context: BundleContext, language: str = "en", email: str = "xiaolong.zoya@example.org") -> bytes:
    spool = DatasetSpool("accounts", "users", "accounts", "users", ("email", "name"), sample_limit=10)
    try:
        spool.add({"email": email, "name": context.subject_name})
        out = io.BytesIO()
        with translation.override(language):
            render_access_report(out, context, [spool], generated_at=GENERATED, record_limit=10)
        return out.getvalue()
    finally:
        spool.close()


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True).stdout.decode()


def _words(pdf: bytes) -> str:
    """The text with every run of whitespace as one space: table cells wrap where they like."""
    return " ".join(_text(pdf).split())


def test_a_report_made_from_the_caches_reads_exactly_as_one_made_without_them():
    context = make_context(systems=(ACCOUNTS,))

    def twice() -> tuple[bytes, bytes, int]:
        first = _pdf(context)  # fills the caches
        second = _pdf(context)  # served from them
        return first, second, len(rendering.state().explanations)

    first, second, explanations = _in_fresh_thread(twice)
    assert explanations == 1
    assert _text(second) == _text(first)
    assert "Why we use your data (purposes and legal basis)" in _text(second)
    assert "Right to complain to a supervisory authority" in _text(second)


def test_the_explanation_is_shared_by_subjects_and_the_subjects_own_part_is_not():
    one = make_context(systems=(ACCOUNTS,), subject_name="Ada Lovelace", reference="DSR-AAAA-0001")
    other = make_context(systems=(ACCOUNTS,), subject_name="Grace Hopper", reference="DSR-BBBB-0002")

    def both() -> tuple[str, str, int]:
        first = _text(_pdf(one, email="ada@example.org"))
        second = _text(_pdf(other, email="grace@example.org"))
        return first, second, len(rendering.state().explanations)

    first, second, explanations = _in_fresh_thread(both)
    assert explanations == 1  # one data map, one language: rendered once
    assert "Grace Hopper" in second and "grace@example.org" in second and "DSR-BBBB-0002" in second
    assert "Ada Lovelace" not in second and "ada@example.org" not in second and "DSR-AAAA-0001" not in second
    # Everything from the purposes to the rights reads the same for both (but the page footer).
    second = second.replace("DSR-BBBB-0002", "DSR-AAAA-0001")
    start, end = "Why we use your data", "Right to complain to a supervisory authority"
    assert first[first.index(start) : first.index(end)] == second[second.index(start) : second.index(end)]


def test_each_language_gets_its_own_explanation_and_stylesheet():
    context = make_context(systems=(ACCOUNTS,))

    def english_then_german() -> tuple[str, str, int, int]:
        english, german = _text(_pdf(context, "en")), _text(_pdf(context, "de"))
        state = rendering.state()
        return english, german, len(state.explanations), len(state.stylesheets)

    english, german, explanations, stylesheets = _in_fresh_thread(english_then_german)
    assert (explanations, stylesheets) == (2, 2)
    assert "Ihre Rechte" in german and "Your rights" not in german
    assert "Seite 1" in german  # the page footer comes from the stylesheet, in the request's language
    assert "Your rights" in english and "Page 1" in english


def test_a_changed_data_map_or_company_text_is_never_answered_from_the_old_entry():
    context = make_context(systems=(ACCOUNTS,))
    field = dataclasses.replace(ACCOUNTS.datasets[0].fields[0], purpose="Sending the newsletter you asked for")
    dataset = dataclasses.replace(ACCOUNTS.datasets[0], fields=(field, *ACCOUNTS.datasets[0].fields[1:]))
    changed_map = make_context(systems=(dataclasses.replace(ACCOUNTS, datasets=(dataset, *ACCOUNTS.datasets[1:])),))
    changed_text = make_context(systems=(ACCOUNTS,), transfer_safeguards="Binding corporate rules (Art. 47).")

    def three() -> tuple[str, str, str, int]:
        texts = (_words(_pdf(c)) for c in (context, changed_map, changed_text))
        return (*texts, len(rendering.state().explanations))  # type: ignore[return-value]

    original, new_map, new_text, explanations = _in_fresh_thread(three)
    assert explanations == 3
    assert "Sending the newsletter you asked for" not in original
    assert "Sending the newsletter you asked for" in new_map
    assert "Binding corporate rules (Art. 47)." in new_text
    assert "Binding corporate rules" not in original


def test_a_report_from_the_caches_is_still_tagged_pdf_ua_with_title_and_language():
    context = make_context(systems=(ACCOUNTS,))

    def twice() -> bytes:
        _pdf(context, "fr")
        return _pdf(context, "fr")

    pdf = _in_fresh_thread(twice)
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.root_object
    assert root["/MarkInfo"]["/Marked"]  # type: ignore[index]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "fr"
    assert reader.metadata is not None
    assert "DSR-7KQ2-M9XD" in str(reader.metadata.title)
    assert "pdfuaid:part" in reader.xmp_metadata.stream.get_data().decode()  # type: ignore[union-attr]


def test_the_tables_keep_their_size_and_drop_the_oldest():
    made: list[int] = []
    table: rendering.Lru[int] = rendering.Lru(2)

    def maker(key: int) -> Callable[[], int]:
        def make() -> int:
            made.append(key)
            return key

        return make

    for key in (1, 2, 1, 3, 1, 2):
        assert table.get(key, maker(key)) == key
    assert len(table) == 2
    assert made == [1, 2, 3, 2]  # 1 was used again, so 2 was the oldest when 3 came
    assert 1 in table and 2 in table and 3 not in table


def test_after_warming_the_first_report_uses_the_stylesheet_warming_parsed():
    context = make_context(systems=(ACCOUNTS,))

    def warm_then_report() -> tuple[int, int, str]:
        pdf_warm()
        before = len(rendering.state().stylesheets)
        text = _text(_pdf(context, "es"))
        return before, len(rendering.state().stylesheets), text

    before, after, text = _in_fresh_thread(warm_then_report)
    assert before == after == len(settings.LANGUAGES)  # the company's branding, every language
    assert "Página 1" in text


def _page_texts(pdf: bytes) -> list[str]:
    def page(number: int) -> str:
        command = ["pdftotext", "-f", str(number), "-l", str(number), "-", "-"]
        return subprocess.run(command, input=pdf, check=True, capture_output=True).stdout.decode()

    return [page(number) for number in range(1, len(PdfReader(io.BytesIO(pdf)).pages) + 1)]


def test_the_explanation_taken_from_the_cache_sits_in_place_under_the_subjects_own_page_footer():
    one = make_context(systems=(ACCOUNTS,), reference="DSR-AAAA-0001")
    other = make_context(systems=(ACCOUNTS,), reference="DSR-BBBB-0002")

    def both() -> list[str]:
        _pdf(one)  # lays the explanation out
        return _page_texts(_pdf(other))  # takes it from the cache

    pages = _in_fresh_thread(both)
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert "Reference DSR-BBBB-0002" in text and f"Page {number} of {total}" in text
        assert "DSR-AAAA-0001" not in text
    where = {heading: next(n for n, text in enumerate(pages) if heading in text) for heading in (
        "What we searched and what we found", "Why we use your data", "Your rights", "System: accounts",
    )}  # fmt: skip
    assert list(where.values()) == sorted(where.values())  # the explanation between the summary and the systems
    assert all(text.split("Reference")[0].strip() for text in pages)  # no page is left empty


def test_each_brand_gets_its_own_laid_out_explanation():
    plain = make_context(systems=(ACCOUNTS,))
    branded = make_context(
        systems=(ACCOUNTS,), branding=Branding(company_name="Example API Ltd", primary_colour="#7a1f5c")
    )

    def both() -> int:
        _pdf(plain)
        _pdf(branded)
        return len(rendering.state().explanations)

    assert _in_fresh_thread(both) == 2


def test_a_document_that_lost_a_page_reserved_for_inserted_pages_is_refused_and_nothing_is_written():
    def attempt() -> bytes:
        sheets: list[Any] = []
        inserted = rendering.layout("<html lang='en'><body><p>Inserted</p></body></html>", stylesheets=sheets)
        out = io.BytesIO()
        with pytest.raises(RuntimeError, match="lost its reserved page"):
            rendering.write_pdf_with_pages(
                "<html lang='en'><body><p>Host without a reserved page</p></body></html>",
                out,
                stylesheets=sheets,
                inserted=inserted,
            )
        return out.getvalue()

    assert _in_fresh_thread(attempt) == b""
