"""How many statements the hot paths send to the database: pinned, so a change that adds
round trips to every store task or every inbound email shows up here, not in production.

Each count is the statements of one unit of work as the worker runs it, counted inside the
test's transaction: there a unit's own ``BEGIN`` and ``COMMIT`` appear as a savepoint and
its release, so they are counted too. A lower count after a change is good news: lower the
pin with it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo import DEMO_DATAMAP_PATH
from demo.seed import seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment import fanout
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import DataSubjectRequest, EmailMessage, State, StoreTask, StoreTaskState
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor, audit_append, audit_verify
from requests_app.workflow.transitions import transition
from tests.email_corpus import corpus_message
from tests.factories import DataSubjectRequestFactory

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

STAFF = Actor.system("tests")


def statements(work: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        work()
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def started_access(estate: Estate) -> int:
    """An access request started on the demo estate, its first step not yet queued."""
    seed_estate(estate.sql_url, estate.redis_url, subjects=4, rows_per_subject=3, heavy_subjects=0, reset=True,
                auth_db=estate.auth_db)  # fmt: skip
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    request = DataSubjectRequestFactory.create(subject_email="subject-0001@example.com", request_type="access")
    transition(request, State.VERIFIED, STAFF)
    start = statements(lambda: services.request_start(request=request, actor=STAFF))
    # The move to work, the data map's version, the tasks, and the first step queued.
    assert len(start) == 28, "\n".join(start)
    return request.pk


def queued(request_pk: int) -> list[int]:
    return list(
        StoreTask.objects.filter(request_id=request_pk, state=StoreTaskState.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_each_store_task_of_an_access_request_costs_its_pinned_statements(started_access: int) -> None:
    """One store task: claim, read, record with its audit event; the last of a step also
    queues the next (one UPDATE for the step), and the last of all records the fulfilment."""
    assert queued(started_access), "starting the request queues its first step"
    counts = []
    while pks := queued(started_access):
        counts += [len(statements(functools.partial(fanout.store_task_run, pk))) for pk in pks]
    # Step 0: two stores, the second queues step 1; step 1: four, the last queues step 2;
    # step 2: one, which records that every store is done.
    assert counts == [10, 13, 11, 11, 11, 14, 17]
    assert StoreTask.objects.filter(request_id=started_access).exclude(state=StoreTaskState.DONE).count() == 0
    assert audit_verify().ok


def test_an_email_costs_its_pinned_statements() -> None:
    """A new request by email (the request, its acknowledgement, their audit events), and a
    reply to it (attached, on the record)."""
    audit_append(actor=STAFF, action="tests.chain_started")  # the chain head exists, as in production
    message, _ = email_receive(corpus_message("plain.eml"), source="pipe")
    assert len(statements(lambda: email_process(message.pk))) == 29
    request = DataSubjectRequest.objects.get(subject_email="jane.doe@example.org")
    reply = (
        b"From: Jane Doe <jane.doe@example.org>\r\nTo: privacy@example.com\r\n"
        b"Subject: Re: " + request.reference.encode() + b"\r\nMessage-ID: <reply-1@example.org>\r\n\r\nThanks.\r\n"
    )
    message, _ = email_receive(reply, source="pipe")
    assert len(statements(lambda: email_process(message.pk))) == 10
    assert EmailMessage.objects.filter(request=request, direction="in").count() == 2
    assert audit_verify().ok
