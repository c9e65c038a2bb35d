"""``python manage.py minimise_requests [--dry-run]``: remove closed requests' personal data now.

The same work the daily beat task does, for an operator: each request past the retention
period is printed with what was removed (or, with ``--dry-run``, would be), by kind and count.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from requests_app.services.retention import requests_minimise


class Command(BaseCommand):
    help = (
        "Remove the personal data of requests closed more than DSAR_REQUEST_RETENTION_DAYS ago, "
        "keeping their record. --dry-run says what would be removed and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        done = requests_minimise(dry_run=dry_run)
        for result in done:
            self.stdout.write(result.summary())
        days = settings.DSAR_REQUEST_RETENTION_DAYS
        verb = "would be minimised" if dry_run else "minimised"
        self.stdout.write(
            f"{len(done)} request{'s' if len(done) != 1 else ''} {verb} (closed more than {days} days ago)"
        )
