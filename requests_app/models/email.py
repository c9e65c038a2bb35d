"""Emails in and out, kept as sent or received, and threaded to their request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class Direction(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class EmailStatus(models.TextChoices):
    # Outbound
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Inbound
    RECEIVED = "received", _("Received")
    ATTACHED = "attached", _("Attached to a request")
    TRIAGE = "triage", _("Waiting for triage")
    IGNORED = "ignored", _("Not a request")


class EmailMessage(models.Model):
    """One email, in or out.

    The raw message is kept in file storage (``raw``) with its SHA-256, so what was sent or
    received can be shown exactly as it was. Outbound mail is sent by a Celery task after
    the transaction that queued it commits; its ``message_id`` lets replies thread back.
    """

    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=EmailStatus.choices)
    kind = models.CharField(max_length=32, blank=True, help_text=_("For sent mail: which notification."))
    request = models.ForeignKey(
        DataSubjectRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    from_address = models.EmailField(max_length=254, blank=True)
    to_addresses = models.JSONField(default=list, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    raw = models.FileField(upload_to="email/", blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Outbound: when a worker claimed it for sending. Another may take it over only once this
    # is older than the send lease (the first worker died mid-send).
    sending_since = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Inbound only: how it came in, and what parsing found.
    source = models.CharField(max_length=32, blank=True, help_text=_("imap, pipe or webhook:<provider>"))
    reply_to = models.CharField(max_length=254, blank=True, help_text=_("Recorded only: never used to verify."))
    references = models.JSONField(default=list, blank=True)
    automated = models.CharField(max_length=16, blank=True, help_text=_("auto-reply, bounce or bulk: never answered"))
    auth_results = models.JSONField(default=dict, blank=True)
    defects = models.JSONField(default=list, blank=True)
    triage_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Inbound, on a request: when a staff member who may see personal data marked it read,
    # and who (the audit trail keeps their name should the account be deleted). Unset: unread.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="email_request_created"),
            models.Index(fields=["direction", "status"], name="email_direction_status"),
            # The unread messages of the queue, the dashboard and a request page: few rows.
            models.Index(
                fields=["request"],
                condition=models.Q(direction="in", read_at__isnull=True),
                name="email_unread",
            ),
        ]
        constraints = [
            # The same message received twice (same Message-ID and same bytes) is one row.
            models.UniqueConstraint(
                fields=["direction", "message_id", "sha256"],
                condition=models.Q(direction="in"),
                name="email_inbound_once",
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=models.Q(direction="out"),
                name="email_outbound_message_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind or self.subject[:40]}"

    @property
    def is_unread(self) -> bool:
        """A message received on a request that nobody has marked read (services.messages)."""
        return self.direction == Direction.INBOUND and self.status == EmailStatus.ATTACHED and self.read_at is None


class EmailAttachment(models.Model):
    """A file that came with an email: stored under a safe name, never opened by the server."""

    email = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="email/attachments/", max_length=200)

    def __str__(self) -> str:
        return self.filename


class MailboxState(models.Model):
    """Where polling of one IMAP folder stands: the folder's UIDVALIDITY and the last UID stored."""

    key = models.CharField(max_length=300, unique=True, help_text=_("user@host/folder"))
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
