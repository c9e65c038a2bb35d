"""``python manage.py privacy_metrics --year 2026 [--format csv|pdf|json] [--output FILE]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ReportRefused
from requests_app.management.commands._report_output import report_write
from requests_app.reports.queries import metrics_for_year, year_checked
from requests_app.reports.render import METRICS_FORMATS, format_checked, metrics_file


class Command(BaseCommand):
    help = (
        "The year's privacy request metrics (11 CCR § 7102): received, complied with, denied by "
        "ground, days to respond, volumes, on-time rate, extensions and time in each state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="Calendar year, counted by the day received.")
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(METRICS_FORMATS)} (default csv).")
        parser.add_argument("--output", "-o", help="File to write (default: standard output; a PDF needs one).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year = year_checked(options["year"])
            fmt = format_checked(options["format"], METRICS_FORMATS)
        except ReportRefused as error:
            raise CommandError(error.message) from None
        report_write(self, metrics_file(metrics_for_year(year), fmt), output=options["output"], fmt=fmt)
