"""Every URL of the application, for everyone who might call it: who gets what.

The cast: an anonymous visitor; a requester holding the status link of *another* request
(theirs, trying someone else's result); dave, signed in with no role; carol the auditor; bob
the analyst; alice the privacy admin. A URL the table does not list fails the first test, so a
new page cannot ship without saying who may see it. IDs that are not yours answer 404, and
nothing changes for anyone who may not act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from requests_app.models import AuditEvent, DataSubjectRequest, State, StoreTask
from requests_app.verification.challenges import status_token
from tests.factories import request_in_state, stored_bundle
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "requester", "dave", "carol", "bob", "alice")
LOGIN = "login"  # a redirect to the staff sign-in page


@dataclass
class World:
    cast: Cast
    mine: DataSubjectRequest  # the requester's own request
    theirs: DataSubjectRequest  # someone else's, with a result and a failed store
    task: StoreTask
    bundle: Any

    def client(self, actor: str) -> Client:
        if actor in ("anonymous", "requester"):
            return Client()
        return client_for(self.cast.by_name(actor))


Path = Callable[[World], str]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Path
    expected: dict[str, int | str]
    data: dict[str, str] | None = None


def everyone(status: int) -> dict[str, int | str]:
    return dict.fromkeys(ACTORS, status)


def staff_page(*, auditor: int = 200, analyst: int = 200) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "requester": LOGIN, "dave": 403, "carol": auditor, "bob": analyst, "alice": analyst}


def staff_action(ok: int = 302) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "requester": LOGIN, "dave": 403, "carol": 403, "bob": ok, "alice": ok}


def admin_only(ok: int = 200) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "requester": LOGIN, "dave": 403, "carol": 403, "bob": 403, "alice": ok}


SIGNED_IN = ("dave", "carol", "bob", "alice")
# The sign-in pages: open to anyone signed out; for the signed in, wherever their state leads.
SIGNED_OUT: dict[str, int | str] = {"anonymous": LOGIN, "requester": LOGIN}
SIGN_IN_STEP: dict[str, int | str] = SIGNED_OUT | dict.fromkeys(SIGNED_IN, "any")


def api_read() -> dict[str, int | str]:
    """An API read with a staff session: no session is 401 (the API never redirects)."""
    return {"anonymous": 401, "requester": 401, "dave": 403, "carol": 200, "bob": 200, "alice": 200}


def api_act(ok: int) -> dict[str, int | str]:
    return {"anonymous": 401, "requester": 401, "dave": 403, "carol": 403, "bob": ok, "alice": ok}


def api_admin(ok: int) -> dict[str, int | str]:
    return {"anonymous": 401, "requester": 401, "dave": 403, "carol": 403, "bob": 403, "alice": ok}


def _api(world: World) -> str:
    return f"/api/v1/requests/{world.theirs.reference}/"


# The API's workflow verbs, posted as a form: the caller's right is checked first, then the
# body, which must be JSON (415).
API_ACTION_NAMES = ("verify", "request_information", "approve", "reject", "extend", "assign", "cancel", "decide_appeal")


def _api_action(name: str) -> Path:
    return lambda world: f"{_api(world)}{name.replace('_', '-')}/"


def theirs_with_my_token(world: World) -> str:
    return f"/request/status/{status_token(world.mine)}/download/{world.bundle.pk}/"


def _mine(world: World) -> str:
    return f"/staff/requests/{world.mine.reference}/"


def _theirs(world: World) -> str:
    return f"/staff/requests/{world.theirs.reference}/"


CASES = [
    Case("healthz", "get", lambda w: "/healthz", everyone(200)),
    Case("gpc_json", "get", lambda w: "/.well-known/gpc.json", everyone(200)),
    Case("request_form", "get", lambda w: "/request/", everyone(200)),
    Case("request_sent", "get", lambda w: "/request/sent/", everyone(200)),
    Case("verify_code", "get", lambda w: "/request/verify/", everyone(200)),
    Case("verify_resend", "get", lambda w: "/request/verify/resend/", everyone(200)),
    Case("verify_link", "get", lambda w: "/request/verify/forged-token/", everyone(404)),
    Case("verify_renew", "post", lambda w: "/request/verify/forged-token/renew/", everyone(404)),
    Case("request_status", "get", lambda w: f"/request/status/{status_token(w.mine)}x/", everyone(404)),
    # Another request's result, asked for with my own genuine link: not found, for anyone.
    Case("bundle_download", "get", theirs_with_my_token, everyone(404)),
    Case("bundle_public_key", "get", lambda w: "/.well-known/dsar-bundle-signing-key.pem", everyone(200)),
    Case("inbound_email", "post", lambda w: "/inbound/email/", everyone(404)),  # not configured here
    Case("staff_login", "get", lambda w: "/staff/login/", everyone(200) | dict.fromkeys(SIGNED_IN, 302)),
    Case("staff_otp_verify", "get", lambda w: "/staff/login/verify/", SIGN_IN_STEP),
    Case("staff_otp_setup", "get", lambda w: "/staff/login/two-factor/", SIGN_IN_STEP),
    Case("staff_logout", "post", lambda w: "/staff/logout/", everyone(302)),
    Case("staff_dashboard", "get", lambda w: "/staff/", staff_page()),
    Case("staff_my_work", "get", lambda w: "/staff/my-work/", staff_page()),
    Case("staff_queue", "get", lambda w: "/staff/requests/", staff_page()),
    Case("staff_queue_search", "post", lambda w: "/staff/requests/search/", staff_page(auditor=302, analyst=302),
         {"q": "DSR"}),
    Case("staff_bulk_assign", "post", lambda w: "/staff/requests/assign/", staff_action(),
         {"references": "x", "assignee": ""}),
    Case("staff_triage", "get", lambda w: "/staff/triage/", staff_page(auditor=403)),
    Case("staff_triage_detail", "get", lambda w: "/staff/triage/999999/", staff_page(auditor=403, analyst=404)),
    Case("staff_triage_act", "post", lambda w: "/staff/triage/999999/dismiss/", staff_action(ok=404)),
    Case("staff_datamap", "get", lambda w: "/staff/datamap/", staff_page()),
    Case("staff_preferences", "get", lambda w: "/staff/preferences/", staff_page()),
    Case("staff_metrics", "get", lambda w: "/staff/metrics/", staff_page()),
    Case("staff_metrics_download", "get", lambda w: "/staff/metrics/2025/metrics.csv", staff_page()),
    Case("staff_register", "get", lambda w: "/staff/metrics/2025/register.csv", staff_page()),
    # Subjects' names and addresses: not for the auditor.
    Case("staff_register_with_subjects", "post", lambda w: "/staff/metrics/2025/register-with-subjects.csv",
         staff_page(auditor=403)),
    Case("staff_processing_record", "get", lambda w: "/staff/metrics/processing-record.csv", staff_page()),
    Case("staff_request", "get", lambda w: f"/staff/requests/{w.theirs.reference}/", staff_page()),
    Case("staff_request_stores", "get", lambda w: f"/staff/requests/{w.theirs.reference}/stores/", staff_page()),
    # A store task of another request, through this one's address: not found.
    Case("staff_store_task_retry", "post", lambda w: f"{_mine(w)}stores/{w.task.pk}/retry/", staff_action(ok=404)),
    Case("staff_store_task_resolve", "post", lambda w: f"{_mine(w)}stores/{w.task.pk}/outcome/", staff_action(ok=404),
         {"outcome": "no_data", "note": "x"}),
    Case("staff_store_task_complete", "post", lambda w: f"{_mine(w)}stores/{w.task.pk}/complete/",
         staff_action(ok=404), {"note": "x"}),
    Case("staff_bundle_download", "get", lambda w: f"{_theirs(w)}bundles/{w.bundle.pk}/", staff_page(auditor=403)),
    # Entering a request by hand is acting: not for the auditor. An empty form: 400, nothing made.
    Case("staff_request_new", "get", lambda w: "/staff/requests/new/", staff_page(auditor=403)),
    Case("staff_request_new", "post", lambda w: "/staff/requests/new/", staff_action(ok=400), {"subject_email": "x"}),
    # A file that came with a request is the subject's personal data: not for the auditor.
    Case("staff_request_attachment", "get", lambda w: f"{_theirs(w)}attachments/999999/",
         staff_page(auditor=403, analyst=404)),
    # A message's files and an agent's authorisation, and saying a message was read: the same.
    Case("staff_message_read", "post", lambda w: f"{_theirs(w)}messages/999999/read/", staff_action(ok=404)),
    Case("staff_email_attachment", "get", lambda w: f"{_theirs(w)}messages/999999/attachments/999999/",
         staff_page(auditor=403, analyst=404)),
    Case("staff_agent_authorisation", "get", lambda w: f"{_theirs(w)}agent-authorisation/",
         staff_page(auditor=403, analyst=404)),
    Case("staff_request_action", "post", lambda w: f"{_theirs(w)}note/", staff_action(), {"note-note": "Checked"}),
    # Reading a correction's current values from the stores: personal data, for those who act.
    # A request that is no correction: refused (409, as an action the workflow refuses), nothing read.
    Case("staff_correction_values", "post", lambda w: f"{_theirs(w)}correction-values/", staff_action(ok=409)),
    # Single sign-on is off here: both addresses send everyone to the password sign-in.
    Case("staff_oidc_start", "get", lambda w: "/staff/login/sso/", everyone(302)),
    Case("staff_oidc_callback", "get", lambda w: "/staff/login/sso/callback/", everyone(302)),
    # The team and the templates: the Privacy admin's alone. No such person or action: 404.
    Case("staff_people", "get", lambda w: "/staff/people/", admin_only()),
    Case("staff_person_invite", "get", lambda w: "/staff/people/invite/", admin_only()),
    Case("staff_person", "get", lambda w: f"/staff/people/{w.cast.dave.pk}/", admin_only()),
    Case("staff_person_action", "post", lambda w: f"/staff/people/{w.cast.dave.pk}/no-such-action/", admin_only(404)),
    # An invitation link is its own proof; a forged one is refused for anyone.
    Case("staff_invitation_accept", "get", lambda w: "/staff/invitation/forged-token/", everyone(404)),
    Case("staff_templates", "get", lambda w: "/staff/templates/", admin_only()),
    Case("staff_template_edit", "get", lambda w: "/staff/templates/rejection/identity/de/", admin_only()),
    Case("staff_api_keys", "get", lambda w: "/staff/api-keys/", admin_only()),
    Case("staff_api_key_revoke", "post", lambda w: "/staff/api-keys/nokey/revoke/", admin_only(ok=404)),
    # The API's description is public; the API itself wants a key or a staff session.
    Case("api_schema", "get", lambda w: "/api/schema/", everyone(200)),
    Case("api_docs", "get", lambda w: "/api/docs/", everyone(200)),
    Case("api_redoc", "get", lambda w: "/api/redoc/", everyone(200)),
    Case("api_requests", "get", lambda w: "/api/v1/requests/", api_read()),
    Case("api_requests", "post", lambda w: "/api/v1/requests/", api_act(ok=415), {"type": "access"}),
    Case("api_request", "get", _api, api_read()),
    Case("api_request_timeline", "get", lambda w: f"{_api(w)}timeline/", api_read()),
    Case("api_store_tasks", "get", lambda w: f"{_api(w)}store-tasks/", api_read()),
    Case("api_store_task_retry", "post", lambda w: f"{_api(w)}store-tasks/{w.task.pk}/retry/", api_act(ok=200)),
    Case("api_store_task_resolve", "post", lambda w: f"{_api(w)}store-tasks/{w.task.pk}/resolve/", api_act(ok=415),
         {"outcome": "no_data"}),
    *(Case(f"api_request_{name}", "post", _api_action(name), api_act(ok=415), {"note": "x"})
      for name in API_ACTION_NAMES),
    Case("api_datamap", "get", lambda w: "/api/v1/datamap/", api_read()),
    Case("api_metrics", "get", lambda w: "/api/v1/metrics/?year=2025", api_read()),
    Case("api_webhooks", "get", lambda w: "/api/v1/webhooks/", api_admin(ok=200)),
    Case("api_webhooks", "post", lambda w: "/api/v1/webhooks/", api_admin(ok=415), {"name": "x"}),
    Case("api_webhook", "get", lambda w: "/api/v1/webhooks/999999/", api_admin(ok=404)),
    Case("api_webhook_rotate_secret", "post", lambda w: "/api/v1/webhooks/999999/rotate-secret/", api_admin(ok=404)),
    # Registering DRP agents: the Privacy admin's alone.
    Case("staff_drp_agents", "get", lambda w: "/staff/drp-agents/", admin_only(200)),
    Case("staff_drp_agent_new", "get", lambda w: "/staff/drp-agents/new/", admin_only(200)),
    Case("staff_drp_agent_new", "post", lambda w: "/staff/drp-agents/new/", admin_only(400), {"agent_id": "X"}),
    Case("staff_drp_agent_edit", "get", lambda w: "/staff/drp-agents/999999/", admin_only(404)),
    Case("staff_drp_agent_active", "post", lambda w: "/staff/drp-agents/999999/active/", admin_only(404),
         {"active": "0"}),
    # The DRP endpoints authenticate agents by signature and token; off until a business id is set.
    Case("drp_agent", "get", lambda w: "/drp/v1/agent/SOME_AGENT", everyone(404)),
    Case("drp_exercise", "post", lambda w: "/drp/v1/data-rights-request", everyone(404)),
    Case("drp_exercise_detail", "get", lambda w: "/drp/v1/data-rights-request/c789ff35-7644-4ceb-9981-4b35c264aac3",
         everyone(404)),
    # Webhooks: the Privacy admin's alone. An empty form: 400, nothing made; no such subscription: 404.
    Case("staff_webhooks", "get", lambda w: "/staff/webhooks/", admin_only()),
    Case("staff_webhook_new", "get", lambda w: "/staff/webhooks/new/", admin_only()),
    Case("staff_webhook_new", "post", lambda w: "/staff/webhooks/new/", admin_only(ok=400), {"name": ""}),
    Case("staff_webhook_detail", "get", lambda w: "/staff/webhooks/999999/", admin_only(ok=404)),
    Case("staff_webhook_action", "post", lambda w: "/staff/webhooks/999999/rotate/", admin_only(ok=404)),
]  # fmt: skip


def _named_patterns(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue  # Django's admin: its own permission checks; covered by test_staff_permissions
            names |= _named_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif pattern.name:
            names.add(pattern.name)
    return names


def test_every_named_url_has_a_row_in_the_matrix() -> None:
    assert _named_patterns(get_resolver().url_patterns) == {case.name for case in CASES}


@pytest.fixture
def world(db: None, settings: Any) -> World:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cast = make_cast()
    mine = request_in_state(State.IN_PROGRESS, subject_email="mine@example.org")
    DataSubjectRequest.objects.filter(pk=mine.pk).update(verified_at=mine.received_at)
    theirs = request_in_state(State.NEEDS_ATTENTION, subject_email="theirs@example.org", subject_name="Ada Lovelace")
    task = StoreTask.objects.create(
        request=theirs, system="crm", kind="manual", action="resolve", step=0, state="failed", error="down"
    )
    return World(cast=cast, mine=mine, theirs=theirs, task=task, bundle=stored_bundle(theirs))


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_url_answers_each_caller_as_the_matrix_says(world: World, case: Case, actor: str) -> None:
    expected = case.expected[actor]
    events = AuditEvent.objects.count()
    before = list(StoreTask.objects.values_list("pk", "state"))
    client = world.client(actor)
    response = getattr(client, case.method)(case.path(world), case.data or {})
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    elif expected != "any":
        assert response.status_code == expected, response.content.decode()[:500]
    assert response.status_code < 500
    if response.status_code in (403, 404) or expected == LOGIN:
        # Refused: nothing about the other subject is shown, and no store changed.
        body = response.content.decode(errors="replace")
        assert "theirs@example.org" not in body and "Ada Lovelace" not in body
        assert list(StoreTask.objects.values_list("pk", "state")) == before
    if response.status_code == 403 and actor in ("dave", "carol"):
        assert AuditEvent.objects.count() > events  # the refusal is on the audit trail
