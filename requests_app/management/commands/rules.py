"""``python manage.py rules [CODE ...] [--all-versions]``: every deadline rule with its sources."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines, describe, registry


class Command(BaseCommand):
    help = "List the deadline rules (period, extension, clock stop, appeal, cost, sources and confidence)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="Only these rule codes (or aliases).")
        parser.add_argument("--all-versions", action="store_true", help="Also the older versions of each rule.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            codes = [registry.canonical_code(code) for code in options["codes"]] or registry.known_codes()
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        blocks = []
        for code in codes:
            editions = registry.versions(code)
            for rule in editions if options["all_versions"] else editions[-1:]:
                blocks.append("\n".join(describe.rule_lines(rule)))
        blocks.append(deadlines.NOT_LEGAL_ADVICE)
        self.stdout.write("\n\n".join(blocks))
