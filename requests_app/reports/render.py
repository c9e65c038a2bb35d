"""The reports as files: the metrics as CSV, JSON or PDF; the Art. 30 record as CSV or PDF.

Each function returns the file's bytes. PDFs are rendered by WeasyPrint from templates under
templates/reports/, as the subjects' PDFs are (fetching nothing but data: URIs).
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from requests_app.errors import ReportRefused
from requests_app.fulfilment.bundles.report import render_pdf
from requests_app.models import Channel, RequestType, State
from requests_app.reports.metrics import DENIAL_REASONS, OPT_OUT_NOTE
from requests_app.reports.processing_record import NOT_IN_MAP, record_lines

if TYPE_CHECKING:
    from collections.abc import Iterable

    from requests_app.reports.metrics import Metrics
    from requests_app.reports.processing_record import SystemRecord

METRICS_FORMATS = ("csv", "pdf", "json")
RECORD_FORMATS = ("csv", "pdf")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


def format_checked(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ReportRefused(f"The format must be one of {', '.join(allowed)}, not {value[:20]!r}")
    return value


def csv_bytes(lines: Iterable[list[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(lines)
    return text.getvalue().encode("utf-8")


def metrics_lines(metrics: Metrics) -> Iterable[list[Any]]:
    """The figures in long form, one per line: section, item, figure, value."""
    yield ["section", "item", "figure", "value"]
    yield ["report", "", "year", metrics.year]
    yield ["report", "", "as_of", metrics.as_of.isoformat()]
    yield ["report", "", "received", metrics.received]
    for figures in metrics.by_type:
        data = figures.as_dict()
        for name in ("received", "complied_in_whole_or_in_part", "complied_in_whole", "complied_in_part", "denied"):
            yield ["ccpa_7102", figures.request_type, name, data[name]]
        for reason, count in figures.denied.items():
            yield ["ccpa_7102", figures.request_type, f"denied_{reason}", count]
        for name in ("cancelled", "open", "extended"):
            yield ["ccpa_7102", figures.request_type, name, data[name]]
        days = data["days_to_substantive_response"]
        for name in ("responses", "median", "mean"):
            value = days[name]
            yield ["ccpa_7102", figures.request_type, f"days_to_substantive_response_{name}", _blank(value)]
    for channel, count in metrics.by_channel.items():
        yield ["channel", channel, "received", count]
    for jurisdiction, count in metrics.by_jurisdiction.items():
        yield ["jurisdiction", jurisdiction, "received", count]
    for name, value in metrics.on_time.as_dict().items():
        yield ["on_time", "", name, _blank(value)]
    yield ["extensions", "", "extended", metrics.extended]
    for stay in metrics.time_in_state:
        yield ["time_in_state", stay.state, "stays", stay.stays]
        yield ["time_in_state", stay.state, "median_days", _blank(stay.median_days)]
        yield ["time_in_state", stay.state, "mean_days", _blank(stay.mean_days)]


def _blank(value: object) -> object:
    return "" if value is None else value


def _labels() -> dict[str, dict[str, str]]:
    return {
        "type": {str(k): str(v) for k, v in RequestType.choices},
        "channel": {str(k): str(v) for k, v in Channel.choices},
        "state": {str(k): str(v) for k, v in State.choices},
    }


def metrics_context(metrics: Metrics) -> dict[str, Any]:
    """What the staff page and the PDF show: the figures, with labels for their codes."""
    labels = _labels()
    return {
        "metrics": metrics,
        "by_type": [(figures, figures.as_dict()) for figures in metrics.by_type],
        "denial_rows": [(label, [figures.denied[key] for figures in metrics.by_type]) for key, label in DENIAL_REASONS],
        "opt_out_note": OPT_OUT_NOTE,
        "channels": [(labels["channel"].get(k, k), v) for k, v in metrics.by_channel.items()],
        "jurisdictions": list(metrics.by_jurisdiction.items()),
        "states": [(labels["state"].get(s.state, s.state), s) for s in metrics.time_in_state],
        "time_zone": settings.TIME_ZONE,
    }


def _pdf(template: str, context: dict[str, Any], title: str) -> bytes:
    out = io.BytesIO()
    context = {
        **context,
        "title": title,
        "company_name": settings.DSAR_COMPANY_NAME,
        "generated_at": timezone.localtime(),
    }
    render_pdf(template, context, out, stylesheet="")  # reports/base.html has its own <style>
    return out.getvalue()


def metrics_file(metrics: Metrics, fmt: str) -> bytes:
    format_checked(fmt, METRICS_FORMATS)
    if fmt == "json":
        return (json.dumps(metrics.as_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "csv":
        return csv_bytes(metrics_lines(metrics))
    title = f"Privacy request metrics {metrics.year}, {settings.DSAR_COMPANY_NAME}"
    return _pdf("reports/metrics.html", metrics_context(metrics), title)


def processing_record_file(records: tuple[SystemRecord, ...], fmt: str) -> bytes:
    format_checked(fmt, RECORD_FORMATS)
    if fmt == "csv":
        return csv_bytes(record_lines(records))
    context = {
        "records": records,
        "not_in_map": NOT_IN_MAP,
        "controller": {
            "name": settings.DSAR_COMPANY_NAME,
            "address": settings.DSAR_COMPANY_ADDRESS,
            "contact": settings.DSAR_REPLY_TO_EMAIL,
        },
    }
    title = f"Record of processing activities, {settings.DSAR_COMPANY_NAME}"
    return _pdf("reports/processing_record.html", context, title)
