"""The dated cases again, through requests created and paused in the workflow.

A request entered with the case's received date (a letter staff enter) is due on the case's
date; a case with a pause waits for the requester that many days and comes back with the
date moved as the rule says. Extensions and appeals have their own workflow tests: an
extension of a request received years ago is refused as too late, rightly.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.laws import registry
from requests_app.models import Channel, DataSubjectRequest, ReceivedVia, State
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from requests_app.workflow.transitions import request_create, transition
from tests.laws.pack import Case, all_cases

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")
CORE = {None, "access", "correction", "deletion"}
CASES = [case for case in all_cases() if not (case.error or case.appeal or case.extended) and case.request_type in CORE]


@pytest.fixture(autouse=True)
def _known_settings(settings):
    settings.DSAR_HOLIDAY_COUNTRY = ""
    settings.DSAR_HOLIDAY_SUBDIVISION = ""
    settings.DSAR_REASONABLE_PERIOD_DAYS = 30


def _entered(case: Case) -> DataSubjectRequest:
    noon = datetime.datetime.combine(case.received, datetime.time(12, 0))
    return request_create(
        NewRequest(
            channel=Channel.STAFF,
            received_via=ReceivedVia.LETTER,
            request_type=case.request_type or "access",
            subject_email="ada@example.org",
            jurisdiction=case.code,
            received_at=timezone.make_aware(noon),
        ),
        actor=SYSTEM,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_request_created_in_the_workflow_is_due_on_the_date_of_its_case(case, settings):
    settings.DSAR_HOLIDAY_COUNTRY = case.holiday_country
    request = _entered(case)
    if case.paused_days:
        transition(request, State.AWAITING_REQUESTER, SYSTEM, reason="Which account is yours?")
        # The wait began case.paused_days ago (not a state change, so not through the workflow).
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            paused_at=timezone.now() - timedelta(days=case.paused_days)
        )
        request.refresh_from_db()
        transition(request, State.PENDING_VERIFICATION, SYSTEM)
    request.refresh_from_db()
    assert request.due_at == case.expected, case.source
    assert request.rule_version == registry.get_rule(case.code, received=case.received).version
