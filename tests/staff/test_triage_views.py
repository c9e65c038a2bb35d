"""Staff triage unclassified email, and read the data map, in the staff UI."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import DataSubjectRequest, EmailMessage, EmailStatus, Field, State
from requests_app.workflow.audit import Actor
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

pytestmark = pytest.mark.django_db

HOSTILE = (
    b"From: Eve <eve@example.org>\r\nTo: privacy@example.com\r\nSubject: <script>alert(1)</script> hello\r\n"
    b"Message-ID: <triage-1@example.org>\r\n\r\nI have a question <img src=x onerror=alert(2)>.\r\n"
)


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def waiting() -> EmailMessage:
    message, _ = email_receive(HOSTILE, source="pipe")
    email_process(message.pk)
    message.refresh_from_db()
    assert message.status == EmailStatus.TRIAGE
    return message


def test_the_triage_queue_lists_waiting_email_escaped(cast: Cast, waiting: EmailMessage) -> None:
    client = client_for(cast.bob)
    listing = client.get("/staff/triage/").content.decode()
    detail = client.get(f"/staff/triage/{waiting.pk}/").content.decode()
    for body in (listing, detail):
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body
    assert "<img src=x" not in detail


def test_an_analyst_makes_a_request_of_a_triaged_email(cast: Cast, waiting: EmailMessage) -> None:
    response = client_for(cast.bob).post(
        f"/staff/triage/{waiting.pk}/new/", {"request_type": "access", "jurisdiction": "gdpr"}
    )
    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.subject_email, request.state) == ("eve@example.org", State.PENDING_VERIFICATION)
    assert response["Location"] == f"/staff/requests/{request.reference}/"


def test_an_analyst_adds_a_triaged_email_to_a_request(cast: Cast, waiting: EmailMessage) -> None:
    request = request_in_state(State.IN_PROGRESS)
    response = client_for(cast.bob).post(
        f"/staff/triage/{waiting.pk}/attach/", {"reference": request.reference.lower()}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.request_id == request.pk


def test_an_unknown_reference_is_explained_and_changes_nothing(cast: Cast, waiting: EmailMessage) -> None:
    response = client_for(cast.bob).post(f"/staff/triage/{waiting.pk}/attach/", {"reference": "DSR-0000-0000"})
    assert response.status_code == 400
    assert "No request has this reference" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == EmailStatus.TRIAGE


def test_an_analyst_marks_an_email_as_not_a_request_with_a_reason(cast: Cast, waiting: EmailMessage) -> None:
    client = client_for(cast.bob)
    assert client.post(f"/staff/triage/{waiting.pk}/dismiss/", {"reason": ""}).status_code == 400
    assert client.post(f"/staff/triage/{waiting.pk}/dismiss/", {"reason": "A sales question"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == EmailStatus.IGNORED
    assert client.get(f"/staff/triage/{waiting.pk}/").status_code == 404


@pytest.mark.parametrize(("who", "expected"), [("carol", 403), ("dave", 403), ("anonymous", 302)])
def test_people_who_may_not_act_cannot_triage(cast: Cast, waiting: EmailMessage, who: str, expected: int) -> None:
    user = cast.by_name(who)
    client = client_for(user) if user else Client()
    assert client.post(f"/staff/triage/{waiting.pk}/dismiss/", {"reason": "x"}).status_code == expected
    waiting.refresh_from_db()
    assert waiting.status == EmailStatus.TRIAGE


def test_an_auditor_reads_the_data_map_but_not_the_emails_waiting_for_triage(cast: Cast, waiting: EmailMessage) -> None:
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    client = client_for(cast.carol)
    assert client.get("/staff/triage/").status_code == 403
    assert client.get(f"/staff/triage/{waiting.pk}/").status_code == 403
    body = client.get("/staff/datamap/").content.decode()
    assert "accounts" in body and "mailing_address" in body
    assert "Art. 17(3)(b)" in body


def test_the_data_map_page_says_when_the_map_is_broken(cast: Cast) -> None:
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    Field.objects.filter(name="amount").update(erasure_reason="")
    body = client_for(cast.bob).get("/staff/datamap/").content.decode()
    assert "The data map has problems" in body
    assert client_for(cast.dave).get("/staff/datamap/").status_code == 403
