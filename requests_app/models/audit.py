"""The audit trail's rows: append-only events in a hash chain, and the chain's head."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class AuditEventImmutable(Exception):
    """Audit events are written once and never changed or removed."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("Audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditEventImmutable("Audit events cannot be deleted")


class AuditEvent(models.Model):
    """One thing that happened, in an append-only hash chain.

    ``hash`` is the SHA-256 of ``prev_hash`` followed by the event's canonical content
    (see ``requests_app.workflow.audit``), so changing, removing or reordering any event breaks every
    hash after it. ``seq`` numbers the chain without gaps. On PostgreSQL a trigger rejects
    UPDATE and DELETE on the table; the ORM refuses them everywhere.
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    request = models.ForeignKey(
        DataSubjectRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    created_at = models.DateTimeField(editable=False)
    actor = models.CharField(max_length=200, help_text=_("Who acted: staff:<username>, subject, or system:<part>."))
    # PROTECT: a user who appears in the audit trail is deactivated, never deleted.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    # Events of a request keep their free text and personal data here instead, sealed under
    # the request's RequestSealKey (see requests_app.workflow.audit); ``reason`` stays empty.
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    sealed = models.TextField(blank=True, default="", editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["request", "seq"], name="audit_request_seq"),
            # Counting recent events of one kind (the dashboard's store failures per system).
            models.Index(fields=["action", "created_at"], name="audit_action_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutable("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("Audit events cannot be deleted")


class RequestSealKey(models.Model):
    """The random key that seals one request's personal text in its audit events.

    Deleting the row (when the request is minimised under the retention rule) makes that
    text unreadable for good while the events, and so the hash chain, stay as written.
    """

    request = models.OneToOneField(
        DataSubjectRequest, primary_key=True, on_delete=models.CASCADE, related_name="seal_key"
    )
    key = models.BinaryField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"seal key of request {self.request_id}"


class AuditChainHead(models.Model):
    """The last link of the audit chain: one row, locked by every append.

    The lock serialises appends so the chain never forks, and the row lets verification
    notice events removed from the end of the chain, which no hash inside the chain can show.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain at #{self.seq}"
