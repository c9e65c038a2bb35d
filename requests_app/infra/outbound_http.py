"""Posting to a URL someone outside gave us (a webhook, an agent's callback), safely.

A URL given by an integration is hostile until checked: it may name the metadata service
of the cloud the product runs in, a database on loopback, or a name that resolves to a
public address when the form checks it and to a private one when the worker connects
(DNS rebinding). So the host is resolved once, every address it resolves to must be public
(or inside ``DSAR_OUTBOUND_ALLOWED_NETWORKS``), and the connection goes to the address that
was checked, with the name kept for the Host header and TLS. Redirects are not followed
(a redirect could lead anywhere), and only the first 4 KiB of an answer is read.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from requests_app.errors import ApplicationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESPONSE_LIMIT = 4096
URL_MAX_LENGTH = 2000
USER_AGENT = "dsar-workflow/1 (+outbound)"


class OutboundRefused(ApplicationError):
    """The URL is not one the product sends to: its scheme, or the address it resolves to."""


class OutboundFailed(Exception):
    """The send did not complete (network error, timeout, TLS failure): worth another try."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes  # the first RESPONSE_LIMIT bytes


def url_problem(url: str) -> str:
    """Why ``url`` is not a URL the product sends to, or "" when its form is acceptable.

    Checks the form only (scheme, host, no credentials); the address is checked when sending.
    """
    if not url or len(url) > URL_MAX_LENGTH:
        return f"A URL of 1 to {URL_MAX_LENGTH} characters is needed"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a valid URL"
    allowed = ("https", "http") if settings.DSAR_OUTBOUND_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        return "Only https:// URLs are allowed" if parts.scheme == "http" else "The URL must start with https://"
    if not parts.hostname:
        return "The URL has no host"
    if parts.username is not None or parts.password is not None:
        return "The URL must not hold a user name or password"
    if port == 0:
        return "The URL's port is not valid"
    if any(ch.isspace() for ch in url):
        return "The URL must not contain spaces"
    return ""


def address_problem(address: IPAddress) -> str:
    """Why the product does not connect to ``address``, or "" when it may."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return ""
    if address.is_loopback:
        return "it is a loopback address"
    if address.is_link_local:
        return "it is a link-local address (such as a cloud metadata service)"
    if address.is_private:
        return "it is a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified or not address.is_global:
        return "it is not a public address"
    return ""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.DSAR_OUTBOUND_ALLOWED_NETWORKS]


def resolve_checked(host: str, port: int) -> IPAddress:
    """The address to connect to for ``host``: every address it resolves to must be allowed.

    Refusing when any is bad (not only the first) keeps a name that resolves to a public
    and a private address from reaching the private one on a retry.
    """
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise OutboundFailed(f"The host {host} could not be resolved: {error}") from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise OutboundFailed(f"The host {host} resolves to no address")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise OutboundRefused(f"The URL's host {host} resolves to {address}, and {problem}: nothing was sent")
    return addresses[0]


def post(url: str, *, body: bytes, headers: Mapping[str, str], timeout: float | None = None) -> OutboundResponse:
    """POST ``body`` to ``url`` and return the status and the start of the answer.

    Raises ``OutboundRefused`` for a URL the product does not send to (nothing is sent) and
    ``OutboundFailed`` when the send did not complete.
    """
    problem = url_problem(url)
    if problem:
        raise OutboundRefused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_checked(host, port)
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    host_header = named if port == (443 if parts.scheme == "https" else 80) else f"{named}:{port}"
    seconds = timeout if timeout is not None else settings.DSAR_OUTBOUND_TIMEOUT_SECONDS
    pool = _pool(parts.scheme, host, str(address), port, seconds)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    request_headers = {"User-Agent": USER_AGENT, **headers, "Host": host_header}
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            content = response.read(RESPONSE_LIMIT)
        finally:
            response.release_conn()
            response.close()
    except urllib3.exceptions.HTTPError as error:
        raise OutboundFailed(f"{type(error).__name__}: {error}") from error
    finally:
        pool.close()
    return OutboundResponse(status=response.status, body=content)


def _pool(scheme: str, host: str, address: str, port: int, seconds: float) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    if scheme == "https":
        # Connect to the checked address; verify the certificate against the name.
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=1, retries=False)
