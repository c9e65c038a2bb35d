"""Dated cases for this region's rules (see tests/laws/cases/__init__.py for the fields)."""

from __future__ import annotations

from datetime import date as d  # noqa: F401  (the case rows read as d(2026, 1, 31))
from typing import Any


def cases(case: Any) -> list[Any]:
    return []
