"""Everything a requester sees, in their language: the catalogues are complete, no English
sentence is left on a page, in an email or in a PDF, and the language is chosen and kept."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from requests_app.fulfilment.bundles.certificate import write_correction_report, write_deletion_certificate
from requests_app.fulfilment.bundles.keys import generate_signing_key
from requests_app.infra.language import check_catalogues, supported, with_language
from requests_app.intake.email_language import detect_language
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import DataSubjectRequest, EmailMessage, State
from requests_app.notifications.emails import KINDS, notify
from requests_app.verification.challenges import status_token
from tests.bundle_data import make_context, write_test_bundle
from tests.factories import DataSubjectRequestFactory, request_in_state, stored_bundle
from tests.fulfilment.bundles.test_certificate import CHANGES, OUTCOMES, RECIPIENTS, SEARCHES
from tests.notifications.test_emails import CONTEXTS
from tests.paths import ROOT
from tests.public.test_forms import form_data

if TYPE_CHECKING:
    from pathlib import Path

TRANSLATED = ("de", "fr", "es")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\{[^}]*\}\}")
# Text between placeholders and tags: the part of a message a reader would see as a sentence.
SPLIT = re.compile(r"%\(\w+\)s|<[^>]+>|\{\{[^}]*\}\}")
MIN_WORDS = 4


def _catalogue(language: str) -> Any:
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def english_sentences() -> tuple[str, ...]:
    """Every piece of an English message of at least four words, from the catalogue."""
    pieces = set()
    for message in _catalogue("de"):
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in SPLIT.split(msgid):
                piece = " ".join(piece.split()).strip(" ,;:.()")
                if len(piece.split()) >= MIN_WORDS:
                    pieces.add(piece)
    return tuple(sorted(pieces))


def untranslated(text: str) -> list[str]:
    """The English sentences of the catalogue that appear in ``text``."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    return [piece for piece in english_sentences() if piece in text]


# --- (a) the catalogues -------------------------------------------------------------------


def test_every_string_in_scope_is_in_each_catalogue_translated_and_nothing_stale() -> None:
    """The extraction Django's makemessages does, in pure Python (scripts/messages.py check)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "messages.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_original(language: str) -> None:
    wrong = []
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0])))
        for string in strings:
            # A singular may say "one" instead of its count; every other placeholder stays.
            found = sorted(set(PLACEHOLDER.findall(string)))
            if found != wanted and not (len(ids) == 2 and set(found) < set(wanted)):
                wrong.append((message.id, string))
    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_fuzzy_or_empty(language: str) -> None:
    catalogue = _catalogue(language)
    assert len(catalogue) > 500
    assert [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ] == []


def test_a_missing_compiled_catalogue_is_a_warning_not_silent_english(settings: Any, tmp_path: Path) -> None:
    po = tmp_path / "de" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text("")
    settings.LOCALE_PATHS = [tmp_path]
    warnings = check_catalogues()
    assert {w.id for w in warnings} >= {"dsar.W001", "dsar.W003"}
    assert any("German" not in w.msg and "de" in w.msg for w in warnings)


def test_the_compiled_catalogues_of_this_checkout_pass_the_check() -> None:
    assert check_catalogues() == []


# --- (b) pages, emails and documents --------------------------------------------------------


def _status_client(request: DataSubjectRequest, language: str) -> tuple[Client, str]:
    client = Client()
    return client, f"/request/status/{status_token(request)}/?lang={language}"


def public_pages(language: str) -> dict[str, str]:
    """Every page a requester can reach, as they would reach it, in ``language``."""
    client = Client()
    pages: dict[str, str] = {}

    def page(name: str, response: Any, status: int) -> None:
        assert response.status_code == status, (name, response.status_code)
        pages[name] = response.content.decode()

    page("form", client.get(f"/request/?lang={language}"), 200)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    page("form with errors", client.post("/request/", {"request_type": "access"}), 400)
    page("form with a wrong law", client.post("/request/", form_data(region="US-TX", request_type="restriction")), 400)
    sent = client.post("/request/", form_data(email=f"ada-{language}@example.org"))
    assert sent.status_code == 302
    page("sent", client.get(sent["Location"]), 200)
    page("verify code", client.get("/request/verify/"), 200)
    page("verify code wrong", client.post("/request/verify/", {"reference": "DSR-AAAA-AAAA", "code": "1"}), 400)
    page("resend", client.get("/request/verify/resend/"), 200)
    page(
        "resent", client.post("/request/verify/resend/", {"reference": "DSR-AAAA-AAAA", "email": "a@example.org"}), 200
    )
    page("link failed", client.get("/request/verify/forged-token/"), 404)

    request = DataSubjectRequest.objects.get(subject_email=f"ada-{language}@example.org")
    assert request.language == language
    text = EmailMessage.objects.filter(request=request, kind="acknowledgement").get().body_text
    link = re.search(r"http://[^\s]+(/request/verify/[^\s]+/)", text)
    assert link
    page("confirm", client.get(link.group(1)), 200)
    client.post(link.group(1))
    page("status", client.get(f"/request/status/{status_token(request)}/"), 200)

    done = request_in_state(State.COMPLETED, language=language, subject_email=f"done-{language}@example.org")
    bundle = stored_bundle(done)
    page("status with a result", client.get(f"/request/status/{status_token(done)}/"), 200)
    download = f"/request/status/{status_token(done)}/download/{bundle.pk}/"
    page("download", client.get(download), 200)
    page("download code sent", client.post(download, {"action": "send"}), 200)
    page("download wrong code", client.post(download, {"action": "download", "code": "0"}), 403)

    page("too large", client.post("/request/", form_data(), CONTENT_LENGTH=str(200 * 1024 * 1024)), 413)
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "form_ip": (0, 3600)}
    page("rate limited", client.post("/request/", form_data()), 429)
    http_request = RequestFactory().get("/request/")
    with translation.override(language):
        pages["verify closed"] = render_to_string("public/verify_closed.html", request=http_request)
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_public_page_is_in_the_chosen_language_with_no_english_sentence(language: str, settings: Any) -> None:
    settings.DSAR_RATE_LIMITS = dict(settings.DSAR_RATE_LIMITS)
    for name, content in public_pages(language).items():
        assert f'<html lang="{language}">' in content, name
        assert untranslated(content) == [], name


@pytest.mark.django_db
def test_the_english_pages_show_the_english_sentences_the_check_looks_for(settings: Any) -> None:
    """The detector sees English where it is: so an empty list above means translated."""
    settings.DSAR_RATE_LIMITS = dict(settings.DSAR_RATE_LIMITS)
    pages = public_pages("en")
    assert all(untranslated(content) for name, content in pages.items() if name != "link failed")


def _email_context(kind: str) -> dict[str, Any]:
    context = dict(CONTEXTS[kind])
    if kind == "appeal_decision":
        context.update(original=DataSubjectRequestFactory.create(), citation="Va. Code §59.1-578(C)", carried_out=True)
    if kind == "completion":
        context["appeal"] = {
            "answer_within": "60 days",
            "citation": "Va. Code §59.1-578(C)",
            "file_by": datetime.now(UTC),
        }
    if kind == "rejection":
        context["appeal"] = {"answer_within": "60 days", "citation": "Va. Code §59.1-578(C)", "file_by": None}
    return context


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", *TRANSLATED])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_email_to_a_requester_is_in_their_language(kind: str, language: str) -> None:
    request = DataSubjectRequestFactory.create(language=language)
    message = notify(request=request, kind=kind, to="ada@example.org", context=_email_context(kind))
    assert f'<html lang="{language}">' in message.body_html
    if language == "en":
        assert untranslated(message.body_text) != [] or kind == "reply"
        return
    for part in (message.subject, message.body_text, message.body_html):
        assert untranslated(part) == [], part


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_links_in_a_requesters_email_open_our_pages_in_their_language(language: str) -> None:
    request = DataSubjectRequestFactory.create(language=language)
    message = notify(request=request, kind="status_link", to="ada@example.org", context=CONTEXTS["status_link"])
    assert f"/request/status/S/?lang={language}" in message.body_text
    assert with_language("https://p.example/request/", "en") == "https://p.example/request/"


@pytest.mark.django_db
def test_dates_are_written_as_each_language_writes_them() -> None:
    for language, written in (("en", "2 December 2026"), ("de", "2. Dezember 2026"), ("es", "2 de diciembre de 2026")):
        request = DataSubjectRequestFactory.create(language=language)
        request.due_at = date(2026, 12, 2)
        text = notify(request=request, kind="extension", to="a@example.org", context={"reason": "x"}).body_text
        assert written in text, text


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture(scope="module")
def signing_key() -> Any:
    return generate_signing_key()


def documents(tmp_path: Path, key: Any, language: str) -> dict[str, str]:
    """The access report, the certificate of erasure and the correction report, as text, and
    the README.txt that comes with each."""
    texts = {}
    with translation.override(language):
        # The outcome words come from the catalogue (OUTCOME_WORDS), as fulfilment passes them.
        outcomes = [replace(o, words=gettext(o.words)) for o in OUTCOMES]
        searches = tuple(replace(r, words=gettext(r.words)) for r in SEARCHES)
        recipients = tuple(replace(r, words=gettext(r.words)) for r in RECIPIENTS)
        changes = [replace(c, words=gettext(c.words)) for c in CHANGES]
        write_test_bundle(tmp_path / "access.zip", key)
        path = tmp_path / "certificate.zip"
        context = make_context(request_type="deletion", store_records=searches, recipients=recipients)
        with path.open("wb") as out:
            write_deletion_certificate(out, context, outcomes, signing_key=key)
        correction = tmp_path / "correction.zip"
        with correction.open("wb") as out:
            write_correction_report(out, make_context(request_type="correction"), changes, signing_key=key)
    for name, zip_path, pdf in (
        ("report", tmp_path / "access.zip", "report.pdf"),
        ("certificate", path, "certificate.pdf"),
        ("correction", correction, "correction-report.pdf"),
    ):
        with zipfile.ZipFile(zip_path) as archive:
            texts[name] = _pdf_text(archive.read(pdf))
            texts[f"{name} README.txt"] = archive.read("README.txt").decode()
    return texts


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_pdf_documents_are_in_the_requesters_language(tmp_path: Path, signing_key: Any, language: str) -> None:
    for name, text in documents(tmp_path, signing_key, language).items():
        assert untranslated(text) == [], name
    heading = {"de": "Ihre personenbezogenen Daten", "fr": "Vos données personnelles", "es": "Sus datos personales"}
    assert heading[language] in documents(tmp_path, signing_key, language)["report"]


def test_the_english_pdf_documents_show_the_sentences_the_check_looks_for(tmp_path: Path, signing_key: Any) -> None:
    assert all(untranslated(text) for text in documents(tmp_path, signing_key, "en").values())


# --- (c) the language is chosen and kept --------------------------------------------------


GERMAN_EMAIL = (
    "From: Max Mustermann <max@example.de>\r\nTo: privacy@example.com\r\n"
    "Subject: Auskunftsersuchen nach Art. 15 DSGVO\r\nMessage-ID: <de-1@example.de>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Sehr geehrte Damen und Herren,\r\n\r\nbitte erteilen Sie mir Auskunft über die personenbezogenen Daten, "
    "die Sie über mich speichern.\r\n\r\nMit freundlichen Grüßen\r\nMax Mustermann\r\n"
).encode()


@pytest.mark.django_db
def test_a_german_email_makes_a_german_request_answered_in_german() -> None:
    message, _ = email_receive(GERMAN_EMAIL, source="pipe")
    email_process(message.pk)
    request = DataSubjectRequest.objects.get(subject_email="max@example.de")
    assert request.language == "de"
    ack = EmailMessage.objects.get(request=request, kind="acknowledgement")
    assert "Wir haben Ihren Datenschutzantrag erhalten" in ack.subject
    assert "Guten Tag Max Mustermann," in ack.body_text
    assert untranslated(ack.body_text) == []


@pytest.mark.django_db
def test_a_french_form_submission_gets_french_emails() -> None:
    client = Client()
    client.get("/request/?lang=fr")
    assert client.post("/request/", form_data(email="marie@example.fr", region="FR")).status_code == 302
    request = DataSubjectRequest.objects.get(subject_email="marie@example.fr")
    assert request.language == "fr"
    ack = EmailMessage.objects.get(request=request, kind="acknowledgement")
    assert "Nous avons bien reçu votre demande" in ack.subject
    assert "?lang=fr" in ack.body_text


@pytest.mark.django_db
def test_the_browser_language_is_used_when_the_page_offers_no_choice() -> None:
    response = Client().get("/request/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    assert '<html lang="es">' in response.content.decode()
    assert "Enviar solicitud" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_language_in_the_link_is_ignored_and_the_staff_side_stays_in_english() -> None:
    client = Client()
    assert '<html lang="en">' in client.get("/request/?lang=xx").content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    client.get("/request/?lang=de")
    login = client.get("/staff/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert login["Content-Language"] == "en"
    assert client.get("/request/")["Content-Language"] == "de"


@pytest.mark.django_db
def test_the_api_takes_an_optional_language_and_refuses_an_unknown_one() -> None:
    from requests_app.errors import GuardFailed
    from requests_app.services import requests as services
    from requests_app.workflow.new_request import NewRequest

    new = NewRequest(channel="api", request_type="access", subject_email="a@example.org", language="es")
    assert services.request_submit(new).language == "es"
    assert (
        services.request_submit(
            NewRequest(channel="api", request_type="access", subject_email="b@example.org")
        ).language
        == "en"
    )
    with pytest.raises(GuardFailed):
        services.request_submit(
            NewRequest(channel="api", request_type="access", subject_email="c@example.org", language="tlh")
        )


@pytest.mark.parametrize(
    ("content_language", "subject", "text", "expected"),
    [
        ("de-DE", "", "", "de"),
        ("tlh, fr-CA", "", "", "fr"),
        (
            None,
            "Demande d'accès",
            "Bonjour, je souhaite exercer mon droit d'accès à mes données personnelles. Merci.",
            "fr",
        ),
        (None, "Solicitud de acceso", "Hola, solicito el acceso a mis datos personales. Gracias.", "es"),
        (None, "Access request", "Please send me a copy of all the data you have about me.", "en"),
        (None, "DSAR", "ok", None),
        (None, "", "", None),
        ("xx", "", "der die das und", "de"),
    ],
)
def test_the_language_of_an_email_is_its_header_else_its_common_words(
    content_language: str | None, subject: str, text: str, expected: str | None
) -> None:
    found = detect_language(
        content_language=content_language, subject=subject, text=text, supported=["en", "de", "fr", "es"]
    )
    assert found == expected


def test_a_language_code_is_matched_to_the_languages_offered() -> None:
    assert supported("de-AT") == "de"
    assert supported("ES") == "es"
    assert supported("pt-BR") is None
    assert supported("") is None


@pytest.mark.django_db
def test_staff_enter_a_letter_in_spanish_and_the_requester_is_written_to_in_spanish(settings: Any) -> None:
    from tests.staff.test_permissions import FAST_HASHERS, client_for, make_cast
    from tests.staff.test_request_new import form

    settings.PASSWORD_HASHERS = FAST_HASHERS
    bob = client_for(make_cast().bob)
    assert 'name="language"' in bob.get("/staff/requests/new/").content.decode()
    assert bob.post("/staff/requests/new/", form(language="es", subject_email="lucia@example.es")).status_code == 302
    request = DataSubjectRequest.objects.get(subject_email="lucia@example.es")
    assert request.language == "es"
    assert EmailMessage.objects.get(request=request, kind="acknowledgement").subject.endswith(
        "Hemos recibido su solicitud de privacidad"
    )
    assert bob.post("/staff/requests/new/", form(language="tlh", subject_email="x@example.es")).status_code == 400
