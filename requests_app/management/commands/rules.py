"""``python manage.py rules [CODE ...] [--all-versions]``: every deadline rule with its sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines, describe, registry

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule


class Command(BaseCommand):
    help = "List the deadline rules (period, extension, clock stop, appeal, cost, sources and confidence)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="Only these rule codes (or aliases).")
        parser.add_argument("--all-versions", action="store_true", help="Also the older versions of each rule.")
        parser.add_argument("--markdown", action="store_true", help="One table row per rule (the README's table).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            codes = [registry.canonical_code(code) for code in options["codes"]] or registry.known_codes()
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        rules: list[Rule] = []
        for code in codes:
            editions = registry.versions(code)
            rules += editions if options["all_versions"] else editions[-1:]
        if options["markdown"]:
            self.stdout.write("\n".join([describe.MARKDOWN_HEADER, *map(describe.markdown_row, rules)]))
            return
        blocks = ["\n".join(describe.rule_lines(rule)) for rule in rules]
        blocks.append(deadlines.NOT_LEGAL_ADVICE)
        self.stdout.write("\n\n".join(blocks))
