"""A real HTTP receiver on loopback that records what it is sent and checks signatures itself.

The check is written here from the Standard Webhooks specification, not imported from the
product, so a mistake in the product's signing cannot hide behind the same mistake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers with ``statuses`` in turn (the last one for ever after), after ``delay`` seconds."""

    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b'{"ok": true}'
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dsar?token=abc"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body)
                    )
                    index = len(receiver.received) - 1
                status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def signature_valid(secret: str, received: Received, *, tolerance: int = 300) -> bool:
    """The receiver's own check: HMAC-SHA256 over "{id}.{timestamp}.{body}", the key base64 after whsec_."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id = received.headers["webhook-id"]
    timestamp = received.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in received.headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
