"""A person asks, confirms and follows their request, in Debian's Chromium driven by Playwright.

The emails come from the real Celery worker through the file email backend, as a person
would receive them; the links in them point at the live test server.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.fanout_helpers import use_manual_map
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("DSAR_TEST_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium tries to reach Google's services at every start, and this
# machine's closed network refuses it noisily.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's synchronous API runs an event loop in this thread; the test's own ORM
    # calls are synchronous and safe, so Django's async guard is relaxed for these tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    settings.DSAR_PUBLIC_BASE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def fill_request_form(page: Page, *, name: str, email: str) -> None:
    page.goto("/request/")
    page.get_by_label("Access (a copy of my data)").check()
    page.get_by_label("Full name", exact=True).fill(name)
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Where do you live?").select_option("DE")
    page.get_by_label("I confirm that the information").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def received_email_text(worker: Worker, address: str) -> str:
    wait_for(lambda: bool(mail_to(worker.mail_dir, address)), worker)
    return plain_text(mail_to(worker.mail_dir, address)[-1])


def test_a_person_asks_confirms_with_the_link_and_sees_the_status_page(page: Page, celery_worker: Worker) -> None:
    use_manual_map()
    fill_request_form(page, name="Grace Hopper", email="grace@example.org")

    text = received_email_text(celery_worker, "grace@example.org")
    link = re.search(r"(http://\S+/request/verify/\S+/)", text)
    assert link is not None
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my email address").click()

    expect(page.get_by_role("heading", name=re.compile(r"Your request DSR-\w{4}-\w{4}"))).to_be_visible()
    expect(page.get_by_text("In progress", exact=True)).to_be_visible()
    expect(page.get_by_text("No messages yet")).to_be_visible()


def test_a_person_confirms_with_the_code_instead(page: Page, celery_worker: Worker) -> None:
    use_manual_map()
    fill_request_form(page, name="Katherine Johnson", email="katherine@example.org")

    text = received_email_text(celery_worker, "katherine@example.org")
    reference = re.search(r"DSR-\w{4}-\w{4}", text)
    code = re.search(r"\b\d{4}-\d{4}\b", text)
    assert reference and code
    page.goto("/request/verify/")
    page.get_by_label("Request reference").fill(reference.group(0).lower())
    page.get_by_label("Code").fill(code.group(0))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name=f"Your request {reference.group(0)}")).to_be_visible()
    expect(page.get_by_text("In progress", exact=True)).to_be_visible()


def test_errors_are_announced_and_link_to_their_fields(page: Page) -> None:
    page.goto("/request/")
    page.get_by_role("button", name="Send request").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name=re.compile("^Full name")).click()
    expect(page.get_by_label("Full name", exact=True)).to_be_focused()
    expect(page.get_by_label("Full name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title(re.compile("^Error:"))


def test_the_form_works_from_the_keyboard_alone(page: Page, celery_worker: Worker) -> None:
    page.goto("/request/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_label("Deletion").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Deletion")).to_be_checked()
    page.keyboard.press("Tab")  # the portability box and the appeal's reference are hidden for a deletion
    expect(page.get_by_label("Full name", exact=True)).to_be_focused()
    page.keyboard.type("Alan Turing")
    page.keyboard.press("Tab")
    page.keyboard.type("alan@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Germany")
    page.get_by_label("I confirm that the information").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def test_choosing_a_place_hides_the_requests_its_law_does_not_give(page: Page, tmp_path: Path) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto("/request/")
    deletion = page.get_by_label("Deletion")
    deletion.check()
    page.get_by_label("Where do you live?").select_option(label="Canada — Ontario")
    expect(deletion).to_be_hidden()
    expect(deletion).not_to_be_checked()
    expect(page.get_by_label("Correction")).to_be_visible()
    expect(page.get_by_text("Only the requests the law where you live gives are shown.")).to_be_visible()
    page.screenshot(path=tmp_path / "request-form-ontario.png", full_page=True)

    page.get_by_label("Where do you live?").select_option(label="Canada — Quebec")
    expect(deletion).to_be_visible()
    expect(page.get_by_label("Limit the use of my sensitive personal information")).to_be_hidden()

    page.get_by_label("Where do you live?").select_option(label="United States — California")
    expect(page.get_by_label("Limit the use of my sensitive personal information")).to_be_visible()
    expect(page.get_by_label("Appeal a decision on my earlier request")).to_be_hidden()
    assert refused == []  # the script ran under the CSP, with nothing blocked


def test_a_type_refused_by_the_server_stays_in_view_beside_its_error(page: Page) -> None:
    page.goto("/request/")
    page.get_by_label("Deletion").check()
    page.get_by_label("Full name", exact=True).fill("Ada Byron")
    page.get_by_label("Email address", exact=True).fill("ada@example.org")
    page.get_by_label("I confirm that the information").check()
    # Choose the place without the script's change event, as a browser without JS would send it.
    page.locator("#id_region").evaluate("select => { select.value = 'CA-ON'; }")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("Canada's PIPEDA gives no right to deletion")
    expect(page.get_by_label("Deletion")).to_be_checked()
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Ada Byron")


def test_requester_text_with_html_is_shown_escaped_in_the_browser(page: Page) -> None:
    page.goto("/request/")
    page.get_by_label("Full name", exact=True).fill('<img src=x onerror="document.title=1">')
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_label("Full name", exact=True)).to_have_value('<img src=x onerror="document.title=1">')
    expect(page).not_to_have_title("1")
    assert page.locator("img[src=x]").count() == 0


def test_a_subject_verified_by_staff_downloads_the_result_through_the_status_link(
    page: Page, celery_worker: Worker, estate: Any
) -> None:
    from requests_app.fulfilment.datamap_versions import datamap_import
    from requests_app.models import Channel, DataSubjectRequest, EmailMessage, State
    from requests_app.services import requests as services
    from requests_app.workflow.audit import Actor
    from requests_app.workflow.new_request import NewRequest
    from tests.estate import FLAKY_MAP

    datamap_import(FLAKY_MAP, actor=Actor.system("tests"))
    request = services.request_submit(
        NewRequest(
            channel=Channel.STAFF,
            request_type="access",
            subject_email="phoned@example.org",
            subject_name="Phoned In",
            jurisdiction="gdpr",
        )
    )
    services.request_verify_manually(request=request, actor=Actor.system("tests"), note="Checked on the phone")
    wait_for(lambda: DataSubjectRequest.objects.get(pk=request.pk).state == State.COMPLETED, celery_worker)

    # The link staff verification emailed (this process wrote it; the worker, which wrote the
    # completion email, signs with a key of its own in the tests).
    sent = EmailMessage.objects.get(request=request, kind="status_link")
    assert "our privacy team has confirmed your identity" in sent.body_text
    link = re.search(r"http://\S+?(/request/status/\S+/)", sent.body_text)
    assert link is not None
    page.goto(link.group(1))
    expect(page.locator("dd strong").first).to_have_text("Completed")
    page.get_by_role("link", name="Copy of your data").click()
    page.get_by_role("button", name="Email me a download code").click()
    expect(page.get_by_role("status")).to_contain_text("We have sent a one-time code")

    def code_mail() -> str:
        texts = [plain_text(m) for m in mail_to(celery_worker.mail_dir, "phoned@example.org")]
        return next((t for t in reversed(texts) if "download" in t.lower() and re.search(r"\d{4}-\d{4}", t)), "")

    wait_for(lambda: bool(code_mail()), celery_worker)
    code = re.search(r"\b\d{4}-\d{4}\b", code_mail())
    assert code is not None
    page.get_by_label("Download code").fill(code.group(0))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "your-data.zip"


@pytest.fixture
def gpc_page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    """A browser that sends Global Privacy Control with every request, as Brave or Firefox can."""
    settings.DSAR_PUBLIC_BASE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    yield page
    context.close()


def test_a_colorado_resident_with_gpc_opts_out_without_proving_who_they_are(gpc_page: Page, tmp_path: Path) -> None:
    from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, State

    # The email is checked in the product's own rows: the worker is not needed to see it queued.
    use_manual_map()
    page = gpc_page
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto("/request/")
    expect(page.get_by_text("Your browser sent a Global Privacy Control signal.")).to_be_visible()
    expect(page.get_by_text("treat it as a request to opt out of the sale and sharing")).to_be_visible()
    opt_out = page.get_by_label("Opt out of the sale or sharing of my data, and of targeted advertising")
    expect(page.get_by_label("Reference of the request you are appealing")).to_be_hidden()
    expect(page.get_by_label("Send my data in a machine-readable format", exact=False)).to_be_visible()
    page.get_by_label("Full name", exact=True).fill("Rosa Parks")
    page.get_by_label("Email address", exact=True).fill("rosa@example.org")
    page.get_by_label("Where do you live?").select_option(label="United States — Colorado")
    expect(opt_out).to_be_checked()
    expect(page.get_by_label("Send my data in a machine-readable format", exact=False)).to_be_hidden()
    page.get_by_label("I confirm that the information").check()
    page.screenshot(path=tmp_path / "gpc-form-colorado.png", full_page=True)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.get_by_text("We did not ask you to prove who you are")).to_be_visible()
    page.screenshot(path=tmp_path / "gpc-request-sent.png", full_page=True)
    assert refused == []

    request = DataSubjectRequest.objects.get(subject_email="rosa@example.org")
    assert (request.request_type, request.jurisdiction, request.gpc_signal) == ("opt_out", "us-co", True)
    assert request.email_verified_at is None and request.verified_at is None
    # Straight from received to work, no verification step in between; then (once the queued
    # advance has run, which this test does not wait for) it waits for a person to apply the
    # opt-out in each system it affects.
    states = list(AuditEvent.objects.filter(request=request).exclude(to_state="").values_list("to_state", flat=True))
    assert states[:2] == [State.PENDING_VERIFICATION, State.IN_PROGRESS]
    assert State.VERIFIED not in states
    assert request.store_tasks.exists()
    assert set(request.store_tasks.values_list("action", flat=True)) == {"apply"}
    ack = EmailMessage.objects.get(request=request, kind="acknowledgement")
    assert ack.to_addresses == ["rosa@example.org"]
    assert "/request/status/" in ack.body_text and "/request/verify/" not in ack.body_text


def test_gpc_leaves_the_choice_alone_where_the_law_has_no_opt_out(gpc_page: Page, tmp_path: Path) -> None:
    page = gpc_page
    page.goto("/request/")
    page.get_by_label("Where do you live?").select_option(label="Germany")
    expect(page.get_by_text("Your browser sent a Global Privacy Control signal.")).to_be_visible()
    expect(page.locator('input[name="request_type"]:checked')).to_have_count(0)
    page.screenshot(path=tmp_path / "gpc-form-germany.png", full_page=True)
    # The person's own choice stands when they choose a place whose law gives an opt-out.
    page.get_by_label("Deletion").check()
    page.get_by_label("Where do you live?").select_option(label="United States — California")
    expect(page.get_by_label("Deletion")).to_be_checked()


def test_a_virginia_subject_appeals_a_rejected_deletion_through_the_form(
    page: Page, celery_worker: Worker, tmp_path: Path
) -> None:
    from requests_app.models import DataSubjectRequest, RequestType, State
    from tests.factories import request_in_state

    original = request_in_state(
        State.REJECTED, request_type=RequestType.DELETION, jurisdiction="us-va", subject_email="mary@example.org"
    )
    page.goto("/request/")
    reference = page.get_by_label("Reference of the request you are appealing")
    expect(reference).to_be_hidden()
    page.get_by_label("Where do you live?").select_option(label="United States — Virginia")
    page.get_by_label("Appeal a decision on my earlier request").check()
    expect(reference).to_be_visible()
    reference.fill(original.reference.lower())
    page.get_by_label("Full name", exact=True).fill("Mary Jackson")
    page.get_by_label("Email address", exact=True).fill("mary@example.org")
    page.get_by_label("Details").fill("The deletion was refused; please look again.")
    page.get_by_label("I confirm that the information").check()
    page.screenshot(path=tmp_path / "appeal-form-virginia.png", full_page=True)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    appeal = DataSubjectRequest.objects.get(request_type=RequestType.APPEAL)
    assert appeal.appeal_of == original
    assert appeal.state == State.PENDING_VERIFICATION


def test_a_refused_appeal_comes_back_beside_the_reference_with_the_form_kept(page: Page) -> None:
    page.goto("/request/")
    page.get_by_label("Where do you live?").select_option(label="United States — Virginia")
    page.get_by_label("Appeal a decision on my earlier request").check()
    page.get_by_label("Reference of the request you are appealing").fill("DSR-0000-0000")
    page.get_by_label("Full name", exact=True).fill("Mary Jackson")
    page.get_by_label("Email address", exact=True).fill("mary@example.org")
    page.get_by_label("I confirm that the information").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("No earlier request of this subject has that reference")
    reference = page.get_by_label("Reference of the request you are appealing")
    expect(reference).to_be_visible()
    expect(reference).to_have_value("DSR-0000-0000")
    expect(reference).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Mary Jackson")
