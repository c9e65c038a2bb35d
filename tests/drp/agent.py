"""A real signing agent for the DRP tests: an Ed25519 key pair made by libsodium (PyNaCl), the
messages signed in libsodium's combined mode and base64-encoded, as DRP v0.9.4 §3.07.1 says."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import nacl.signing

from requests_app.services import drp_agents
from requests_app.workflow.audit import Actor

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test import Client

    from requests_app.models import DrpAgent

BUSINESS_ID = "EXAMPLE_CO"
STAFF = Actor.system("tests")


def moment(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@dataclass
class SigningAgent:
    """An authorised agent: its DRP id, its signing key, and the token it set up."""

    agent_id: str
    key: nacl.signing.SigningKey = field(default_factory=nacl.signing.SigningKey.generate)
    token: str = ""
    row: DrpAgent | None = None

    @property
    def verify_key(self) -> str:
        return base64.b64encode(bytes(self.key.verify_key)).decode("ascii")

    def register(self, *, actions: tuple[str, ...] = ("access", "deletion")) -> SigningAgent:
        self.row = drp_agents.agent_register(
            agent_id=self.agent_id,
            name=f"Agent {self.agent_id}",
            email=f"{self.agent_id.lower()}@agent.example",
            verify_key=self.verify_key,
            allowed_actions=list(actions),
            actor=STAFF,
        )
        return self

    def envelope(self, **changes: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "agent-id": self.agent_id,
            "business-id": BUSINESS_ID,
            "issued-at": moment(),
            "expires-at": moment(600),
            "drp.version": "0.9.4",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign_bytes(self, message: bytes) -> bytes:
        return base64.b64encode(bytes(self.key.sign(message)))

    def sign(self, claims: dict[str, Any]) -> bytes:
        return self.sign_bytes(json.dumps(claims).encode("utf-8"))

    def exercise_claims(self, **changes: Any) -> dict[str, Any]:
        claims = self.envelope(
            **{
                "agent-request-id": "agent-req-1",
                "exercise": "access",
                "regime": "ccpa",
                "relationships": ["customer"],
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "email_verified": True,
                "phone_number": "+15555550100",
            }
        )
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token if token is None else token}"}

    def set_up(self, client: Client) -> SigningAgent:
        """§2.05: obtain the pairwise token with a signed message."""
        response = client.post(f"/drp/v1/agent/{self.agent_id}", self.sign(self.envelope()), content_type="text/plain")
        assert response.status_code == 200, response.content
        assert response.json()["agent-id"] == self.agent_id
        self.token = response.json()["token"]
        return self

    def exercise(self, client: Client, body: bytes, token: str | None = None) -> Any:
        return client.post("/drp/v1/data-rights-request", body, content_type="text/plain", headers=self.headers(token))

    def status(self, client: Client, request_id: str) -> Any:
        return client.get(f"/drp/v1/data-rights-request/{request_id}", headers=self.headers())

    def revoke(self, client: Client, request_id: str, body: bytes) -> Any:
        return client.delete(
            f"/drp/v1/data-rights-request/{request_id}", body, content_type="text/plain", headers=self.headers()
        )


@dataclass
class Receiver:
    """The agent's status callback endpoint: a real HTTP server on loopback."""

    url: str
    bodies: list[dict[str, Any]]
    answers: list[int]

    def statuses(self) -> list[tuple[str, str]]:
        return [(body["status"], body.get("reason", "")) for body in self.bodies]


def receiver_running() -> Iterator[Receiver]:
    bodies: list[dict[str, Any]] = []
    answers: list[int] = []  # status codes to answer with, in order; 200 when empty

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            code = answers.pop(0) if answers else 200
            if code == 200:
                assert self.headers.get("Content-Type") == "application/json"
                bodies.append(json.loads(payload))
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(url=f"http://127.0.0.1:{server.server_port}/drp/status", bodies=bodies, answers=answers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
