"""The privacy team at work in Debian's Chromium driven by Playwright, and an accessibility
check of every staff and public page with axe-core (vendored in tests/vendor/).

Sign-in here uses the second factor, as in production: the code comes from the device's
key, as an authenticator app would compute it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connections
from django.utils import timezone

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.laws import deadlines
from requests_app.models import AuditEvent, DataSubjectRequest, RequestType, State, StoreTask
from requests_app.services import requests as services
from requests_app.verification import challenges as verification
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.email_corpus import corpus_message
from tests.factories import appeal_in_state, demo_datamap_for_tests, request_in_state, stored_bundle
from tests.paths import TESTS
from tests.public.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.staff.test_permissions import FAST_HASHERS, PASSWORD, Cast, make_cast
from tests.staff.test_views import token_for
from tests.waiting import mail_to, plain_text, wait_for

if TYPE_CHECKING:
    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AXE = TESTS / "vendor" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DSAR_STAFF_REQUIRE_2FA = True
    return make_cast()


PageMaker = Callable[..., Page]
RunInBrowser = Callable[[Callable[[PageMaker], None]], None]


@pytest.fixture
def run_in_browser(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> RunInBrowser:
    """Run browser steps in a thread of their own, with a Chromium of their own.

    Playwright's synchronous API allows one instance per thread, and test_browser_public's
    session-long browser may hold this one when both files run in the same process. The
    steps get ``new_page(width, height)``: a page in a new browser context, so two people can
    be signed in at once. Database reads in the steps use the thread's own connection, which
    sees everything, since these tests commit.
    """
    settings.DSAR_PUBLIC_BASE_URL = live_server.url
    # The thread's ORM calls are synchronous and safe beside Playwright's event loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def run(steps: Callable[[PageMaker], None]) -> None:
        failures: list[BaseException] = []
        violations: list[str] = []

        def target() -> None:
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

                    def new_page(width: int = 1280, height: int = 900) -> Page:
                        viewport: ViewportSize = {"width": width, "height": height}
                        page = browser.new_context(base_url=live_server.url, viewport=viewport).new_page()
                        page.on("console", lambda message: _note_csp_violation(message.text, violations))
                        return page

                    try:
                        steps(new_page)
                        # Every page worked under the strict Content-Security-Policy.
                        assert not violations, "\n".join(violations)
                    finally:
                        # Here, beside Playwright's running loop, Django keeps this thread's
                        # connections apart from those outside it: close them here.
                        connections.close_all()
                        browser.close()
            except BaseException as failure:  # handed to the test's own thread below
                failures.append(failure)
            finally:
                connections.close_all()

        thread = threading.Thread(target=target, name="playwright")
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    return run


def _note_csp_violation(text: str, violations: list[str]) -> None:
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        violations.append(text)


def sign_in(page: Page, username: str) -> None:
    page.goto("/staff/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def open_disclosure(page: Page, element_id: str) -> None:
    """Open one of the request page's disclosures (an action's form, the due date, the subject)."""
    disclosure = page.locator(f"details#{element_id}")
    if disclosure.get_attribute("open") is None:
        disclosure.locator("> summary").click()


def give_code(page: Page, device: Any) -> None:
    page.get_by_label("Code from your authenticator app").fill(token_for(device))
    page.get_by_role("button", name=re.compile("^(Continue|Confirm and continue)$")).click()


def test_an_analyst_signs_in_with_totp_verifies_approves_and_rejects(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker
) -> None:
    device = TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    due_soon = request_in_state(
        State.PENDING_VERIFICATION,
        request_type=RequestType.DELETION,
        jurisdiction="ccpa",
        subject_name="Grace Hopper",
        received_at=timezone.now() - timedelta(days=42),
    )
    request_in_state(State.VERIFIED, jurisdiction="ccpa", received_at=timezone.now() - timedelta(days=5))
    to_reject = request_in_state(State.VERIFIED, subject_name="Mallory Example", subject_email="mallory@example.org")

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        sign_in(page, "bob")
        expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
        give_code(page, device)
        expect(page.get_by_role("heading", name="My work", exact=True)).to_be_visible()
        page.get_by_role("link", name="Dashboard", exact=True).click()

        page.get_by_role("link", name="1 due this week").click()
        expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
        row = page.get_by_role("row").filter(has_text=due_soon.reference)
        expect(row).to_contain_text("Due in 3 days")
        row.get_by_role("link", name=due_soon.reference).click()

        expect(page.get_by_role("heading", name=re.compile(f"Request {due_soon.reference}"))).to_be_visible()
        page.get_by_label("How was the identity verified?").fill("Checked the signed ID against the account")
        page.get_by_label("I have checked the subject's identity").check()
        page.get_by_role("button", name="Mark verified").click()
        expect(page.get_by_role("status")).to_contain_text("The request is verified.")

        page.get_by_label("Approve the request and start work on it.").check()
        page.get_by_role("button", name="Approve and start work").click()
        # (No look at the state now: the worker may already be carrying the request further.)
        expect(page.get_by_role("status")).to_contain_text("The request is approved and in progress.")

        page.get_by_role("link", name="Requests", exact=True).first.click()
        page.get_by_label("Search by reference, email or name").fill("MALLORY@example.org")
        page.get_by_role("button", name="Search", exact=True).click()
        assert "mallory" not in page.url.lower()
        page.get_by_role("link", name=to_reject.reference).click()
        open_disclosure(page, "action-reject")
        page.get_by_label("Start from a template").select_option(label="Identity could not be confirmed")
        page.get_by_role("button", name="Use this template").click()
        expect(page.get_by_label("Reason", exact=True)).to_have_value(re.compile("^We could not confirm"))
        expect(page.get_by_label("Ground for the rejection")).to_have_value("not_verified")
        page.get_by_label("Reject the request and email the reason").check()
        page.get_by_role("button", name="Reject the request").click()
        expect(page.locator(".state-badge")).to_have_text("Rejected")

    run_in_browser(steps)

    to_reject.refresh_from_db()
    assert (to_reject.state, to_reject.rejection_category) == (State.REJECTED, "not_verified")
    steps_by_bob = AuditEvent.objects.filter(request=due_soon, actor="staff:bob", action="request.transition")
    assert [e.to_state for e in steps_by_bob.order_by("seq")][-1] == State.IN_PROGRESS
    assert steps_by_bob.filter(to_state=State.VERIFIED).exists()
    actors = set(
        AuditEvent.objects.filter(request__in=[due_soon, to_reject], actor__startswith="staff:").values_list(
            "actor", flat=True
        )
    )
    assert actors == {"staff:bob"}
    wait_for(lambda: bool(mail_to(celery_worker.mail_dir, "mallory@example.org")), celery_worker)
    assert "We could not confirm" in plain_text(mail_to(celery_worker.mail_dir, "mallory@example.org")[-1])


def reload_until_completed(page: Page) -> None:
    """Reload the request page until the worker has completed the request (a minute at most)."""
    for _ in range(120):
        page.reload()
        if page.locator(".state-badge").inner_text().strip() == "Completed":
            break
        page.wait_for_timeout(500)
    expect(page.locator(".state-badge")).to_have_text("Completed")


def assert_accessible(page: Page) -> None:
    """No serious or critical violation that axe-core finds on the page as it is now."""
    # Evaluated through the browser's debugging protocol, which the Content-Security-Policy
    # does not govern: the page itself keeps its policy (no inline script) while it is checked.
    page.evaluate(AXE_SOURCE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def test_every_staff_and_public_page_has_no_serious_accessibility_problem(
    cast: Cast, run_in_browser: RunInBrowser
) -> None:
    request = request_in_state(
        State.VERIFIED,
        subject_name="Ada Lovelace",
        details="Everything you hold about me, please.",
        fraud_signals=[{"code": "disposable_email", "detail": "The email address is at a disposable-mail provider."}],
    )
    services.request_ask_requester(request=request, actor=Actor.system("tests"), question="Which account?")
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=timezone.now())
    for days in (3, 9, 20):
        request_in_state(State.COMPLETED, received_at=timezone.now() - timedelta(days=days))
    request_in_state(State.PENDING_VERIFICATION, jurisdiction="ccpa", received_at=timezone.now() - timedelta(days=44))
    TOTPDevice.objects.create(user=cast.alice, name="phone", confirmed=True)
    # The pages added with the stores, the results and triage.
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    StoreTask.objects.create(request=request, system="billing", kind="sql", action="resolve", step=0,
                             state="failed", error="connection refused")  # fmt: skip
    StoreTask.objects.create(request=request, system="web_analytics", kind="manual", action="erase", step=1,
                             state="manual", instructions="Delete the visitor in the vendor's console.")  # fmt: skip
    triaged, _ = email_receive(corpus_message("unclear.eml"), source="pipe")
    email_process(triaged.pk)
    bundle = stored_bundle(request)

    def steps(new_page: PageMaker) -> None:
        # Public pages.
        public = new_page()
        for path in (
            "/request/",
            "/request/sent/",
            "/request/verify/",
            "/request/verify/resend/",
            f"/request/status/{verification.status_token(request)}/",
            "/request/verify/not-a-real-link/",
        ):
            public.goto(path)
            assert_accessible(public)
        public.goto("/request/")
        public.get_by_role("button", name="Send request").click()  # the form with its errors
        assert_accessible(public)

        # Signing in: the login page, setting up the second factor, and giving it.
        page = new_page()
        page.goto("/staff/login/")
        assert_accessible(page)
        sign_in(page, "bob")
        expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
        assert_accessible(page)
        give_code(page, TOTPDevice.objects.get(user=cast.bob))
        other = new_page()
        sign_in(other, "alice")
        expect(other.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
        assert_accessible(other)

        # The staff pages, as the analyst sees them: they land on My work.
        expect(page.get_by_role("heading", name="My work", exact=True)).to_be_visible()
        assert_accessible(page)
        page.goto("/staff/")
        expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
        assert_accessible(page)
        page.goto("/staff/requests/")
        page.get_by_label("Search by reference, email or name").fill("lovelace")
        page.get_by_role("button", name="Search", exact=True).click()
        assert_accessible(page)
        page.goto("/staff/requests/?state=any")
        assert_accessible(page)
        page.goto(f"/staff/requests/{request.reference}/?reason_template=identity")
        assert_accessible(page)
        page.get_by_role("button", name="Reject the request").click()  # without the confirmation box
        expect(page.get_by_text("Tick the box to confirm").first).to_be_visible()
        assert_accessible(page)
        for path in ("/staff/triage/", f"/staff/triage/{triaged.pk}/", "/staff/datamap/", "/staff/metrics/"):
            page.goto(path)
            assert_accessible(page)
        public.goto(f"/request/status/{verification.status_token(request)}/download/{bundle.pk}/")
        assert_accessible(public)
        public.get_by_role("button", name="Email me a download code").click()
        assert_accessible(public)

        # Someone with no role.
        outsider = new_page()
        sign_in(outsider, "dave")
        expect(outsider.get_by_role("heading", name="You do not have access to this")).to_be_visible()
        assert_accessible(outsider)

    run_in_browser(steps)


def test_the_staff_pages_render_a_busy_queue_and_can_be_pictured(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    """Renders the three main pages with a realistic load of requests and takes their pictures:
    into DSAR_SCREENSHOTS_DIR when set (docs/screenshots/ for the README), else a temporary folder."""
    settings.DSAR_STAFF_REQUIRE_2FA = False
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"]
    kinds = [RequestType.ACCESS, RequestType.DELETION, RequestType.CORRECTION]
    laws = ["gdpr", "ccpa", "lgpd", "pipeda"]
    for i in range(60):
        state = [
            State.VERIFIED,
            State.IN_PROGRESS,
            State.AWAITING_APPROVAL,
            State.COMPLETED,
            State.PENDING_VERIFICATION,
        ][i % 5]
        request_in_state(
            state,
            request_type=kinds[i % 3],
            jurisdiction=laws[i % 4],
            subject_name=names[i % len(names)],
            subject_email=f"{names[i % len(names)].split()[0].lower()}{i}@example.org",
            received_at=timezone.now() - timedelta(days=(i * 37) % 80 + 1),
            fraud_signals=[{"code": "disposable_email", "detail": "Disposable-mail provider."}] if i % 7 == 0 else None,
        )
    featured = request_in_state(
        State.AWAITING_APPROVAL,
        request_type=RequestType.DELETION,
        subject_name="Grace Hopper",
        subject_email="grace@example.org",
        details="Please delete my account and everything linked to it.",
        fraud_signals=[{"code": "many_for_subject", "detail": "2 other requests for this email in the last 30 days."}],
    )
    # Spread the completions over past weeks for a fuller chart (test data only: the workflow
    # stamps closed_at with the moment it closes a request).
    for index, completed in enumerate(DataSubjectRequest.objects.filter(state=State.COMPLETED)):
        closed_at = timezone.now() - timedelta(weeks=index % 6)
        DataSubjectRequest.objects.filter(pk=completed.pk).update(
            closed_at=closed_at, received_at=closed_at - timedelta(days=6 + (index * 11) % 35)
        )
    services.request_ask_requester(request=featured, actor=Actor.staff(cast.bob), question="Which account did you use?")
    transition(featured, State.AWAITING_APPROVAL, Actor.staff(cast.bob), reason="The requester named the account.")
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "bob")

        for name, path, heading in (
            ("dashboard", "/staff/", "Dashboard"),
            ("queue", "/staff/requests/", "Requests"),
            ("request", f"/staff/requests/{featured.reference}/", f"Request {featured.reference}"),
        ):
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            page.screenshot(path=str(folder / f"{name}.png"), full_page=name != "queue")  # the queue: its first rows
            assert (folder / f"{name}.png").stat().st_size > 0

    run_in_browser(steps)


def test_an_auditor_reads_the_metrics_downloads_them_and_is_not_offered_the_subjects(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    """The metrics page as the auditor sees it, pictured into DSAR_SCREENSHOTS_DIR when set."""
    settings.DSAR_STAFF_REQUIRE_2FA = False
    received = timezone.now() - timedelta(days=30)
    for i, state in enumerate([State.COMPLETED, State.COMPLETED, State.CLOSED_UNVERIFIED, State.CANCELLED]):
        request_in_state(state, received_at=received, request_type=[RequestType.ACCESS, RequestType.DELETION][i % 2])
    refused = request_in_state(State.VERIFIED, received_at=received, jurisdiction="ccpa")
    services.request_reject(request=refused, actor=Actor.system("tests"), reason="Not ours.", category="not_a_consumer")
    year = timezone.localdate(received).year
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "carol")
        page.get_by_role("link", name="Metrics", exact=True).click()
        page.get_by_label("Year").select_option(str(year))
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Metrics {year}")
        figures = page.get_by_role("table").first
        expect(figures.get_by_role("row").filter(has_text="Received")).to_contain_text("3")
        expect(figures.get_by_role("row").filter(has_text="not made by a consumer")).to_contain_text("1")
        expect(page.get_by_role("button", name=re.compile("with subjects"))).to_have_count(0)
        assert_accessible(page)
        page.screenshot(path=str(folder / "metrics.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Request register {year} (CSV)").click()
        assert download.value.suggested_filename == f"request-register-{year}.csv"

    run_in_browser(steps)


def test_an_analyst_triages_an_email_into_a_request_in_the_browser(cast: Cast, run_in_browser: RunInBrowser) -> None:
    triaged, _ = email_receive(corpus_message("unclear.eml"), source="pipe")
    email_process(triaged.pk)

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        sign_in(page, "bob")
        if page.get_by_role("heading", name="Set up two-factor sign-in").count():
            give_code(page, TOTPDevice.objects.get(user=cast.bob))
        page.goto("/staff/triage/")
        page.get_by_role("link", name="PRIVACY POLICY question").click()
        page.get_by_label("Request type").select_option("access")
        page.get_by_role("button", name="Make a request").click()
        expect(page.get_by_role("heading", name=re.compile(r"Request DSR-"))).to_be_visible()
        expect(page.get_by_text("tom.brown@example.co.uk").first).to_be_visible()

    run_in_browser(steps)
    assert DataSubjectRequest.objects.filter(subject_email="tom.brown@example.co.uk").exists()


def test_an_analyst_approves_a_deletion_watches_the_stores_finish_and_downloads_the_certificate(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker, estate: Any
) -> None:
    from demo.seed import SPECIAL_EMAILS, seed_estate

    seed_estate(estate.sql_url, estate.redis_url, subjects=3, rows_per_subject=2, heavy_subjects=0,
                auth_db=estate.auth_db, reset=True)  # fmt: skip
    demo_datamap_for_tests()
    request = request_in_state(State.AWAITING_APPROVAL, request_type="deletion", subject_email=SPECIAL_EMAILS[0])
    TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page()
        sign_in(page, "bob")
        give_code(page, TOTPDevice.objects.get(user=cast.bob))
        page.goto(f"/staff/requests/{request.reference}/")
        page.get_by_label("Approve the request and start work on it.").check()
        page.get_by_role("button", name="Approve and start work").click()
        expect(page.get_by_text("The request is approved and in progress.")).to_be_visible()
        # The worker searches and erases every store; the page shows it when reloaded.
        reload_until_completed(page)
        expect(page.get_by_role("row", name=re.compile(r"^accounts\s+Erase\s+Erased"))).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Certificate of erasure").click()
        assert download.value.suggested_filename == "erasure-certificate.zip"

    run_in_browser(steps)
    assert AuditEvent.objects.filter(request=request, action="bundle.downloaded_by_staff", actor="staff:bob").exists()


def test_a_failed_store_blocks_completion_until_staff_record_its_outcome_which_the_certificate_shows(
    cast: Cast, run_in_browser: RunInBrowser, celery_worker: Worker, estate: Any, tmp_path: Path
) -> None:
    from tests.estate import FLAKY_MAP
    from tests.waiting import wait_for

    datamap_import(FLAKY_MAP, actor=Actor.system("tests"))
    estate.flaky.broken.add("stuck@example.org")
    request = request_in_state(State.AWAITING_APPROVAL, request_type="deletion", subject_email="stuck@example.org")
    services.request_approve(request=request, actor=Actor.staff(cast.bob))
    wait_for(lambda: DataSubjectRequest.objects.get(pk=request.pk).state == State.NEEDS_ATTENTION, celery_worker)
    TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    evidence = tmp_path / "processor-confirmation.pdf"
    evidence.write_bytes(b"%PDF-1.7 The processor confirms the erasure by ticket 4711")
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1400, 1000)
        sign_in(page, "bob")
        give_code(page, TOTPDevice.objects.get(user=cast.bob))
        page.goto(f"/staff/requests/{request.reference}/")
        # Completing while a store failed is refused, naming it.
        open_disclosure(page, "action-complete")
        page.get_by_label("The request is fulfilled: close it and tell the subject.").check()
        page.get_by_role("button", name="Mark completed").click()
        expect(page.get_by_role("alert")).to_contain_text("processor (erase) is failed")
        expect(page.locator(".state-badge")).to_have_text("Needs attention")
        page.screenshot(path=str(folder / "refused.png"), full_page=True)
        # The outcome, with a reason and the processor's confirmation: the next step offers it.
        next_step = page.locator("#next-step")
        expect(next_step).to_contain_text("A store failed: 'processor'")
        next_step.get_by_label(re.compile("^Done by hand")).check()
        next_step.get_by_label("What was done, or why not").fill("Erased by hand in the processor's console")
        next_step.get_by_label(re.compile("^Evidence")).set_input_files(str(evidence))
        next_step.get_by_role("button", name="Record the outcome for processor").click()
        expect(page.get_by_text("processor: the outcome is on the record.")).to_be_visible()
        reload_until_completed(page)
        expect(page.get_by_role("row", name=re.compile(r"^processor\s+Erase\s+Erased by hand"))).to_be_visible()
        page.screenshot(path=str(folder / "outcome-recorded.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Certificate of erasure").click()
        download.value.save_as(str(tmp_path / "certificate.zip"))

    run_in_browser(steps)
    import io
    import zipfile

    from pypdf import PdfReader

    with zipfile.ZipFile(tmp_path / "certificate.zip") as archive:
        reader = PdfReader(io.BytesIO(archive.read("certificate.pdf")))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert re.search(
        r"processor\s+-\s+Erased by hand in the processor's console\s+Erased by hand\s+recorded by Bob", text
    )
    assert "processor-confirmation.pdf" in text
    assert "What our staff did by hand" in text


def test_an_analyst_enters_a_letter_received_last_week_and_sees_it_due_from_the_letters_date(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    """The "New request" page filled in as for a letter, pictured into DSAR_SCREENSHOTS_DIR when set."""
    settings.DSAR_STAFF_REQUIRE_2FA = False
    received = timezone.localdate() - timedelta(days=7)
    due = deadlines.due_date("gdpr", received).due
    letter = tmp_path / "letter-from-grace.pdf"
    letter.write_bytes(b"%PDF-1.4\nPlease send me a copy of my data.\n%%EOF\n")
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def steps(new_page: PageMaker) -> None:
        page = new_page(1280, 900)
        sign_in(page, "bob")
        page.goto("/staff/requests/")
        page.get_by_role("link", name="New request").click()
        expect(page.get_by_role("heading", name="New request", level=1)).to_be_visible()
        assert_accessible(page)
        page.get_by_role("radio", name="Letter", exact=True).check()
        page.get_by_label("Received on").fill(received.isoformat())
        page.get_by_label("Files (a scanned letter)").set_input_files(str(letter))
        page.get_by_label("Request type").select_option("access")
        page.get_by_label("Law").select_option("gdpr")
        page.get_by_label("The subject's name").fill("Grace Hopper")
        page.get_by_label("The subject's email address").fill("grace.hopper@example.org")
        page.get_by_label("Account id").fill("acct-1906")
        page.get_by_label("What they asked for").fill("A copy of everything you hold about me.")
        page.get_by_label("Checked by staff (say how below)").check()
        page.get_by_label("How the identity was checked").fill("Called back on the number on file")
        page.screenshot(path=str(folder / "new-request.png"), full_page=True)
        page.get_by_role("button", name="Record the request").click()
        expect(page.get_by_role("heading", name=re.compile(r"Request DSR-"))).to_be_visible()
        for disclosure in ("due", "facts", "subject"):
            open_disclosure(page, disclosure)
        expect(page.locator(".due-line")).to_contain_text(f"{due.day} {due:%b %Y}")
        expect(page.get_by_text("via entered by staff (letter)")).to_be_visible()
        expect(page.get_by_role("link", name="letter-from-grace.pdf")).to_be_visible()
        expect(page.get_by_text("Staff note: Called back on the number on file")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=str(folder / "entered-request.png"), full_page=True)

    run_in_browser(steps)
    request = DataSubjectRequest.objects.get(subject_email="grace.hopper@example.org")
    assert (request.channel, request.received_via, request.due_at) == ("staff", "letter", due)
    assert request.verified_at is not None


def test_a_uk_request_paused_for_clarification_is_due_later_by_the_days_it_waited(
    cast: Cast, run_in_browser: RunInBrowser, settings: Any, tmp_path: Path
) -> None:
    """Staff ask for a clarification, the requester answers a week later, and the page shows the
    due date moved by that week (UK GDPR Art. 12A: the days waited are not counted). Pictured
    into DSAR_SCREENSHOTS_DIR when set."""
    settings.DSAR_STAFF_REQUIRE_2FA = False
    paused = 7
    # A receipt day whose due date, and the one a week later, both fall on working days, so
    # the date moves by exactly the days paused (no roll past a weekend or bank holiday).
    for offset in range(10, 40):
        received = timezone.localdate() - timedelta(days=offset)
        before = deadlines.due_date("uk", received).due
        after = deadlines.due_date("uk", received, paused_days=paused).due
        if after == before + timedelta(days=paused):
            break
    request = request_in_state(
        State.VERIFIED,
        jurisdiction="uk",
        subject_name="Ada Lovelace",
        received_at=timezone.make_aware(datetime.combine(received, time(10))),
    )
    assert (request.rule_version, request.due_at) == ("2026-02-05", before)
    folder = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def day(value: date) -> str:
        return f"{value.day} {value:%b %Y}"

    def steps(new_page: PageMaker) -> None:
        page = new_page(1280, 900)
        sign_in(page, "bob")
        page.goto(f"/staff/requests/{request.reference}/")
        open_disclosure(page, "due")
        expect(page.locator(".due-line")).to_contain_text(day(before))
        open_disclosure(page, "action-ask")
        page.get_by_label("What do you need from the requester?").fill("Which of your two accounts do you mean?")
        page.get_by_label("Email this question to the requester and pause the request.").check()
        page.get_by_role("button", name="Send the question").click()
        expect(page.get_by_role("status")).to_contain_text("the request waits for the answer")
        open_disclosure(page, "due")
        expect(page.locator(".due-line")).to_contain_text("Clock paused")

        # The requester answers a week later: the wait began seven days ago.
        DataSubjectRequest.objects.filter(pk=request.pk).update(paused_at=timezone.now() - timedelta(days=paused))
        page.reload()
        open_disclosure(page, "due")
        panel = page.get_by_role("region", name="The rule")
        expect(panel).to_contain_text("Waiting for the requester since")
        expect(panel).to_contain_text(f"({paused} days so far): the clock is stopped")
        page.get_by_label("What did the requester answer?").fill("The account opened in 2019.")
        page.get_by_role("button", name="Resume the request").click()
        expect(page.get_by_role("status")).to_contain_text("The request is resumed.")

        open_disclosure(page, "due")
        expect(page.locator(".due-line")).to_contain_text(day(after))
        due = page.get_by_role("region", name="Due date")
        expect(due).to_contain_text(f"The clock was paused for {paused} days while waiting for the requester.")
        expect(due).to_contain_text("Computed from the rule; not legal advice.")
        expect(panel).to_contain_text(f"This request's clock was paused {paused} days so far.")
        expect(panel.get_by_role("link", name=re.compile("^UK GDPR, Chapter III"))).to_have_attribute(
            "rel", "noopener noreferrer"
        )
        assert_accessible(page)
        page.screenshot(path=str(folder / "rule-panel.png"), full_page=True)

        # Filed under the wrong law after all: the date is counted again, with the pause.
        open_disclosure(page, "action-jurisdiction")
        page.get_by_label("New jurisdiction").select_option("gdpr")
        page.get_by_label("Why does another law apply?").fill("The subject lives in Dublin.")
        page.get_by_role("button", name="Change the jurisdiction").click()
        gdpr_due = deadlines.due_date("gdpr", received, paused_days=paused).due
        expect(page.get_by_role("status")).to_contain_text(f"It is due {day(gdpr_due)}")
        open_disclosure(page, "due")
        expect(page.locator(".due-line")).to_contain_text(day(gdpr_due))

    run_in_browser(steps)
    request.refresh_from_db()
    assert (request.paused_days, request.jurisdiction) == (paused, "gdpr")


def test_an_analyst_decides_a_virginia_appeal_of_a_refused_deletion(
    cast: Cast, run_in_browser: RunInBrowser, tmp_path: Path
) -> None:
    """The appeal's page pictured once decided: into DSAR_SCREENSHOTS_DIR when set, else a temporary folder."""
    device = TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    original = request_in_state(
        State.VERIFIED, request_type=RequestType.DELETION, jurisdiction="us-va", subject_name="Ada Lovelace"
    )
    services.request_reject(request=original, actor=Actor.system("tests"), reason="We must keep it.", category="exempt")
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    screenshot = Path(os.environ.get("DSAR_SCREENSHOTS_DIR") or tmp_path) / "appeal-decided.png"

    def steps(new_page: PageMaker) -> None:
        page = new_page(1280, 1400)
        # Straight to the appeal: the sign-in sends the analyst back to it.
        page.goto(f"/staff/requests/{appeal.reference}/")
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        give_code(page, device)
        expect(page.get_by_role("heading", name=re.compile(f"Request {appeal.reference}"))).to_be_visible()

        section = page.locator("section.appeal")
        expect(section.get_by_role("link", name=original.reference)).to_be_visible()
        expect(section).to_contain_text(appeal.due_at.strftime("%-d %b %Y"))
        expect(section).to_contain_text("Computed from the rule; not legal advice.")

        decide = page.locator("#action-decide_appeal")
        decide.get_by_label("The original decision stands").check()
        decide.get_by_label("Why").fill("The data is kept to defend a pending legal claim.")
        decide.get_by_label("Decide the appeal, close it and email the subject.").check()
        decide.get_by_role("button", name="Decide the appeal").click()
        expect(page.get_by_role("status")).to_contain_text("The appeal is decided and the subject is told.")
        expect(page.locator(".state-badge")).to_have_text("Completed")
        expect(page.locator("section.appeal")).to_contain_text("The original decision stands")
        page.screenshot(path=str(screenshot), full_page=True)

    run_in_browser(steps)

    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.COMPLETED, "upheld")
    assert AuditEvent.objects.filter(request=appeal, actor="staff:bob", action="appeal.decided").exists()
