"""The API against its own OpenAPI schema, with Schemathesis: no server error, no answer that
breaks the schema, for generated bodies and parameters on every operation.

Deterministic: Hypothesis is derandomised and its example database is off, so every run
sends the same calls. A key with every scope makes the calls; seeded requests give the
reference and store-task parameters something real to find as well as not to find.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dsar.wsgi import application
from requests_app.models import ApiScope, State
from tests.api.helpers import key_with
from tests.factories import request_in_state

if TYPE_CHECKING:
    from collections.abc import Iterator

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Keep the test's database connection open across WSGI calls, as Django's test client does.

    A request's end closes "old" connections; here that one holds the test's transaction.
    """
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(db, settings_fixture, wsgi_in_test_transaction) -> dict[str, str]:
    for state in (State.PENDING_VERIFICATION, State.IN_PROGRESS, State.COMPLETED):
        request_in_state(state)
    _, raw = key_with(*ApiScope.values)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def settings_fixture(settings):
    # Thousands of calls from one key: the budget would answer 429 long before they end.
    settings.DSAR_RATE_LIMITS = {**settings.DSAR_RATE_LIMITS, "api_caller": (1_000_000, 60)}
    return settings


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
