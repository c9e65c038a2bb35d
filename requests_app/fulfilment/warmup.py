"""A worker child made ready before its first request, not by it.

A fresh child would otherwise pay, on the first request it runs, for: the PDF renderer
(fonts, stylesheets, the first layout: bundles/warm.py), the laid-out explanation of the data
map in use (about 0.3 s), the client libraries of its systems' connectors (about 0.4 s for
SQLAlchemy), the URL patterns of each language (the links in every email), the templates of
the emails and documents, and the data map version the requests are answered with. All of
it is read here, from the database and the files; nothing is written, and no data store is
connected to.

A failure to warm never stops a worker from starting: the first request then pays, or fails
with the real error, recorded against that request.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from requests_app.fulfilment.bundles.warm import pdf_warm_quietly, sample_context
from requests_app.fulfilment.connectors import ConnectorError, connector_for
from requests_app.fulfilment.datamap_versions import datamap_current, datamap_of
from requests_app.infra.warmup import templates_warm, urls_warm
from requests_app.models import DataMapVersion
from requests_app.notifications.emails import KINDS

if TYPE_CHECKING:
    from requests_app.datamap.schema import DataMap

logger = logging.getLogger(__name__)

DOCUMENT_TEMPLATES = ("bundles/certificate.html", "bundles/correction.html", "bundles/decision.html")


READY = "Worker child ready: warmed in %.2f s"  # logged once a child has warmed (the estate benchmark waits for it)


def worker_warm() -> None:
    """Warm everything a child's first request would load (see the module's docstring)."""
    started = time.monotonic()
    datamap = _datamap_in_use()
    pdf_warm_quietly(sample_context(datamap.systems if datamap else ()))
    try:
        if datamap is not None:
            connectors_warm(datamap)
        urls_warm()
        templates_warm(worker_templates())
    except Exception:
        logger.exception("Warming the connectors, URL patterns or templates failed; the first request will load them")
    logger.info(READY, time.monotonic() - started)


def _datamap_in_use() -> DataMap | None:
    """The map the next requests will be answered with: the stored version of the current map
    (as the store tasks and bundles read it), else the current map; None if it cannot be read."""
    try:
        current = datamap_current()
        version = DataMapVersion.objects.filter(digest=current.digest).first()
        return datamap_of(version) if version is not None else current
    except Exception:
        logger.exception("Reading the data map to warm with failed; the first access report will lay it out")
        return None


def connectors_warm(datamap: DataMap) -> None:
    """Make each system's connector once, without connecting: its client library is imported
    (SQLAlchemy and its dialect take about 0.4 s) and an SQL system's engine is made, with its
    pool still empty. A system whose settings are wrong is left to its first task to report."""
    for system in datamap.systems:
        try:
            with connector_for(system):
                pass
        except ConnectorError:
            continue


def worker_templates() -> list[str]:
    """The templates a worker renders: every email's three parts, and the documents."""
    names = [f"emails/{kind}{part}" for kind in sorted(KINDS) for part in ("_subject.txt", ".txt", ".html")]
    return names + list(DOCUMENT_TEMPLATES)
