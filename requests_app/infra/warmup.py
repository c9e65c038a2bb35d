"""What every process serving requests loads on its first one, loaded before it instead.

Django imports the URL configuration (every view, DRF, the sign-in providers' clients) on
the first request a process serves, builds the table `reverse` reads once per language,
and compiles each template the first time it is rendered: about 0.8 s of a web worker's
first page. A web worker does it as it loads the application (dsar/wsgi.py), a Celery
worker child as it starts (fulfilment/warmup.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)


def urls_warm() -> None:
    """Import the URL configuration and build the reverse table of every language (Django
    makes one per active language, on the first `reverse`)."""
    resolver = get_resolver()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            resolver.reverse_dict  # noqa: B018 - read for its side effect: the table is built


def templates_warm(names: Iterable[str]) -> None:
    """Compile these templates into the template loader's cache."""
    for name in names:
        get_template(name)


def project_templates() -> list[str]:
    """Every template of the project's own templates folders, by the name views render it by."""
    names = []
    template_settings: list[dict[str, Any]] = settings.TEMPLATES
    for folder in template_settings[0]["DIRS"]:
        root = Path(folder)
        names += sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.suffix in (".html", ".txt"))
    return names


def web_warm() -> None:
    """Make a web worker ready for its first page; a failure is logged and the page pays."""
    try:
        urls_warm()
        templates_warm(project_templates())
    except Exception:
        logger.exception("Warming the URL patterns or templates failed; the first page will load them")
