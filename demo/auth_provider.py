"""A demo authentication provider with an OpenDSR-style API over a SQLite store.

The demo estate's processor: it holds the credentials (password hashes, login history) of
the demo accounts and answers data subject requests the way such processors do:

    POST /opendsr             {"subject_request_id", "subject_request_type": "access" | "erasure",
                               "subject_identities": [{"identity_type": "email", "identity_value": ...}]}
                              -> 201 {"subject_request_id", "request_status": "pending"}
                              (the same subject_request_id again returns the same request)
    GET  /opendsr/{id}        -> {"subject_request_id", "request_status", "results_url"?, "erased_records"?}
    GET  /opendsr/{id}/results -> JSON lines, one credential record a line

A request is carried out when it has been polled `polls_before_complete` times, so clients
exercise their polling. Start it with
`python -m demo.auth_provider --port 8081 --db var/auth.sqlite3`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    email TEXT PRIMARY KEY, user_ref TEXT, password_hash TEXT NOT NULL,
    created_at TEXT, last_login_at TEXT, last_login_ip TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, emails TEXT NOT NULL, status TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0, erased INTEGER, received_at TEXT NOT NULL
);
"""
CREDENTIAL_COLUMNS = ("email", "user_ref", "password_hash", "created_at", "last_login_at", "last_login_ip")
REQUEST_TYPES = ("access", "erasure")
MAX_BODY = 1_000_000
STATUS_PATH = re.compile(r"^/opendsr/([A-Za-z0-9._-]{1,100})(/results)?$")


@contextmanager
def connect(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    """Open the store, commit what the block did (or roll it back), and close it."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        db.row_factory = sqlite3.Row
        db.executescript(SCHEMA)
        with db:
            yield db
    finally:
        db.close()


def add_credentials(db_path: str | Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Store credential records (keys: CREDENTIAL_COLUMNS); return how many were written."""
    rows = [tuple(record.get(column) for column in CREDENTIAL_COLUMNS) for record in records]
    with connect(db_path) as db:
        marks = ", ".join("?" * len(CREDENTIAL_COLUMNS))
        db.executemany(f"INSERT OR REPLACE INTO credentials VALUES ({marks})", rows)  # noqa: S608  # only placeholders
    return len(rows)


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], db_path: str | Path, *, token: str = "", polls_before_complete: int = 1
    ) -> None:
        super().__init__(address, Handler)
        self.db_path = str(db_path)
        self.token = token
        self.polls_before_complete = polls_before_complete
        with connect(self.db_path):
            pass  # Creates the tables.


class Handler(BaseHTTPRequestHandler):
    server: ProviderServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if not self._authorized():
            return
        if self.path.rstrip("/") != "/opendsr":
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        body = self._body()
        problem = _request_problem(body)
        if problem or not isinstance(body, dict):
            self._send(HTTPStatus.BAD_REQUEST, {"error": problem})
            return
        request_id = str(body["subject_request_id"])
        emails = sorted({i["identity_value"] for i in body["subject_identities"] if i.get("identity_type") == "email"})
        with connect(self.server.db_path) as db:
            # Same id, same request: a client retrying after a lost answer does not submit twice.
            db.execute(
                "INSERT OR IGNORE INTO requests (id, type, emails, status, received_at) VALUES (?, ?, ?, 'pending', ?)",
                (request_id, body["subject_request_type"], json.dumps(emails), datetime.now(UTC).isoformat()),
            )
            row = db.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        # Answer only once the request is committed: the client may poll for it at once.
        self._send(HTTPStatus.CREATED, {"subject_request_id": request_id, "request_status": row["status"]})

    def do_GET(self) -> None:
        if not self._authorized():
            return
        match = STATUS_PATH.match(self.path)
        if not match:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        status: dict[str, Any] | None = None
        lines: list[bytes] | None = None
        with connect(self.server.db_path) as db:
            row = db.execute("SELECT * FROM requests WHERE id = ?", (match.group(1),)).fetchone()
            if row is not None and match.group(2):
                lines = self._results(db, row)
            elif row is not None:
                status = self._status(db, row)
        # Answered after the commit: a client told "completed" must find the erasure done.
        if status is not None:
            self._send(HTTPStatus.OK, status)
        elif lines is not None:
            self._send_lines(lines)
        elif row is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": "no such request"})
        else:
            self._send(HTTPStatus.CONFLICT, {"error": "no results for this request"})

    def _status(self, db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        polls = row["polls"] + 1
        status, erased = row["status"], row["erased"]
        if status == "pending" and polls >= self.server.polls_before_complete:
            status = "completed"
            if row["type"] == "erasure":
                emails = json.loads(row["emails"])
                marks = ",".join("?" * len(emails))
                erased = db.execute(f"DELETE FROM credentials WHERE email IN ({marks})", emails).rowcount  # noqa: S608
        db.execute(
            "UPDATE requests SET polls = ?, status = ?, erased = ? WHERE id = ?", (polls, status, erased, row["id"])
        )
        answer: dict[str, Any] = {"subject_request_id": row["id"], "request_status": status}
        if status == "completed" and row["type"] == "access":
            answer["results_url"] = f"http://{self.headers.get('Host', '')}/opendsr/{row['id']}/results"
        if status == "completed" and row["type"] == "erasure":
            answer["erased_records"] = erased or 0
        return answer

    def _results(self, db: sqlite3.Connection, row: sqlite3.Row) -> list[bytes] | None:
        if row["type"] != "access" or row["status"] != "completed":
            return None
        emails = json.loads(row["emails"])
        marks = ",".join("?" * len(emails))
        query = f"SELECT * FROM credentials WHERE email IN ({marks}) ORDER BY email"  # noqa: S608
        return [json.dumps(dict(record)).encode() + b"\n" for record in db.execute(query, emails)]

    def _send_lines(self, lines: list[bytes]) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(sum(len(line) for line in lines)))
        self.end_headers()
        for line in lines:
            self.wfile.write(line)

    def _authorized(self) -> bool:
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self._send(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"})
            return False
        return True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return None
        try:
            return json.loads(self.rfile.read(length))
        except ValueError:
            return None

    def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: request lines name request ids, and this is a demo."""


def _request_problem(body: Any) -> str:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("subject_request_id"), str) or not STATUS_PATH.match(
        f"/opendsr/{body['subject_request_id']}"
    ):
        return "subject_request_id must be a string of letters, digits, '.', '_' or '-'"
    if body.get("subject_request_type") not in REQUEST_TYPES:
        return f"subject_request_type must be one of {', '.join(REQUEST_TYPES)}"
    identities = body.get("subject_identities")
    if not isinstance(identities, list) or not identities or not all(isinstance(i, dict) for i in identities):
        return "subject_identities must be a non-empty list of objects"
    if not any(i.get("identity_type") == "email" and isinstance(i.get("identity_value"), str) for i in identities):
        return "subject_identities must include an email"
    return ""


def make_server(
    db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0, token: str = "", polls_before_complete: int = 1
) -> ProviderServer:
    """Return a server bound to (host, port); port 0 picks a free one (see server_address)."""
    return ProviderServer((host, port), db_path, token=token, polls_before_complete=polls_before_complete)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="SQLite file holding the credentials and requests")
    parser.add_argument("--token-env", default="", help="environment variable holding the bearer token to require")
    parser.add_argument("--polls", type=int, default=1, help="status polls before a request completes")
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env, "") if args.token_env else ""
    server = make_server(args.db, host=args.host, port=args.port, token=token, polls_before_complete=args.polls)
    # Flushed: whoever started this program reads the address from the pipe.
    sys.stdout.write(f"auth provider on http://{args.host}:{server.server_address[1]}/opendsr\n")
    sys.stdout.flush()

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
