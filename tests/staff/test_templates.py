"""Editable templates for rejections, replies and requests for information, per language: a
Privacy admin edits them, placeholders are checked on save and filled in safely, and the
request page offers each in the request's language, else in English."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import dateformat
from hypothesis import given
from hypothesis import strategies as st

from requests_app.errors import GuardFailed
from requests_app.models import AuditEvent, DataSubjectRequest, MessageTemplate, State
from requests_app.staff import reason_templates as templates
from requests_app.staff import views
from requests_app.workflow.audit import Actor
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, ROLES, Cast, client_for, make_cast

if TYPE_CHECKING:
    from django.test import Client

EDIT = "/staff/templates/rejection/identity/de/"


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DSAR_COMPANY_NAME = "Example Shop"
    return make_cast()


@pytest.fixture
def alice(cast: Cast) -> Client:
    return client_for(cast.alice)


def save(client: Client, url: str, text: str, title: str = "Identität nicht bestätigt", **extra: str) -> Any:
    return client.post(url, {"title": title, "text": text, "category": "not_verified", **extra})


PAGE_STATUS = {"alice": 200, "bob": 403, "carol": 403, "dave": 403, "anonymous": 302}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["/staff/templates/", EDIT])
def test_only_a_privacy_admin_sees_the_template_pages(cast: Cast, who: str, page: str) -> None:
    assert client_for(cast.by_name(who)).get(page).status_code == PAGE_STATUS[who]


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "anonymous"])
def test_nobody_else_changes_a_template(cast: Cast, who: str) -> None:
    response = save(client_for(cast.by_name(who)), EDIT, "Wir konnten nicht bestätigen.")
    assert response.status_code == (302 if who == "anonymous" else 403)
    assert not MessageTemplate.objects.filter(language="de").exists()


def test_the_navigation_links_the_templates_for_admins_only(cast: Cast) -> None:
    assert 'href="/staff/templates/"' in client_for(cast.alice).get("/staff/").content.decode()
    assert 'href="/staff/templates/"' not in client_for(cast.bob).get("/staff/").content.decode()


def test_the_list_shows_each_kind_and_the_edit_page_starts_from_english(alice: Client) -> None:
    body = alice.get("/staff/templates/").content.decode()
    for title in ["Identity could not be confirmed", "We are working on it", "Which account the request concerns"]:
        assert title in body
    assert f'href="{EDIT}"' in body
    page = alice.get(EDIT).content.decode()
    assert "Not written in Deutsch yet" in page
    assert "We could not confirm that this request comes from the person" in page


def test_an_admin_writes_a_template_in_german_and_it_is_audited(cast: Cast, alice: Client) -> None:
    text = "Wir konnten nicht bestätigen, dass die Anfrage {reference} von Ihnen kommt. {{Hinweis}}"
    response = save(alice, EDIT, text)
    assert response["Location"] == "/staff/templates/"
    stored = MessageTemplate.objects.get(kind="rejection", key="identity", language="de")
    assert stored.text == text
    assert stored.category == "not_verified"
    assert stored.updated_by == cast.alice
    event = AuditEvent.objects.filter(action="template.saved").get()
    assert event.actor == "staff:alice"
    assert event.data["language"] == "de"
    assert event.data["text"] == text
    assert event.data["new"] is True


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Your request {refrence} is refused.", "Unknown placeholder “{refrence}”"),
        ("Look: {reference.__class__.__init__.__globals__}", "Unknown placeholder “{reference.__class__"),
        ("Due {due_date:%Y}", "Unknown placeholder “{due_date:%Y}”"),
        ("Hello {subject_name!r}", "Unknown placeholder “{subject_name!r}”"),
        ("Hello {0}", "Unknown placeholder “{0}”"),
        ("Hello {}", "Unknown placeholder “{}”"),
        ("Your request {reference is refused.", "A lone “{” at character 14"),
        ("Your request reference} is refused.", "A lone “}” at character 23"),
    ],
)
def test_an_unknown_placeholder_or_broken_brace_is_a_form_error_naming_it(alice: Client, text: str, named: str) -> None:
    response = save(alice, EDIT, text)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert named in body
    assert not MessageTemplate.objects.filter(language="de").exists()
    assert not AuditEvent.objects.filter(action="template.saved").exists()


def test_a_placeholder_in_the_title_is_checked_too(alice: Client) -> None:
    response = save(alice, EDIT, "Fine text", title="Title {oops")
    assert response.status_code == 400
    assert "A lone “{”" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/staff/templates/other/identity/de/",
        "/staff/templates/rejection/identity/it/",
        "/staff/templates/rejection/nothing/en/",
    ],
)
def test_a_template_that_cannot_exist_is_not_found(alice: Client, url: str) -> None:
    assert alice.get(url).status_code == 404
    assert save(alice, url, "Text").status_code == 404


def test_the_service_refuses_what_the_form_would(cast: Cast) -> None:
    actor = Actor.staff(cast.alice)
    with pytest.raises(GuardFailed, match="Unknown placeholder"):
        templates.template_save(
            kind="reply", key="in_progress", language="en", title="T", text="{company.name}", category="", actor=actor
        )
    with pytest.raises(GuardFailed, match="not it"):
        templates.template_save(
            kind="reply", key="in_progress", language="it", title="T", text="Ciao", category="", actor=actor
        )


# --- Filling in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("Request {reference} by {due_date}", "Request DSR-1 by 5 May 2027"),
        ("{{reference}} is literal", "{reference} is literal"),
        ("{unknown} and {reference.x} stay", "{unknown} and {reference.x} stay"),
        ("a lone { and } stay", "a lone { and } stay"),
        ("{subject_name}", "{0} {reference}"),
    ],
)
def test_filling_in_replaces_only_known_names_and_never_fails(text: str, filled: str) -> None:
    values = {"reference": "DSR-1", "due_date": "5 May 2027", "subject_name": "{0} {reference}", "company": "X"}
    assert templates.placeholders_fill(text, values) == filled


@given(st.lists(st.sampled_from([*"{}ab_.:!0 ", "{reference}", "{due_date}"]), max_size=30).map("".join))
def test_filling_in_any_text_returns_text_and_a_text_without_problems_keeps_its_words(text: str) -> None:
    filled = templates.placeholders_fill(text, {"reference": "R", "due_date": "D", "company": "C", "subject_name": "S"})
    assert isinstance(filled, str)
    if not templates.placeholder_problems(text):
        assert "{reference}" not in filled.replace("{{", "")
    assert isinstance(templates.placeholder_problems(text), list)


# --- On the request page ---------------------------------------------------------------------


def test_the_reject_picker_offers_the_stored_english_text_with_placeholders_filled(cast: Cast, alice: Client) -> None:
    save(alice, "/staff/templates/rejection/no_data/en/", "We hold nothing about you for {reference}.", title="None")
    request = request_in_state(State.VERIFIED)
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/?reason_template=no_data").content.decode()
    reject_form = body[body.index('id="action-reject"') :]
    assert f"We hold nothing about you for {request.reference}." in reject_form


def test_the_reply_and_ask_pickers_fill_their_forms(cast: Cast) -> None:
    request = request_in_state(State.IN_PROGRESS)
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=request.received_at)
    bob = client_for(cast.bob)
    due = dateformat.format(request.due_at, "j F Y")
    reply = bob.get(f"/staff/requests/{request.reference}/?reply_template=in_progress").content.decode()
    reply_form = reply[reply.index('id="action-reply"') :]
    assert 'name="reply_template"' in reply_form
    assert f"We are working on your request {request.reference} and will answer by {due}." in reply_form
    ask = bob.get(f"/staff/requests/{request.reference}/?ask_template=which_account").content.decode()
    ask_form = ask[ask.index('id="action-ask"') :]
    assert "customer number you use with Example Shop." in ask_form


def test_an_unknown_template_key_on_the_request_page_leaves_the_form_empty(cast: Cast) -> None:
    request = request_in_state(State.VERIFIED)
    response = client_for(cast.bob).get(f"/staff/requests/{request.reference}/?reason_template=%7Breference%7D")
    assert response.status_code == 200


def test_a_template_is_offered_in_the_requests_language_else_in_english(cast: Cast, alice: Client) -> None:
    save(alice, EDIT, "Wir konnten Ihre Identität für {reference} nicht bestätigen.")
    german = templates.template_find("rejection", "identity", "de")
    assert german is not None
    assert german.text.startswith("Wir konnten")
    # Not written in French: the English one.
    french = templates.template_find("rejection", "identity", "fr")
    assert french is not None
    assert french.language == "en"
    assert french.text.startswith("We could not confirm")
    # Every template is offered in German, the German one where there is one.
    offered = {t.key: t.language for t in templates.templates_of_kind("rejection", "de")}
    assert offered["identity"] == "de"
    assert offered["no_data"] == "en"


def test_the_language_of_a_request_chooses_its_templates(db: None) -> None:
    request = DataSubjectRequest(reference="DSR-X")
    assert views._request_language(request) == "en"
    request.language = "de"
    assert views._request_language(request) == "de"
    request.language = "xx"
    assert views._request_language(request) == "en"


def test_the_migration_seeds_the_english_templates_the_code_starts_from() -> None:
    migration = importlib.import_module("requests_app.migrations.0023_staff_admin_templates")
    seeded = {(kind, key): (title, text, category) for kind, key, title, text, category in migration.TEMPLATES}
    in_code = {(t.kind, t.key): (t.title, t.text, t.category) for kind in templates.DEFAULTS.values() for t in kind}
    assert seeded == in_code
    assert all(not templates.placeholder_problems(text) for _, text, _ in seeded.values())
