"""``python manage.py deadline JURISDICTION YYYY-MM-DD [--extended]``: show a deadline and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines
from requests_app.management.dates import received_date

if TYPE_CHECKING:
    import datetime


def _shown(day: datetime.date) -> str:
    return f"{day.isoformat()} ({deadlines.weekday_name(day)})"


class Command(BaseCommand):
    help = "Print the due date of a request received on a given day, with the rule and the steps that gave it."

    def add_arguments(self, parser: CommandParser) -> None:
        codes = ", ".join(code for code, _label in deadlines.jurisdiction_choices())
        parser.add_argument("jurisdiction", help=f"Jurisdiction code: {codes}.")
        parser.add_argument("received", help="Day the request was received, YYYY-MM-DD.")
        parser.add_argument("--extended", action="store_true", help="Show the deadline once extended.")

    def handle(self, *args: Any, **options: Any) -> None:
        received = received_date(options["received"])
        code: str = options["jurisdiction"]
        try:
            deadline = deadlines.due_date(code, received, extended=options["extended"])
            acknowledge = deadlines.acknowledge_by(code, received)
            notice = None
            if deadline.rule.extension is not None and not options["extended"]:
                notice = deadlines.extension_notice_by(code, received)
        except (ApplicationError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc

        lines = [f"Due date: {_shown(deadline.due)}", f"Rule: {deadline.rule.name} — {deadline.rule.citation}"]
        lines += [f"  - {step}" for step in deadline.steps]
        if acknowledge is not None:
            lines.append(f"Acknowledge by: {_shown(acknowledge)}")
        if notice is not None:
            lines.append(f"Extension notice by: {_shown(notice)}")
        self.stdout.write("\n".join(lines))
