"""A German speaker asks, confirms and follows their request in German, in Debian's Chromium;
the form, the sent page and the status page pass axe-core in every language; the German PDF
report is drawn to an image.

Screenshots go to DSAR_SCREENSHOTS_DIR when it is set, else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from requests_app.fulfilment.bundles.keys import generate_signing_key
from requests_app.models import DataSubjectRequest, EmailMessage, State
from requests_app.services import requests as services
from requests_app.verification import challenges as verification
from requests_app.workflow.audit import Actor
from tests.bundle_data import write_test_bundle
from tests.factories import request_in_state, stored_bundle
from tests.staff.test_browser import PageMaker, RunInBrowser, assert_accessible, run_in_browser

__all__ = ["run_in_browser"]  # the fixture, used by name

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LANGUAGES = {
    "en": {"menu": "English", "type": "Access (a copy of my data)", "name": "Full name", "email": "Email address",
           "where": "Where do you live?", "declare": "I confirm that the information", "send": "Send request",
           "sent": "Check your inbox", "confirm": "Confirm my email address", "status": "Your request"},
    "de": {"menu": "Deutsch", "type": "Auskunft (eine Kopie meiner Daten)", "name": "Vollständiger Name",
           "email": "E-Mail-Adresse", "where": "Wo wohnen Sie?", "declare": "Ich bestätige, dass meine Angaben",
           "send": "Antrag senden", "sent": "Sehen Sie in Ihrem Posteingang nach",
           "confirm": "Meine E-Mail-Adresse bestätigen", "status": "Ihr Antrag"},
    "fr": {"menu": "Français", "type": "Accès (une copie de mes données)", "name": "Nom complet",
           "email": "Adresse e-mail", "where": "Où résidez-vous ?", "declare": "Je confirme que les informations",
           "send": "Envoyer la demande", "sent": "Consultez votre boîte de réception",
           "confirm": "Confirmer mon adresse e-mail", "status": "Votre demande"},
    "es": {"menu": "Español", "type": "Acceso (una copia de mis datos)", "name": "Nombre completo",
           "email": "Dirección de correo electrónico", "where": "¿Dónde reside?",
           "declare": "Confirmo que la información",
           "send": "Enviar solicitud", "sent": "Revise su bandeja de entrada",
           "confirm": "Confirmar mi dirección de correo electrónico", "status": "Su solicitud"},
}  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _email_text(address: str, kind: str) -> str:
    return EmailMessage.objects.filter(to_addresses__contains=[address], kind=kind).latest("id").body_text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_form_sent_page_and_status_page_in_each_language(
    run_in_browser: RunInBrowser, folder: Path, language: str
) -> None:
    run_in_browser(lambda new_page: _ask_confirm_and_follow(new_page, folder, language))


def _ask_confirm_and_follow(new_page: PageMaker, folder: Path, language: str) -> None:
    words = LANGUAGES[language]
    address = f"ada-{language}@example.org"
    page = new_page()
    page.goto("/request/")
    menu = page.get_by_role("navigation", name=re.compile("Language|Sprache|Langue|Idioma"))
    menu.get_by_role("link", name=words["menu"]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(menu.get_by_role("link", name=words["menu"])).to_have_attribute("aria-current", "true")
    assert_accessible(page)
    page.get_by_label(words["type"]).check()
    page.get_by_label(words["name"], exact=True).fill("Ada Lovelace")
    page.get_by_label(words["email"], exact=True).fill(address)
    page.get_by_label(words["where"]).select_option("DE")
    page.get_by_label(words["declare"]).check()
    page.screenshot(path=str(folder / f"form-{language}.png"), full_page=True)
    page.get_by_role("button", name=words["send"]).click()

    expect(page.get_by_role("heading", name=words["sent"])).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    page.screenshot(path=str(folder / f"sent-{language}.png"), full_page=True)

    assert DataSubjectRequest.objects.get(subject_email=address).language == language
    link = re.search(r"http://\S+(/request/verify/\S+/)", _email_text(address, "acknowledgement"))
    assert link is not None
    page.goto(link.group(1))
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("heading", name=re.compile(rf"{words['status']} DSR-\w{{4}}-\w{{4}}"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    page.screenshot(path=str(folder / f"status-{language}.png"), full_page=True)

    # The status link in the email opens the page in the requester's language, in a fresh browser too.
    status = re.search(r"http://\S+(/request/status/\S+/\S*)", _email_text(address, "status_link"))
    assert status is not None
    if language != "en":
        assert status.group(1).endswith(f"?lang={language}")
    other = new_page()
    other.goto(status.group(1))
    expect(other.locator("html")).to_have_attribute("lang", language)


def test_the_german_email_says_it_in_german(run_in_browser: RunInBrowser) -> None:
    def steps(new_page: PageMaker) -> None:
        page = new_page()
        page.goto("/request/?lang=de")
        words = LANGUAGES["de"]
        page.get_by_label(words["type"]).check()
        page.get_by_label(words["name"], exact=True).fill("Max Mustermann")
        page.get_by_label(words["email"], exact=True).fill("max@example.de")
        page.get_by_label(words["where"]).select_option("DE")
        page.get_by_label(words["declare"]).check()
        page.get_by_role("button", name=words["send"]).click()
        expect(page.get_by_role("heading", name=words["sent"])).to_be_visible()

    run_in_browser(steps)
    message = EmailMessage.objects.filter(to_addresses__contains=["max@example.de"], kind="acknowledgement").get()
    assert message.subject.endswith("Wir haben Ihren Datenschutzantrag erhalten")
    assert "Guten Tag Max Mustermann," in message.body_text
    assert "Wie es weitergeht" in message.body_text
    assert '<html lang="de">' in message.body_html


def test_the_german_pdf_report_draws_in_german(folder: Path, tmp_path: Path) -> None:
    with translation.override("de"):
        write_test_bundle(tmp_path / "bundle.zip", generate_signing_key())
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        (tmp_path / "report.pdf").write_bytes(archive.read("report.pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ihre personenbezogenen Daten" in text
    assert "Seite 1 von" in text
    assert "Your personal data" not in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(tmp_path / "report.pdf"), str(folder / "report-de")],
        check=True,
    )
    assert sorted(p.name for p in folder.glob("report-de-*.png"))


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_other_public_page_passes_axe_core_in_each_language(
    run_in_browser: RunInBrowser, folder: Path, language: str
) -> None:
    """The pages a requester meets besides the form, sent and status pages: in the language
    chosen once (the cookie keeps it), each page says it in its lang attribute and has no
    serious or critical accessibility problem."""
    request = request_in_state(State.VERIFIED, language=language, subject_name="Ada Lovelace")
    services.request_ask_requester(request=request, actor=Actor.system("tests"), question="Which account?")
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=timezone.now())
    bundle = stored_bundle(request)
    status = f"/request/status/{verification.status_token(request)}/"

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        page.goto(f"/request/?lang={language}")
        for path in (
            "/request/verify/",
            "/request/verify/resend/",
            "/request/verify/not-a-real-link/",
            status,
            f"{status}download/{bundle.pk}/",
        ):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_accessible(page)
        page.locator("main form button[type=submit]").first.click()  # ask for a download code
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)
        page.screenshot(path=str(folder / f"download-code-{language}.png"), full_page=True)
        page.goto("/request/")
        page.locator("main form button[type=submit]").last.click()  # the form with its errors
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)
        page.screenshot(path=str(folder / f"form-errors-{language}.png"), full_page=True)

    run_in_browser(steps)
