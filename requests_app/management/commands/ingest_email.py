"""``python manage.py ingest_email < message.eml``: store one raw message from an MTA pipe.

Exits 0 once the message is stored (processing follows in a worker), so the MTA can
forget it. On our own failure it exits 75 (EX_TEMPFAIL): Postfix and procmail keep the
message and try again later, so nothing is lost.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from requests_app.intake.pipeline import email_receive

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one RFC 5322 message read from standard input (for an MTA pipe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", default="pipe", help="recorded as where the message came from")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read(settings.DSAR_MAX_EMAIL_BYTES + 1)
        if not raw.strip():
            self.stderr.write("ingest_email: no message on standard input")
            sys.exit(EX_DATAERR)
        if len(raw) > settings.DSAR_MAX_EMAIL_BYTES:
            self.stderr.write(f"ingest_email: message larger than {settings.DSAR_MAX_EMAIL_BYTES} bytes, refused")
            sys.exit(EX_DATAERR)
        try:
            message, created = email_receive(raw, source=options["source"][:32])
        except Exception as error:
            self.stderr.write(f"ingest_email: could not store the message ({type(error).__name__}); try again later")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{'stored' if created else 'already stored'} {message.pk} sha256 {message.sha256}")
