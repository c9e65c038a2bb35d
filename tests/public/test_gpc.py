"""Global Privacy Control: the form says it heard the signal, chooses the opt-out where the law
gives it, records the signal on the request, and the site publishes /.well-known/gpc.json."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from requests_app.models import DataSubjectRequest, EmailMessage, State
from tests.fanout_helpers import use_manual_map
from tests.public.test_forms import form_data
from tests.test_settings import _settings_in_subprocess

if TYPE_CHECKING:
    from pathlib import Path

    from django.test import Client

pytestmark = pytest.mark.django_db

GPC = {"Sec-GPC": "1"}
NOTICE = "Your browser sent a Global Privacy Control signal."
TREATED = "We treat it as a request to opt out of the sale and sharing of your data."


def checked_type(body: str) -> str | None:
    found = re.search(r'<input type="radio" name="request_type" value="(\w+)"[^>]*checked', body)
    return found.group(1) if found else None


def test_the_page_says_in_words_that_the_browser_sent_gpc(client: Client) -> None:
    response = client.get("/request/", headers=GPC)
    body = response.content.decode()
    assert NOTICE in body and TREATED in body
    assert "Sec-GPC" in response["Vary"]  # a cache keeps the two pages apart


def test_without_the_signal_the_page_says_nothing_of_it(client: Client) -> None:
    body = client.get("/request/", headers={"Sec-GPC": "0"}).content.decode()
    assert NOTICE not in body


@pytest.mark.parametrize("region", ["US-CO", "US-CA"])
def test_the_signal_pre_selects_the_opt_out_where_the_law_gives_it(client: Client, region: str) -> None:
    body = client.get(f"/request/?region={region}", headers=GPC).content.decode()
    assert checked_type(body) == "opt_out"
    assert f'<option value="{region}" selected>' in body


def test_without_the_signal_nothing_is_pre_selected(client: Client) -> None:
    assert checked_type(client.get("/request/?region=US-CO").content.decode()) is None


@pytest.mark.parametrize("region", ["DE", "CA-ON"])
def test_a_law_without_opt_out_gets_the_notice_and_no_pre_selection(client: Client, region: str) -> None:
    body = client.get(f"/request/?region={region}", headers=GPC).content.decode()
    assert NOTICE in body
    assert checked_type(body) is None


def test_a_hostile_region_in_the_address_is_ignored(client: Client) -> None:
    body = client.get("/request/?region=" + "US-CO" * 1000, headers=GPC).content.decode()
    assert checked_type(body) is None
    assert "US-COUS-CO" not in body


@pytest.mark.parametrize(
    ("headers", "recorded"),
    [({"Sec-GPC": "1"}, True), ({}, False), ({"Sec-GPC": "0"}, False), ({"Sec-GPC": "true"}, False)],
)
def test_the_signal_is_recorded_only_for_sec_gpc_1(client: Client, headers: dict[str, str], recorded: bool) -> None:
    response = client.post("/request/", form_data(request_type="opt_out", region="US-CO"), headers=headers)
    assert response.status_code == 302
    assert DataSubjectRequest.objects.get().gpc_signal is recorded


def test_a_colorado_opt_out_is_started_without_proof_and_both_pages_say_why(client: Client) -> None:
    use_manual_map()
    response = client.post("/request/", form_data(request_type="opt_out", region="US-CO"), headers=GPC)
    assert response["Location"] == "/request/sent/?verification=not-asked"
    sent = client.get(response["Location"]).content.decode()
    assert "We did not ask you to prove who you are" in sent
    assert "Enter the code from the email" not in sent

    request = DataSubjectRequest.objects.get()
    assert (request.request_type, request.jurisdiction, request.gpc_signal) == ("opt_out", "us-co", True)
    assert request.state == State.IN_PROGRESS
    assert request.verified_at is None and request.email_verified_at is None
    ack = EmailMessage.objects.get(request=request, kind="acknowledgement")
    link = re.search(r"http://\S+?(/request/status/\S+/)", ack.body_text)
    assert link is not None
    status = client.get(link.group(1)).content.decode()
    assert "Not asked: for this request the law does not allow us to ask you to prove who you are." in status


def test_an_opt_out_that_the_law_lets_us_verify_asks_for_confirmation_as_usual(client: Client) -> None:
    response = client.post("/request/", form_data(request_type="opt_out", region="US-VA"), headers=GPC)
    assert response["Location"] == "/request/sent/"
    assert DataSubjectRequest.objects.get().state == State.PENDING_VERIFICATION


def test_a_gdpr_request_with_the_signal_keeps_its_type_and_records_the_signal(client: Client) -> None:
    client.post("/request/", form_data(), headers=GPC)
    request = DataSubjectRequest.objects.get()
    assert (request.request_type, request.gpc_signal) == ("access", True)


# --- /.well-known/gpc.json -----------------------------------------------------------------------


def test_gpc_json_says_the_site_honours_the_signal(client: Client) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"gpc": True}
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert not response.cookies
    assert "Set-Cookie" not in response


def test_gpc_json_gives_the_last_update_when_set(client: Client, settings: Any) -> None:
    settings.DSAR_GPC_LAST_UPDATE = "2026-06-01"
    assert json.loads(client.get("/.well-known/gpc.json").content) == {"gpc": True, "lastUpdate": "2026-06-01"}


def test_gpc_json_is_not_found_when_support_is_turned_off(client: Client, settings: Any) -> None:
    settings.DSAR_GPC_SUPPORTED = False
    assert client.get("/.well-known/gpc.json").status_code == 404


def test_gpc_json_takes_no_posts(client: Client) -> None:
    assert client.post("/.well-known/gpc.json").status_code == 405


def test_the_gpc_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        {"DSAR_GPC_SUPPORTED": "false", "DSAR_GPC_LAST_UPDATE": "2026-06-01"},
        tmp_path,
        "settings.DSAR_GPC_SUPPORTED, settings.DSAR_GPC_LAST_UPDATE",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False 2026-06-01"


@pytest.mark.parametrize("raw", ["2026-13-01", "1 June 2026", "20260601", "2026-W22-1"])
def test_a_bad_last_update_stops_the_process_with_the_variables_name(tmp_path: Path, raw: str) -> None:
    result = _settings_in_subprocess({"DSAR_GPC_LAST_UPDATE": raw}, tmp_path)
    assert result.returncode != 0
    assert "DSAR_GPC_LAST_UPDATE must be a date written YYYY-MM-DD" in result.stderr
