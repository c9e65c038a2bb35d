"""Polling the privacy mailbox over IMAP, each message stored exactly once.

The last UID stored is recorded after each message, in the same transaction as the message
itself, and the folder's UIDVALIDITY with it: a restart continues after the last stored
message, a crash between storing and marking costs nothing (the next poll finds the
message already stored by its Message-ID and bytes), and two pollers never run at once
(the state row is locked, and a second poller skips instead of waiting).
"""

from __future__ import annotations

import ssl

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app.intake.imap import MailboxSettings, fetch_new, mark_processed
from requests_app.intake.pipeline import email_receive
from requests_app.models import MailboxState


def mailbox_configured() -> bool:
    return bool(settings.DSAR_IMAP_HOST)


def mailbox_settings() -> MailboxSettings:
    context = ssl.create_default_context(cafile=settings.DSAR_IMAP_CAFILE or None)
    return MailboxSettings(
        host=settings.DSAR_IMAP_HOST,
        port=settings.DSAR_IMAP_PORT,
        user=settings.DSAR_IMAP_USER,
        password=settings.DSAR_IMAP_PASSWORD,
        folder=settings.DSAR_IMAP_FOLDER,
        processed_folder=settings.DSAR_IMAP_PROCESSED_FOLDER or None,
        ssl_context=context,
    )


def mailbox_poll(mailbox: MailboxSettings, *, limit: int = 100) -> int:
    """Store every new message of the folder; return how many were new to us."""
    key = f"{mailbox.user}@{mailbox.host}:{mailbox.port}/{mailbox.folder}"
    MailboxState.objects.get_or_create(key=key)
    stored, uids = 0, []
    with transaction.atomic():
        state = MailboxState.objects.select_for_update(skip_locked=True).filter(key=key).first()
        if state is None:
            return 0  # another poll holds the mailbox
        uidvalidity, messages = fetch_new(mailbox, uidvalidity=state.uidvalidity, after_uid=state.last_uid, limit=limit)
        if state.uidvalidity != uidvalidity:
            # The server renumbered the folder: UIDs start again, content hashes still dedupe.
            state.uidvalidity, state.last_uid = uidvalidity, 0
        for fetched in messages:
            with transaction.atomic():
                _, created = email_receive(fetched.raw, source="imap")
                state.last_uid = max(state.last_uid, fetched.uid)
                state.save(update_fields=["uidvalidity", "last_uid"])
            stored += created
            uids.append(fetched.uid)
        state.polled_at = timezone.now()
        state.save(update_fields=["polled_at"])
    if uids:
        mark_processed(mailbox, uids, uidvalidity=uidvalidity)
    return stored
