"""``python manage.py request_create --actor USERNAME ...``: record a request staff received
by phone, letter or in person, as the staff page does; print its reference."""

from __future__ import annotations

import contextlib
import mimetypes
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from requests_app.errors import ApplicationError
from requests_app.laws import deadlines
from requests_app.management.dates import received_date
from requests_app.models import Channel, ReceivedVia, RequestType
from requests_app.services import staff_entry
from requests_app.services.staff_entry import IdentityCheck
from requests_app.staff.permissions import ACT
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest


class Command(BaseCommand):
    help = (
        "Record a request that came by phone, letter or in person, as the staff 'New request' page does, "
        "and print its reference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        codes = ", ".join(code for code, _label in deadlines.jurisdiction_choices())
        parser.add_argument("--actor", required=True, help="Username of the staff member entering it (may act).")
        parser.add_argument("--via", required=True, choices=ReceivedVia.values, help="How it came in.")
        parser.add_argument("--type", required=True, choices=RequestType.values, help="The request type.")
        parser.add_argument("--email", required=True, help="The subject's email address (they collect the result).")
        parser.add_argument("--identity", required=True, choices=IdentityCheck.values, help="Was the identity checked?")
        parser.add_argument("--identity-note", default="", help="How staff checked it (required when checked).")
        parser.add_argument("--law", default="", help=f"Jurisdiction code: {codes} (default: the configured one).")
        parser.add_argument("--received", default="", help="Day it was received, YYYY-MM-DD (default: today).")
        parser.add_argument("--name", default="", help="The subject's name.")
        parser.add_argument("--phone", default="", help="The subject's phone number.")
        parser.add_argument("--account-id", default="", help="The subject's account id.")
        parser.add_argument("--details", default="", help="What they asked for.")
        parser.add_argument("--attach", action="append", default=[], metavar="FILE", help="A file (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["actor"])
        received = received_date(options["received"]) if options["received"] else timezone.localdate()
        identifiers = {
            name: options[key].strip() for name, key in (("phone", "phone"), ("account_id", "account_id"))
            if options[key].strip()
        }  # fmt: skip
        new = NewRequest(
            channel=Channel.STAFF,
            request_type=options["type"],
            subject_email=options["email"].strip(),
            subject_name=options["name"],
            jurisdiction=options["law"].strip() or settings.DSAR_DEFAULT_JURISDICTION,
            details=options["details"],
            identifiers=identifiers or None,
            received_at=staff_entry.received_on(received),
            received_via=options["via"],
        )
        with contextlib.ExitStack() as files:
            uploads = [self._upload(Path(path), files) for path in options["attach"]]
            try:
                created = staff_entry.request_enter(
                    new,
                    actor=actor,
                    identity=options["identity"],
                    identity_note=options["identity_note"],
                    attachments=uploads,
                )
            except ApplicationError as error:
                raise CommandError(f"{error.message}. Nothing was recorded.") from None
        self.stdout.write(created.reference)

    @staticmethod
    def _actor(username: str) -> Actor:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {username!r}.")
        if not user.has_perm(ACT):
            raise CommandError(f"{username} may not act on requests (the act permission is missing).")
        return Actor.staff(user)

    @staticmethod
    def _upload(path: Path, files: contextlib.ExitStack) -> UploadedFile:
        try:
            handle = files.enter_context(path.open("rb"))
            size = path.stat().st_size
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return UploadedFile(file=handle, name=path.name, content_type=content_type, size=size)
