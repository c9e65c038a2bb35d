"""The HTTP processor connector against the demo auth provider and misbehaving local servers,
and the manual connector (a processor reached by a person)."""

from __future__ import annotations

import os
import select
import socket
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from demo import DEMO_DATAMAP_PATH
from demo.auth_provider import ProviderServer, make_server
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, seed_estate
from requests_app.datamap import System, load_datamap_file
from requests_app.fulfilment.connectors import (
    ConnectorError,
    ConnectorPending,
    CorrectionRefused,
    MemoryCheckpoint,
    Subject,
    connector_for,
)
from tests.paths import ROOT as PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

TOKEN = "test-token"
FAST = {"connect_timeout": 0.5, "read_timeout": 0.5, "poll_interval": 0.01, "max_wait": 5, "retries": 0}


def demo_system(name: str, **settings: Any) -> System:
    system = load_datamap_file(DEMO_DATAMAP_PATH).get_system(name)
    assert system is not None
    return replace(system, connection={**system.connection, **FAST, **settings})


def serve(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def auth_db(tmp_path: Path) -> Path:
    """The auth provider's store, filled by the demo seed (one credential per subject)."""
    path = tmp_path / "auth.sqlite3"
    seed_estate(
        f"sqlite:///{tmp_path / 'estate.sqlite3'}", None, subjects=5, rows_per_subject=1, heavy_subjects=0, auth_db=path
    )
    return path


@pytest.fixture
def provider(auth_db: Path, request: pytest.FixtureRequest) -> Iterator[ProviderServer]:
    polls = getattr(request, "param", 1)
    server = make_server(auth_db, token=TOKEN, polls_before_complete=polls)
    yield from (server for _ in serve(server))


def auth_connector(server: ThreadingHTTPServer, **settings: Any) -> Any:
    env = {"DSAR_DEMO_AUTH_URL": f"http://127.0.0.1:{server.server_address[1]}", "DSAR_DEMO_AUTH_TOKEN": TOKEN}
    return connector_for(demo_system("auth_provider", **settings), environ=env)


def credentials(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT email FROM credentials ORDER BY email")]


def requests_made(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])


@pytest.mark.parametrize("email", SPECIAL_EMAILS)
def test_the_demo_auth_provider_exports_and_erases_end_to_end(
    provider: ProviderServer, auth_db: Path, email: str
) -> None:
    connector = auth_connector(provider)
    subject = Subject({"email": (email,)})
    records = list(connector.export(subject))
    assert [(dataset, record["email"]) for dataset, record in records] == [("credentials", email)]
    assert set(records[0][1]) >= {"password_hash", "last_login_at", "last_login_ip"}

    everyone = credentials(auth_db)
    counts = connector.erase(subject, MemoryCheckpoint())
    assert counts.datasets["credentials"].deleted == 1
    assert credentials(auth_db) == [e for e in everyone if e != email]
    assert all(decoy in credentials(auth_db) for decoy in DECOY_EMAILS)
    assert list(connector.export(subject)) == []
    assert connector.erase(subject, MemoryCheckpoint()).changes == 0


def test_the_demo_auth_provider_runs_as_a_program(auth_db: Path) -> None:
    module = "demo.auth_provider"
    command = [sys.executable, "-m", module, "--port", "0", "--db", str(auth_db), "--token-env", "DEMO_TOKEN"]
    root = PROJECT_ROOT
    # Without PYTHONUNBUFFERED: the program itself must flush the address it prints.
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "DEMO_TOKEN": TOKEN}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the demo auth provider printed no address within 30 s"
        url = process.stdout.readline().split()[-1].removesuffix("/opendsr")
        environ = {"DSAR_DEMO_AUTH_URL": url, "DSAR_DEMO_AUTH_TOKEN": TOKEN}
        connector = connector_for(demo_system("auth_provider"), environ=environ)
        records = list(connector.export(Subject({"email": (DECOY_EMAILS[0],)})))
        assert [record["email"] for _, record in records] == [DECOY_EMAILS[0]]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("provider", [3], indirect=True)
def test_a_retried_erasure_polls_the_submitted_request_instead_of_submitting_again(
    provider: ProviderServer, auth_db: Path
) -> None:
    # Polling every second with at most half a second to wait: one poll per run, then pending.
    connector = auth_connector(provider, poll_interval=1, max_wait=0.5)
    checkpoint = MemoryCheckpoint()
    subject = Subject({"email": (SPECIAL_EMAILS[0],)})
    for _ in range(2):
        with pytest.raises(ConnectorPending) as pending:
            connector.erase(subject, checkpoint)
        assert pending.value.transient is True
    assert checkpoint.state["submitted"] is True
    assert checkpoint.state["request_status"] == "pending"
    counts = connector.erase(subject, checkpoint)
    assert counts.datasets["credentials"].deleted == 1
    assert requests_made(auth_db) == 1


def test_a_request_whose_post_answer_was_lost_is_not_submitted_twice(provider: ProviderServer, auth_db: Path) -> None:
    connector = auth_connector(provider)
    subject = Subject({"email": (SPECIAL_EMAILS[0],)})
    checkpoint = MemoryCheckpoint()
    connector.erase(subject, checkpoint)
    # As if the worker died after the POST reached the processor but before it saved "submitted".
    checkpoint.state["submitted"] = False
    connector.erase(subject, checkpoint)
    assert requests_made(auth_db) == 1


def test_a_wrong_token_is_a_permanent_error(provider: ProviderServer) -> None:
    env = {"DSAR_DEMO_AUTH_URL": f"http://127.0.0.1:{provider.server_address[1]}", "DSAR_DEMO_AUTH_TOKEN": "wrong"}
    connector = connector_for(demo_system("auth_provider"), environ=env)
    with pytest.raises(ConnectorError) as caught:
        list(connector.export(Subject({"email": (SPECIAL_EMAILS[0],)})))
    assert caught.value.transient is False
    assert "401" in str(caught.value)


def test_correction_at_a_processor_becomes_a_manual_step_for_correctable_fields_only(provider: ProviderServer) -> None:
    connector = auth_connector(provider)
    subject = Subject({"email": (SPECIAL_EMAILS[0],)})
    with pytest.raises(CorrectionRefused) as refused:
        connector.correct(subject, {"credentials": {"email": "new@example.org"}}, MemoryCheckpoint())
    assert refused.value.fields == ["credentials.email (not correctable)"]


# Misbehaving processors


class Misbehaving(BaseHTTPRequestHandler):
    """Answers every request with whatever the test's `answer` function decides."""

    server: MisbehavingServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.answer(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class MisbehavingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Callable[[Misbehaving], None]) -> None:
        super().__init__(("127.0.0.1", 0), Misbehaving)
        self.answer = answer
        self.release = threading.Event()
        self.requests = 0


@pytest.fixture
def misbehaving() -> Iterator[Callable[[Callable[[Misbehaving], None]], Any]]:
    servers: list[MisbehavingServer] = []

    def start(answer: Callable[[Misbehaving], None]) -> Any:
        def counted(handler: Misbehaving) -> None:
            handler.server.requests += 1
            answer(handler)

        server = MisbehavingServer(counted)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        env = {"DSAR_DEMO_AUTH_URL": f"http://127.0.0.1:{server.server_address[1]}", "DSAR_DEMO_AUTH_TOKEN": TOKEN}
        return connector_for(demo_system("auth_provider"), environ=env), server

    yield start
    for server in servers:
        server.release.set()  # Lets hanging handlers finish.
        server.shutdown()
        server.server_close()


def reply(handler: Misbehaving, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def erase_error(connector: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        connector.erase(Subject({"email": ("ada@example.org",)}), MemoryCheckpoint())
    return caught.value


def test_a_processor_that_hangs_past_the_read_timeout_is_a_transient_error(misbehaving: Any) -> None:
    connector, _ = misbehaving(lambda handler: handler.server.release.wait(10))
    error = erase_error(connector)
    assert error.transient is True
    assert "did not answer in time" in str(error)


def test_transient_errors_are_retried_and_then_reported_as_transient(misbehaving: Any) -> None:
    connector, server = misbehaving(lambda handler: reply(handler, 503, b"busy"))
    connector.retries, connector.retry_backoff = 2, 0.01
    error = erase_error(connector)
    assert error.transient is True
    assert "503" in str(error)
    assert server.requests == 3


def test_a_processor_that_answers_garbage_is_a_permanent_error_and_is_not_retried(misbehaving: Any) -> None:
    connector, server = misbehaving(lambda handler: reply(handler, 201, b"<html>surprise</html>"))
    connector.retries = 2
    error = erase_error(connector)
    assert error.transient is False
    assert "not JSON" in str(error)
    assert server.requests == 1


def test_a_processor_that_does_not_speak_http_is_a_permanent_error(misbehaving: Any) -> None:
    def garbage(handler: Misbehaving) -> None:
        handler.wfile.write(b"\x00\x01 hello there\r\n\r\n")
        handler.close_connection = True

    connector, _ = misbehaving(garbage)
    assert erase_error(connector).transient is False


def test_an_unknown_request_status_is_a_permanent_error(misbehaving: Any) -> None:
    def answer(handler: Misbehaving) -> None:
        body = b'{"request_status": "on_fire"}' if handler.command == "GET" else b"{}"
        reply(handler, 200 if handler.command == "GET" else 201, body)

    connector, _ = misbehaving(answer)
    error = erase_error(connector)
    assert error.transient is False
    assert "on_fire" in str(error)


def test_a_client_error_is_permanent(misbehaving: Any) -> None:
    connector, _ = misbehaving(lambda handler: reply(handler, 400, b'{"error": "bad"}'))
    assert erase_error(connector).transient is False


def test_a_redirect_to_another_host_is_refused(misbehaving: Any) -> None:
    connector, server = misbehaving(lambda h: reply(h, 307, b"", {"Location": "http://attacker.invalid/opendsr"}))
    error = erase_error(connector)
    assert error.transient is False
    assert "refused to contact http://attacker.invalid:80" in str(error)
    assert server.requests == 1


def test_results_on_another_host_are_refused(misbehaving: Any) -> None:
    def answer(handler: Misbehaving) -> None:
        if handler.command == "POST":
            reply(handler, 201, b'{"request_status": "pending"}')
        else:
            reply(handler, 200, b'{"request_status": "completed", "results_url": "http://10.0.0.1/dump"}')

    connector, _ = misbehaving(answer)
    with pytest.raises(ConnectorError) as caught:
        list(connector.export(Subject({"email": ("ada@example.org",)})))
    assert caught.value.transient is False
    assert "refused to contact http://10.0.0.1:80" in str(caught.value)


def test_a_garbage_line_in_the_results_is_a_permanent_error(misbehaving: Any) -> None:
    def answer(handler: Misbehaving) -> None:
        if handler.command == "POST":
            reply(handler, 201, b"{}")
        elif handler.path.endswith("/results"):
            reply(handler, 200, b'{"email": "ada@example.org"}\nnot json\n')
        else:
            reply(handler, 200, b'{"request_status": "completed", "results_url": "/opendsr/x/results"}')

    connector, _ = misbehaving(answer)
    records = connector.export(Subject({"email": ("ada@example.org",)}))
    assert next(records) == ("credentials", {"email": "ada@example.org"})
    with pytest.raises(ConnectorError) as caught:
        next(records)
    assert caught.value.transient is False


def test_a_processor_that_refuses_connections_is_a_transient_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"DSAR_DEMO_AUTH_URL": f"http://127.0.0.1:{port}", "DSAR_DEMO_AUTH_TOKEN": TOKEN}
    error = erase_error(connector_for(demo_system("auth_provider"), environ=env))
    assert error.transient is True


def test_a_base_url_with_credentials_is_refused() -> None:
    env = {"DSAR_DEMO_AUTH_URL": "http://user:pass@127.0.0.1:1", "DSAR_DEMO_AUTH_TOKEN": TOKEN}
    with pytest.raises(ConnectorError) as caught:
        connector_for(demo_system("auth_provider"), environ=env)
    assert caught.value.transient is False
    assert "pass" not in str(caught.value).replace("password", "")


# The manual step


def test_a_manual_step_exports_nothing_and_hands_erasure_to_a_person_with_instructions() -> None:
    system = load_datamap_file(DEMO_DATAMAP_PATH).get_system("web_analytics")
    assert system is not None
    connector = connector_for(system)
    subject = Subject({"cookie_id": ("c0ffee", "beef")})
    assert list(connector.export(subject)) == []
    assert connector.count(subject) == {}
    counts = connector.erase(subject, MemoryCheckpoint())
    assert counts.status == "manual"
    visits = counts.datasets["visits"]
    assert visits.status == "manual"
    assert "user deletion tool" in visits.instructions
    assert "cookie_id: c0ffee, beef" in visits.instructions
    assert counts.changes == 0
