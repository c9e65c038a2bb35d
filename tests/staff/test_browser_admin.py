"""A Privacy admin at work in Debian's Chromium: invites a colleague, who opens the link from
the email, chooses a password and sets up the authenticator app; then edits a template. Each
page is checked with axe-core and pictured (into DSAR_SCREENSHOTS_DIR when set)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]
from playwright.sync_api import expect

from requests_app.models import AuditEvent, MessageTemplate
from requests_app.staff import people, roles
from tests.staff.test_browser import assert_accessible, cast, give_code, run_in_browser, sign_in
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.conftest import Worker
    from tests.staff.test_browser import PageMaker, RunInBrowser
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["cast", "run_in_browser"]  # fixtures, used by name

NEW_PASSWORD = "a long and unusual passphrase 71"


def picture(page: Page, folder: Path, name: str) -> None:
    assert_accessible(page)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_an_admin_invites_a_colleague_who_sets_a_password_and_totp_then_edits_a_template(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker, tmp_path: Path, settings: Any
) -> None:
    assert settings.DSAR_STAFF_REQUIRE_2FA
    device = TOTPDevice.objects.create(user=cast.alice, name="phone", confirmed=True)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        admin = new_page(1400, 900)
        sign_in(admin, "alice")
        give_code(admin, device)
        admin.get_by_role("link", name="People", exact=True).click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("People")
        picture(admin, folder, "people")
        admin.get_by_role("link", name="Invite someone").click()
        admin.get_by_label("Email address").fill("eve@example.com")
        admin.get_by_label(roles.ANALYST).check()
        picture(admin, folder, "person-invite")
        admin.get_by_role("button", name="Send the invitation").click()
        expect(admin.get_by_role("status").first).to_contain_text("eve@example.com is invited as Privacy analyst")
        expect(admin.get_by_role("heading", level=1)).to_have_text("eve@example.com")
        picture(admin, folder, "person")

        wait_for(lambda: bool(mail_to(celery_worker.mail_dir, "eve@example.com")), celery_worker)
        text = plain_text(mail_to(celery_worker.mail_dir, "eve@example.com")[-1])
        match = re.search(r"https?://\S+/staff/invitation/\S+/", text)
        assert match, text
        invitee = new_page(1000, 900)
        invitee.goto(match.group(0))
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Choose your password")
        picture(invitee, folder, "invitation-accept")
        invitee.get_by_label("Password", exact=True).fill("short")
        invitee.get_by_label("The same password again").fill("short")
        invitee.get_by_role("button", name="Set the password and continue").click()
        expect(invitee.get_by_role("alert").first).to_contain_text("This password is too short")
        invitee.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        invitee.get_by_label("The same password again").fill(NEW_PASSWORD)
        invitee.get_by_role("button", name="Set the password and continue").click()
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
        picture(invitee, folder, "invitation-otp-setup")
        eve = User.objects.get(username="eve@example.com")
        give_code(invitee, TOTPDevice.objects.get(user=eve, confirmed=False))
        expect(invitee.get_by_role("status").first).to_contain_text("Two-factor sign-in is set up")
        expect(invitee.get_by_role("link", name="Requests", exact=True)).to_be_visible()
        # An analyst: no administration in the navigation.
        expect(invitee.get_by_role("link", name="People", exact=True)).to_have_count(0)

        # The link was used: it refuses.
        used = new_page(1000, 700)
        used.goto(match.group(0))
        expect(used.get_by_role("alert")).to_contain_text("already used")
        picture(used, folder, "invitation-used")

        admin.get_by_role("link", name="Templates", exact=True).click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("Templates")
        picture(admin, folder, "templates")
        admin.get_by_role("link", name="Write “Identity could not be confirmed” in Deutsch").click()
        admin.get_by_label("Title", exact=True).fill("Identität nicht bestätigt")
        admin.get_by_label("Text", exact=True).fill(
            "Wir konnten nicht bestätigen, dass die Anfrage {referenz} von Ihnen kommt."
        )
        admin.get_by_role("button", name="Save the template").click()
        expect(admin.get_by_role("alert").first).to_contain_text("Unknown placeholder “{referenz}”")
        picture(admin, folder, "template-error")
        admin.get_by_label("Text", exact=True).fill(
            "Wir konnten nicht bestätigen, dass die Anfrage {reference} von Ihnen kommt."
        )
        admin.get_by_role("button", name="Save the template").click()
        expect(admin.get_by_role("status").first).to_contain_text("is saved")
        admin.get_by_role("link", name="Edit “Identity could not be confirmed” in Deutsch").click()
        expect(admin.get_by_label("Title", exact=True)).to_have_value("Identität nicht bestätigt")
        picture(admin, folder, "template-edit")

    run_in_browser(steps)
    eve = User.objects.get(username="eve@example.com")
    assert people.role_of(eve) == roles.ANALYST
    assert TOTPDevice.objects.get(user=eve).confirmed
    german = MessageTemplate.objects.get(kind="rejection", key="identity", language="de")
    assert "{reference}" in german.text
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"staff.invited", "staff.invitation_accepted", "template.saved"} <= actions
