"""``python manage.py seed_demo --subjects N --rows-per-subject M``: fill the demo estate.

Writes synthetic people (Faker, fixed seed) into the demo stores the demo data map
describes: the SQL database at DSAR_DEMO_SQL_URL, the Redis at DSAR_DEMO_REDIS_URL (if
set) and the auth provider's file, including a few subjects with very many rows.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import seed_estate


class Command(BaseCommand):
    help = "Fill the demo data stores with synthetic subjects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subjects", type=int, default=200)
        parser.add_argument("--rows-per-subject", type=int, default=20)
        parser.add_argument("--heavy-subjects", type=int, default=2)
        parser.add_argument("--heavy-rows", type=int, default=20_000)
        parser.add_argument("--reset", action="store_true", help="empty the demo stores first")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo writes synthetic people into the demo stores: not in production")
        sql_url = os.environ.get("DSAR_DEMO_SQL_URL") or f"sqlite:///{settings.VAR_DIR / 'demo-estate.sqlite3'}"
        summary = seed_estate(
            sql_url,
            os.environ.get("DSAR_DEMO_REDIS_URL") or None,
            subjects=options["subjects"],
            rows_per_subject=options["rows_per_subject"],
            heavy_subjects=options["heavy_subjects"],
            heavy_rows=options["heavy_rows"],
            auth_db=os.environ.get("DSAR_DEMO_AUTH_DB") or settings.VAR_DIR / "demo-auth.sqlite3",
            reset=options["reset"],
        )
        self.stdout.write(
            f"Seeded {summary.users} accounts, {summary.completions} completions, {summary.events} events, "
            f"{summary.invoices} invoices, {summary.redis_keys} Redis keys, {summary.auth_records} auth records "
            f"in {summary.seconds:.1f} s. Heavy subjects: {', '.join(summary.heavy_emails)}"
        )
