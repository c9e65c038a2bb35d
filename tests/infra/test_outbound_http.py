"""Posting to a URL an integration gave: only to public addresses, to the address checked."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from requests_app.infra import outbound_http
from requests_app.infra.outbound_http import OutboundFailed, OutboundRefused, post, url_problem

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class Receiver(http.server.BaseHTTPRequestHandler):
    """Records each request; answers as the test's ``answer`` says."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        server = self.server
        server.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})  # type: ignore[attr-defined]
        status, headers, content, delay = server.answer  # type: ignore[attr-defined]
        time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.seen = []  # type: ignore[attr-defined]
    server.answer = (204, {}, b"", 0.0)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_allowed(settings) -> None:
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DSAR_OUTBOUND_ALLOW_HTTP = True


def url_of(server: http.server.ThreadingHTTPServer, path: str = "/hook", host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.server_address[1]}{path}"


def test_a_post_reaches_an_allowed_receiver_with_its_body_and_headers(receiver, loopback_allowed):
    receiver.answer = (200, {}, b"thanks", 0.0)
    response = post(url_of(receiver, "/hook?x=1"), body=b'{"a":1}', headers={"Content-Type": "application/json"})
    assert (response.status, response.body) == (200, b"thanks")
    (seen,) = receiver.seen
    assert seen["path"] == "/hook?x=1"
    assert seen["body"] == b'{"a":1}'
    assert seen["headers"]["Content-Type"] == "application/json"


def test_only_the_start_of_a_long_answer_is_read(receiver, loopback_allowed):
    receiver.answer = (200, {}, b"x" * 100_000, 0.0)
    response = post(url_of(receiver), body=b"{}", headers={})
    assert len(response.body) == outbound_http.RESPONSE_LIMIT


def test_a_redirect_is_returned_not_followed(receiver, loopback_allowed):
    receiver.answer = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"", 0.0)
    assert post(url_of(receiver), body=b"{}", headers={}).status == 302
    assert len(receiver.seen) == 1


def test_loopback_is_refused_unless_its_network_is_allowed(receiver, settings):
    settings.DSAR_OUTBOUND_ALLOW_HTTP = True
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(OutboundRefused, match="loopback"):
        post(url_of(receiver), body=b"{}", headers={})
    assert receiver.seen == []


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("169.254.169.254", "link-local"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "private"),  # noqa: S104 (an address refused, not one bound)
        ("100.64.0.1", "not a public"),
        ("224.0.0.1", "not a public"),
        ("localhost", "loopback"),
    ],
)
def test_addresses_that_are_not_public_are_refused(settings, host, why):
    settings.DSAR_OUTBOUND_ALLOW_HTTP = True
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(OutboundRefused, match=why):
        post(f"http://{host}:9/hook", body=b"{}", headers={})


def test_a_name_is_checked_on_every_address_it_resolves_to(monkeypatch, settings):
    """DNS rebinding: one public answer beside a private one does not let the private one through."""
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = []

    def resolver(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1"):
        post("https://hooks.example.test/x", body=b"{}", headers={})


def test_the_connection_goes_to_the_address_that_was_checked_with_the_name_as_host(
    receiver, loopback_allowed, monkeypatch
):
    port = receiver.server_address[1]
    answers = iter(["127.0.0.1", "203.0.113.9"])  # a second lookup of the name would give another address
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host != "hooks.example.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    assert post(f"http://hooks.example.test:{port}/x", body=b"{}", headers={}).status == 204
    (seen,) = receiver.seen
    assert seen["headers"]["Host"] == f"hooks.example.test:{port}"


def test_a_slow_receiver_is_a_failure_to_try_again(receiver, loopback_allowed):
    receiver.answer = (200, {}, b"", 3.0)
    with pytest.raises(OutboundFailed):
        post(url_of(receiver), body=b"{}", headers={}, timeout=1)


def test_nothing_listening_is_a_failure_to_try_again(loopback_allowed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OutboundFailed):
        post(f"http://127.0.0.1:{port}/x", body=b"{}", headers={})


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_a_certificate_nobody_vouches_for_is_refused(receiver, loopback_allowed, tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    with pytest.raises(OutboundFailed, match=r"SSL|certificate"):
        post(f"https://127.0.0.1:{receiver.server_address[1]}/x", body=b"{}", headers={})
    assert receiver.seen == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "1 to"),
        ("ftp://example.com/x", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https:///nohost", "no host"),
        ("https://user:pw@example.com/", "user name"),
        ("https://example.com:99999/", "not a valid"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/" + "a" * 2000, "1 to"),
    ],
)
def test_urls_of_the_wrong_form_are_explained(url, problem):
    assert problem in url_problem(url)


def test_plain_http_is_refused_when_not_allowed(settings):
    settings.DSAR_OUTBOUND_ALLOW_HTTP = False
    assert url_problem("http://example.com/x") == "Only https:// URLs are allowed"
    assert url_problem("https://example.com/x") == ""
    with pytest.raises(OutboundRefused, match="https"):
        post("http://example.com/x", body=b"{}", headers={})
