"""Which systems a decision affects, read from the data map; never "nothing to do" from a gap."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from requests_app.datamap import load_datamap
from requests_app.fulfilment.decisions import affected_systems, apply_instructions, decision_citation
from requests_app.fulfilment.results import decision_outcomes
from requests_app.laws import deadlines
from requests_app.models import StoreTask


def _field(name: str, category: str, purpose: str, basis: str, recipients: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "purpose": purpose,
        "legal_basis": basis,
        "recipients": recipients,
        "retention": "Two years.",
        "source": "the subject",
        "correctable": False,
        "erasure": "delete_row",
    }


def _system(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "manual",
        "description": f"The {name} vendor's console.",
        "connection": {"vendor": f"{name} vendor"},
        "identifiers": {"searched_by": ["email"]},
        "datasets": [
            {
                "name": "records",
                "description": "Records.",
                "locator": {"instructions": "Use the console."},
                "fields": list(fields),
            }
        ],
    }


# Three systems, each affected by different decisions: a newsletter tool (marketing), a
# payments console (card data given to a processor), a product analytics tool (legitimate
# interests), and a support desk that none but a restriction touches.
DECISIONS_MAP: dict[str, Any] = {
    "version": "decisions-test",
    "systems": [
        _system(
            "newsletter",
            _field(
                "email", "contact", "To send our newsletter and marketing emails.", "Consent (GDPR Art. 6(1)(a))", []
            ),
        ),
        _system(
            "payments",
            _field(
                "card_last4",
                "billing",
                "To charge for the plan.",
                "Contract (GDPR Art. 6(1)(b))",
                ["payment processor"],
            ),
        ),
        _system(
            "analytics",
            _field(
                "page_views", "usage data", "To improve the product.", "Legitimate interests (GDPR Art. 6(1)(f))", []
            ),
        ),
        _system("support", _field("ticket", "usage content", "To answer you.", "Contract (GDPR Art. 6(1)(b))", [])),
    ],
}
DATAMAP = load_datamap(DECISIONS_MAP)


def names(decision: str, datamap: Any = DATAMAP) -> list[str]:
    return [a.system for a in affected_systems(datamap, decision)]


def test_an_opt_out_affects_systems_that_disclose_data_or_use_it_for_marketing() -> None:
    affected = {a.system: a for a in affected_systems(DATAMAP, "opt_out")}
    assert list(affected) == ["newsletter", "payments"]
    assert affected["payments"].recipients == ("payment processor",)
    assert affected["payments"].reasons == ("it discloses personal data to payment processor",)
    assert affected["newsletter"].reasons == ("its purpose speaks of advertising or marketing",)
    assert affected["newsletter"].fields == ("records.email",)


def test_a_limit_affects_systems_with_sensitive_categories() -> None:
    (payments,) = affected_systems(DATAMAP, "limit")
    assert payments.system == "payments"
    assert payments.reasons == ("it holds sensitive personal information: financial account or card data",)


def test_a_restriction_affects_every_system() -> None:
    assert names("restriction") == ["newsletter", "payments", "analytics", "support"]


def test_an_objection_affects_legitimate_interests_public_tasks_and_direct_marketing() -> None:
    affected = {a.system: a for a in affected_systems(DATAMAP, "objection")}
    assert list(affected) == ["newsletter", "analytics"]
    assert "legitimate interests (GDPR Art. 6(1)(f))" in affected["analytics"].reasons[0]
    assert "direct marketing (GDPR Art. 21(2))" in affected["newsletter"].reasons[0]


@pytest.mark.parametrize("decision", ["opt_out", "limit", "objection"])
def test_a_map_that_names_no_affected_system_makes_every_system_affected_and_says_why(decision: str) -> None:
    plain = copy.deepcopy(DECISIONS_MAP)
    plain["systems"] = [plain["systems"][3], {**copy.deepcopy(plain["systems"][3]), "name": "wiki"}]
    affected = affected_systems(load_datamap(plain), decision)
    assert [a.system for a in affected] == ["support", "wiki"]
    assert all(not a.named for a in affected)
    assert all("may only mean the map is incomplete: check this system" in a.reasons[0] for a in affected)


def test_the_instructions_say_what_to_do_where_with_the_fields_recipients_gpc_and_law() -> None:
    (_, payments) = affected_systems(DATAMAP, "opt_out")
    rule = deadlines.get_rule("us-ca")
    citation = decision_citation("opt_out", rule)
    assert citation == "CCPA §1798.120; 11 CCR §7026(f)"
    text = apply_instructions(payments, decision="opt_out", subject_email="a@example.org", citation=citation, gpc=True)
    assert text.startswith(
        "Stop selling or sharing the personal data of a@example.org held in payments (fields: records.card_last4; "
        "disclosed to: payment processor), and stop targeted advertising to them; keep the preference"
    )
    assert "Global Privacy Control" in text and "11 CCR §7025" in text
    assert text.endswith("CCPA §1798.120; 11 CCR §7026(f).")
    plain = apply_instructions(
        payments, decision="opt_out", subject_email="a@example.org", citation=citation, gpc=False
    )
    assert "Global Privacy Control" not in plain


def test_a_decision_under_another_law_cites_that_law() -> None:
    assert decision_citation("objection", deadlines.get_rule("gdpr")) == "GDPR Art. 21"
    colorado = decision_citation("opt_out", deadlines.get_rule("us-co"))
    assert "CCPA" not in colorado and "Colorado" in colorado


def test_only_an_outcome_done_by_hand_reads_as_applied() -> None:
    tasks = [
        StoreTask(system=s, kind="manual", action="apply", step=0, state="resolved", outcome=o, note="n")
        for s, o in [("a", "done_by_hand"), ("b", "no_data"), ("c", "retained"), ("d", "not_done")]
    ]
    tasks.append(StoreTask(system="e", kind="manual", action="apply", step=0, state="manual"))
    outcomes = decision_outcomes(tasks)
    assert [(o.system, o.applied, o.words) for o in outcomes] == [
        ("a", True, "Applied"),
        ("b", False, "No data held"),
        ("c", False, "Not applied: a legal ground to continue"),
        ("d", False, "Not applied"),
    ]
