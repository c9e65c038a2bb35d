"""A Privacy admin registers, changes and deactivates a DRP agent in a real browser: every page
accessible (axe-core) and working under the strict Content-Security-Policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]
from playwright.sync_api import expect

from requests_app.models import DrpAgent
from tests.drp.agent import SigningAgent
from tests.staff.test_browser import assert_accessible, cast, give_code, run_in_browser, sign_in

if TYPE_CHECKING:
    from tests.staff.test_browser import PageMaker, RunInBrowser
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["cast", "run_in_browser"]  # the fixtures, used by name


def test_an_admin_registers_changes_and_deactivates_an_agent_in_the_browser(
    cast: Cast, run_in_browser: RunInBrowser
) -> None:
    TOTPDevice.objects.create(user=cast.alice, name="phone", confirmed=True)
    agent = SigningAgent("PERMISSION_SLIP")

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        sign_in(page, "alice")
        give_code(page, TOTPDevice.objects.get(user=cast.alice))
        page.get_by_role("link", name="DRP agents").click()
        expect(page.get_by_role("heading", name="Authorised agents (Data Rights Protocol)")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Register an agent").click()
        page.get_by_role("button", name="Register").click()  # empty: every field named
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("DRP agent id").fill(agent.agent_id)
        page.get_by_label("Name").fill("Permission Slip")
        page.get_by_label("Email address").fill("drp@agent.example")
        page.get_by_label("Verify key").fill(agent.verify_key)
        page.get_by_label("Access (right to know)").check()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_text("Agent PERMISSION_SLIP registered")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Permission Slip").click()
        page.get_by_label("Deletion (right to delete)").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Agent PERMISSION_SLIP changed")).to_be_visible()
        page.get_by_role("button", name="Deactivate PERMISSION_SLIP").click()
        expect(page.get_by_text("is deactivated")).to_be_visible()
        assert_accessible(page)

    run_in_browser(steps)
    row = DrpAgent.objects.get(agent_id="PERMISSION_SLIP")
    assert (row.allowed_actions, row.active, row.verify_key) == (["access", "deletion"], False, agent.verify_key)
