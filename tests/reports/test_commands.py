"""The report commands: privacy_metrics, request_register and processing_record, in each
format, with hostile input refused clearly."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import AuditEvent, DataSubjectRequest, RequestType, State
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from tests.factories import request_in_state

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def three_requests() -> tuple[int, list[DataSubjectRequest]]:
    """Three requests received 20 days ago, and the year that was (in the company's time zone)."""
    received = timezone.now() - timedelta(days=20)
    made = [
        request_in_state(State.COMPLETED, received_at=received, subject_email="done@example.org"),
        request_in_state(
            State.VERIFIED,
            received_at=received,
            request_type=RequestType.DELETION,
            jurisdiction="ccpa",
            subject_email="refused@example.org",
        ),
        request_in_state(
            State.CLOSED_UNVERIFIED,
            received_at=received,
            subject_email="late@example.org",
            subject_name='=HYPERLINK("http://x.invalid")',
        ),
    ]
    services.request_reject(request=made[1], actor=Actor.system("tests"), reason="No.", category="exempt")
    return timezone.localdate(received).year, made


# --- privacy_metrics ------------------------------------------------------------------------


def test_privacy_metrics_prints_the_figures_as_json(three_requests: tuple[int, list[DataSubjectRequest]]) -> None:
    year, _made = three_requests
    figures = json.loads(run("privacy_metrics", "--year", str(year), "--format", "json"))
    assert figures["year"] == year and figures["received"] == 3
    by_type = {t["request_type"]: t for t in figures["ccpa_7102"]}
    assert by_type["access"]["complied_in_whole"] == 1
    assert by_type["access"]["denied_by_reason"]["not_verified"] == 1
    assert by_type["deletion"]["denied_by_reason"]["exempt"] == 1
    assert figures["by_jurisdiction"] == {"gdpr": 2, "us-ca": 1}


def test_privacy_metrics_writes_csv_by_default_one_figure_a_line(
    three_requests: tuple[int, list[DataSubjectRequest]],
) -> None:
    year, _made = three_requests
    lines = list(csv.reader(io.StringIO(run("privacy_metrics", "--year", str(year)))))
    assert lines[0] == ["section", "item", "figure", "value"]
    assert ["report", "", "received", "3"] in lines
    assert ["ccpa_7102", "deletion", "denied_exempt", "1"] in lines
    assert ["channel", "web", "received", "3"] in lines


def test_privacy_metrics_writes_a_pdf_to_a_file(
    three_requests: tuple[int, list[DataSubjectRequest]], tmp_path: Path
) -> None:
    year, _made = three_requests
    target = tmp_path / "metrics.pdf"
    call_command("privacy_metrics", "--year", str(year), "--format", "pdf", "--output", str(target))
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    # Figures only: no subject's address in it.
    assert b"done@example.org" not in data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "20x5"], "The year must be a number from 2000 to 2999, not '20x5'"),
        (["--year", "1999"], "The year must be a number"),
        (["--year", "-2026"], "The year must be a number"),
        (["--year", "2026", "--format", "xml"], "The format must be one of csv, pdf, json, not 'xml'"),
        (["--year", "2026", "--format", "pdf"], "A PDF is not written to the terminal: give --output FILE"),
        (["--year", "2026", "--output", "/nonexistent/folder/out.csv"], "Cannot write /nonexistent/folder/out.csv"),
    ],
)
def test_privacy_metrics_refuses_what_it_cannot_do_clearly(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("privacy_metrics", *args)


def test_privacy_metrics_of_a_year_with_no_requests_is_all_zeros() -> None:
    figures = json.loads(run("privacy_metrics", "--year", "2003", "--format", "json"))
    assert figures["received"] == 0
    assert all(t["received"] == 0 for t in figures["ccpa_7102"])
    assert figures["on_time"]["rate_percent"] is None


# --- request_register -----------------------------------------------------------------------


def test_the_register_lists_every_request_without_subjects(
    three_requests: tuple[int, list[DataSubjectRequest]],
) -> None:
    year, made = three_requests
    text = run("request_register", "--year", str(year))
    lines = list(csv.DictReader(io.StringIO(text)))
    assert sorted(line["reference"] for line in lines) == sorted(r.reference for r in made)
    outcomes = {line["reference"]: line["outcome"] for line in lines}
    assert outcomes[made[0].reference] == "Complied with in whole"
    assert outcomes[made[1].reference] == "Denied: exempt"
    assert outcomes[made[2].reference] == "Denied: not verifiable"
    assert all(line["days_taken"] == "20" for line in lines if line["reference"] != made[2].reference)
    assert "@" not in text
    assert "subject_email" not in lines[0]
    assert not AuditEvent.objects.filter(action="register.exported_with_subjects").exists()


def test_the_register_with_subjects_names_them_and_is_audited(
    three_requests: tuple[int, list[DataSubjectRequest]], tmp_path: Path
) -> None:
    year, _made = three_requests
    target = tmp_path / "register.csv"
    call_command("request_register", "--year", str(year), "--with-subjects", "--output", str(target))
    lines = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {line["subject_email"] for line in lines} == {"done@example.org", "refused@example.org", "late@example.org"}
    # A spreadsheet would run a cell starting with "=": it is written as text.
    assert """'=HYPERLINK("http://x.invalid")""" in {line["subject_name"] for line in lines}
    event = AuditEvent.objects.get(action="register.exported_with_subjects")
    assert (event.request_id, event.actor, event.data) == (
        None,
        "system:request-register",
        {"year": year, "requests": 3},
    )


def test_the_register_of_every_year_and_of_an_empty_year(
    three_requests: tuple[int, list[DataSubjectRequest]],
) -> None:
    assert len(run("request_register").splitlines()) == 4
    assert run("request_register", "--year", "2003").splitlines() == [
        "reference,type,channel,jurisdiction,state,received,due,closed,outcome,days_taken,extended"
    ]


def test_the_register_refuses_a_bad_year() -> None:
    with pytest.raises(CommandError, match="The year must be a number"):
        run("request_register", "--year", "next")


# --- processing_record ----------------------------------------------------------------------


@pytest.fixture
def demo_map() -> None:
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))


@pytest.mark.usefixtures("demo_map")
def test_the_processing_record_lists_each_system_and_category_with_owner_and_transfers() -> None:
    lines = list(csv.DictReader(io.StringIO(run("processing_record"))))
    billing = [line for line in lines if line["system"] == "billing"]
    assert billing and all(line["system owner"] == "finance@example.com" for line in billing)
    assert "United States: Standard contractual clauses" in billing[0]["transfers to third countries (Art. 30(1)(e))"]
    accounts_contact = next(
        line for line in lines if line["system"] == "accounts" and line["data category (Art. 30(1)(c))"] == "contact"
    )
    assert accounts_contact["fields"] == "users.email, users.name, users.phone, users.mailing_address"
    assert accounts_contact["legal bases (Art. 6)"].startswith("Contract (GDPR Art. 6(1)(b))")
    assert accounts_contact["transfers to third countries (Art. 30(1)(e))"] == "none"
    assert {line["system"] for line in lines} == {s.name for s in load_datamap_file(DEMO_DATAMAP_PATH).systems}


@pytest.mark.usefixtures("demo_map")
def test_the_processing_record_writes_a_pdf(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    call_command("processing_record", "--format", "pdf", "--output", str(target))
    assert target.read_bytes().startswith(b"%PDF-")


def test_the_processing_record_of_an_empty_map_is_its_header_alone() -> None:
    assert len(run("processing_record", "--format", "csv").splitlines()) == 1


def test_the_processing_record_refuses_a_format_it_has_not(settings: Any) -> None:
    with pytest.raises(CommandError, match="The format must be one of csv, pdf, not 'json'"):
        run("processing_record", "--format", "json")
