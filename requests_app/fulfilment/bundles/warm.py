"""Make a worker process ready to write PDFs before its first request asks for one.

A fresh process pays seconds for its first PDF: WeasyPrint and Pango load, Fontconfig reads
the system's fonts, the templates compile, the stylesheet is parsed, and the first layout
loads the glyphs, and the explanation of the data map in use is laid out. A Celery worker
child does it here when it starts (fulfilment/warmup.py), so a subject's request does not
wait for it.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import translation

from requests_app.datamap.schema import Dataset, Field, System
from requests_app.fulfilment.bundles import rendering
from requests_app.fulfilment.bundles.inputs import BundleContext, company_facts
from requests_app.fulfilment.bundles.report import branding_context, render_access_report
from requests_app.fulfilment.bundles.spool import DatasetSpool

logger = logging.getLogger(__name__)

STYLESHEET = "bundles/report.css"


def _sample_system() -> System:
    """A system with one field, for a worker that has no data map to warm with."""
    fields = (
        Field(
            name="email", category="contact details", purpose="warm-up", legal_basis="warm-up", recipients=(),
            retention="warm-up", source="you", correctable=False, erasure="retain",
        ),
    )  # fmt: skip
    return System(
        name="warm-up",
        description="",
        kind="sql",
        connection={},
        datasets=(Dataset(name="users", description="", locator={}, fields=fields),),
    )


def sample_context(systems: tuple[System, ...] = (), company: dict[str, Any] | None = None) -> BundleContext:
    """A request that never happened, to lay out once.

    Given the data map's systems, and the company's facts as real reports have them (the
    default), its explanation is the one the next access reports take from the cache;
    without systems, a one-field system stands in.
    """
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return BundleContext(
        reference="WARM-UP",
        request_type="access",
        subject_name="Warm-up",
        subject_email="warm-up@example.invalid",
        received_at=moment,
        completed_at=moment,
        jurisdiction_name="",
        datamap_version="warm-up",
        systems=systems or (_sample_system(),),
        **(company if company is not None else company_facts()),
    )


def pdf_warm(context: BundleContext | None = None) -> None:
    """Load the fonts, parse the stylesheet in every language and lay out one small report.

    The stylesheet is parsed for the company's branding as results.py builds it, so the
    entries made here are the ones the requests use; so is the explanation, when `context`
    (see sample_context) carries the data map and the company's facts, in the company's
    language. Nothing is written anywhere.
    """
    context = context or sample_context()
    brand = branding_context(context.branding)
    rendering.font_config()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            rendering.stylesheet(STYLESHEET, brand)
    spool = DatasetSpool("warm-up", "users", "warm-up", "users", ("email",), sample_limit=1)
    try:
        spool.add({"email": "warm-up@example.invalid"})
        with translation.override(settings.LANGUAGE_CODE):
            render_access_report(io.BytesIO(), context, [spool], generated_at=context.completed_at, record_limit=1)
    finally:
        spool.close()


def pdf_warm_quietly(context: BundleContext | None = None) -> None:
    """Warm, but never stop a worker from starting: its first PDF then pays the cost, or fails
    with the real error, recorded against that request."""
    try:
        pdf_warm(context)
    except Exception:
        logger.exception("Warming the PDF renderer failed; the first report will load it")
