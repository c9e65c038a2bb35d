"""``python manage.py request_register [--year Y] [--with-subjects] [--output FILE]``: the register as CSV."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ReportRefused
from requests_app.management.commands._report_output import report_write
from requests_app.reports.queries import year_checked
from requests_app.reports.register import register_write
from requests_app.workflow.audit import Actor


class Command(BaseCommand):
    help = (
        "Every request, one CSV line each: reference, type, channel, law, dates, outcome and days taken. "
        "No subject's data unless --with-subjects, and that export goes on the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", help="Only requests received in this calendar year (default: all).")
        parser.add_argument(
            "--with-subjects", action="store_true", help="Add the subjects' and agents' names and email addresses."
        )
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year = None if options["year"] is None else year_checked(options["year"])
        except ReportRefused as error:
            raise CommandError(error.message) from None
        text = io.StringIO()
        register_write(text, year=year, with_subjects=options["with_subjects"], actor=Actor.system("request-register"))
        report_write(self, text.getvalue().encode("utf-8"), output=options["output"], fmt="csv")
