"""Staff decide what triaged mail is."""

from __future__ import annotations

import pytest

from requests_app.errors import GuardFailed
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.intake.triage import triage_attach, triage_dismiss, triage_new_request
from requests_app.models import AuditEvent, DataSubjectRequest, EmailMessage, EmailStatus, State
from requests_app.workflow.audit import Actor
from tests.email_corpus import corpus_message
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db

STAFF = Actor.system("tests")


def triaged(name: str = "unclear.eml") -> EmailMessage:
    message, _ = email_receive(corpus_message(name), source="pipe")
    email_process(message.pk)
    message.refresh_from_db()
    assert message.status == EmailStatus.TRIAGE
    return message


def test_staff_can_make_a_request_of_a_triaged_email_verified_at_its_from_address() -> None:
    message = triaged()
    request = triage_new_request(message=message, actor=STAFF, request_type="access")
    message.refresh_from_db()
    assert (message.status, message.request_id) == (EmailStatus.ATTACHED, request.pk)
    assert (request.subject_email, request.channel, request.state) == (
        "tom.brown@example.co.uk",
        "email",
        State.PENDING_VERIFICATION,
    )
    assert EmailMessage.objects.filter(
        request=request, kind="acknowledgement", to_addresses=["tom.brown@example.co.uk"]
    ).exists()


def test_staff_can_attach_a_triaged_email_to_a_request() -> None:
    message = triaged()
    request = request_in_state(State.IN_PROGRESS)
    triage_attach(message=message, actor=STAFF, request=request)
    message.refresh_from_db()
    assert message.request_id == request.pk
    assert AuditEvent.objects.filter(request=request, action="email.triaged").exists()


def test_staff_can_mark_a_triaged_email_as_not_a_request_with_a_reason() -> None:
    message = triaged()
    with pytest.raises(GuardFailed):
        triage_dismiss(message=message, actor=STAFF, reason=" ")
    triage_dismiss(message=message, actor=STAFF, reason="A sales enquiry")
    message.refresh_from_db()
    assert message.status == EmailStatus.IGNORED
    assert message.raw.read() == corpus_message("unclear.eml")


def test_an_email_already_triaged_cannot_be_triaged_again() -> None:
    message = triaged()
    triage_dismiss(message=message, actor=STAFF, reason="Spam")
    with pytest.raises(GuardFailed, match="no longer waiting"):
        triage_new_request(message=message, actor=STAFF, request_type="access")
    assert not DataSubjectRequest.objects.exists()


def test_an_email_without_a_from_address_cannot_become_a_request() -> None:
    message = triaged("broken_headers.eml")
    if message.from_address:
        pytest.fail("the broken-headers fixture is expected to have no usable From address")
    with pytest.raises(GuardFailed, match="From address"):
        triage_new_request(message=message, actor=STAFF, request_type="access")
