"""Helpers the benchmarks share: timing, the goal check and a throwaway database."""

from __future__ import annotations

import operator
import time
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from django.db import connection

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


class ThrowawayDatabase:
    """A database of its own on the benchmark's PostgreSQL server, dropped afterwards; entering
    gives its URL."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __enter__(self) -> str:
        settings = connection.settings_dict
        url = sa.engine.URL.create(
            "postgresql+psycopg",
            username=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=int(settings["PORT"]) if settings["PORT"] else None,
            database="postgres",
        )
        self.name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return url.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
