"""``python manage.py rules``: every rule with its sources, and the README's table made from it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from requests_app.laws import describe, registry
from requests_app.laws.pack import PACK

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def run(*args: str) -> str:
    out = StringIO()
    call_command("rules", *args, stdout=out)
    return out.getvalue()


def test_rules_lists_every_code_with_its_citation_sources_and_confidence():
    text = run()
    for rule in registry.current_rules():
        assert f"{rule.code} — {rule.label} (version {rule.version}" in text
        assert f"  Citation: {rule.citation}" in text
        for source in rule.sources:
            assert source.title in text
    assert "Confidence: only a secondary source was found; check before relying on it" in text
    assert text.rstrip().endswith("Computed from the rule; not legal advice.")


def test_rules_for_one_code_by_alias_shows_that_rule_only():
    text = run("ccpa")
    assert text.startswith("us-ca — United States — California")
    assert "us-va" not in text
    assert "  Also accepted as: ccpa" in text


def test_rules_with_all_versions_shows_the_uk_rule_before_and_after_the_2025_act():
    text = run("uk", "--all-versions")
    assert "version 2021-01-01" in text
    assert "version 2026-02-05" in text
    assert "version 2021-01-01" not in run("uk")


def test_rules_refuses_an_unknown_code_with_the_known_ones():
    with pytest.raises(CommandError, match="Unknown jurisdiction 'atlantis': known codes are gdpr"):
        run("atlantis")


def test_the_readme_table_is_the_rule_pack():
    rows = [describe.markdown_row(rule) for rule in [*PACK, registry.default_rule()]]
    missing = [row for row in rows if row not in README]
    assert missing == [], "README's deadline table is out of date: python manage.py rules --markdown --all-versions"
    assert describe.MARKDOWN_HEADER in README
