"""The metrics page: the year's compliance figures, and the reports to download.

Every staff role sees the figures, the register without subjects and the Art. 30 record:
none of them holds personal data. The register with subjects' names and addresses needs the
personal-data permission, is asked for with a POST (a link prefetch must not make one), and
goes on the audit trail with who downloaded it.
"""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from requests_app.datamap import DataMapError
from requests_app.errors import ReportRefused
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.models import DataSubjectRequest
from requests_app.reports.processing_record import processing_record
from requests_app.reports.queries import metrics_for_year, year_checked
from requests_app.reports.register import register_write
from requests_app.reports.render import (
    CONTENT_TYPES,
    METRICS_FORMATS,
    RECORD_FORMATS,
    format_checked,
    metrics_context,
    metrics_file,
    processing_record_file,
)
from requests_app.staff.permissions import PERSONAL_DATA, VIEW, can_see_personal_data, staff_actor, staff_required


def _download(data: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _year_or_404(year: int) -> int:
    try:
        return year_checked(year)
    except ReportRefused:
        raise Http404("No such year") from None


def _years() -> list[int]:
    """The years with requests, and this one, newest first."""
    years = {day.year for day in DataSubjectRequest.objects.dates("received_at", "year")}
    return sorted(years | {timezone.localdate().year}, reverse=True)


@require_GET
@staff_required(VIEW)
def metrics(request: HttpRequest) -> HttpResponse:
    error, status = "", 200
    try:
        year = year_checked(request.GET.get("year") or timezone.localdate().year)
    except ReportRefused as refused:
        error, status, year = refused.message, 400, timezone.localdate().year
    context = {
        "nav": "metrics",
        "year": year,
        "years": _years(),
        "error": error,
        "formats": METRICS_FORMATS,
        "record_formats": RECORD_FORMATS,
        "can_see_personal": can_see_personal_data(request),
        **metrics_context(metrics_for_year(year)),
    }
    return render(request, "staff/metrics.html", context, status=status)


@require_GET
@staff_required(VIEW)
def metrics_download(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    year = _year_or_404(year)
    if fmt not in METRICS_FORMATS:
        raise Http404("No such format")
    return _download(metrics_file(metrics_for_year(year), fmt), fmt, f"privacy-metrics-{year}.{fmt}")


def _register(request: HttpRequest, year: int, *, with_subjects: bool) -> HttpResponse:
    year = _year_or_404(year)
    text = io.StringIO()
    register_write(text, year=year, with_subjects=with_subjects, actor=staff_actor(request))
    name = f"request-register-{year}{'-with-subjects' if with_subjects else ''}.csv"
    return _download(text.getvalue().encode("utf-8"), "csv", name)


@require_GET
@staff_required(VIEW)
def register_download(request: HttpRequest, year: int) -> HttpResponse:
    return _register(request, year, with_subjects=False)


@require_POST
@staff_required(PERSONAL_DATA)
def register_with_subjects_download(request: HttpRequest, year: int) -> HttpResponse:
    """POST only: a link or a prefetch cannot make an export of personal data."""
    return _register(request, year, with_subjects=True)


@require_GET
@staff_required(VIEW)
def processing_record_download(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        fmt = format_checked(fmt, RECORD_FORMATS)
    except ReportRefused:
        raise Http404("No such format") from None
    try:
        records = processing_record(datamap_current())
    except DataMapError as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    return _download(processing_record_file(records, fmt), fmt, f"record-of-processing.{fmt}")
