"""``python manage.py processing_record [--format csv|pdf] [--output FILE]``: GDPR Art. 30 from the data map."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.datamap import DataMapError
from requests_app.errors import ReportRefused
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.management.commands._report_output import report_write
from requests_app.reports.processing_record import processing_record
from requests_app.reports.render import RECORD_FORMATS, format_checked, processing_record_file


class Command(BaseCommand):
    help = (
        "The record of processing activities (GDPR Art. 30(1)) made from the data map in use: systems, "
        "data categories, purposes, legal bases, recipients, retention and transfers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(RECORD_FORMATS)} (default csv).")
        parser.add_argument("--output", "-o", help="File to write (default: standard output; a PDF needs one).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            fmt = format_checked(options["format"], RECORD_FORMATS)
            records = processing_record(datamap_current())
        except ReportRefused as error:
            raise CommandError(error.message) from None
        except DataMapError as error:
            raise CommandError(str(error)) from None
        report_write(self, processing_record_file(records, fmt), output=options["output"], fmt=fmt)
