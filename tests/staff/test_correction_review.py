"""Reviewing a correction with its data: the current values read from the real estate, the
read on the record, and accept / edit / refuse producing the changes fulfilment applies."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from django.contrib.auth.models import Permission
from django.test import Client

from demo import DEMO_DATAMAP_PATH
from demo.seed import SPECIAL_EMAILS, seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.fulfilment.results import correction_outcomes, review_refusals
from requests_app.models import ApiScope, AuditEvent, DataSubjectRequest, RequestType, State
from requests_app.workflow.audit import Actor, audit_open
from tests.api.helpers import ApiClient, key_with
from tests.factories import UserFactory, request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

if TYPE_CHECKING:
    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

EMAIL = SPECIAL_EMAILS[0]
SETUP = Actor.system("tests")
OLD = {"name": "Ada Old", "phone": "+1 555 0000", "organisation": "Old Org Ltd"}


def demo_document() -> dict[str, Any]:
    return copy.deepcopy(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)))


def with_session_agent_correctable(document: dict[str, Any]) -> dict[str, Any]:
    """The demo map, with the Redis sessions' user agent marked correctable."""
    sessions = next(s for s in document["systems"] if s["name"] == "sessions")
    field = next(f for f in sessions["datasets"][0]["fields"] if f["name"] == "user_agent")
    field["correctable"] = True
    return document


@pytest.fixture
def estate_seeded(estate: Estate, settings: Any) -> Estate:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    seed_estate(estate.sql_url, estate.redis_url, subjects=4, rows_per_subject=2, auth_db=estate.auth_db, reset=True)
    engine = sa.create_engine(estate.sql_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET name = :name, phone = :phone, organisation = :organisation WHERE email = :e"),
            {**OLD, "e": EMAIL},
        )
    engine.dispose()
    datamap_import(with_session_agent_correctable(demo_document()), actor=SETUP)
    return estate


@pytest.fixture
def cast(estate_seeded: Estate) -> Cast:
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


@pytest.fixture
def correction(estate_seeded: Estate) -> DataSubjectRequest:
    return request_in_state(
        State.AWAITING_APPROVAL,
        request_type=RequestType.CORRECTION,
        subject_email=EMAIL,
        details="My phone number is now +44 20 7946 0001 and my name is Ada New.",
    )


def show_values(client: Client, request: DataSubjectRequest, **posted: str) -> Any:
    return client.post(f"/staff/requests/{request.reference}/correction-values/", posted)


def approve(client: Client, request: DataSubjectRequest, **rows: str) -> Any:
    data = {"approve-confirm": "on", "approve-note": "", "approve-corrections": ""}
    data.update({key if key.startswith("approve-") else f"approve-fix-{key}": value for key, value in rows.items()})
    return client.post(f"/staff/requests/{request.reference}/approve/", data)


def store_row(estate: Estate) -> dict[str, Any]:
    engine = sa.create_engine(estate.sql_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT name, phone, organisation FROM users WHERE email = :e"), {"e": EMAIL})
        result = dict(row.mappings().one())
    engine.dispose()
    return result


def row_html(body: str, path: str) -> str:
    """The review row of one field: from its fieldset to the end of its last input."""
    start = body.rindex('<fieldset class="review-row', 0, body.index(f'name="approve-fix-{path}-asked"'))
    return body[start : body.index("</textarea>", body.index(f'name="approve-fix-{path}-reason"'))]


# --- The rows and the current values ------------------------------------------------------


def test_the_approval_form_lists_every_correctable_field_before_any_value_is_read(
    bob: Client, correction: DataSubjectRequest
) -> None:
    body = bob.get(f"/staff/requests/{correction.reference}/").content.decode()
    for path in ("accounts.users.name", "accounts.users.phone", "accounts.users.email", "sessions.sessions.user_agent"):
        assert f'name="approve-fix-{path}-decision"' in body
    # Not correctable in the map: no row.
    assert "approve-fix-accounts.users.id-" not in body
    assert "Show current values" in body
    assert OLD["phone"] not in body
    assert not AuditEvent.objects.filter(request=correction, data__what__startswith="current values").exists()


def test_showing_the_current_values_reads_this_subjects_records_from_the_stores(
    bob: Client, correction: DataSubjectRequest
) -> None:
    response = show_values(bob, correction)
    assert response.status_code == 200
    body = response.content.decode()
    assert OLD["phone"] in row_html(body, "accounts.users.phone")
    assert OLD["name"] in row_html(body, "accounts.users.name")
    assert EMAIL.replace("'", "&#x27;") in row_html(body, "accounts.users.email")
    # The Redis sessions are found by the user id the accounts store resolves: their agents show.
    agents = re.findall(r'<span class="review-value">([^<]+)</span>', row_html(body, "sessions.sessions.user_agent"))
    assert agents
    # Never kept for later: the page is not cached and the session holds no value.
    assert "no-store" in response["Cache-Control"]
    assert OLD["phone"] not in str(dict(bob.session.items()))


def test_the_read_is_on_the_audit_trail_with_the_fields_but_not_the_values(
    bob: Client, correction: DataSubjectRequest
) -> None:
    show_values(bob, correction)
    event = AuditEvent.objects.get(request=correction, action="personal_data.viewed", data__systems__isnull=False)
    assert event.actor == "staff:bob"
    assert event.data["systems"] == ["accounts", "sessions"]
    assert "accounts.users.phone" in event.data["fields"]
    assert "sessions.sessions.user_agent" in event.data["fields"]
    assert OLD["phone"] not in str(event.data) + audit_open(event).reason + str(audit_open(event).personal)


def test_what_was_typed_in_the_form_comes_back_with_the_values(bob: Client, correction: DataSubjectRequest) -> None:
    body = show_values(
        bob,
        correction,
        **{
            "approve-fix-accounts.users.phone-decision": "edit",
            "approve-fix-accounts.users.phone-edited": "+44 20 7946 0001",
            "approve-note": "Checked by phone",
        },
    ).content.decode()
    row = row_html(body, "accounts.users.phone")
    assert 'value="+44 20 7946 0001"' in row
    assert re.search(r'value="edit"\s+checked', row)
    assert "Checked by phone" in body
    # Shown, not submitted: no error yet, and the request still waits.
    assert "Check the fields below" not in body
    correction.refresh_from_db()
    assert correction.state == State.AWAITING_APPROVAL


def test_a_store_that_is_down_says_so_and_the_others_still_show(
    bob: Client, correction: DataSubjectRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = with_session_agent_correctable(demo_document())
    down = copy.deepcopy(next(s for s in document["systems"] if s["name"] == "accounts"))
    down["name"] = "crm"
    down["description"] = "A CRM whose database is down."
    down["connection"] = {"url_env": "DSAR_TEST_DOWN_SQL_URL", "connect_timeout": 2}
    down["identifiers"] = {"searched_by": ["email"], "provides": {}}
    document["systems"].append(down)
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    monkeypatch.setenv("DSAR_TEST_DOWN_SQL_URL", "postgresql://dsar:x@127.0.0.1:1/crm")
    datamap_import(document, actor=SETUP)

    body = show_values(bob, correction).content.decode()

    assert re.search(r"<strong>crm</strong>: Could not be read now: database error", body)
    assert "not read (see above)" in row_html(body, "crm.users.phone")
    assert OLD["phone"] in row_html(body, "accounts.users.phone")
    event = AuditEvent.objects.get(request=correction, data__not_read__isnull=False)
    assert event.data["not_read"] == ["crm"]
    assert "crm.users.phone" not in event.data["fields"]


def test_a_manual_or_processor_store_says_its_values_cannot_be_read_here(
    bob: Client, correction: DataSubjectRequest
) -> None:
    document = demo_document()
    for system in document["systems"]:
        if system["name"] in ("auth_provider", "web_analytics"):
            system["datasets"][0]["fields"][0]["correctable"] = True
    datamap_import(document, actor=SETUP)
    body = show_values(bob, correction).content.decode()
    assert re.search(r"<strong>auth_provider</strong>: Cannot be read here: the processor", body)
    # The analytics store is searched by the cookie id the Redis store provides; this subject has cookies.
    assert re.search(r"<strong>web_analytics</strong>: (Cannot be read here|Not searched)", body)
    assert OLD["phone"] in row_html(body, "accounts.users.phone")


# --- Who may read ------------------------------------------------------------------------


def test_staff_without_the_personal_data_permission_cannot_read_the_values(
    cast: Cast, correction: DataSubjectRequest
) -> None:
    actor = UserFactory.create(username="erin")
    actor.user_permissions.add(*Permission.objects.filter(codename__in=["view_datasubjectrequest", "act_on_request"]))
    client = client_for(actor)
    page = client.get(f"/staff/requests/{correction.reference}/").content.decode()
    assert "Show current values" not in page
    assert "shown only to staff who may see personal data" in page

    response = show_values(client, correction)
    assert response.status_code == 403
    assert OLD["phone"] not in response.content.decode()
    assert AuditEvent.objects.filter(action="access.refused", actor="staff:erin").exists()
    # The auditor may not act at all; an outsider is sent to sign in.
    assert show_values(client_for(cast.carol), correction).status_code == 403
    assert show_values(Client(), correction).status_code == 302
    assert not AuditEvent.objects.filter(action="personal_data.viewed", data__systems__isnull=False).exists()


def test_the_values_are_not_read_for_a_request_that_is_not_a_correction_waiting_for_approval(
    bob: Client, estate_seeded: Estate
) -> None:
    access = request_in_state(State.AWAITING_APPROVAL, request_type=RequestType.ACCESS, subject_email=EMAIL)
    response = show_values(bob, access)
    assert response.status_code == 409
    assert "for a correction request only" in response.content.decode()
    done = request_in_state(State.COMPLETED, request_type=RequestType.CORRECTION, subject_email=EMAIL)
    assert show_values(bob, done).status_code == 409
    assert not AuditEvent.objects.filter(action="personal_data.viewed", data__systems__isnull=False).exists()


# --- Accept, edit, refuse ----------------------------------------------------------------


def test_accept_edit_and_refuse_give_the_changes_and_the_refusal_its_reason(
    bob: Client, correction: DataSubjectRequest
) -> None:
    response = approve(
        bob,
        correction,
        **{
            "accounts.users.name-asked": "Ada New",
            "accounts.users.name-decision": "accept",
            "accounts.users.phone-asked": "+44 20 7946 0001",
            "accounts.users.phone-decision": "edit",
            "accounts.users.phone-edited": "+44 20 7946 0001 (mobile)",
            "accounts.users.organisation-asked": "Acme",
            "accounts.users.organisation-decision": "refuse",
            "accounts.users.organisation-reason": "Our records show you left Acme in 2024.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    correction.refresh_from_db()
    assert correction.state == State.IN_PROGRESS
    # Exactly the structure the text box gives, so fulfilment applies it unchanged.
    assert correction.corrections == {"accounts": {"users": {"name": "Ada New", "phone": "+44 20 7946 0001 (mobile)"}}}
    refused = review_refusals(correction)
    assert [(o.system, o.dataset, o.refused) for o in refused] == [
        (
            "accounts",
            "users",
            (("organisation", "Our records show you left Acme in 2024."),),
        )
    ]
    assert all(o.refused_at_review for o in refused)
    event = AuditEvent.objects.get(request=correction, action="request.corrections_refused")
    assert event.data == {"fields": ["accounts.users.organisation"]}
    assert "left Acme" not in str(event.data)


def test_the_refused_reason_reaches_the_correction_report(bob: Client, correction: DataSubjectRequest) -> None:
    approve(
        bob,
        correction,
        **{
            "accounts.users.name-asked": "Ada New",
            "accounts.users.name-decision": "accept",
            "accounts.users.organisation-decision": "refuse",
            "accounts.users.organisation-reason": "Kept as your employer registered it.",
        },
    )
    correction.refresh_from_db()
    outcomes = correction_outcomes(correction, load_datamap_file(DEMO_DATAMAP_PATH), [])
    assert ("organisation", "Kept as your employer registered it.") in [r for o in outcomes for r in o.refused]


def test_the_text_box_still_works_and_joins_the_rows(bob: Client, correction: DataSubjectRequest) -> None:
    response = approve(
        bob,
        correction,
        **{
            "accounts.users.name-asked": "Ada New",
            "accounts.users.name-decision": "accept",
            "approve-corrections": "accounts.users.mailing_address = 1 New Street",
        },
    )
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.corrections == {"accounts": {"users": {"name": "Ada New", "mailing_address": "1 New Street"}}}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"accounts.users.id-decision": "accept", "accounts.users.id-asked": "1"}, "accounts.users.id is not a field"),
        ({"billing.invoices.amount-decision": "edit"}, "billing.invoices.amount is not a field"),
        ({"nowhere.x.y-decision": "accept"}, "nowhere.x.y is not a field"),
        ({"approve-corrections": "nowhere.users.phone = 1"}, "nowhere.users.phone (not in the data map)"),
        ({"approve-corrections": "accounts.users.id = 9"}, "accounts.users.id (not correctable)"),
        ({"accounts.users.phone-decision": "edit", "accounts.users.phone-edited": "9" * 1001}, "at most 1000"),
        ({"accounts.users.phone-decision": "accept", "accounts.users.phone-asked": "+1\x00555"}, "U+0000"),
        ({"accounts.users.name-decision": "edit", "accounts.users.name-edited": "Ada\u202eweN"}, "U+202E"),
        ({"approve-corrections": "accounts.users.phone = +1\x1b[2J"}, "U+001B"),
        ({"accounts.users.phone-decision": "refuse"}, "say why the change is refused"),
        ({"accounts.users.phone-decision": "accept"}, "write the value the requester asked for"),
        ({"accounts.users.phone-decision": "edit"}, "write the new value"),
        ({"accounts.users.phone-decision": "maybe"}, "choose accept, edit or refuse"),
        ({"accounts.users.phone-edited": "+1 555"}, "choose accept, edit or refuse for what you typed"),
        (
            {"accounts.users.phone-decision": "refuse", "accounts.users.phone-reason": "No"},
            "Say which changes are approved",
        ),
        (
            {
                "accounts.users.phone-decision": "refuse",
                "accounts.users.phone-reason": "No",
                "approve-corrections": "accounts.users.phone = 1",
            },
            "refused in its row and changed as text",
        ),
    ],
)
def test_a_hostile_or_incomplete_review_is_refused_clearly_and_loses_nothing(
    bob: Client, correction: DataSubjectRequest, rows: dict[str, str], message: str
) -> None:
    typed = {"accounts.users.organisation-asked": "Acme typed"}
    response = approve(bob, correction, **typed, **rows)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body.replace("&#x27;", "'")
    # What was typed is still in the form.
    assert 'value="Acme typed"' in row_html(body, "accounts.users.organisation")
    correction.refresh_from_db()
    assert correction.state == State.AWAITING_APPROVAL
    assert correction.corrections == {}
    assert not AuditEvent.objects.filter(request=correction, action__startswith="request.corrections").exists()


def test_the_api_approves_a_correction_as_before(estate_seeded: Estate, correction: DataSubjectRequest) -> None:
    _, raw = key_with(ApiScope.REQUESTS_ACT, ApiScope.REQUESTS_READ)
    response = ApiClient(raw).post(
        f"/api/v1/requests/{correction.reference}/approve/",
        {"corrections": {"accounts": {"users": {"phone": "+1 555 0199"}}}},
    )
    assert response.status_code == 200, response.content
    correction.refresh_from_db()
    assert correction.corrections == {"accounts": {"users": {"phone": "+1 555 0199"}}}
