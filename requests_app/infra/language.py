"""The requester's language: chosen on the page (``?lang=de``), else the browser's.

Django's LocaleMiddleware reads the language cookie and then Accept-Language; this middleware,
placed after it, lets a link or the page's own language menu choose, and remembers the choice
in that cookie so the next page (a form's answer, the status page) stays in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import checks
from django.utils import translation
from django.utils.cache import patch_vary_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

QUERY_PARAMETER = "lang"
# The requester's pages. Everything else (the staff UI, the admin, the API) is the privacy
# team's and stays in LANGUAGE_CODE whatever the browser asks, so no page mixes two languages.
REQUESTER_PATHS = ("/request/",)


def supported(code: str | None) -> str | None:
    """``code`` if it is one of settings.LANGUAGES (``de-AT`` counts as ``de``), else None."""
    if not code:
        return None
    codes = dict(settings.LANGUAGES)
    code = code.strip().lower()
    if code in codes:
        return code
    base = code.split("-", 1)[0].split("_", 1)[0]
    return base if base in codes else None


def with_language(url: str, language: str) -> str:
    """``url`` that opens in ``language``: the links in a requester's emails."""
    if language == settings.LANGUAGE_CODE:
        return url
    return f"{url}{'&' if '?' in url else '?'}{QUERY_PARAMETER}={language}"


class QueryLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(REQUESTER_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return self.get_response(request)
        chosen = supported(request.GET.get(QUERY_PARAMETER))
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        patch_vary_headers(response, ("Cookie",))
        return response


def check_catalogues(**_: object) -> list[checks.CheckMessage]:
    """Warn when a language's compiled catalogue is missing or older than its .po file.

    Without it Django falls back to English for that language without a word: requesters who
    chose German would get English pages and emails. Compile with scripts/compile_messages.py.
    """
    problems: list[checks.CheckMessage] = []
    for code, name in settings.LANGUAGES:
        if code == "en":
            continue
        found = False
        for folder in settings.LOCALE_PATHS:
            po = Path(folder) / code / "LC_MESSAGES" / "django.po"
            mo = po.with_suffix(".mo")
            if not po.exists():
                continue
            found = True
            if not mo.exists():
                problems.append(
                    checks.Warning(
                        f"The {name} ({code}) translations are not compiled: pages and emails in {code} "
                        "would be in English.",
                        hint="Run: python scripts/compile_messages.py",
                        id="dsar.W001",
                    )
                )
            elif mo.stat().st_mtime < po.stat().st_mtime:
                problems.append(
                    checks.Warning(
                        f"The compiled {name} ({code}) translations are older than {po.name}.",
                        hint="Run: python scripts/compile_messages.py",
                        id="dsar.W002",
                    )
                )
        if not found:
            problems.append(
                checks.Warning(
                    f"settings.LANGUAGES offers {name} ({code}) but no locale/{code}/LC_MESSAGES/django.po exists.",
                    id="dsar.W003",
                )
            )
    return problems
