"""What every PDF of a process shares, made once: the font configuration and the parsed stylesheets.

WeasyPrint, left to itself, loads the system's fonts (Fontconfig) and parses the stylesheet
again for every document: a large part of a small report's time, and most of the first one's.
Here they are kept per thread (Pango's font map must not be used by two threads at once; a
Celery worker child has one thread, a threaded web server one state per thread) in bounded
least-recently-used tables, so a change of branding or language cannot grow them for ever.

The stylesheet is a template (the branding's colours, the page footer's words in the
subject's language), so its parsed form is keyed by what it is made of: the template, the
language and the colours. It is given to WeasyPrint as a user stylesheet, which only inline
style attributes and user-agent !important rules outrank; the templates have neither that
it must override, so the cascade is the one the inline <style> gave.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.template.loader import render_to_string
from django.utils import translation

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import IO

    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

STYLESHEETS_KEPT = 16  # (template, language, colours) combinations: a few brands by languages
EXPLANATIONS_KEPT = 32  # data map versions, languages and company texts
IMAGES_KEPT = 8  # the logos of the brands in use, as data: URIs

V = TypeVar("V")


class Lru(Generic[V]):
    """A small least-recently-used table: `get` makes the value on a miss and may drop the oldest."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


class _State(threading.local):
    font_config: FontConfiguration | None = None

    def __init__(self) -> None:
        self.stylesheets: Lru[CSS] = Lru(STYLESHEETS_KEPT)
        self.explanations: Lru[str] = Lru(EXPLANATIONS_KEPT)
        # WeasyPrint's own image cache (`cache=`): images by URL, here only the logos' data: URIs.
        self.images: dict[str, Any] = {}


_state = _State()


def state() -> _State:
    return _state


def font_config() -> FontConfiguration:
    """The fonts of the system, loaded once per thread."""
    if _state.font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _state.font_config = FontConfiguration()
    return _state.font_config


def stylesheet(template_name: str, brand: dict[str, str]) -> CSS:
    """The stylesheet template rendered for this brand and the active language, parsed once."""
    key = (template_name, translation.get_language(), brand.get("primary", ""), brand.get("accent", ""))

    def parse() -> CSS:
        from weasyprint import CSS

        return CSS(string=render_to_string(template_name, {"brand": brand}), font_config=font_config())

    return _state.stylesheets.get(key, parse)


def write_pdf(html: str, out: IO[bytes], *, stylesheets: list[CSS]) -> None:
    """Lay out `html` as tagged PDF/UA-1, fetching nothing but data: URIs."""
    from weasyprint import HTML  # imported here: it loads Pango, which plain imports need not
    from weasyprint.urls import URLFetcher

    if len(_state.images) > IMAGES_KEPT:
        _state.images.clear()
    fetcher = URLFetcher(allowed_protocols={"data"})
    HTML(string=html, url_fetcher=fetcher).write_pdf(
        out,
        stylesheets=stylesheets,
        font_config=font_config(),
        cache=_state.images,
        pdf_variant="pdf/ua-1",
        pdf_tags=True,
    )
