"""The demo estate the fan-out tests run against: a PostgreSQL database, a Redis database and
two OpenDSR processors (the demo auth provider, and one that fails on purpose), all on
loopback, with the environment the data map's connections name."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from demo import auth_provider

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "test-processor-token"


class FlakyHandler(auth_provider.Handler):
    """Refuses submissions with 503 the first `fail_times` times for an address, or always
    while the address is listed in `broken`."""

    server: FlakyServer

    def do_POST(self) -> None:
        body = self._peek_body()
        emails = (
            [i.get("identity_value", "") for i in body.get("subject_identities", [])] if isinstance(body, dict) else []
        )
        for email in emails:
            with self.server.lock:
                seen = self.server.failures.get(email, 0)
                if email in self.server.broken or seen < self.server.fail_times.get(email, 0):
                    self.server.failures[email] = seen + 1
                    self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "try again later"})
                    return
        super().do_POST()

    def _peek_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        self._raw_body = raw
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _body(self) -> Any:
        raw = getattr(self, "_raw_body", None)
        return json.loads(raw) if raw is not None else super()._body()


class FlakyServer(auth_provider.ProviderServer):
    def __init__(self, db_path: Path) -> None:
        super().__init__(("127.0.0.1", 0), db_path, token=TOKEN, polls_before_complete=1)
        self.RequestHandlerClass = FlakyHandler
        self.lock = threading.Lock()
        self.failures: dict[str, int] = {}
        self.fail_times: dict[str, int] = {}
        self.broken: set[str] = set()


@dataclass
class Estate:
    sql_url: str
    redis_url: str
    auth_db: Path
    flaky: FlakyServer
    env: dict[str, str] = field(default_factory=dict)


def serve(server: auth_provider.ProviderServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    return f"http://127.0.0.1:{port}"


FLAKY_MAP: dict[str, Any] = {
    "version": "flaky-test",
    "systems": [
        {
            "name": "processor",
            "kind": "http",
            "description": "A processor that fails on purpose.",
            "recipient": "processor",
            "connection": {
                "base_url_env": "DSAR_TEST_FLAKY_URL",
                "token_env": "DSAR_DEMO_AUTH_TOKEN",
                "connect_timeout": 2,
                "read_timeout": 5,
                "poll_interval": 0.05,
                "max_wait": 10,
                "retries": 0,
            },
            "identifiers": {"searched_by": ["email"]},
            "datasets": [
                {
                    "name": "credentials",
                    "description": "Logins.",
                    "locator": {},
                    "fields": [
                        {
                            "name": "email",
                            "category": "contact",
                            "purpose": "Login name.",
                            "legal_basis": "Contract",
                            "recipients": ["processor"],
                            "retention": "Account life.",
                            "source": "the subject",
                            "correctable": False,
                            "erasure": "delete_row",
                        }
                    ],
                }
            ],
        }
    ],
}
