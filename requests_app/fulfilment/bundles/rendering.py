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

A part of a document that many documents share can be laid out once and put into each
(`write_pdf_with_pages`): the host document reserves one empty page for each of its pages,
so its page counter and "page X of Y" count them, and those pages take the part's laid-out
content under the host's own margins. Laying out is most of a PDF's time, and most of an
access report's pages are the explanation every subject of a data map reads the same. The
swap works on WeasyPrint's laid-out page boxes, which are not a public interface: the
version is pinned in requirements.txt and tests/fulfilment/bundles/test_rendering.py checks
the pages, their footers and the tags.
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
    from weasyprint.document import Document, Page
    from weasyprint.text.fonts import FontConfiguration

STYLESHEETS_KEPT = 16  # (template, language, colours) combinations: a few brands by languages
EXPLANATIONS_KEPT = 4  # laid-out explanations (about 2 MB each): data map versions, languages, brands
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
        self.explanations: Lru[Document] = Lru(EXPLANATIONS_KEPT)
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


RESERVED_PAGE_ID = "dsar-reserved-page-{}"  # the id of the empty element that holds a reserved page
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def layout(html: str, *, stylesheets: list[CSS]) -> Document:
    """Lay out `html` into pages, fetching nothing but data: URIs."""
    from weasyprint import HTML  # imported here: it loads Pango, which plain imports need not
    from weasyprint.urls import URLFetcher

    if len(_state.images) > IMAGES_KEPT:
        _state.images.clear()
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config(), cache=_state.images, **PDF_OPTIONS
    )


def write_pdf(html: str, out: IO[bytes], *, stylesheets: list[CSS]) -> None:
    """Lay out `html` as tagged PDF/UA-1, fetching nothing but data: URIs."""
    layout(html, stylesheets=stylesheets).write_pdf(out, **PDF_OPTIONS)


def reserved_page_ids(count: int) -> list[str]:
    """The ids a host document gives its `count` empty reserved pages, in order."""
    return [RESERVED_PAGE_ID.format(n) for n in range(count)]


def write_pdf_with_pages(html: str, out: IO[bytes], *, stylesheets: list[CSS], inserted: Document) -> None:
    """Lay out `html` and write it with the pages of `inserted` in the pages it reserved.

    `html` holds one empty element per page of `inserted`, with the ids of
    `reserved_page_ids`, each alone on its page. Those pages keep their margins (the
    running footer: the reference and "page X of Y", which counted them) and take the
    content of the inserted page instead, so a part laid out once (the explanation of a
    data map) reads in place as if it had been laid out with the subject's own pages.
    The tags, bookmarks and links of the inserted content come with it; the document's
    title and language are the host's.
    """
    host = layout(html, stylesheets=stylesheets)
    page_of = {anchor: index for index, page in enumerate(host.pages) for anchor in page.anchors}
    pages = list(host.pages)
    for anchor, content in zip(reserved_page_ids(len(inserted.pages)), inserted.pages, strict=True):
        if anchor not in page_of:
            raise RuntimeError(f"the document lost its reserved page {anchor!r}; nothing was written")
        pages[page_of[anchor]] = _content_in_margins(content, pages[page_of[anchor]])
    host.copy(pages).write_pdf(out, **PDF_OPTIONS)


def _content_in_margins(content: Page, margins: Page) -> Page:
    """A page with the content of `content` and the margin boxes (running header and footer) of
    `margins`; both are laid out on the same page size and margins by the same stylesheet."""
    from weasyprint.document import Page
    from weasyprint.formatting_structure.boxes import MarginBox

    inner = [box for box in content._page_box.children if not isinstance(box, MarginBox)]
    margin_boxes = [box for box in margins._page_box.children if isinstance(box, MarginBox)]
    return Page(content._page_box.copy_with_children(inner + margin_boxes))
