"""Store tasks: the work of one request on one data store."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class StoreAction(models.TextChoices):
    RESOLVE = "resolve", _("Find the subject and count their records")
    ERASE = "erase", _("Erase")
    CORRECT = "correct", _("Correct")


class StoreTaskState(models.TextChoices):
    PENDING = "pending", _("Waiting for earlier stores")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    MANUAL = "manual", _("Waiting for a person")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_STATES = (StoreTaskState.DONE, StoreTaskState.CANCELLED)


class StoreTask(models.Model):
    """One request's work on one system, claimed by a worker under a lease.

    ``step`` orders the work: the systems that resolve identifiers come first, and erasure
    runs in the reverse order, so the row that maps an email to a user id is deleted last.
    A worker owns the task while ``lease_token`` is its own and ``lease_expires_at`` is in
    the future; it renews the lease as it goes, and the sweeper hands an expired task to
    another worker. ``checkpoint`` lets a restarted erasure continue after its last batch.
    """

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="store_tasks")
    system = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    action = models.CharField(max_length=16, choices=StoreAction.choices)
    step = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=StoreTaskState.choices, default=StoreTaskState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    checkpoint = models.JSONField(default=dict, blank=True)
    identifiers = models.JSONField(default=dict, blank=True, help_text=_("Identifiers this store resolved."))
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text=_("For a manual step: what the person did."))
    attachment = models.FileField(upload_to="manual-steps/", blank=True, max_length=200)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "step", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "system", "action"], name="store_task_once_per_request"),
        ]
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="store_task_state_lease"),
            models.Index(fields=["state", "queued_at"], name="store_task_state_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.system}: {self.action} ({self.state})"

    @property
    def summary(self) -> str:
        """What the task found or changed, in words: "users 1, completions 2000" or "deleted 3"."""
        found = self.counts.get("found")
        if found:
            return ", ".join(f"{dataset} {count}" for dataset, count in found.items())
        totals: dict[str, int] = {}
        for counts in self.counts.get("datasets", {}).values():
            for key in ("deleted", "nulled", "masked", "hashed", "corrected", "retained"):
                totals[key] = totals.get(key, 0) + int(counts.get(key, 0) or 0)
        return ", ".join(f"{key} {count}" for key, count in totals.items() if count)
