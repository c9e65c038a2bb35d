"""Where the subject lives: every place maps to its rule, and the form offers what that law gives."""

from __future__ import annotations

import datetime
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from requests_app.laws import deadlines, registry
from requests_app.models import DataSubjectRequest, EmailMessage, RequestType
from requests_app.public import regions
from requests_app.public.forms import RequestForm
from tests.fanout_helpers import use_manual_map
from tests.public.test_forms import form_data, submit

if TYPE_CHECKING:
    from django.test import Client

DAY = datetime.date(2026, 6, 1)
INDIA_IN_FORCE = datetime.date(2027, 5, 13)


@pytest.mark.parametrize(
    ("region", "today", "law"),
    [
        ("DE", DAY, "gdpr"),
        ("IS", DAY, "gdpr"),
        ("GB", DAY, "uk"),
        ("CH", DAY, "ch"),
        ("US-VA", DAY, "us-va"),
        ("US-CA", DAY, "us-ca"),
        ("US-TX", DAY, "us-tx"),
        ("US-WY", DAY, "default"),
        ("US-DC", DAY, "default"),
        ("CA-QC", DAY, "ca-qc"),
        ("CA-ON", DAY, "pipeda"),
        ("CA-YT", DAY, "pipeda"),
        ("BR", DAY, "lgpd"),
        ("KR", DAY, "kr"),
        ("SG", DAY, "sg"),
        ("TW", DAY, "tw"),
        ("ZA", DAY, "za"),
        ("AU", DAY, "au"),
        ("JP", DAY, "jp"),
        ("CN", DAY, "cn"),
        ("IN", INDIA_IN_FORCE - datetime.timedelta(days=1), "default"),
        ("IN", INDIA_IN_FORCE, "in"),
        ("OTHER", DAY, "default"),
        # Codes the form once offered.
        ("CA", DAY, "pipeda"),
        ("US-OTHER", DAY, "default"),
    ],
)
def test_every_region_maps_to_its_rule(region: str, today: datetime.date, law: str) -> None:
    assert regions.is_known(region)
    assert regions.jurisdiction_for(region, today) == law


def test_a_state_answers_to_its_law_only_from_the_day_it_takes_effect() -> None:
    effective = registry.get_rule("us-in").effective
    assert regions.jurisdiction_for("US-IN", effective - datetime.timedelta(days=1)) == "default"
    assert regions.jurisdiction_for("US-IN", effective) == "us-in"


def test_every_us_state_and_dc_is_listed_by_its_postal_code() -> None:
    states = [code for code in regions.PLACES if code.startswith("US-")]
    assert len(states) == 51
    assert all(re.fullmatch(r"US-[A-Z]{2}", code) for code in states)


def test_every_rule_in_the_pack_is_reached_from_some_place() -> None:
    later = datetime.date(2100, 1, 1)
    reached = {regions.jurisdiction_for(code, later) for code in regions.PLACES}
    assert reached == set(registry.known_codes())


def test_the_choices_are_grouped_and_another_country_comes_last() -> None:
    choices = regions.region_choices()
    groups = {label: options for label, options in choices[1:] if isinstance(options, list)}
    assert list(groups) == ["Europe", "United States", "Canada", "Elsewhere"]
    assert ("CA-ON", "Canada — Ontario") in groups["Canada"]
    assert ("US-VA", "United States — Virginia") in groups["United States"]
    assert groups["Elsewhere"][-1] == ("OTHER", "Another country")
    listed = [code for options in groups.values() for code, _name in options]
    assert "CA" not in listed and "US-OTHER" not in listed  # still accepted, no longer offered


@pytest.mark.parametrize(
    ("region", "types"),
    [
        ("DE", ["access", "correction", "deletion", "restriction", "objection"]),
        ("GB", ["access", "correction", "deletion", "restriction", "objection"]),
        ("US-CA", ["access", "correction", "deletion", "opt_out", "limit"]),
        ("US-CO", ["access", "correction", "deletion", "opt_out", "appeal"]),
        ("US-VA", ["access", "correction", "deletion", "opt_out", "appeal"]),
        ("CA-ON", ["access", "correction"]),
        ("CA-QC", ["access", "correction", "deletion"]),
        ("US-UT", ["access", "deletion", "opt_out"]),
        ("SG", ["access", "correction"]),
        ("OTHER", ["access", "correction", "deletion", "opt_out", "restriction", "objection"]),
    ],
)
def test_the_form_offers_the_types_the_law_gives(region: str, types: list[str]) -> None:
    assert regions.request_types_for(regions.rule_for(region, DAY)) == types


def test_every_type_every_law_gives_is_offered_in_the_forms_order() -> None:
    for code in registry.known_codes():
        rule = registry.get_rule(code, received=datetime.date(2100, 1, 1))
        offered = regions.request_types_for(rule)
        assert set(offered) == set(rule.request_types), code
        assert offered == [kind for kind in RequestType.values if kind in offered]


@pytest.mark.django_db
def test_each_type_is_labelled_in_words_a_person_understands(client: Client) -> None:
    body = client.get("/request/").content.decode()
    for kind, label in RequestType.choices:
        assert re.search(rf'value="{kind}"[^>]*>\s*{re.escape(str(label))}', body), kind


def test_india_before_its_law_is_in_force_is_counted_under_the_default() -> None:
    before = RequestForm(form_data(region="IN"), today=INDIA_IN_FORCE - datetime.timedelta(days=1))
    after = RequestForm(form_data(region="IN"), today=INDIA_IN_FORCE)
    assert before.is_valid() and after.is_valid()
    assert (before.jurisdiction, after.jurisdiction) == ("default", "in")


# --- Through the form ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_carries_the_map_of_types_for_its_script(client: Client) -> None:
    body = client.get("/request/").content.decode()
    found = re.search(r'<script id="request-types-by-region" type="application/json">(.*?)</script>', body)
    assert found is not None
    by_region = json.loads(found.group(1))
    assert by_region["CA-ON"] == ["access", "correction"]
    assert by_region["US-WY"] == ["access", "correction", "deletion", "opt_out", "restriction", "objection"]
    assert by_region["US-CA"] == ["access", "correction", "deletion", "opt_out", "limit"]
    assert '<script src="/static/requests_app/request-form.js" defer></script>' in body
    # No inline script runs: the CSP forbids it. The JSON block is data, never executed.
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", body) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "kind", "message"),
    [
        ("CA-ON", "deletion", "Canada&#x27;s PIPEDA gives no right to deletion; you can ask for access or correction."),
        ("SG", "deletion", "Singapore&#x27;s PDPA gives no right to deletion; you can ask for access or correction."),
        (
            "US-UT",
            "correction",
            "Utah&#x27;s UCPA gives no right to correction; you can ask for access, deletion or an opt-out of the "
            "sale or sharing of your data.",
        ),
        (
            "DE",
            "opt_out",
            "The GDPR gives no right to an opt-out of the sale or sharing of your data; you can ask for access, "
            "correction, deletion, restriction of processing or objection to processing.",
        ),
        (
            "US-VA",
            "limit",
            "Virginia&#x27;s VCDPA gives no right to a limit on the use of your sensitive information; you can ask "
            "for access, correction, deletion or an opt-out of the sale or sharing of your data.",
        ),
    ],
)
def test_a_type_the_law_does_not_give_is_refused_naming_the_law_and_loses_nothing(
    client: Client, region: str, kind: str, message: str
) -> None:
    response = submit(client, region=region, request_type=kind, full_name="Ada Byron", details="Keep me")
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'href="#id_request_type' in body
    assert 'value="Ada Byron"' in body and "Keep me</textarea>" in body
    assert f'<option value="{region}" selected>' in body
    assert re.search(rf'value="{kind}"[^>]*checked', body)
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"region": "ZZ-ZZ"}, "region", "Choose where you live from the list."),
        ({"region": "DE" * 2500}, "region", "Choose where you live from the list."),
        ({"region": "de"}, "region", "Choose where you live from the list."),
        ({"request_type": "sale"}, "request_type", "Choose one of the requests listed."),
        ({"request_type": "x" * 5000}, "request_type", "Choose one of the requests listed."),
    ],
)
def test_hostile_region_and_type_get_a_clear_error_and_lose_nothing(
    client: Client, overrides: dict[str, str], field: str, message: str
) -> None:
    response = submit(client, full_name="Ada Byron", **overrides)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert f'href="#id_{field}' in body
    assert 'value="Ada Byron"' in body
    assert "x" * 100 not in body and "DE" * 100 not in body  # the hostile value is not echoed back
    assert not DataSubjectRequest.objects.exists()


# --- The status page -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "label"),
    [("US-VA", "United States — Virginia (VCDPA)"), ("CA-QC", "Canada — Quebec (Private Sector Act")],
)
def test_the_status_page_names_the_law_and_says_the_date_is_not_legal_advice(
    client: Client, region: str, label: str
) -> None:
    use_manual_map()
    submit(client, region=region)
    text = EmailMessage.objects.get().body_text
    link = re.search(r"http://\S+(/request/verify/\S+/)", text)
    assert link is not None
    response: Any = client.post(link.group(1), follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    request = DataSubjectRequest.objects.get()
    assert f"{request.due_at:%-d %B %Y}" in body
    assert f"Counted under {label}" in body
    assert deadlines.NOT_LEGAL_ADVICE in body
