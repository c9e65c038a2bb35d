"""``python manage.py poll_mailbox``: fetch new mail from the configured IMAP folder once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from requests_app.intake import mailbox, pipeline
from requests_app.intake.imap import MailboxError


class Command(BaseCommand):
    help = "Poll the IMAP mailbox set by DSAR_IMAP_* once and process what is new."

    def handle(self, *args: Any, **options: Any) -> None:
        if not mailbox.mailbox_configured():
            raise CommandError("No mailbox is configured: set DSAR_IMAP_HOST, DSAR_IMAP_USER and DSAR_IMAP_PASSWORD")
        try:
            stored = mailbox.mailbox_poll(mailbox.mailbox_settings())
        except MailboxError as error:
            raise CommandError(str(error)) from None
        processed = 0
        for pk in pipeline.unprocessed():
            processed += pipeline.email_process(pk) is not None
        # A worker may have taken some of them meanwhile (each is processed once, by whoever
        # claims it first): this counts only the ones processed here.
        self.stdout.write(f"{stored} new messages stored, {processed} processed here")
