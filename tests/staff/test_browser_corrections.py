"""Reviewing a correction in Debian's Chromium: the current values shown, one field accepted,
one edited, one refused, and the real worker applying the changes to the store."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]
from playwright.sync_api import expect
from pypdf import PdfReader

from demo.seed import SPECIAL_EMAILS, seed_estate
from requests_app.fulfilment.results import review_refusals
from requests_app.models import AuditEvent, RequestType, State
from tests.factories import demo_datamap_for_tests, request_in_state
from tests.staff import test_browser as staff_browser
from tests.staff.test_browser import (
    PageMaker,
    RunInBrowser,
    assert_accessible,
    give_code,
    reload_until_completed,
    sign_in,
)
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from tests.conftest import Worker
    from tests.estate import Estate
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EMAIL = SPECIAL_EMAILS[0]
# The staff browser tests' fixtures: the cast signed in with a second factor, and Chromium.
cast = staff_browser.cast
run_in_browser = staff_browser.run_in_browser


def pdf_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        reader = PdfReader(io.BytesIO(archive.read("correction-report.pdf")))
    return " ".join(page.extract_text() for page in reader.pages)


def users_row(estate: Estate) -> dict[str, Any]:
    engine = sa.create_engine(estate.sql_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT name, phone, organisation FROM users WHERE email = :e"), {"e": EMAIL})
        result = dict(row.mappings().one())
    engine.dispose()
    return result


def the_estate_holds_old_values(estate: Estate) -> None:
    """The demo estate, with the subject's name, phone and organisation set to known old values."""
    seed_estate(estate.sql_url, estate.redis_url, subjects=3, rows_per_subject=2, heavy_subjects=0,
                auth_db=estate.auth_db, reset=True)  # fmt: skip
    engine = sa.create_engine(estate.sql_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET name = 'Ada Old', phone = '+1 555 0000', organisation = 'Acme' WHERE email = :e"),
            {"e": EMAIL},
        )
    engine.dispose()


def test_an_analyst_reviews_a_correction_field_by_field_and_the_store_gets_the_new_values(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker, estate: Estate, tmp_path: Path
) -> None:
    the_estate_holds_old_values(estate)
    demo_datamap_for_tests()
    request = request_in_state(
        State.AWAITING_APPROVAL,
        request_type=RequestType.CORRECTION,
        subject_email=EMAIL,
        details="Please change my name to Ada New, my phone to 020 7946 0001 and my organisation to Initech.",
    )
    TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "bob")
        give_code(page, TOTPDevice.objects.get(user=cast.bob))
        page.goto(f"/staff/requests/{request.reference}/")
        review = page.locator("#correction-review")
        expect(review.get_by_role("group", name=re.compile(r"^phone"))).to_contain_text("not shown")
        review.get_by_role("button", name="Show current values").click()

        phone = review.get_by_role("group", name=re.compile(r"^phone"))
        name = review.get_by_role("group", name=re.compile(r"^name"))
        organisation = review.get_by_role("group", name=re.compile(r"^organisation"))
        expect(phone).to_contain_text("+1 555 0000")
        expect(name).to_contain_text("Ada Old")
        expect(organisation).to_contain_text("Acme")
        expect(review.get_by_role("status")).to_contain_text("the read is on the record")

        name.get_by_label("Asked for", exact=True).fill("Ada New")
        name.get_by_label("Accept the value asked for").check()
        phone.get_by_label("Asked for", exact=True).fill("020 7946 0001")
        phone.get_by_label("Edit: set another value").check()
        phone.get_by_label("New value, for Edit").fill("+44 20 7946 0001")
        organisation.get_by_label("Asked for", exact=True).fill("Initech")
        organisation.get_by_label("Refuse", exact=True).check()
        organisation.get_by_label("Why it is refused, for Refuse").fill(
            "Your employer registered the account; ask them to change the organisation."
        )
        review.screenshot(path=str(folder / "correction-review.png"))
        assert_accessible(page)

        # Forgetting the confirmation loses nothing: every row comes back as it was.
        page.get_by_role("button", name="Approve and start work").click()
        expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
        expect(phone.get_by_label("New value, for Edit")).to_have_value("+44 20 7946 0001")
        expect(organisation.get_by_label("Refuse", exact=True)).to_be_checked()
        assert_accessible(page)

        page.get_by_label("Approve the request and start work on it.").check()
        page.get_by_role("button", name="Approve and start work").click()
        expect(page.get_by_text("The request is approved and in progress.")).to_be_visible()
        reload_until_completed(page)
        expect(page.get_by_text("Corrections refused")).to_be_visible()
        page.screenshot(path=str(folder / "correction-completed.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Correction report").click()
        download.value.save_as(tmp_path / "correction-report.zip")

    run_in_browser(steps)

    request.refresh_from_db()
    assert request.state == State.COMPLETED
    assert request.corrections == {"accounts": {"users": {"name": "Ada New", "phone": "+44 20 7946 0001"}}}
    assert users_row(estate) == {"name": "Ada New", "phone": "+44 20 7946 0001", "organisation": "Acme"}
    refused = [r for outcome in review_refusals(request) for r in outcome.refused]
    assert refused == [("organisation", "Your employer registered the account; ask them to change the organisation.")]
    read = AuditEvent.objects.get(request=request, action="personal_data.viewed", data__systems__isnull=False)
    assert read.actor == "staff:bob"
    assert "+1 555 0000" not in str(read.data)
    # The report gives the requester the refused field with its reason, and the two changes.
    report = " ".join(pdf_text(tmp_path / "correction-report.zip").split())
    assert "Your employer registered the account; ask them to change the organisation." in report
    assert "+44 20 7946 0001" in report and "Ada New" in report
    # The requester is told the request was not carried out in full.
    wait_for(lambda: bool(mail_to(celery_worker.mail_dir, EMAIL)), celery_worker)
    assert "could not carry it out in every system" in plain_text(mail_to(celery_worker.mail_dir, EMAIL)[-1])
