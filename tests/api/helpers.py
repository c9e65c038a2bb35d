"""Keys and clients for the API tests: a fixed cast of keys, one per scope, and staff sessions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.test import Client

from requests_app.services.api_keys import api_key_create
from requests_app.workflow.audit import Actor

if TYPE_CHECKING:
    from requests_app.models import ApiKey


def key_with(*scopes: str, name: str = "integration", days: int = 30) -> tuple[ApiKey, str]:
    return api_key_create(name=name, scopes=scopes, days=days, actor=Actor.system("tests"))


class ApiClient:
    """A Django test client that speaks JSON with a bearer key."""

    def __init__(self, raw_key: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"} if raw_key else {}

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(path, params or {}, **self.headers, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", **self.headers, **extra)

    def post_raw(self, path: str, data: bytes | str, content_type: str, **extra: Any) -> Any:
        return self.client.post(path, data, content_type=content_type, **self.headers, **extra)


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])
