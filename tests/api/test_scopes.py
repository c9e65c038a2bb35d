"""Every API operation with a key of every scope: only the scope it needs lets the call in.

The table is checked against the URL configuration, so a new operation cannot ship without
saying which scope it needs. A refused call is a 403 ``scope_missing``, recorded on the
audit trail with the key named, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from requests_app.models import ApiScope, AuditEvent, DataSubjectRequest, State
from tests.api.helpers import ApiClient, key_with
from tests.factories import request_in_state

pytestmark = pytest.mark.django_db

REF = "{ref}"


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    scope: str


READ, ACT = ApiScope.REQUESTS_READ, ApiScope.REQUESTS_ACT
OPERATIONS = [
    Operation("api_requests", "get", "/api/v1/requests/", READ),
    Operation("api_requests", "post", "/api/v1/requests/", ApiScope.REQUESTS_CREATE),
    Operation("api_request", "get", f"/api/v1/requests/{REF}/", READ),
    Operation("api_request_timeline", "get", f"/api/v1/requests/{REF}/timeline/", READ),
    Operation("api_store_tasks", "get", f"/api/v1/requests/{REF}/store-tasks/", READ),
    Operation("api_store_task_retry", "post", f"/api/v1/requests/{REF}/store-tasks/1/retry/", ACT),
    Operation("api_store_task_resolve", "post", f"/api/v1/requests/{REF}/store-tasks/1/resolve/", ACT),
    *(
        Operation(f"api_request_{name.replace('-', '_')}", "post", f"/api/v1/requests/{REF}/{name}/", ACT)
        for name in (
            "verify",
            "request-information",
            "approve",
            "reject",
            "extend",
            "assign",
            "cancel",
            "decide-appeal",
        )
    ),
    Operation("api_datamap", "get", "/api/v1/datamap/", ApiScope.DATAMAP_READ),
    Operation("api_metrics", "get", "/api/v1/metrics/?year=2026", ApiScope.METRICS_READ),
    Operation("api_webhooks", "get", "/api/v1/webhooks/", ApiScope.WEBHOOKS_MANAGE),
    Operation("api_webhooks", "post", "/api/v1/webhooks/", ApiScope.WEBHOOKS_MANAGE),
    Operation("api_webhook", "get", "/api/v1/webhooks/1/", ApiScope.WEBHOOKS_MANAGE),
    Operation("api_webhook_rotate_secret", "post", "/api/v1/webhooks/1/rotate-secret/", ApiScope.WEBHOOKS_MANAGE),
]
PUBLIC = {"api_schema", "api_docs", "api_redoc"}


def test_every_api_operation_has_a_row() -> None:
    (api,) = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/"]
    names = {p.name for p in api.url_patterns if isinstance(p, URLPattern) and p.name}
    assert names - PUBLIC == {op.name for op in OPERATIONS}


@pytest.mark.parametrize("scope", [s.value for s in ApiScope if s != ApiScope.REQUESTS_CREATE_VERIFIED])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.name}")
def test_only_the_scope_an_operation_needs_lets_a_key_in(operation: Operation, scope: str) -> None:
    request = request_in_state(State.IN_PROGRESS)
    key, raw = key_with(scope)
    client = ApiClient(raw)
    path = operation.path.replace(REF, request.reference)
    before = (DataSubjectRequest.objects.count(), request.state)
    response = getattr(client, operation.method)(path, {})
    if scope == operation.scope:
        assert response.status_code not in (401, 403), response.json()
        return
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    refusal = AuditEvent.objects.filter(action="api.refused", data__code="scope_missing").last()
    assert refusal is not None
    assert refusal.actor.startswith(f"api_key:{key.prefix}")
    request.refresh_from_db()
    assert (DataSubjectRequest.objects.count(), request.state) == before
