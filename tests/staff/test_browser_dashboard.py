"""My work and the dashboard in Debian's Chromium: where an analyst lands, and the dashboard on
a wide screen and on a phone (pictured into DSAR_SCREENSHOTS_DIR when set), checked with axe-core."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from requests_app.models import DataSubjectRequest, RequestType, State, StoreTaskState
from tests.factories import request_in_state
from tests.staff.test_browser import PageMaker, RunInBrowser, assert_accessible, sign_in
from tests.staff.test_browser import cast as cast
from tests.staff.test_browser import run_in_browser as run_in_browser
from tests.staff.test_dashboard import due_on, task

if TYPE_CHECKING:
    from tests.staff.test_permissions import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def a_week_of_work(cast: Cast) -> dict[str, DataSubjectRequest]:
    today = timezone.localdate()
    made = {
        "overdue": due_on(today - timedelta(days=2), State.IN_PROGRESS, assignee=cast.bob),
        "today": due_on(today, assignee=cast.bob),
        "later": due_on(today + timedelta(days=12), State.AWAITING_APPROVAL, assignee=cast.bob),
        "paused": due_on(today + timedelta(days=4), State.AWAITING_REQUESTER, jurisdiction="gdpr", assignee=cast.bob),
        "alices": due_on(today + timedelta(days=6), State.NEEDS_ATTENTION, assignee=cast.alice),
        "nobodys": due_on(today + timedelta(days=30)),
    }
    task(made["overdue"], "support-desk", StoreTaskState.MANUAL)
    task(made["alices"], "billing", StoreTaskState.FAILED)
    for weeks in range(8):
        for kind in (RequestType.ACCESS, RequestType.DELETION):
            done = request_in_state(State.COMPLETED, request_type=kind)
            closed = timezone.now() - timedelta(weeks=weeks)
            DataSubjectRequest.objects.filter(pk=done.pk).update(
                closed_at=closed, received_at=closed - timedelta(days=5 + weeks * 3)
            )
    return made


def assert_fits(page: Page) -> None:
    """Nothing wider than the window: no sideways scrolling of the page itself. (A wide table
    scrolls inside its own labelled, focusable region.)"""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the window"
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('.dashboard-grid > .card, .dashboard-grid .table-wrap')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(el => (el.closest('section') || el).id + ' ' + el.className
                 + ' ' + Math.round(el.getBoundingClientRect().right))"""
    )
    assert not too_wide, too_wide


def card_columns(page: Page) -> int:
    """How many cards sit side by side in the grid's widest row."""
    tops = page.evaluate(
        "() => [...document.querySelectorAll('.dashboard-grid > .card')]"
        ".map(el => Math.round(el.getBoundingClientRect().top))"
    )
    return max(tops.count(top) for top in tops)


def test_an_analyst_lands_on_my_work_and_an_admin_reads_the_dashboard_on_a_wide_screen_and_a_phone(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = False
    made = a_week_of_work(cast)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        analyst = new_page(1400, 900)
        sign_in(analyst, "bob")
        expect(analyst.get_by_role("heading", name="My work", level=1)).to_be_visible()
        assert analyst.url.endswith("/staff/my-work/")
        expect(analyst.get_by_role("link", name="My work 4 open requests")).to_be_visible()
        to_do = analyst.locator("section", has=analyst.get_by_role("heading", name="To work on"))
        expect(to_do.get_by_role("row").nth(1)).to_contain_text(made["overdue"].reference)
        expect(to_do.get_by_role("row").nth(1)).to_contain_text("Overdue by 2 days")
        expect(to_do.get_by_role("row").nth(1)).to_contain_text("A person: 1 manual step in a store")
        waiting = analyst.locator("section", has=analyst.get_by_role("heading", name="Waiting for the requester"))
        expect(waiting).to_contain_text(made["paused"].reference)
        expect(waiting).to_contain_text("Clock paused")
        assert_accessible(analyst)
        analyst.screenshot(path=str(folder / "my-work.png"), full_page=True)

        for name, width, height in (("dashboard-wide", 1600, 1000), ("dashboard-phone", 390, 844)):
            admin = new_page(width, height)
            sign_in(admin, "alice")
            expect(admin.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
            expect(admin.get_by_role("link", name="1 overdue")).to_be_visible()
            expect(admin.get_by_role("link", name="2 due this week")).to_be_visible()
            expect(admin.get_by_role("link", name="1 waiting for a person")).to_be_visible()
            admin.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            assert_fits(admin)
            columns = card_columns(admin)
            if width >= 1600:
                grid = admin.locator(".dashboard-grid").bounding_box()
                assert grid is not None and grid["width"] >= 0.95 * width - 40, grid
                assert columns >= 3, columns
            else:
                assert columns == 1, columns
            # The charts' tables open, with the same numbers, and still fit.
            for summary in admin.get_by_text("Show as a table").all():
                summary.click()
            assert_fits(admin)
            assert_accessible(admin)
            admin.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            # A number opens the queue of exactly the requests it counts.
            admin.get_by_role("link", name="2 due this week").click()
            expect(admin.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
            expect(admin.get_by_role("status")).to_contain_text("2 requests")

    run_in_browser(steps)
