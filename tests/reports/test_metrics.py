"""The yearly figures against a year counted by hand (tests/reports/year_2025.py), and the
definitions they rest on checked one by one on plain rows, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from requests_app.models import DataSubjectRequest
from requests_app.reports.metrics import RequestRow, StateChange, metrics_compute, outcome
from requests_app.reports.queries import metrics_for_year
from requests_app.services.retention import requests_minimise
from tests.reports.year_2025 import AS_OF, build_year


def row(**fields: Any) -> RequestRow:
    values: dict[str, Any] = {
        "id": 1,
        "request_type": "access",
        "channel": "web",
        "jurisdiction": "gdpr",
        "state": "completed",
        "rejection_category": "",
        "received_on": date(2025, 3, 1),
        "due_on": date(2025, 4, 1),
        "closed_on": date(2025, 3, 11),
        "extended": False,
        "has_partial_task": False,
    }
    return RequestRow(**{**values, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "complied_in_whole"),
        ({"has_partial_task": True}, "complied_in_part"),
        ({"state": "closed_unverified"}, "denied_not_verified"),
        ({"state": "rejected", "rejection_category": "not_verified"}, "denied_not_verified"),
        ({"state": "rejected", "rejection_category": "not_a_consumer"}, "denied_not_a_consumer"),
        ({"state": "rejected", "rejection_category": "exempt"}, "denied_exempt"),
        ({"state": "rejected", "rejection_category": "other"}, "denied_other"),
        ({"state": "rejected", "rejection_category": ""}, "denied_other"),
        ({"state": "cancelled"}, "cancelled"),
        ({"state": "in_progress", "closed_on": None}, "open"),
        ({"state": "awaiting_requester", "closed_on": None}, "open"),
    ],
)
def test_each_request_has_one_outcome(fields: dict[str, Any], expected: str) -> None:
    assert outcome(row(**fields)) == expected


def test_a_year_with_no_requests_has_zeros_and_no_averages() -> None:
    metrics = metrics_compute([], [], year=2031, as_of=date(2032, 1, 1))
    figures = metrics.as_dict()
    assert figures["received"] == 0
    assert [t["received"] for t in figures["ccpa_7102"]] == [0, 0, 0, 0, 0]
    assert figures["ccpa_7102"][0]["days_to_substantive_response"] == {"responses": 0, "median": None, "mean": None}
    assert figures["on_time"]["rate_percent"] is None
    assert figures["time_in_state"] == []


def test_a_stay_lasts_until_the_next_state_and_an_unfinished_one_is_not_counted() -> None:
    day = [datetime(2025, 3, d, tzinfo=UTC) for d in range(1, 10)]
    changes = [
        StateChange(1, "pending_verification", day[0]),
        StateChange(1, "verified", day[2]),
        StateChange(1, "in_progress", day[3]),
        StateChange(2, "pending_verification", day[1]),
    ]
    metrics = metrics_compute([], changes, year=2025, as_of=date(2025, 12, 31))
    stays = {s.state: (s.stays, s.median_days) for s in metrics.time_in_state}
    assert stays == {"pending_verification": (1, 2.0), "verified": (1, 1.0)}


def test_an_open_request_past_its_due_date_counts_as_late_and_one_not_yet_due_is_left_out() -> None:
    rows = [
        row(id=1),
        row(id=2, closed_on=date(2025, 4, 2)),
        row(id=3, state="in_progress", closed_on=None, due_on=date(2025, 4, 1)),
        row(id=4, state="in_progress", closed_on=None, due_on=date(2025, 5, 1)),
        row(id=5, state="cancelled", closed_on=date(2025, 5, 1)),
    ]
    on_time = metrics_compute(rows, [], year=2025, as_of=date(2025, 4, 15)).on_time
    assert (on_time.on_time, on_time.late, on_time.open_overdue, on_time.open_not_yet_due) == (1, 1, 1, 1)
    assert on_time.rate == 33.3


@pytest.fixture
def year_2025(db: None, settings: Any) -> None:
    settings.TIME_ZONE = "America/Los_Angeles"
    build_year()


@pytest.mark.usefixtures("year_2025")
def test_the_figures_of_2025_are_the_ones_counted_by_hand() -> None:
    figures = metrics_for_year(2025, today=AS_OF).as_dict()

    assert figures["received"] == 40
    by_type = {t["request_type"]: t for t in figures["ccpa_7102"]}
    assert [t["request_type"] for t in figures["ccpa_7102"]] == ["deletion", "correction", "access", "opt_out", "limit"]

    access = by_type["access"]
    assert (access["received"], access["complied_in_whole_or_in_part"]) == (16, 8)
    assert (access["complied_in_whole"], access["complied_in_part"]) == (6, 2)
    assert access["denied"] == 5
    assert access["denied_by_reason"] == {"not_verified": 4, "not_a_consumer": 0, "exempt": 1, "other": 0}
    assert (access["cancelled"], access["open"], access["extended"]) == (1, 2, 0)
    # Completed 5 7 9 11 13 15 20 40 and rejected 3 10: median (10 + 11) / 2, mean 133 / 10.
    assert access["days_to_substantive_response"] == {"responses": 10, "median": 10.5, "mean": 13.3}

    deletion = by_type["deletion"]
    assert (deletion["received"], deletion["complied_in_whole"], deletion["complied_in_part"]) == (14, 4, 3)
    assert deletion["denied_by_reason"] == {"not_verified": 1, "not_a_consumer": 2, "exempt": 1, "other": 1}
    assert (deletion["denied"], deletion["cancelled"], deletion["open"], deletion["extended"]) == (5, 1, 1, 1)
    # 4 6 8 10 10 12 14 16 20 30 50: the sixth is 12; 180 / 11 = 16.36.
    assert deletion["days_to_substantive_response"] == {"responses": 11, "median": 12.0, "mean": 16.4}

    correction = by_type["correction"]
    assert (correction["received"], correction["complied_in_whole"], correction["complied_in_part"]) == (10, 3, 1)
    assert correction["denied_by_reason"] == {"not_verified": 3, "not_a_consumer": 0, "exempt": 0, "other": 1}
    assert (correction["denied"], correction["cancelled"], correction["open"]) == (4, 1, 1)
    # 5 6 7 8 10 25: median (7 + 8) / 2, mean 61 / 6.
    assert correction["days_to_substantive_response"] == {"responses": 6, "median": 7.5, "mean": 10.2}

    assert figures["by_channel"] == {"api": 4, "email": 13, "staff": 3, "web": 20}
    assert figures["by_jurisdiction"] == {"gdpr": 25, "us-ca": 15}
    # 33 answered, one of them late (a8, 40 days under GDPR's month); a16 open and overdue;
    # d4 took 50 days under CCPA's 45 but was extended. 32 / 34.
    assert figures["on_time"] == {
        "on_time": 32,
        "late": 1,
        "open_overdue": 1,
        "open_not_yet_due": 3,
        "rate_percent": 94.1,
    }
    assert figures["extended"] == 1

    stays = {s["state"]: (s["stays"], s["median_days"], s["mean_days"]) for s in figures["time_in_state"]}
    # Waiting for verification: 23 stays of a day, then 2 3 3 4 5 6 7 8 10 10 and six of 15
    # (the window): 39 stays, the 20th is 1, 171 / 39 = 4.38.
    assert stays["pending_verification"] == (39, 1.0, 4.4)
    assert stays["verified"] == (22, 1.0, 1.0)
    # In progress: each completion's days less two; 19 stays, the 10th is 11, 283 / 19 = 14.89.
    assert stays["in_progress"] == (19, 11.0, 14.9)
    assert set(stays) == {"pending_verification", "verified", "in_progress"}


@pytest.mark.usefixtures("year_2025")
def test_a_year_is_counted_in_the_company_time_zone() -> None:
    # x1 (New Year's Eve 21:00 in Los Angeles, 2025 in UTC) and x3 belong to 2024, x2 to 2026.
    assert metrics_for_year(2024, today=AS_OF).received == 2
    assert metrics_for_year(2026, today=AS_OF).received == 1


@pytest.mark.usefixtures("year_2025")
def test_the_figures_stay_the_same_after_every_closed_request_is_minimised() -> None:
    before = metrics_for_year(2025, today=AS_OF).as_dict()
    minimised = requests_minimise(now=timezone.now() + timedelta(days=5 * 365))
    closed = DataSubjectRequest.objects.filter(closed_at__isnull=False)
    assert len(minimised) == closed.count() > 30
    assert not closed.filter(minimised_at__isnull=True).exists()
    assert metrics_for_year(2025, today=AS_OF).as_dict() == before
