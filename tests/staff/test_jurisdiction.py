"""The request page's rule panel, and staff changing a request's jurisdiction from it."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import dateformat, timezone

from requests_app.laws import deadlines
from requests_app.models import AuditEvent, DataSubjectRequest, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import request_extend
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

SYSTEM = Actor.system("tests")
REASON = "The subject lives in Leeds: UK GDPR applies."


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


def received_on(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 11, 0))


def change(
    client: Client, request: DataSubjectRequest, jurisdiction: str, reason: str | None = REASON, *, follow: bool = True
) -> Any:
    data = {"jurisdiction-jurisdiction": jurisdiction}
    if reason is not None:
        data["jurisdiction-reason"] = reason
    return client.post(f"/staff/requests/{request.reference}/jurisdiction/", data, follow=follow)


def unchanged(request: DataSubjectRequest) -> bool:
    stored = DataSubjectRequest.objects.get(pk=request.pk)
    changes = AuditEvent.objects.filter(request=request, action="request.jurisdiction_changed")
    return (stored.jurisdiction, stored.rule_version, stored.due_at) == (
        request.jurisdiction,
        request.rule_version,
        request.due_at,
    ) and not changes.exists()


def panel(body: str) -> str:
    start = body.index('id="rule-title"')
    return body[start : body.index("</section>", start)]


# --- Changing the jurisdiction ---------------------------------------------------------------


def test_the_form_offers_every_rule_in_force_grouped_by_region(bob: Client) -> None:
    request = request_in_state(State.VERIFIED)
    body = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    form = body[body.index('id="action-jurisdiction"') :]
    form = form[: form.index("</section>")]
    assert '<optgroup label="Europe">' in form and '<optgroup label="United States">' in form
    assert re.search(r'<option value="uk">United Kingdom', form)
    assert '<option value="default">' in form
    assert '<option value="in">' not in form  # India's law is not in force yet
    assert 'name="jurisdiction-reason"' in form


def test_a_valid_change_moves_the_due_date_and_names_it(bob: Client) -> None:
    received = date(2026, 3, 10)
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=received_on(received))

    response = change(bob, request, "us-va")

    request.refresh_from_db()
    due = deadlines.due_date("us-va", received, request_type=request.request_type).due
    assert (request.jurisdiction, request.due_at) == ("us-va", due)
    body = html.unescape(response.content.decode())
    assert f"It is due {dateformat.format(due, 'j M Y')}, counted again from the day it was received." in body
    assert "Computed from the rule; not legal advice." in body
    event = AuditEvent.objects.get(request=request, action="request.jurisdiction_changed")
    assert event.actor == "staff:bob"
    timeline = body[body.index('id="timeline-title"') :]
    assert "Jurisdiction changed" in timeline and f"us-va (version {request.rule_version}" in timeline


@pytest.mark.parametrize(
    ("jurisdiction", "reason", "message"),
    [
        ("atlantis", REASON, "Choose one of the laws in the list."),
        ("<script>alert(1)</script>", REASON, "Choose one of the laws in the list."),
        ("uk", "x" * 10_000, "Ensure this value has at most 5000 characters (it has 10000)."),
        ("uk", None, "This field is required."),
        ("uk", "   ", "This field is required."),
        ("", REASON, "Choose the law the request answers to."),
    ],
)
def test_a_hostile_post_gets_a_clear_error_and_changes_nothing(
    bob: Client, jurisdiction: str, reason: str | None, message: str
) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr")

    response = change(bob, request, jurisdiction, reason)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in html.unescape(body)
    assert "<script>alert(1)</script>" not in body
    assert unchanged(request)


def test_a_change_the_workflow_refuses_is_explained_and_changes_nothing(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", received_at=timezone.now() - timedelta(days=3))
    request_extend(request=request, actor=SYSTEM, reason="Many systems to search")
    request.refresh_from_db()

    response = change(bob, request, "lgpd")

    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "This could not be done" in body and "allows no extension" in body
    assert unchanged(request)
    refusal = AuditEvent.objects.filter(request=request, action="action.refused").last()
    assert refusal is not None and refusal.data == {"action": "jurisdiction"}


def test_a_law_not_in_force_on_the_day_of_receipt_is_refused_saying_from_when(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, received_at=received_on(date(2025, 12, 1)))
    response = change(bob, request, "us-ri")
    assert response.status_code == 409
    assert "applies to requests received on or after 2026-01-01" in response.content.decode()
    assert unchanged(request)


@pytest.mark.parametrize("who", ["carol", "dave", "anonymous"])
def test_someone_who_may_not_act_cannot_change_the_jurisdiction_or_see_the_form(cast: Cast, who: str) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="gdpr", subject_name="Ada Lovelace")
    client = client_for(cast.by_name(who))

    response = change(client, request, "uk", follow=False)

    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    else:
        assert response.status_code == 403
    assert request.reference not in response.content.decode()
    assert "Ada Lovelace" not in response.content.decode()
    assert unchanged(request)
    page = client.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "/jurisdiction/" not in page


def test_a_closed_request_offers_no_change_of_jurisdiction(bob: Client) -> None:
    request = request_in_state(State.COMPLETED)
    assert "/jurisdiction/" not in bob.get(f"/staff/requests/{request.reference}/").content.decode()


# --- The rule panel --------------------------------------------------------------------------


def test_the_rule_panel_gives_the_rule_its_citation_and_linked_sources(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="uk", received_at=received_on(date(2026, 3, 10)))
    rule = deadlines.rule_of(request)

    body = bob.get(f"/staff/requests/{request.reference}/").content.decode()

    text = html.unescape(panel(body))
    for expected in (rule.name, rule.label, rule.citation, "2026-02-05", "One month", "Free; a reasonable fee"):
        assert expected in text
    assert "While waiting for information needed to confirm" in text
    assert "the days waited are not counted (UK GDPR Art. 12A)." in text
    assert "No appeal to the business in this law" in text
    assert "No duty to confirm receipt by a date" in text
    assert "Read from the primary text." in text
    for source in rule.sources:
        assert f'<a href="{source.url}" rel="noopener noreferrer">{html.escape(source.title)}</a>' in panel(body)
    assert "This request's clock has not been paused." in text


def test_a_rule_found_only_in_a_secondary_source_says_so_plainly(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="lgpd")
    text = html.unescape(panel(bob.get(f"/staff/requests/{request.reference}/").content.decode()))
    assert "Only a secondary source was found for this rule; check it against the law before relying on it." in text


def test_every_computed_date_on_the_page_comes_with_the_disclaimer(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="uk")
    body = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    due_section = body[body.index('id="due-title"') : body.index('id="rule-title"')]
    assert re.search(
        r'class="due-line">.*?</p>\s*<p class="hint">Computed from the rule; not legal advice.</p>', due_section, re.S
    )


def test_the_rule_panel_shows_the_clocks_pauses_so_far_and_the_wait_now(bob: Client) -> None:
    request = request_in_state(State.VERIFIED, jurisdiction="uk", received_at=timezone.now() - timedelta(days=15))
    services.request_ask_requester(request=request, actor=SYSTEM, question="Which account?")
    since = timezone.now() - timedelta(days=4)
    DataSubjectRequest.objects.filter(pk=request.pk).update(paused_days=3, paused_at=since)

    text = html.unescape(panel(bob.get(f"/staff/requests/{request.reference}/").content.decode()))

    assert "This request's clock was paused 3 days so far." in text
    assert (
        f"Waiting for the requester since {dateformat.format(timezone.localdate(since), 'j M Y')} (4 days so far): "
        "the clock is stopped, and the due date moves when the request resumes."
    ) in text
