"""Dates typed on a command line: one reading, one error message."""

from __future__ import annotations

import datetime
import re

from django.core.management.base import CommandError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def received_date(value: str) -> datetime.date:
    """A received date as YYYY-MM-DD (exactly: ``fromisoformat`` alone would take 20261124)."""
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Received date {value!r} is not a real date in the form YYYY-MM-DD.") from None
