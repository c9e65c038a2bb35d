"""No log line holds a secret: a whole request's life through gunicorn and a worker, logs searched.

A person asks through the form, confirms with the emailed link, opens their status page, asks
for a download code and downloads their copy, and a stranger tries a forged link; gunicorn
(access log on), the Django logging of its workers and the Celery worker all write to files.
None of them may contain the subject's email address, a link's token, or a code.
"""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import pytest

from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import DataSubjectRequest, State
from tests.conftest import ROOT
from tests.estate import FLAKY_MAP, Estate
from tests.fanout_helpers import STAFF
from tests.reliability.processes import Process, RedisServer, app_environment, free_port, start, wait_until
from tests.waiting import mail_to, plain_text

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SUBJECT = "secret.subject@example.org"


class Browser:
    """Just enough of a browser: cookies, the CSRF token from each form, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 - http:// on loopback

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, **data}).encode()
        request = urllib.request.Request(  # noqa: S310 - http:// on loopback
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        if found := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text):
            self.csrf = found.group(1)
        return status, text


@pytest.fixture
def stack(estate: Estate, tmp_path: Path) -> Iterator[tuple[str, list[Process]]]:
    """gunicorn (as the documented command runs it) and a worker, on a Redis of their own."""
    redis_server = RedisServer()
    redis_server.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = app_environment(redis_server.url, tmp_path, {"DSAR_PUBLIC_BASE_URL": base, "DSAR_LOG_LEVEL": "DEBUG"})
    web_log = tmp_path / "gunicorn.log"
    with web_log.open("wb") as output:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dsar.wsgi:application", "-c", "python:dsar.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-", "--error-logfile", "-"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    processes = [Process("web", web, web_log), start("worker", environment, tmp_path)]
    try:
        wait_until(lambda: _answers(base + "/healthz"), seconds=60, processes=tuple(processes))
        yield base, processes
    finally:
        for process in processes:
            process.stop()
        redis_server.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback test server
            return True
    except (urllib.error.URLError, OSError):
        return False


def test_a_whole_request_leaves_no_address_token_or_code_in_any_log(
    stack: tuple[str, list[Process]], tmp_path: Path
) -> None:
    base, processes = stack
    datamap_import(FLAKY_MAP, actor=STAFF)
    person = Browser(base)
    person.get("/request/")
    status, _ = person.post(
        "/request/",
        {"request_type": "access", "full_name": "Secret Subject", "email": SUBJECT, "region": "DE",
         "declaration": "on", "website": ""},
    )  # fmt: skip
    assert status == 200  # the redirect to "Check your inbox", followed
    mail = tmp_path / "mail"
    wait_until(lambda: bool(mail_to(mail, SUBJECT)), seconds=60, processes=tuple(processes))
    acknowledgement = plain_text(mail_to(mail, SUBJECT)[0])
    link = re.search(r"(/request/verify/[^/\s]+/)", acknowledgement)
    code = re.search(r"\b\d{4}-\d{4}\b", acknowledgement)
    assert link and code
    person.get(link.group(1))
    status, page = person.post(link.group(1), {})
    assert status == 200 and "Your request" in page
    request = DataSubjectRequest.objects.get(subject_email=SUBJECT)
    wait_until(lambda: DataSubjectRequest.objects.get(pk=request.pk).state == State.COMPLETED, seconds=90,
               processes=tuple(processes))  # fmt: skip
    status_mail = next(plain_text(m) for m in mail_to(mail, SUBJECT) if "/request/status/" in plain_text(m))
    status_path = re.search(r"(/request/status/[^/\s]+/)", status_mail)
    assert status_path
    bundle = request.bundles.get()
    download = f"{status_path.group(1)}download/{bundle.pk}/"
    person.get(status_path.group(1))
    person.get(download)
    person.post(download, {"action": "send"})

    def download_mail() -> str:
        codes = [m for m in mail_to(mail, SUBJECT) if "Your download code" in str(m["Subject"])]
        return plain_text(codes[-1]) if codes else ""

    wait_until(lambda: bool(download_mail()), seconds=60, processes=tuple(processes))
    download_code = re.search(r"\b\d{4}-\d{4}\b", download_mail())
    assert download_code
    status, _ = person.post(download, {"action": "download", "code": download_code.group(0)})
    assert status == 200
    # A stranger with a forged link and a wrong code: both logged as refused, neither as text.
    stranger = Browser(base)
    stranger.get(status_path.group(1)[:-5] + "xxxx/")
    stranger.get(download)
    stranger.post(download, {"action": "download", "code": "0000-0000"})
    time.sleep(1)

    secrets = {
        "the subject's email": SUBJECT,
        "the verification link's token": link.group(1).split("/")[3],
        "the status link's token": status_path.group(1).split("/")[3],
        "the verification code": code.group(0),
        "the download code": download_code.group(0),
    }
    logs = {process.name: process.text() for process in processes}
    assert "GET /request/status/[redacted]/" in logs["web"]  # the access log is on, and redacted
    for process_name, text in logs.items():
        for what, value in secrets.items():
            assert value not in text, f"{what} is in the {process_name} log"
