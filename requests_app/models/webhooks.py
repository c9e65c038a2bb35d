"""Outbound webhooks: who wants which events, and every delivery and attempt made to them.

A subscription names a URL, the events it wants and the secret its deliveries are signed
with (Standard Webhooks). A delivery is one event for one subscription; the unique
constraint on the pair is what makes it exist once, however often the event is handed
over. Each try to send it is an attempt row, kept with the answer it got.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.events import RequestEvent


class WebhookSubscription(models.Model):
    """A receiver of events: its URL, the event kinds it wants, and its signing secret.

    ``secret_sealed`` is the secret encrypted at rest (``webhooks.sealing``): the server
    needs the secret itself to sign, so it cannot be hashed; a database dump alone does not
    give it away. ``consecutive_failures`` counts deliveries that failed for good since the
    last success; at ``DSAR_WEBHOOK_DISABLE_AFTER`` the subscription is disabled.
    """

    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list, help_text=_("The event kinds delivered (EventKind values)."))
    secret_sealed = models.TextField()
    # After a rotation the old secret signs too, beside the new one, until this moment, so a
    # receiver can switch without losing a delivery (the specification's signature list).
    previous_secret_sealed = models.TextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERING = "delivering", _("Being sent")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one subscription, sent until it succeeds or fails for good.

    ``message_id`` is the ``webhook-id`` header, the same on every retry (the receiver's
    idempotency key). A worker claims an attempt with a conditional update that sets
    ``lease_token`` and ``lease_expires_at``; it records the outcome only while the token is
    still its own, and a claim that outlived its lease (a dead worker) is taken over.
    """

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="webhook_deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "delivering"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(condition=models.Q(state__in=DeliveryState.values), name="webhook_delivery_state"),
        ]

    def __str__(self) -> str:
        return self.message_id

    @property
    def waits_for_next_attempt(self) -> bool:
        return self.state == DeliveryState.PENDING and self.next_attempt_at is not None


class WebhookAttempt(models.Model):
    """One try to send a delivery: when, what came back (the start of it), or what went wrong."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
