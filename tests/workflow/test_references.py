from __future__ import annotations

import re

import pytest

from requests_app.workflow.references import ALPHABET, reference_generate, reference_normalize


def test_a_generated_reference_has_the_public_shape_and_no_ambiguous_letters() -> None:
    for _ in range(200):
        reference = reference_generate()
        assert re.fullmatch(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
        assert not set(reference[4:].replace("-", "")) - set(ALPHABET)
        assert not set("ILOU") & set(reference[4:])


def test_references_do_not_repeat_in_many_draws() -> None:
    # 10,000 draws of 2**40: one repeat has a chance of 1 in 22,000 (the database's unique
    # constraint and a retry handle it); three would take broken randomness (1 in 10**14).
    assert len({reference_generate() for _ in range(10_000)}) >= 10_000 - 2


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DSR-7KQ2-M9XD", "DSR-7KQ2-M9XD"),
        ("dsr-7kq2-m9xd", "DSR-7KQ2-M9XD"),
        (" dsr 7KQ2 M9XD ", "DSR-7KQ2-M9XD"),
        ("7KQ2M9XD", "DSR-7KQ2-M9XD"),
        ("DSR-7KQ2-M9XO", "DSR-7KQ2-M9X0"),
        ("DSR-1LI0-0000", "DSR-1110-0000"),
    ],
)
def test_a_typed_reference_is_read_the_way_a_person_meant_it(typed: str, expected: str) -> None:
    assert reference_normalize(typed) == expected


NOT_REFERENCES = [
    "",
    "DSR-",
    "DSR-7KQ2-M9X",
    "DSR-7KQ2-M9XDA",
    "DSR-7KQU-M9XD",
    "'; DROP TABLE--",
    "\uff24\uff33\uff32-7KQ2-M9XD",
]


@pytest.mark.parametrize("typed", NOT_REFERENCES)
def test_anything_else_is_not_a_reference(typed: str) -> None:
    assert reference_normalize(typed) is None
