"""What happened to a request that the outside world may hear of: the outbound event log.

An event row is written by the workflow in the same transaction as the change it tells of,
so an event exists exactly when its change does (a transactional outbox). Webhook
deliveries and Data Rights Protocol status callbacks are made from these rows after commit;
the sweeper finds a row whose dispatch message was lost. The data is a snapshot of the
request's facts at that moment, with no personal data in it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class EventKind(models.TextChoices):
    REQUEST_CREATED = "request.created", _("A request was received")
    REQUEST_STATE_CHANGED = "request.state_changed", _("A request changed state")
    REQUEST_EMAIL_CONFIRMED = "request.email_confirmed", _("The subject confirmed their email address")
    REQUEST_EXTENDED = "request.extended", _("A request's deadline was extended")
    REQUEST_DUE_SOON = "request.due_soon", _("A request is due soon")
    REQUEST_COMPLETED = "request.completed", _("A request was completed")
    STORE_TASK_FAILED = "store_task.failed", _("A store failed after its retries")


class RequestEvent(models.Model):
    """One event about one request, recorded with the change it tells of.

    ``unique_key`` names an event that must be recorded once however often its occasion is
    seen (``due_soon:<request>:<due date>``); the partial unique constraint decides.
    ``dispatched_at`` is set once the event has been handed to every consumer.
    """

    kind = models.CharField(max_length=32, choices=EventKind.choices)
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    unique_key = models.CharField(max_length=120, blank=True, default="")
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="event_undispatched"
            ),
            models.Index(fields=["request", "created_at"], name="event_request_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.UniqueConstraint(fields=["unique_key"], condition=~models.Q(unique_key=""), name="event_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.request_id}"
