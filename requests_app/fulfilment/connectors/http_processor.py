"""A third-party processor with an OpenDSR-style API, over plain HTTP(S) from the stdlib.

    POST {base}/opendsr          {"subject_request_id", "subject_request_type", "subject_identities"}
    GET  {base}/opendsr/{id}     {"request_status": pending | in_progress | completed | cancelled,
                                  "results_url"?}
    GET  results_url             JSON lines, one record a line

We choose the request id and save it in the checkpoint before submitting, so a task run
again polls the same request instead of submitting a second one (and a processor that
saw the first POST recognises the id). Only the configured origin is ever contacted: a
redirect or a results_url elsewhere is refused. Timeouts, refused connections, 5xx and 429
are transient and retried a few times; anything that is not the expected JSON is permanent.
"""

from __future__ import annotations

import functools
import http.client
import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from requests_app.datamap.connection import env_value
from requests_app.fulfilment.connectors.base import (
    ActionCounts,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorPending,
    CurrentValues,
    MemoryCheckpoint,
    Subject,
    ValuesUnreadable,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from requests_app.datamap.schema import System

MAX_JSON = 1_000_000  # bytes of a status answer
MAX_LINE = 16_000_000  # bytes of one results line
MAX_REDIRECTS = 3
STATUSES = ("pending", "in_progress", "completed", "cancelled")
TRANSIENT_HTTP = (408, 425, 429, 500, 502, 503, 504)


class HttpProcessorConnector(Connector):
    def __init__(self, system: System, *, environ: Mapping[str, str]) -> None:
        super().__init__(system)
        settings = system.connection
        try:
            base = str(settings.get("base_url") or env_value(settings, "base_url_env", environ))
            self.token = env_value(settings, "token_env", environ) if settings.get("token_env") else ""
        except LookupError as exc:
            raise self.error(f"bad connection settings: {exc}", transient=False) from exc
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise self.error("the base URL must be http(s)://host[:port][/path] without credentials", transient=False)
        self.base = base.rstrip("/")
        self.origin = _origin(self.base)
        self.connect_timeout = float(settings.get("connect_timeout", 10))
        self.read_timeout = float(settings.get("read_timeout", 30))
        self.poll_interval = float(settings.get("poll_interval", 5))
        self.max_wait = float(settings.get("max_wait", 60))
        self.retries = int(settings.get("retries", 2))
        self.retry_backoff = float(settings.get("retry_backoff", 1))
        self.sleep: Callable[[float], None] = time.sleep

    def resolve(self, subject: Subject) -> dict[str, tuple[str, ...]]:
        return {}

    def count(self, subject: Subject) -> dict[str, int]:
        """Return {}: the processor can only tell by running a whole access request."""
        return {}

    def export(self, subject: Subject, checkpoint: Checkpoint | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        status = self._carry_out("access", subject, checkpoint or MemoryCheckpoint(), lambda: None)
        url = status.get("results_url")
        if not isinstance(url, str) or not url:
            raise self.error("the processor completed the access request without a results_url", transient=False)
        for record in self._json_lines(urljoin(self.base + "/", url)):
            yield self._dataset_of(record), record

    def erase(
        self,
        subject: Subject,
        checkpoint: Checkpoint,
        *,
        batch_size: int = 5000,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> ActionCounts:
        status = self._carry_out("erasure", subject, checkpoint, heartbeat)
        counts = ActionCounts()
        for dataset in self.system.datasets:
            counts.dataset(dataset.name)
        erased = status.get("erased_records")  # An extension some processors send; 0 when absent.
        if isinstance(erased, int) and not isinstance(erased, bool) and self.system.datasets:
            counts.dataset(self.system.datasets[0].name).deleted = erased
        return counts

    def current_values(self, subject: Subject, fields: Mapping[str, Iterable[str]]) -> CurrentValues:
        """Refuse: the OpenDSR API reads a subject's data only by running a whole access request."""
        raise ValuesUnreadable(
            "the processor's API can only run a whole access request, so its values cannot be shown here",
            system=self.system.name,
        )

    def correct(self, subject: Subject, changes: dict[str, dict[str, Any]], checkpoint: Checkpoint) -> ActionCounts:
        """Hand the correction to a person: the OpenDSR API has no correction request."""
        self.check_correction(changes)
        counts = ActionCounts(status="manual")
        for name, values in changes.items():
            entry = counts.dataset(name)
            entry.status = "manual"
            entry.instructions = f"Ask the processor ({self.origin}) to correct: {', '.join(sorted(values))}."
        return counts

    # The request at the processor

    def _carry_out(
        self, request_type: str, subject: Subject, checkpoint: Checkpoint, heartbeat: Callable[[], None]
    ) -> dict[str, Any]:
        """Submit the request once (id kept in the checkpoint), then poll until it completes."""
        state = checkpoint.get()
        if not state.get("request_id"):
            state.update(request_id=str(uuid.uuid4()), request_type=request_type, submitted=False)
            checkpoint.save(state)  # Before the POST: a crash after it re-sends the same id.
        request_id = str(state["request_id"])
        if not state.get("submitted"):
            body = {
                "subject_request_id": request_id,
                "subject_request_type": request_type,
                "subject_identities": self._identities(subject),
            }
            answer = self._call("POST", f"{self.base}/opendsr", body)
            if str(answer.get("subject_request_id", request_id)) != request_id:
                raise self.error("the processor answered with another subject_request_id", transient=False)
            state["submitted"] = True
            checkpoint.save(state)
        deadline = time.monotonic() + self.max_wait
        while True:
            status = self._call("GET", f"{self.base}/opendsr/{request_id}")
            state["request_status"] = status.get("request_status")
            if state["request_status"] not in STATUSES:
                raise self.error(f"unknown request_status {state['request_status']!r}", transient=False)
            if state["request_status"] == "completed":
                checkpoint.save(state)
                return status
            if state["request_status"] == "cancelled":
                raise self.error(f"the processor cancelled request {request_id}", transient=False)
            heartbeat()
            if time.monotonic() + self.poll_interval > deadline:
                checkpoint.save(state)
                message = f"request {request_id} is {state['request_status']}"
                raise ConnectorPending(message, system=self.system.name, retry_after=self.poll_interval)
            self.sleep(self.poll_interval)

    def _identities(self, subject: Subject) -> list[dict[str, str]]:
        identities = [
            {"identity_type": name, "identity_value": value, "identity_format": "raw"}
            for name in self.system.searched_by
            for value in subject.values(name)
        ]
        if not identities:
            raise self.error(
                f"the subject has none of the identifiers {', '.join(self.system.searched_by)}", transient=False
            )
        return identities

    def _dataset_of(self, record: dict[str, Any]) -> str:
        name = record.pop("dataset", None)
        if name is None and len(self.system.datasets) == 1:
            return self.system.datasets[0].name
        if not isinstance(name, str) or self.system.get_dataset(name) is None:
            raise self.error(f"a results line names no known dataset ({name!r})", transient=False)
        return name

    # HTTP

    def _call(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
        """Send one request (retrying transient failures) and return its JSON object answer."""
        for attempt in range(self.retries + 1):
            try:
                response, conn = self._open(method, url, body)
                try:
                    data = self._read(functools.partial(response.read, MAX_JSON + 1))
                finally:
                    conn.close()
                if len(data) > MAX_JSON:
                    raise self.error("the answer is too large", transient=False)
                return self._json_object(data)
            except ConnectorError as exc:
                if not exc.transient or attempt == self.retries:
                    raise
                self.sleep(self.retry_backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _json_lines(self, url: str) -> Iterator[dict[str, Any]]:
        """Yield each line of the results as a JSON object, reading the body a line at a time."""
        response, conn = self._open("GET", url, None)
        try:
            while line := self._read(lambda: response.readline(MAX_LINE + 1)):
                if len(line) > MAX_LINE:
                    raise self.error("a results line is too long", transient=False)
                if line.strip():
                    yield self._json_object(line)
        finally:
            conn.close()

    def _json_object(self, data: bytes) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise self.error("the processor answered with something that is not JSON", transient=False) from exc
        if not isinstance(value, dict):
            raise self.error("the processor answered with JSON that is not an object", transient=False)
        return value

    def _open(self, method: str, url: str, body: Any) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        """Send the request and return the response with status 2xx, following same-origin redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            if _origin(url) != self.origin:
                raise self.error(
                    f"refused to contact {_origin(url)}: only {self.origin} is configured", transient=False
                )
            conn = self._connection(url)
            response = self._read(functools.partial(self._send, conn, method, url, body))
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                conn.close()
                url = urljoin(url, location)
                continue
            if 200 <= response.status < 300:
                return response, conn
            conn.close()
            transient = response.status in TRANSIENT_HTTP
            raise self.error(
                f"{method} {urlsplit(url).path} answered {response.status} {response.reason}", transient=transient
            )
        raise self.error("too many redirects", transient=False)

    def _connection(self, url: str) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return cls(parts.hostname or "", parts.port, timeout=self.connect_timeout)

    def _send(self, conn: http.client.HTTPConnection, method: str, url: str, body: Any) -> http.client.HTTPResponse:
        parts = urlsplit(url)
        headers = {"Accept": "application/json", "User-Agent": "dsar-connector"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.connect()
        # The connect timeout applied to connecting; from here on the read timeout does.
        if conn.sock is not None:
            conn.sock.settimeout(self.read_timeout)
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=payload, headers=headers)
        return conn.getresponse()

    def _read(self, operation: Callable[[], Any]) -> Any:
        """Run one network operation, turning socket and protocol errors into ConnectorErrors."""
        try:
            return operation()
        except TimeoutError as exc:
            raise self.error("the processor did not answer in time", transient=True) from exc
        except http.client.IncompleteRead as exc:
            raise self.error("the processor's answer was cut short", transient=True) from exc
        except (ConnectionError, OSError) as exc:
            raise self.error(f"cannot reach the processor: {type(exc).__name__}", transient=True) from exc
        except http.client.HTTPException as exc:
            # Not HTTP at all (a bad status line, broken chunks): the other end is not a processor.
            raise self.error(
                f"the processor's answer is not valid HTTP: {type(exc).__name__}", transient=False
            ) from exc


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"
