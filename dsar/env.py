"""Typed readers for environment variables.

Every setting comes from the environment through one of these helpers. A value that is set
but cannot be read (``DSAR_DEBUG=maybe``) is a problem naming the variable: the helper notes
it and goes on with the default, so that ``settings`` can report every problem at once
(:func:`problems_raise`) and the process stops before it serves anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The problems found while reading the settings, reported together by problems_raise().
PROBLEMS: list[str] = []


class SettingsProblems(ImproperlyConfigured):
    """Every problem of the configuration, one line each, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {line}" for line in self.problems)
        super().__init__(f"The configuration has {count} problem{'s' if count != 1 else ''}:\n{lines}")


def problem(message: str) -> None:
    """Note a problem of the configuration; reading goes on so every problem is found."""
    PROBLEMS.append(message)


def problems_raise() -> None:
    """Stop with every problem noted so far (and forget them), if there is any."""
    if PROBLEMS:
        found = PROBLEMS.copy()
        PROBLEMS.clear()
        raise SettingsProblems(found)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or ``default`` when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, *, default: bool) -> bool:
    raw = env_str(name).strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    problem(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")
    return default


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env_str(name).strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problem(f"{name} must be a whole number, not {raw!r}")
        return default
    if minimum is not None and value < minimum:
        problem(f"{name} must be at least {minimum}, not {value}")
        return default
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    raw = env_str(name)
    if raw == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_list(name: str, default: list[int], *, minimum: int = 0) -> list[int]:
    """Read a comma-separated list of whole numbers, each at least ``minimum``; fail loudly."""
    items = env_list(name)
    if not items:
        return list(default)
    try:
        numbers = [int(item) for item in items]
    except ValueError:
        problem(f"{name} must be whole numbers separated by commas, not {env_str(name)!r}")
        return list(default)
    if any(number < minimum for number in numbers):
        problem(f"{name} must hold numbers of at least {minimum}, not {env_str(name)!r}")
        return list(default)
    return numbers


def env_secret(name: str, default: str = "") -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``.

    The ``_FILE`` form lets Docker and Kubernetes secrets be mounted as files, so the value
    never appears in the process environment.
    """
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            problem(f"{name}_FILE names {path!r}, which cannot be read: {exc.strerror or exc}")
            return default
    return env_str(name, default)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env_str(name, default).strip().lower()
    if raw not in choices:
        problem(f"{name} must be one of {list(choices)}, not {raw!r}")
        return default
    return raw


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Read a rate limit written as ``COUNT/PERIOD`` (``10/h``, ``5/d``, ``30/m``).

    Returns (count, period in seconds).
    """
    raw = env_str(name, default).strip().lower()
    count, _, unit = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _PERIODS:
        problem(f"{name} must look like 10/h (a count per s, m, h or d), not {raw!r}")
        count, _, unit = default.partition("/")
    return int(count), _PERIODS[unit]
