"""Helpers the benchmarks share: timing and the goal check."""

from __future__ import annotations

import operator
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def meets(value: float, goal: str) -> bool:
    """Check a value against a goal written as ``">= 0.5"``."""
    symbol, _, threshold = goal.partition(" ")
    return _OPERATORS[symbol](value, float(threshold))


def rate(count: int, work: Callable[[int], None]) -> float:
    """Run ``work(i)`` for i in range(count) and return how many ran per second."""
    start = time.perf_counter()
    for index in range(count):
        work(index)
    return count / (time.perf_counter() - start)
