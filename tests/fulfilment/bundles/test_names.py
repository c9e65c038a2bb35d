"""File names made from hostile system and dataset names stay safe, portable and distinct."""

from __future__ import annotations

import pytest

from requests_app.fulfilment.bundles.names import MAX_COMPONENT, NameRegistry, safe_component


@pytest.mark.parametrize(
    "name",
    [
        "../../etc",
        "..",
        ".",
        "",
        "/abs/path",
        "a\\b",
        "nul\x00byte",
        "CON",
        "con.txt",
        "LPT1",
        "COM\u00b9",
        "x" * 500,
        "\u202eexe.txt",  # right-to-left override
        "\uff0e\uff0e\uff0fetc",  # full-width "../etc"
        "Users ",
        "李小龙",
    ],
)
def test_a_hostile_name_becomes_one_plain_component(name):
    component = safe_component(name)
    assert component
    assert "/" not in component and "\\" not in component and "\x00" not in component
    assert component not in (".", "..") and not component.startswith(".")
    assert component.isascii() and component.isprintable()
    assert len(component) <= MAX_COMPONENT + 11
    assert component.split(".")[0].split("-")[0].upper() not in {"CON", "NUL", "LPT1", "COM¹"}


def test_a_plain_name_is_kept_as_it_is():
    assert safe_component("api_requests") == "api_requests"
    assert safe_component("orders-2024.v2") == "orders-2024.v2"


def test_names_that_sanitise_alike_stay_apart():
    assert safe_component("a/b") != safe_component("a?b")
    assert safe_component("../etc") != safe_component("etc")


def test_the_registry_keeps_case_blind_names_apart_and_is_stable():
    registry = NameRegistry()
    first, second = registry.component("Users"), registry.component("users")
    assert first.casefold() != second.casefold()
    assert registry.component("Users") == first


def test_the_registry_keeps_a_plain_name_apart_from_a_sanitised_one_that_looks_the_same():
    registry = NameRegistry()
    sanitised = registry.component("a b")
    assert registry.component(sanitised) != sanitised
