"""Make a worker process ready to write PDFs before its first request asks for one.

A fresh process pays seconds for its first PDF: WeasyPrint and Pango load, Fontconfig reads
the system's fonts, the templates compile, the stylesheet is parsed, and the first layout
loads the glyphs. A Celery worker child does it here, when it starts (dsar/celery.py), so a
subject's request does not wait for it.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.utils import translation

from requests_app.datamap.schema import Dataset, Field, System
from requests_app.fulfilment.bundles import rendering
from requests_app.fulfilment.bundles.inputs import Branding, BundleContext
from requests_app.fulfilment.bundles.report import branding_context, render_access_report
from requests_app.fulfilment.bundles.spool import DatasetSpool

logger = logging.getLogger(__name__)

STYLESHEET = "bundles/report.css"


def _sample_context() -> BundleContext:
    """A request that never happened, with one system and one record, to lay out once."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    fields = (
        Field(
            name="email", category="contact details", purpose="warm-up", legal_basis="warm-up", recipients=(),
            retention="warm-up", source="you", correctable=False, erasure="retain",
        ),
    )  # fmt: skip
    system = System(
        name="warm-up",
        description="",
        kind="sql",
        connection={},
        datasets=(Dataset(name="users", description="", locator={}, fields=fields),),
    )
    return BundleContext(
        reference="WARM-UP",
        request_type="access",
        subject_name="Warm-up",
        subject_email="warm-up@example.invalid",
        received_at=moment,
        completed_at=moment,
        jurisdiction_name="",
        company_name=settings.DSAR_COMPANY_NAME,
        company_address="",
        contact_email="",
        supervisory_authority="",
        datamap_version="warm-up",
        systems=(system,),
        automated_decision_making="",
        transfer_safeguards="",
        branding=Branding(company_name=settings.DSAR_COMPANY_NAME),
    )


def pdf_warm() -> None:
    """Load the fonts, parse the stylesheet in every language and lay out one small report.

    The stylesheet is parsed for the company's branding as results.py builds it, so the
    entries made here are the ones the requests use. Nothing is written anywhere.
    """
    context = _sample_context()
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


def pdf_warm_quietly() -> None:
    """Warm, but never stop a worker from starting: its first PDF then pays the cost, or fails
    with the real error, recorded against that request."""
    try:
        pdf_warm()
    except Exception:
        logger.exception("Warming the PDF renderer failed; the first report will load it")
