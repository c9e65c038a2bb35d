"""An analyst's day in Debian's Chromium, end to end: signing in with the second factor, My
work, an unread reply that came in by email, the correction reviewed field by field with the
store's current values, approved from the next-step panel, the real worker changing the
store, the manual step the panel asks for, and the requester told. Every page on the way is
checked with axe-core and pictured (into DSAR_SCREENSHOTS_DIR when set, as journey-*.png)."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect

from demo.seed import SPECIAL_EMAILS
from requests_app.fulfilment.results import review_refusals
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import AuditEvent, Direction, EmailMessage, RequestType, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import request_assign
from tests.factories import demo_datamap_for_tests, request_in_state
from tests.staff import test_browser as staff_browser
from tests.staff.test_browser import PageMaker, RunInBrowser, assert_accessible, give_code, sign_in
from tests.staff.test_browser_corrections import the_estate_holds_old_values, users_row
from tests.staff.test_browser_request_page import wait_for_panel
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from tests.conftest import Worker
    from tests.estate import Estate
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EMAIL = SPECIAL_EMAILS[0]
REFUSAL = "Your employer registered the account; ask them to change the organisation."
# The staff browser tests' fixtures: the cast signed in with a second factor, and Chromium.
cast = staff_browser.cast
run_in_browser = staff_browser.run_in_browser


def checked(page: Page, folder: Path, name: str) -> None:
    """No serious accessibility problem on the page as it is now, and its picture."""
    assert_accessible(page)
    page.screenshot(path=str(folder / f"journey-{name}.png"))


def test_an_analysts_day_from_my_work_through_an_unread_reply_to_a_completed_correction(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker, estate: Estate, tmp_path: Path
) -> None:
    the_estate_holds_old_values(estate)
    # The recipients stay: the corrected fields' recipient has to be told by a person (Art. 19).
    demo_datamap_for_tests(keep_recipients=True)
    request = request_in_state(
        State.AWAITING_APPROVAL,
        request_type=RequestType.CORRECTION,
        subject_email=EMAIL,
        subject_name="Ada Lovelace",
        details="My name, phone number and organisation are out of date. Please correct them.",
    )
    request_assign(request=request, actor=Actor.staff(cast.alice), assignee=cast.bob)
    services.request_ask_requester(
        request=request, actor=Actor.staff(cast.bob), question="What should your name, phone and organisation be?"
    )
    # The requester's answer, by email, through the real intake: kept as received, threaded by
    # its reference, and the request resumed because it comes from the requester.
    reply = MimeMessage()
    reply["From"] = f"Ada Lovelace <{EMAIL}>"
    reply["To"] = "privacy@example.com"
    reply["Subject"] = f"Re: your request {request.reference}"
    reply["Message-ID"] = "<journey-reply-1@example.org>"
    reply.set_content("Name: Ada New\nPhone: 020 7946 0001\nOrganisation: Initech\n\nThank you, Ada")
    stored, _ = email_receive(reply.as_bytes(), source="pipe")
    email_process(stored.pk)
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL
    device = TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "bob")
        expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
        give_code(page, device)

        # My work: the correction, waiting for bob's approval.
        expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
        to_do = page.locator("section", has=page.get_by_role("heading", name="To work on"))
        row = to_do.get_by_role("row").filter(has_text=request.reference)
        expect(row).to_contain_text("Correction")
        expect(row).to_contain_text("Approval by staff")
        checked(page, folder, "my-work")

        # The dashboard says a request has an unread message.
        page.get_by_role("link", name="Dashboard", exact=True).click()
        unread = page.locator("section", has=page.get_by_role("heading", name="Unread messages"))
        expect(unread.get_by_role("row").filter(has_text=request.reference)).to_contain_text("1 unread")
        checked(page, folder, "dashboard")
        unread.get_by_role("link", name=request.reference).click()

        # The request page: the unread mark first, then the reply read and marked read.
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Request {request.reference}")
        expect(page.locator(".unread-banner")).to_contain_text("1 unread message")
        panel = page.locator("#next-step")
        expect(panel).to_contain_text("Ready for approval: approve the changes the requester asked for.")
        checked(page, folder, "request-unread")
        page.get_by_role("link", name="See it in the timeline").click()
        message = page.locator(f"#message-{stored.pk}").locator("xpath=ancestor::li[1]")
        message.get_by_text("The message").click()
        expect(message).to_contain_text("Phone: 020 7946 0001")
        expect(message.get_by_text("Unread", exact=True)).to_be_visible()
        message.scroll_into_view_if_needed()
        checked(page, folder, "reply")
        message.get_by_role("button", name="Mark as read").click()
        expect(page.get_by_text("Message marked read.")).to_be_visible()
        expect(page.locator(".unread-banner")).to_have_count(0)
        expect(page.get_by_text(re.compile(r"Read by bob on"))).to_be_visible()

        # The correction, reviewed in the next-step panel with the store's current values.
        page.goto(f"/staff/requests/{request.reference}/")
        review = panel.locator("#correction-review")
        expect(review.get_by_role("group", name=re.compile(r"^phone"))).to_contain_text("not shown")
        review.get_by_role("button", name="Show current values").click()
        expect(review.get_by_role("status")).to_contain_text("the read is on the record")
        name = review.get_by_role("group", name=re.compile(r"^name"))
        phone = review.get_by_role("group", name=re.compile(r"^phone"))
        organisation = review.get_by_role("group", name=re.compile(r"^organisation"))
        expect(name).to_contain_text("Ada Old")
        expect(phone).to_contain_text("+1 555 0000")
        expect(organisation).to_contain_text("Acme")
        name.get_by_label("Asked for", exact=True).fill("Ada New")
        name.get_by_label("Accept the value asked for").check()
        phone.get_by_label("Asked for", exact=True).fill("020 7946 0001")
        phone.get_by_label("Edit: set another value").check()
        phone.get_by_label("New value, for Edit").fill("+44 20 7946 0001")
        organisation.get_by_label("Asked for", exact=True).fill("Initech")
        organisation.get_by_label("Refuse", exact=True).check()
        organisation.get_by_label("Why it is refused, for Refuse").fill(REFUSAL)
        review.scroll_into_view_if_needed()
        checked(page, folder, "correction-review")
        panel.get_by_label("Approve the request and start work on it.").check()
        panel.get_by_role("button", name="Approve and start work").click()
        expect(page.get_by_role("status")).to_contain_text("The request is approved and in progress.")

        # The worker corrects the store; the recipient of the corrected fields is told by hand.
        wait_for_panel(page, "Recipient 'our affiliates' is to be told of the change")
        expect(panel).to_contain_text(
            "Tell our affiliates that the subject's personal data they received was corrected"
        )
        checked(page, folder, "manual-step")
        panel.get_by_label(re.compile("^Done by hand")).check()
        panel.get_by_label("What was done, or why not").fill("Told our affiliates by email, ticket 4711")
        panel.get_by_role("button", name="Record the outcome for our affiliates").click()
        expect(page.get_by_text("our affiliates: the outcome is on the record.")).to_be_visible()

        wait_for_panel(page, re.compile(r"Closed \(completed\).*nothing to do"))
        expect(page.locator(".state-badge")).to_have_text("Completed")
        expect(page.get_by_text("Corrections refused")).to_be_visible()
        checked(page, folder, "completed")

        # Back on My work, nothing is left to do.
        page.get_by_role("link", name=re.compile("^My work")).click()
        expect(page.get_by_text("No open requests are assigned to you.")).to_be_visible()
        assert_accessible(page)

    run_in_browser(steps)

    request.refresh_from_db()
    assert request.state == State.COMPLETED
    assert users_row(estate) == {"name": "Ada New", "phone": "+44 20 7946 0001", "organisation": "Acme"}
    assert request.corrections == {"accounts": {"users": {"name": "Ada New", "phone": "+44 20 7946 0001"}}}
    refused = [r for outcome in review_refusals(request) for r in outcome.refused]
    assert refused == [("organisation", REFUSAL)]
    read = EmailMessage.objects.get(pk=stored.pk)
    assert read.read_by == cast.bob and read.read_at is not None
    by_bob = set(AuditEvent.objects.filter(request=request, actor="staff:bob").values_list("action", flat=True))
    assert {"email.read", "personal_data.viewed", "store_task.resolved"} <= by_bob
    assert AuditEvent.objects.filter(request=request, actor="staff:bob", to_state=State.IN_PROGRESS).exists()
    # The requester is told, in an email the worker sent, that it is finished but not in full.
    completion = EmailMessage.objects.get(request=request, direction=Direction.OUTBOUND, kind="completion")
    wait_for(lambda: EmailMessage.objects.get(pk=completion.pk).sent_at is not None, celery_worker)
    sent = [m for m in mail_to(celery_worker.mail_dir, EMAIL) if str(m["Subject"]).startswith(f"[{request.reference}]")]
    finished = [m for m in sent if "finished" in str(m["Subject"])]
    assert len(finished) == 1, [str(m["Subject"]) for m in sent]
    assert "could not carry it out in every system" in plain_text(finished[0])
