"""Single sign-on in Debian's Chromium: the login page's button, the test provider, the staff UI.

The provider (tests/oidc_provider.py) is a real process on a loopback port; the browser
goes to it and back as it would to the company's identity provider.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from requests_app.staff import roles
from tests.staff.oidc_fixtures import oidc_provider, oidc_settings
from tests.staff.test_browser import assert_accessible, cast, run_in_browser

if TYPE_CHECKING:
    from tests.staff.oidc_fixtures import OidcProvider
    from tests.staff.test_browser import PageMaker, RunInBrowser
    from tests.staff.test_permissions import Cast

__all__ = ["cast", "oidc_provider", "oidc_settings", "run_in_browser"]  # fixtures used by name

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_login_button_signs_in_through_the_provider_and_lands_on_the_staff_pages(
    cast: Cast, oidc_settings: OidcProvider, run_in_browser: RunInBrowser, tmp_path: Path
) -> None:
    oidc_settings.control(user="erin")
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        page.goto("/staff/requests/")
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        button = page.get_by_role("link", name="Sign in with Company SSO")
        expect(button).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=str(folder / "login-sso.png"), full_page=True)

        button.click()

        # Through the provider and back, with no TOTP step (the provider gave the second factor).
        expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
        assert page.url.endswith("/staff/requests/")
        page.screenshot(path=str(folder / "signed-in-sso.png"), full_page=True)

    run_in_browser(steps)

    erin: Any = User.objects.get(username="erin")
    assert set(erin.groups.values_list("name", flat=True)) == {roles.ANALYST}
    print(f"screenshots in {folder}")  # noqa: T201 - where to look
