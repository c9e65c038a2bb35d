"""Appeals on the staff pages: the appeal and what it appeals, deciding it, entering a reversed
request again, and an appeal entered by staff."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, RequestType, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from tests.factories import appeal_in_state, request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast
from tests.staff.test_request_new import form

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db
STAFF = Actor.system("tests")


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def bob(cast: Cast) -> Client:
    return client_for(cast.bob)


def refused_virginia_deletion(**kwargs: Any) -> DataSubjectRequest:
    original = request_in_state(State.VERIFIED, request_type=RequestType.DELETION, jurisdiction="us-va", **kwargs)
    services.request_reject(request=original, actor=STAFF, reason="We must keep it.", category="exempt")
    original.refresh_from_db()
    return original


def decide(client: Client, appeal: DataSubjectRequest, outcome: str, explanation: str) -> Any:
    data = {"outcome": outcome, "explanation": explanation, "confirm": "on"}
    return client.post(
        f"/staff/requests/{appeal.reference}/decide_appeal/", {f"decide_appeal-{k}": v for k, v in data.items()}
    )


def test_an_appeals_page_shows_what_it_appeals_its_due_date_and_the_decision_form(bob: Client) -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    body = bob.get(f"/staff/requests/{appeal.reference}/").content.decode()
    assert f'<a href="/staff/requests/{original.reference}/">{original.reference}</a>' in body
    assert appeal.due_at.strftime("%-d %b %Y") in body
    assert "Computed from the rule; not legal advice." in body
    assert "The rule now gives" not in body  # the appeal's own period, not the request's
    assert 'id="action-decide_appeal"' in body and "Decide the appeal" in body
    assert 'id="action-complete"' not in body  # an appeal completes by its decision only
    assert 'value="partly_reversed"' in body


def test_the_appealed_requests_page_lists_its_appeals(bob: Client) -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    body = bob.get(f"/staff/requests/{original.reference}/").content.decode()
    assert "Appeals of this request" in body
    assert f'<a href="/staff/requests/{appeal.reference}/">{appeal.reference}</a>: in progress' in body


def test_deciding_upheld_closes_the_appeal_and_tells_the_subject(bob: Client) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    response = decide(bob, appeal, "upheld", "The exemption for legal claims applies.")
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.state, appeal.appeal_outcome) == (State.COMPLETED, "upheld")
    body = bob.get(f"/staff/requests/{appeal.reference}/").content.decode()
    assert "The original decision stands" in body
    assert "Enter the request again" not in body
    text = EmailMessage.objects.get(request=appeal, kind="appeal_decision").body_text
    assert "The exemption for legal claims applies." in text and "Attorney General of Virginia" in text


def test_a_reversed_appeal_offers_to_enter_the_request_again_prefilled(bob: Client) -> None:
    original = refused_virginia_deletion(subject_identifiers={"account_id": "A-42"})
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    decide(bob, appeal, "reversed", "No exemption applies after all.")
    body = bob.get(f"/staff/requests/{appeal.reference}/").content.decode()
    link = f'href="/staff/requests/new/?again={appeal.reference}"'
    assert link in body and "Enter the request again" in body
    page = bob.get(f"/staff/requests/new/?again={appeal.reference}").content.decode()
    assert 'value="deletion" selected' in page
    assert 'value="us-va" selected' in page
    assert f'value="{original.subject_email}"' in page
    assert 'value="A-42"' in page
    assert f"appeal {appeal.reference} of request {original.reference}" in page
    assert AuditEvent.objects.filter(
        request=original, action="personal_data.viewed", data__what="new request from a reversed appeal"
    ).exists()


@pytest.mark.parametrize("again", ["nonsense", "DSR-AAAA-AAAA", "<script>alert(1)</script>"])
def test_entering_again_from_a_reference_that_is_no_reversed_appeal_fills_nothing(bob: Client, again: str) -> None:
    page = bob.get("/staff/requests/new/", {"again": again})
    assert page.status_code == 200
    body = page.content.decode()
    assert "No appeal that reversed a request has that reference" in body
    assert again not in body


def test_an_upheld_appeal_cannot_be_entered_again(bob: Client) -> None:
    original = refused_virginia_deletion()
    appeal = appeal_in_state(State.IN_PROGRESS, of=original)
    decide(bob, appeal, "upheld", "It stands.")
    body = bob.get(f"/staff/requests/new/?again={appeal.reference}").content.decode()
    assert original.subject_email not in body


def test_an_empty_explanation_is_refused_on_the_page(bob: Client) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    response = decide(bob, appeal, "upheld", "")
    assert response.status_code == 400
    appeal.refresh_from_db()
    assert appeal.state == State.IN_PROGRESS


def test_the_auditor_cannot_decide_an_appeal(cast: Cast) -> None:
    appeal = appeal_in_state(State.IN_PROGRESS, of=refused_virginia_deletion())
    carol = client_for(cast.carol)
    assert "Decide the appeal" not in carol.get(f"/staff/requests/{appeal.reference}/").content.decode()
    assert decide(carol, appeal, "reversed", "Let me.").status_code == 403
    appeal.refresh_from_db()
    assert appeal.appeal_outcome == ""


def test_staff_enter_an_appeal_by_its_reference(bob: Client) -> None:
    original = refused_virginia_deletion()
    today = timezone.localdate()
    data = form(
        request_type="appeal",
        jurisdiction="gdpr",
        appeal_of=original.reference.lower(),
        subject_email=original.subject_email,
        received_on=today.isoformat(),
    )
    response = bob.post("/staff/requests/new/", data)
    assert response.status_code == 302, response.content.decode()
    appeal = DataSubjectRequest.objects.get(appeal_of=original)
    assert (appeal.request_type, appeal.jurisdiction) == ("appeal", "us-va")
    assert appeal.due_at == today + timedelta(days=60)


def test_an_appeal_without_a_reference_or_of_another_subject_is_refused_on_the_form(bob: Client) -> None:
    original = refused_virginia_deletion()
    missing = bob.post("/staff/requests/new/", form(request_type="appeal", received_on=timezone.localdate()))
    assert missing.status_code == 400
    assert "Give the reference of the decided request" in missing.content.decode()
    other = bob.post(
        "/staff/requests/new/",
        form(request_type="appeal", appeal_of=original.reference, received_on=timezone.localdate()),
    )
    assert other.status_code == 400
    assert "No earlier request of this subject has that reference" in other.content.decode()
    assert not DataSubjectRequest.objects.filter(appeal_of=original).exists()
