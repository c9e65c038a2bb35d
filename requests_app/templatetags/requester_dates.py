"""Dates for requesters, written as each language writes them ("2 December 2026",
"2. Dezember 2026", "2 décembre 2026", "2 de diciembre de 2026").

Django's own DATE_FORMAT would also change the English pages and the staff side; these
filters change only the requester's pages, emails and documents, in the active language.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.utils.timezone import is_aware, localtime

register = template.Library()

DAY = {"en": "j F Y", "de": "j. F Y", "fr": "j F Y", "es": r"j \d\e F \d\e Y"}
TIME = {"en": "H:i T", "de": "H:i T", "fr": "H:i T", "es": "H:i T"}
WEEKDAY = {"en": "l ", "de": "l, ", "fr": "l ", "es": "l, "}


def _formatted(value: date | datetime | None, pattern: str) -> str:
    if not value:
        return ""
    if isinstance(value, datetime) and is_aware(value):
        value = localtime(value)
    return date_format(value, pattern)


def _language() -> str:
    code = (translation.get_language() or "en").split("-", 1)[0]
    return code if code in DAY else "en"


@register.filter
def day(value: date | datetime | None) -> str:
    """The day: 2 December 2026."""
    return _formatted(value, DAY[_language()])


@register.filter
def moment(value: datetime | None) -> str:
    """The day and time: 2 December 2026, 14:05 UTC."""
    language = _language()
    return _formatted(value, f"{DAY[language]}, {TIME[language]}")


@register.filter
def moment_with_weekday(value: datetime | None) -> str:
    """The weekday, day and time: Wednesday 2 December 2026, 14:05 UTC."""
    language = _language()
    return _formatted(value, f"{WEEKDAY[language]}{DAY[language]}, {TIME[language]}")
