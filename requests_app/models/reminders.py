"""Reminders and alerts that went out, and what each member of staff wants to receive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class ReminderKind(models.TextChoices):
    DEADLINE = "deadline", _("Deadline approaching")
    OVERDUE = "overdue", _("Overdue")
    ACKNOWLEDGEMENT = "acknowledgement", _("Receipt not yet confirmed")
    EXTENSION = "extension", _("Extension to decide")
    DIGEST = "digest", _("Daily digest")
    VERIFICATION = "verification", _("Verification window closing")
    STORE_FAILED = "store_failed", _("A store failed")
    STORE_WAITING = "store_waiting", _("A manual step is waiting")


class Reminder(models.Model):
    """One reminder or alert for one occasion, recorded before it is sent.

    ``key`` names the occasion ("deadline:<request>:<due date>:7",
    "digest:<user>:<date>"). Its unique constraint is what makes a reminder go out once: of
    two scans that find the same occasion at the same moment, the second one's insert fails
    (on PostgreSQL it waits for the first transaction and then fails) and it sends nothing.
    The email is queued in the same transaction as the row, so a row exists exactly when its
    email does.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    request = models.ForeignKey(
        DataSubjectRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )
    recipients = models.JSONField(default=list, blank=True, help_text=_("Where it was sent."))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "kind"], name="reminder_request_kind")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.key


class StaffPreference(models.Model):
    """What one member of staff chose to receive; no row means the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dsar_preference")
    daily_digest = models.BooleanField(
        default=True, help_text=_("A morning email with my open requests by urgency and what waits for me.")
    )

    def __str__(self) -> str:
        return f"preferences of {self.user}"
