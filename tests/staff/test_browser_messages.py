"""A reply arrives by email; the analyst sees it unread on the dashboard and the queue, reads
it on the request page, downloads its file, and the marks go: in Chromium, every page
accessible (axe-core) and working under the strict Content-Security-Policy."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import AuditEvent, EmailMessage, State
from tests.factories import request_in_state
from tests.staff.test_browser import assert_accessible, cast, run_in_browser, sign_in

if TYPE_CHECKING:
    from tests.staff.test_browser import PageMaker, RunInBrowser
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["cast", "run_in_browser"]  # the fixtures, used by name

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_an_analyst_sees_a_reply_unread_reads_it_and_the_marks_go(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = False
    request = request_in_state(
        State.AWAITING_REQUESTER,
        paused_from=State.VERIFIED,
        subject_email="ada@example.org",
        subject_name="Ada Lovelace",
    )
    request_in_state(State.VERIFIED)  # another request, with nothing unread
    reply = MimeMessage()
    reply["From"] = "Ada Lovelace <ada@example.org>"
    reply["To"] = "privacy@example.com"
    reply["Subject"] = f"Re: your request {request.reference}"
    reply["Message-ID"] = "<reply-1@example.org>"
    reply.set_content("The account is the one under ada@example.org, opened in 2019.\n\nAda")
    reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="account-letter.pdf")
    # The real intake: kept as received, then understood and threaded by its reference.
    stored, _ = email_receive(reply.as_bytes(), source="pipe")
    email_process(stored.pk)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "bob")
        expect(page.get_by_role("heading", level=1)).to_have_text("My work")
        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        card = page.locator("section", has=page.get_by_role("heading", name="Unread messages"))
        expect(card.get_by_role("link", name=request.reference)).to_be_visible()
        expect(card.get_by_text("1 unread")).to_be_visible()
        assert_accessible(page)
        card.screenshot(path=str(folder / "messages-dashboard.png"))

        card.get_by_role("link", name="1 request with messages nobody has marked read").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Requests")
        expect(page.get_by_label("With unread messages")).to_be_checked()
        rows = page.locator("table.queue tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(request.reference)
        expect(rows.first).to_contain_text("1 unread")
        assert_accessible(page)
        page.screenshot(path=str(folder / "messages-queue.png"))

        rows.first.get_by_role("link", name=request.reference).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Request {request.reference}")
        expect(page.get_by_text("1 unread message")).to_be_visible()
        page.screenshot(
            path=str(folder / "messages-request-top.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 260}
        )
        page.get_by_text("The message").last.click()
        expect(page.get_by_text("opened in 2019")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="account-letter.pdf").click()
        assert download.value.suggested_filename == "account-letter.pdf"
        assert Path(download.value.path()).read_bytes() == PDF
        assert_accessible(page)
        page.locator(".timeline-email").last.screenshot(path=str(folder / "messages-unread.png"))

        page.get_by_role("button", name="Mark as read").click()
        expect(page.get_by_text("Message marked read.")).to_be_visible()
        expect(page.get_by_text(re.compile(r"Read by bob on"))).to_be_visible()
        expect(page.get_by_text("1 unread message")).to_have_count(0)
        expect(page.get_by_role("button", name="Mark as read")).to_have_count(0)
        assert_accessible(page)
        page.screenshot(path=str(folder / "messages-read.png"), full_page=True)

        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_text("Every message received on a request has been read.")).to_be_visible()
        page.goto("/staff/requests/?unread=on")
        expect(page.get_by_text("No requests match these filters.")).to_be_visible()

    run_in_browser(steps)
    message = EmailMessage.objects.get(pk=stored.pk)
    assert message.read_by == cast.bob and message.read_at is not None
    assert AuditEvent.objects.filter(request=request, action="email.read", actor="staff:bob").count() == 1
    download = AuditEvent.objects.get(request=request, action="file.downloaded_by_staff")
    assert download.data["served_as"] == "application/pdf"
