"""Small defects found from outside, each fixed and kept fixed.

A fraud signal that never fired, a resume that was a 500, a request left "in progress" for
ever when its result could not be made, and the signals that must stop the work for a person.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from requests_app.fulfilment import results as fulfilment
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import AuditEvent, DataSubjectRequest, State, StoreTask
from requests_app.services import requests as services
from requests_app.workflow.audit import audit_open
from tests.email_corpus import corpus_message
from tests.factories import request_in_state
from tests.fanout_helpers import STAFF, use_manual_map
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


def emailed(raw: bytes) -> DataSubjectRequest:
    message, _ = email_receive(raw, source="pipe")
    email_process(message.pk)
    message.refresh_from_db()
    assert message.request is not None
    return message.request


def test_a_name_stated_in_an_email_unlike_the_senders_raises_the_name_mismatch_signal() -> None:
    raw = corpus_message("plain.eml").replace(b"Hello,\r\n", b"Hello, my name is Mallory Evil.\r\n", 1)
    request = emailed(raw)
    assert "name_mismatch" in {s["code"] for s in request.fraud_signals}
    same = corpus_message("plain.eml").replace(b"Hello,\r\n", b"Hello, my name is Jane Doe.\r\n", 1)
    same = same.replace(b"<CAF8kq2m9xd.4821.jane@mail.example.org>", b"<other-id@mail.example.org>")
    assert b"my name is Jane Doe." in same
    assert "name_mismatch" not in {s["code"] for s in emailed(same).fraud_signals}


def test_a_verified_request_with_a_high_risk_signal_waits_for_a_person_before_any_store() -> None:
    use_manual_map()
    raw = corpus_message("plain.eml").replace(b"Hello,\r\n", b"Hello, my name is Mallory Evil.\r\n", 1)
    request = emailed(raw)
    services.request_verify_manually(request=request, actor=STAFF, note="Called back")
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL  # an access request, which needs no approval otherwise
    assert not StoreTask.objects.filter(request=request).exists()
    event = AuditEvent.objects.get(request=request, to_state=State.AWAITING_APPROVAL)
    assert "name_mismatch" in audit_open(event).reason


def test_resuming_a_request_that_is_not_waiting_is_refused_not_a_server_error(cast: Cast) -> None:
    request = request_in_state(State.AWAITING_REQUESTER, paused_from=State.VERIFIED)
    bob = client_for(cast.bob)
    assert bob.post(f"/staff/requests/{request.reference}/resume/", {"resume-note": ""}).status_code == 302
    # The same form posted again (a second tab, a double click): the request no longer waits.
    response = bob.post(f"/staff/requests/{request.reference}/resume/", {"resume-note": ""})
    assert response.status_code == 409
    assert "is not waiting for the requester" in response.content.decode()


def test_a_result_that_cannot_be_made_leaves_the_request_to_a_person_who_can_try_again(cast: Cast) -> None:
    request = request_in_state(State.IN_PROGRESS)
    StoreTask.objects.create(request=request, system="crm", kind="manual", action="resolve", step=0, state="done")
    DataSubjectRequest.objects.filter(pk=request.pk).update(fulfilled_at=timezone.now() - timedelta(minutes=5))

    fulfilment.fulfilment_failed(request.pk, "OSError: the storage is full")

    request.refresh_from_db()
    assert request.state == State.NEEDS_ATTENTION
    reason = audit_open(AuditEvent.objects.get(request=request, to_state=State.NEEDS_ATTENTION)).reason
    assert "could not be made: OSError: the storage is full" in reason
    page = client_for(cast.bob).get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Make the result again" in page
    response = client_for(cast.bob).post(f"/staff/requests/{request.reference}/remake/", {"remake-confirm": "on"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == State.IN_PROGRESS


def test_a_mangled_status_link_and_another_requests_link_get_the_same_answer() -> None:
    from requests_app.verification.challenges import status_token

    mine = request_in_state(State.IN_PROGRESS)
    DataSubjectRequest.objects.filter(pk=mine.pk).update(verified_at=timezone.now())
    mangled = Client().get(f"/request/status/{status_token(mine)[:-3]}abc/")
    forged = Client().get("/request/status/not-a-link/")
    assert mangled.status_code == forged.status_code == 404
