"""The status callback of a committed change is sent by a real Celery worker to the agent's
real receiver, and one the agent refused at first is tried again by the worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from requests_app.models import DataSubjectRequest, DrpCallback, DrpCallbackStatus
from requests_app.services import requests as services
from tests.drp.agent import STAFF, Receiver, SigningAgent
from tests.waiting import wait_for

if TYPE_CHECKING:
    from django.test import Client

    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_calls_the_agent_back_after_commit_and_retries_a_refusal(
    celery_worker: Worker, client: Client, receiver: Receiver
) -> None:
    agent = SigningAgent("WORKER_AGENT").register().set_up(client)
    response = agent.exercise(client, agent.sign(agent.exercise_claims(status_callback=receiver.url)))
    assert response.status_code == 200, response.content
    request = DataSubjectRequest.objects.get(drp__drp_id=response.json()["request_id"])
    receiver.answers.append(503)  # the agent is down for the first try
    services.request_reject(request=request, actor=STAFF, reason="Not a customer", category="not_a_consumer")

    def delivered() -> bool:
        return DrpCallback.objects.filter(drp_request__request=request, status=DrpCallbackStatus.DELIVERED).exists()

    wait_for(delivered, celery_worker)
    callback = DrpCallback.objects.get(drp_request__request=request)
    assert callback.attempts == 2 and callback.response_status == 200
    assert receiver.statuses() == [("denied", "no_match")]
