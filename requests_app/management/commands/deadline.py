"""``python manage.py deadline RULE YYYY-MM-DD [--extended]``: show a deadline and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines, describe, registry
from requests_app.laws.rules import REQUEST_TYPES
from requests_app.management.dates import received_date

if TYPE_CHECKING:
    import datetime


def _shown(day: datetime.date) -> str:
    return f"{day.isoformat()} ({deadlines.weekday_name(day)})"


class Command(BaseCommand):
    help = "Print the due date of a request received on a given day, with the rule and the steps that gave it."

    def add_arguments(self, parser: CommandParser) -> None:
        codes = ", ".join(registry.known_codes())
        parser.add_argument("jurisdiction", help=f"Rule code: {codes} (or an alias such as ccpa).")
        parser.add_argument("received", help="Day the request (or, with --appeal, the appeal) was received.")
        parser.add_argument("--extended", action="store_true", help="Show the deadline once extended.")
        parser.add_argument(
            "--type", dest="request_type", choices=REQUEST_TYPES, help="The request type, where the law times it."
        )
        parser.add_argument("--paused-days", type=int, default=0, help="Days the clock waited for the requester.")
        parser.add_argument("--appeal", action="store_true", help="The deadline to answer an appeal received then.")

    def handle(self, *args: Any, **options: Any) -> None:
        received = received_date(options["received"])
        code: str = options["jurisdiction"]
        if options["paused_days"] < 0:
            raise CommandError("--paused-days cannot be negative.")
        try:
            lines = (
                self._appeal(code, received, options) if options["appeal"] else self._request(code, received, options)
            )
        except (ApplicationError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        lines.append(deadlines.NOT_LEGAL_ADVICE)
        self.stdout.write("\n".join(lines))

    def _request(self, code: str, received: datetime.date, options: dict[str, Any]) -> list[str]:
        request_type = options["request_type"]
        deadline = deadlines.due_date(
            code, received, extended=options["extended"], paused_days=options["paused_days"], request_type=request_type
        )
        rule = deadline.rule
        if request_type and request_type not in rule.request_types:
            raise CommandError(f"{rule.name} gives no {request_type.replace('_', '-')} request.")
        lines = [f"Due date: {_shown(deadline.due)}", f"Rule: {rule.name} — {rule.citation} (version {rule.version})"]
        lines += [f"  - {step}" for step in deadline.steps]
        acknowledge = deadlines.acknowledge_by(code, received, version=rule.version)
        if acknowledge is not None:
            lines.append(f"Acknowledge by: {_shown(acknowledge)}")
        if rule.timing(request_type).extension is not None and not options["extended"]:
            notice = deadlines.extension_notice_by(
                code, received, paused_days=options["paused_days"], request_type=request_type, version=rule.version
            )
            if notice is not None:
                lines.append(f"Extension notice by: {_shown(notice)}")
        facts = describe.rule_facts(rule)
        lines += [
            f"Extension: {facts.extension}",
            f"Clock stop: {facts.clock_stop}",
            f"Appeal: {facts.appeal}",
            f"Confidence: {facts.confidence}",
        ]
        return lines

    def _appeal(self, code: str, received: datetime.date, options: dict[str, Any]) -> list[str]:
        deadline = deadlines.appeal_due(code, received, extended=options["extended"])
        rule = deadline.rule
        lines = [f"Due date: {_shown(deadline.due)}", f"Rule: {rule.name} — {describe.appeal_words(rule)}"]
        lines += [f"  - {step}" for step in deadline.steps]
        return lines
