"""Who may do what in the staff UI: every page and every action, for each role and for outsiders.

A fixed cast: alice is a privacy admin, bob a privacy analyst, carol an auditor, dave is
signed in with no role, and an anonymous visitor. Outsiders get a redirect to the login page
or a 403, with nothing about the request in the body, and nothing changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from requests_app.models import AuditEvent, DataSubjectRequest, State
from requests_app.staff import roles
from tests.factories import UserFactory, request_in_state

PASSWORD = "correct horse battery staple"


@dataclass
class Cast:
    alice: User
    bob: User
    carol: User
    dave: User

    def by_name(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def make_cast() -> Cast:
    """The four people, with the roles as the migration defines them (made again here, since
    a transactional test elsewhere may have emptied the tables)."""
    roles.roles_sync()

    def person(username: str, role: str | None, *, is_staff: bool = False) -> User:
        user = UserFactory.create(username=username, is_staff=is_staff, first_name=username.title())
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return Cast(
        alice=person("alice", roles.ADMIN, is_staff=True),
        bob=person("bob", roles.ANALYST),
        carol=person("carol", roles.AUDITOR),
        dave=person("dave", None),
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# Hashing four passwords with the production hasher costs a second a test; these tests are
# about permissions, not hashing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


ROLES = ["alice", "bob", "carol", "dave", "anonymous"]


def assert_nothing_shown(response: Any, request: DataSubjectRequest) -> None:
    body = response.content.decode()
    assert request.reference not in body
    assert request.subject_email not in body
    assert request.subject_name not in body


# --- Pages ----------------------------------------------------------------------------------

PAGES = [
    "/staff/",
    "/staff/requests/",
    "/staff/requests/{reference}/",
    "/staff/requests/{reference}/stores/",
    "/staff/triage/",
    "/staff/datamap/",
    "/staff/preferences/",
]
PAGE_STATUS = {"alice": 200, "bob": 200, "carol": 200, "dave": 403, "anonymous": 302}
# Pages that are nothing but personal data (the emails waiting for triage): not for auditors.
PERSONAL_PAGES = {"/staff/triage/"}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_is_shown_only_to_staff_roles(cast: Cast, who: str, page: str) -> None:
    request = request_in_state(State.VERIFIED, subject_name="Ada Lovelace")
    response = client_for(cast.by_name(who)).get(page.format(reference=request.reference))
    expected = 403 if who == "carol" and page in PERSONAL_PAGES else PAGE_STATUS[who]
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith("/staff/login/?next=")
    if expected != 200:
        assert_nothing_shown(response, request)
    if who in ("dave", "carol") and expected == 403:
        assert AuditEvent.objects.filter(action="access.refused", actor=f"staff:{who}").exists()


@pytest.mark.parametrize("page", ["/staff/requests/", "/staff/requests/{reference}/"])
def test_an_auditor_sees_what_was_done_but_not_to_whom(cast: Cast, page: str) -> None:
    request = request_in_state(State.VERIFIED, subject_name="Ada Lovelace", details="My passport number is X123")
    body = client_for(cast.carol).get(page.format(reference=request.reference)).content.decode()
    assert request.reference in body
    assert "Ada Lovelace" not in body and request.subject_email not in body and "X123" not in body
    assert not AuditEvent.objects.filter(action="personal_data.viewed").exists()


def test_an_analyst_reading_a_request_is_on_the_audit_trail(cast: Cast) -> None:
    request = request_in_state(State.VERIFIED, subject_name="Ada Lovelace")
    body = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Ada Lovelace" in body
    event = AuditEvent.objects.get(request=request, action="personal_data.viewed")
    assert (event.actor, event.data) == ("staff:bob", {"what": "request page"})


def test_an_auditor_searches_by_reference_only(cast: Cast) -> None:
    request = request_in_state(State.VERIFIED, subject_email="findme@example.org")
    carol = client_for(cast.carol)
    carol.post("/staff/requests/search/", {"q": "findme@example.org"})
    assert request.reference not in carol.get("/staff/requests/?state=any").content.decode()
    carol.post("/staff/requests/search/", {"q": request.reference})
    assert request.reference in carol.get("/staff/requests/?state=any").content.decode()


@pytest.mark.parametrize(("who", "status"), [("alice", 200), ("bob", 302), ("carol", 302), ("dave", 302)])
def test_only_a_privacy_admin_gets_into_the_admin_site(cast: Cast, who: str, status: int) -> None:
    response = client_for(cast.by_name(who)).get("/admin/")
    assert response.status_code == status


def test_the_admin_site_sends_people_to_the_staff_login() -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/admin/"


# --- Queue actions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 302), ("bob", 302), ("carol", 302), ("dave", 403), ("anonymous", 302)]
)
def test_searching_the_queue_needs_a_staff_role(cast: Cast, who: str, status: int) -> None:
    client = client_for(cast.by_name(who))
    response = client.post("/staff/requests/search/", {"q": "someone@example.org"})
    assert response.status_code == status
    stored = client.session.get("staff_queue_search")
    assert stored == ("someone@example.org" if who in ("alice", "bob", "carol") else None)


@pytest.mark.parametrize(
    ("who", "allowed"), [("alice", True), ("bob", True), ("carol", False), ("dave", False), ("anonymous", False)]
)
def test_bulk_assign_needs_the_permission_to_act(cast: Cast, who: str, allowed: bool) -> None:
    request = request_in_state(State.VERIFIED)
    response = client_for(cast.by_name(who)).post(
        "/staff/requests/assign/", {"references": [request.reference], "assignee": str(cast.bob.pk)}
    )
    request.refresh_from_db()
    assert response.status_code == (302 if who != "dave" and who != "carol" else 403)
    assert (request.assignee == cast.bob) is allowed
    if not allowed:
        assert not AuditEvent.objects.filter(request=request, action="request.assigned").exists()


# --- Actions on one request ------------------------------------------------------------------

# Each action, the state it can run from, and a valid form for it.
ACTIONS: dict[str, tuple[State, State | None, dict[str, str]]] = {
    "verify": (State.PENDING_VERIFICATION, None, {"verify-note": "Checked the passport copy", "verify-confirm": "on"}),
    "approve": (State.AWAITING_APPROVAL, None, {"approve-note": "", "approve-confirm": "on"}),
    "resume": (State.AWAITING_REQUESTER, State.VERIFIED, {"resume-note": "They answered"}),
    "complete": (State.IN_PROGRESS, None, {"complete-reason": "No data held anywhere", "complete-confirm": "on"}),
    "ask": (State.VERIFIED, None, {"ask-question": "Which account did you use?", "ask-confirm": "on"}),
    "extend": (State.VERIFIED, None, {"extend-reason": "Many systems to search", "extend-confirm": "on"}),
    "jurisdiction": (
        State.VERIFIED,
        None,
        {"jurisdiction-jurisdiction": "uk", "jurisdiction-reason": "The subject lives in the UK"},
    ),
    "assign": (State.VERIFIED, None, {"assign-assignee": "{bob}"}),
    "note": (State.VERIFIED, None, {"note-note": "Called the subject back"}),
    "reject": (
        State.VERIFIED,
        None,
        {"reject-category": "not_a_consumer", "reject-reason": "Not the account holder", "reject-confirm": "on"},
    ),
    "cancel": (State.VERIFIED, None, {"cancel-reason": "A duplicate", "cancel-confirm": "on"}),
}
ACTION_STATUS = {"alice": 302, "bob": 302, "carol": 403, "dave": 403, "anonymous": 302}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_allowed_only_to_those_who_may_act(cast: Cast, who: str, action: str) -> None:
    state, paused_from, data = ACTIONS[action]
    request = request_in_state(state, paused_from=paused_from, subject_name="Ada Lovelace")
    events_before = AuditEvent.objects.filter(request=request).count()
    form = {key: value.format(bob=cast.bob.pk) for key, value in data.items()}

    response = client_for(cast.by_name(who)).post(f"/staff/requests/{request.reference}/{action}/", form)

    assert response.status_code == ACTION_STATUS[who]
    after = DataSubjectRequest.objects.get(pk=request.pk)
    events_after = AuditEvent.objects.filter(request=request).count()
    if who in ("alice", "bob"):
        assert response["Location"] == f"/staff/requests/{request.reference}/"
        assert events_after > events_before
    else:
        if who == "anonymous":
            assert response["Location"].startswith("/staff/login/")
        assert_nothing_shown(response, request)
        assert events_after == events_before
        assert (after.state, after.assignee_id, after.due_at) == (request.state, request.assignee_id, request.due_at)


def test_the_auditor_sees_a_request_without_any_action_forms(cast: Cast) -> None:
    request = request_in_state(State.VERIFIED)
    body = client_for(cast.carol).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "You can see this request but not act on it." in body
    assert "/reject/" not in body


def test_the_analyst_may_not_be_assigned_by_an_outsider_choice(cast: Cast) -> None:
    request = request_in_state(State.VERIFIED)
    response = client_for(cast.bob).post(
        f"/staff/requests/{request.reference}/assign/", {"assign-assignee": str(cast.dave.pk)}
    )
    request.refresh_from_db()
    assert response.status_code == 400
    assert request.assignee is None


# --- The roles themselves -------------------------------------------------------------------


def test_the_roles_hold_the_permissions_they_promise(cast: Cast) -> None:
    assert cast.alice.has_perm("auth.change_user") and cast.alice.has_perm("requests_app.act_on_request")
    assert cast.bob.has_perm("requests_app.view_auditevent") and cast.bob.has_perm("requests_app.act_on_request")
    assert not cast.bob.has_perm("auth.view_user")
    assert cast.carol.has_perm("requests_app.view_emailmessage") and cast.carol.has_perm("axes.view_accessattempt")
    assert cast.bob.has_perm("requests_app.see_personal_data") and cast.alice.has_perm("requests_app.see_personal_data")
    assert not cast.carol.has_perm("requests_app.see_personal_data")
    carol_perms = cast.carol.get_all_permissions()
    assert carol_perms and all(p.split(".")[1].startswith("view_") for p in carol_perms)
    assert not cast.dave.get_all_permissions()


def test_the_latest_roles_migration_defines_the_same_roles_as_the_code(db: None) -> None:
    first = importlib.import_module("requests_app.migrations.0007_staff_roles")
    latest = importlib.import_module("requests_app.migrations.0010_personal_data_permission")
    assert latest.ROLES == roles.ROLES
    assert (first.ACT_CODENAME, first.ACT_NAME) == (roles.ACT_CODENAME, roles.ACT_NAME)
    assert (latest.PERSONAL_DATA_CODENAME, latest.PERSONAL_DATA_NAME) == (
        roles.PERSONAL_DATA_CODENAME,
        roles.PERSONAL_DATA_NAME,
    )


def test_the_migration_creates_the_groups_and_the_act_permission(db: None) -> None:
    Group.objects.filter(name__in=roles.ROLES).delete()
    Permission.objects.filter(codename=roles.ACT_CODENAME).delete()
    migration = importlib.import_module("requests_app.migrations.0007_staff_roles")
    historical = MigrationLoader(connection).project_state(("requests_app", "0007_staff_roles")).apps

    migration.create_roles(historical, None)

    analyst = Group.objects.get(name=roles.ANALYST)
    assert analyst.permissions.filter(codename=roles.ACT_CODENAME, content_type__app_label="requests_app").exists()
    assert not Group.objects.get(name=roles.AUDITOR).permissions.exclude(codename__startswith="view_").exists()
