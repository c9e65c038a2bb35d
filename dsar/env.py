"""Typed readers for environment variables.

Every setting comes from the environment through one of these helpers. A value that is set
but cannot be read (``DSAR_DEBUG=maybe``) stops the process with a message naming the
variable, instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

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
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env_str(name).strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
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
        raise ImproperlyConfigured(f"{name} must be whole numbers separated by commas, not {env_str(name)!r}") from None
    if any(number < minimum for number in numbers):
        raise ImproperlyConfigured(f"{name} must hold numbers of at least {minimum}, not {env_str(name)!r}")
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
            raise ImproperlyConfigured(f"{name}_FILE names {path!r}, which cannot be read: {exc}") from None
    return env_str(name, default)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env_str(name, default).strip().lower()
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {list(choices)}, not {raw!r}")
    return raw


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Read a rate limit written as ``COUNT/PERIOD`` (``10/h``, ``5/d``, ``30/m``).

    Returns (count, period in seconds).
    """
    raw = env_str(name, default).strip().lower()
    count, _, unit = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _PERIODS:
        raise ImproperlyConfigured(f"{name} must look like 10/h (a count per s, m, h or d), not {raw!r}")
    return int(count), _PERIODS[unit]
