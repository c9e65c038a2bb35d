"""Authorised agents that speak the Data Rights Protocol (DRP v0.9.4), and their requests.

This product acts as the covered business (and its own privacy infrastructure provider):
staff register each agent with the Ed25519 key its signed messages must verify with
(DRP §3.05.1, §3.07); the agent gets a pairwise bearer token from ``POST /drp/v1/agent/<id>``
(§2.05), of which only a hash is kept; each data rights request it sends is one
``DataSubjectRequest`` (an agent request in this product's sense) with one ``DrpRequest``
beside it; each change of that request is one ``DrpCallback`` to the agent's
``status_callback`` URL (§2.03).
"""

from __future__ import annotations

import base64
import binascii
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.events import RequestEvent
from requests_app.models.requests import DataSubjectRequest

VERIFY_KEY_BYTES = 32


def verify_key_bytes(text: str) -> bytes:
    """The 32 bytes of a base64 Ed25519 verify key (DRP §3.05.1), or ValueError saying why."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The verify key is not base64") from None
    if len(raw) != VERIFY_KEY_BYTES:
        raise ValueError(f"The verify key is {len(raw)} bytes; an Ed25519 key is {VERIFY_KEY_BYTES}")
    return raw


class DrpAction(models.TextChoices):
    """The DRP rights actions (§3.01) this product carries out, as its own request types."""

    ACCESS = "access", _("Access (right to know)")
    DELETION = "deletion", _("Deletion (right to delete)")


class DrpAgent(models.Model):
    """An authorised agent registered by the privacy team: who it is and the key it signs with.

    ``agent_id`` is the agent's id in the DRP service directory (§3.05.1); ``verify_key`` the
    base64 of its 32-byte Ed25519 public key. ``email`` is where the product's emails to the
    agent go (the acknowledgement, a rejection), as for any agent request.
    """

    agent_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, help_text=_("Where emails to the agent go (acknowledgement, rejection)."))
    verify_key = models.CharField(max_length=64, help_text=_("Base64 of the agent's Ed25519 public key (32 bytes)."))
    allowed_actions = models.JSONField(default=list, help_text=_("The DRP actions it may send: access, deletion."))
    active = models.BooleanField(default=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("DRP agent")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"


class DrpAgentToken(models.Model):
    """A pairwise bearer token (§2.05.1): its SHA-256 only, never the token.

    ``message_digest`` is the SHA-256 of the signed key set-up message that obtained it: the
    unique constraint refuses the same message presented again (a replay within its
    validity). A new token replaces the agent's earlier ones (``revoked_at``).
    """

    agent = models.ForeignKey(DrpAgent, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    message_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"token of {self.agent_id}"


class DrpRequest(models.Model):
    """The DRP side of one agent request: its protocol id, what was asked, where to call back.

    The identity claims (§3.04) go where every request keeps its subject (the subject's
    address, name and identifiers on ``DataSubjectRequest``, removed by the retention rule);
    only the names of the claims received and of those the agent says it verified are kept
    here, as the record of what the agent attested. ``message_digest`` (SHA-256 of the signed
    message) is unique: a replayed request creates nothing.
    """

    # The `request_id` of the protocol (§3.03): a UUID made here, told to the agent.
    drp_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(DataSubjectRequest, on_delete=models.PROTECT, related_name="drp")
    agent = models.ForeignKey(DrpAgent, on_delete=models.PROTECT, related_name="requests")
    agent_request_id = models.CharField(max_length=200, blank=True)
    drp_version = models.CharField(max_length=16)
    exercise = models.CharField(max_length=32, choices=DrpAction.choices)
    regime = models.CharField(max_length=32, blank=True)
    relationships = models.JSONField(default=list, blank=True)
    claims_received = models.JSONField(default=list, blank=True)
    claims_verified = models.JSONField(default=list, blank=True)
    # Checked by infra.outbound_http when received and again, by its address, when called.
    status_callback = models.CharField(max_length=2000, blank=True)
    message_digest = models.CharField(max_length=64, unique=True)
    # The user's reason for revoking is free text: it is kept only in the cancellation's
    # audit event, sealed with the request's key like any reason, so retention removes it.
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("DRP request")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(exercise__in=DrpAction.values), name="drp_exercise_valid"),
        ]

    def __str__(self) -> str:
        return str(self.drp_id)


class DrpCallbackStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class DrpCallback(models.Model):
    """One status callback (§2.03) for one event of one DRP request: made once, by the constraint.

    The body is the request's status when it is sent (so a late retry never tells the
    agent an older status than one it was already told); ``response_status`` and
    ``response_body`` are the agent's last answer (at most 4 KiB), kept for staff.
    """

    drp_request = models.ForeignKey(DrpRequest, on_delete=models.CASCADE, related_name="callbacks")
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="drp_callbacks")
    status = models.CharField(max_length=12, choices=DrpCallbackStatus.choices, default=DrpCallbackStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="drp_callback_unsent",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["drp_request", "event"], name="drp_callback_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=DrpCallbackStatus.values), name="drp_callback_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"callback {self.pk} ({self.status})"
