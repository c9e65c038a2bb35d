"""The metrics page and its downloads, for each of the fixed cast (tests/staff/test_permissions.py):
alice (privacy admin), bob (analyst) and carol (auditor) see the figures; only alice and bob
may download the register with subjects, which is audited; dave and anonymous get nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from demo import DEMO_DATAMAP_PATH
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import AuditEvent, DataSubjectRequest, State
from requests_app.workflow.audit import Actor
from tests.factories import request_in_state
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def year_of_requests(cast: Cast) -> tuple[int, DataSubjectRequest]:
    received = timezone.now() - timedelta(days=20)
    request = request_in_state(
        State.COMPLETED, received_at=received, subject_email="grace@example.org", subject_name="Grace Hopper"
    )
    return timezone.localdate(received).year, request


SEES_FIGURES = ["alice", "bob", "carol"]


@pytest.mark.parametrize("name", SEES_FIGURES)
def test_every_staff_role_sees_the_figures_and_the_downloads(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest], name: str
) -> None:
    year, request = year_of_requests
    response = client_for(cast.by_name(name)).get(f"/staff/metrics/?year={year}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Metrics {year}" in body
    assert "Requests received, complied with and denied (11 CCR § 7102(a)(1))" in body
    for link in (f"/staff/metrics/{year}/metrics.csv", f"/staff/metrics/{year}/register.csv"):
        assert link in body
    assert "/staff/metrics/processing-record.pdf" in body
    assert 'href="/staff/metrics/" aria-current="page"' in body
    # Figures, never the people behind them.
    assert request.reference not in body and request.subject_email not in body


def test_only_those_who_see_personal_data_are_offered_the_register_with_subjects(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest]
) -> None:
    year, _request = year_of_requests
    form = f"/staff/metrics/{year}/register-with-subjects.csv"
    assert form in client_for(cast.bob).get(f"/staff/metrics/?year={year}").content.decode()
    assert form not in client_for(cast.carol).get(f"/staff/metrics/?year={year}").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/staff/metrics/",
        "/staff/metrics/{year}/metrics.csv",
        "/staff/metrics/{year}/metrics.pdf",
        "/staff/metrics/{year}/register.csv",
        "/staff/metrics/processing-record.csv",
    ],
)
@pytest.mark.parametrize("name", ["dave", "anonymous"])
def test_an_outsider_gets_nothing(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest], path: str, name: str
) -> None:
    year, request = year_of_requests
    response = client_for(cast.by_name(name)).get(path.format(year=year))
    assert response.status_code == (403 if name == "dave" else 302)
    assert request.reference.encode() not in response.content
    assert b"Requests received" not in response.content


@pytest.mark.parametrize("name", ["carol", "dave", "anonymous"])
def test_the_register_with_subjects_is_refused_without_the_personal_data_permission(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest], name: str
) -> None:
    year, request = year_of_requests
    response = client_for(cast.by_name(name)).post(f"/staff/metrics/{year}/register-with-subjects.csv")
    assert response.status_code in (302, 403)
    assert request.subject_email.encode() not in response.content
    assert not AuditEvent.objects.filter(action="register.exported_with_subjects").exists()


def test_an_analyst_downloads_the_register_with_subjects_on_the_record(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest]
) -> None:
    year, request = year_of_requests
    response = client_for(cast.bob).post(f"/staff/metrics/{year}/register-with-subjects.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="request-register-{year}-with-subjects.csv"'
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(line["reference"], line["subject_email"]) for line in lines] == [
        (request.reference, request.subject_email)
    ]
    event = AuditEvent.objects.get(action="register.exported_with_subjects")
    assert (event.actor, event.request_id, event.data) == ("staff:bob", None, {"year": year, "requests": 1})


def test_a_link_cannot_download_the_register_with_subjects(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest]
) -> None:
    year, _request = year_of_requests
    assert client_for(cast.bob).get(f"/staff/metrics/{year}/register-with-subjects.csv").status_code == 405


@pytest.mark.parametrize(
    ("fmt", "content_type", "start"),
    [
        ("csv", "text/csv; charset=utf-8", b"section,item"),
        ("json", "application/json", b"{"),
        ("pdf", "application/pdf", b"%PDF-"),
    ],
)
def test_the_auditor_downloads_the_figures_in_each_format(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest], fmt: str, content_type: str, start: bytes
) -> None:
    year, request = year_of_requests
    response = client_for(cast.carol).get(f"/staff/metrics/{year}/metrics.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(start)
    assert request.subject_email.encode() not in response.content


def test_the_auditor_downloads_the_register_without_subjects(
    cast: Cast, year_of_requests: tuple[int, DataSubjectRequest]
) -> None:
    year, request = year_of_requests
    response = client_for(cast.carol).get(f"/staff/metrics/{year}/register.csv")
    text = response.content.decode()
    assert request.reference in text
    assert request.subject_email not in text and request.subject_name not in text
    assert not AuditEvent.objects.filter(action="register.exported_with_subjects").exists()


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_the_auditor_downloads_the_processing_record(cast: Cast, fmt: str) -> None:
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=Actor.system("tests"))
    response = client_for(cast.carol).get(f"/staff/metrics/processing-record.{fmt}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="record-of-processing.{fmt}"'
    if fmt == "csv":
        assert "finance@example.com" in response.content.decode()


@pytest.mark.parametrize("year", ["abc", "1999", "20255", "-1", "2026<script>"])
def test_a_bad_year_on_the_page_is_explained_not_a_server_error(cast: Cast, year: str) -> None:
    response = client_for(cast.carol).get("/staff/metrics/", {"year": year})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The year must be a number from 2000 to 2999" in body
    assert "<script>" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/staff/metrics/1999/metrics.csv",
        "/staff/metrics/2026/metrics.xml",
        "/staff/metrics/3000/register.csv",
        "/staff/metrics/processing-record.json",
    ],
)
def test_a_download_that_does_not_exist_is_not_found(cast: Cast, path: str) -> None:
    assert client_for(cast.carol).get(path).status_code == 404


def test_a_year_with_no_requests_shows_zeros(cast: Cast) -> None:
    response = client_for(cast.carol).get("/staff/metrics/", {"year": "2003"})
    assert response.status_code == 200
    assert "Requests received in 2003" in response.content.decode()
