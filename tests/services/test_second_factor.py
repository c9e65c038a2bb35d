"""The email+fact policy: a detail the subject gave is compared with the one on file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from django.utils import timezone

from demo import DEMO_DATAMAP_PATH
from demo.seed import SPECIAL_EMAILS, seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import DataSubjectRequest, State
from requests_app.services import requests as services
from requests_app.services.second_factor import request_check_second_factor
from tests.factories import DataSubjectRequestFactory
from tests.fanout_helpers import STAFF

if TYPE_CHECKING:
    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def on_file(estate: Estate) -> dict[str, str]:
    seed_estate(
        estate.sql_url, None, subjects=3, rows_per_subject=1, heavy_subjects=0, auth_db=estate.auth_db, reset=True
    )
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    engine = sa.create_engine(estate.sql_url)
    with engine.connect() as conn:
        phone, organisation, name = conn.execute(
            sa.text("SELECT phone, organisation, name FROM users WHERE email = :e"), {"e": SPECIAL_EMAILS[0]}
        ).one()
    engine.dispose()
    return {"email": SPECIAL_EMAILS[0], "phone": str(phone), "organisation": str(organisation), "name": str(name)}


def confirmed_request(email: str, name: str = "", **identifiers: str) -> DataSubjectRequest:
    request = DataSubjectRequestFactory.create(
        subject_email=email, subject_name=name, verification_policy="email+fact", subject_identifiers=identifiers
    )
    DataSubjectRequest.objects.filter(pk=request.pk).update(email_verified_at=timezone.now())
    return request


def test_a_phone_number_that_matches_the_one_on_file_verifies_the_request(on_file: dict[str, str]) -> None:
    spaced = " ".join(on_file["phone"])  # written differently, the same digits
    request = confirmed_request(on_file["email"], on_file["name"], phone=spaced)
    assert request_check_second_factor(request.pk) is True
    request.refresh_from_db()
    assert request.state in (State.VERIFIED, State.IN_PROGRESS)


def test_an_organisation_in_other_case_also_matches(on_file: dict[str, str]) -> None:
    request = confirmed_request(on_file["email"], on_file["name"].lower(), organisation=on_file["organisation"].upper())
    assert request_check_second_factor(request.pk) is True


def test_a_matching_detail_with_a_name_unlike_the_one_on_file_is_left_for_staff(on_file: dict[str, str]) -> None:
    request = confirmed_request(on_file["email"], "Zebulon Quartermaine", phone=on_file["phone"])
    assert request_check_second_factor(request.pk) is False
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION
    assert "name_differs_from_file" in {s["code"] for s in request.fraud_signals}


@pytest.mark.parametrize("identifiers", [{"phone": "+1 000 000 0000"}, {}], ids=["wrong-phone", "nothing-given"])
def test_a_detail_that_does_not_match_leaves_the_request_to_staff(
    on_file: dict[str, str], identifiers: dict[str, Any]
) -> None:
    request = confirmed_request(on_file["email"], **identifiers)
    assert request_check_second_factor(request.pk) is False
    request.refresh_from_db()
    assert request.state == State.PENDING_VERIFICATION
    assert "second_factor_mismatch" in {s["code"] for s in request.fraud_signals}


def test_an_address_with_no_account_is_treated_like_a_mismatch(on_file: dict[str, str]) -> None:
    request = confirmed_request("nobody@example.org", phone=on_file["phone"])
    assert request_check_second_factor(request.pk) is False


def test_nothing_happens_before_the_email_is_confirmed(on_file: dict[str, str]) -> None:
    request = DataSubjectRequestFactory.create(
        subject_email=on_file["email"],
        verification_policy="email+fact",
        subject_identifiers={"phone": on_file["phone"]},
    )
    assert request_check_second_factor(request.pk) is None
    assert services.requests_close_unverified() == 0
