"""API keys for integrations, and the answers the API keeps for an ``Idempotency-Key``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class ApiScope(models.TextChoices):
    REQUESTS_CREATE = "requests:create", _("Create requests")
    REQUESTS_CREATE_VERIFIED = (
        "requests:create_verified",
        _("Create requests already verified by the caller (a signed-in account page)"),
    )
    REQUESTS_READ = "requests:read", _("Read requests, their subjects, timelines and store tasks")
    REQUESTS_ACT = "requests:act", _("Act on requests (verify, approve, reject, extend, assign, cancel, stores)")
    DATAMAP_READ = "datamap:read", _("Read the data map")
    METRICS_READ = "metrics:read", _("Read the compliance metrics")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhook subscriptions")


class ApiKey(models.Model):
    """A key an integration sends as ``Authorization: Bearer dsar_<prefix>_<secret>``.

    Only the SHA-256 of the whole key is kept: the key is shown once, when made. The secret
    part is 32 random bytes, so a plain hash is as strong as a slow one here, and lets a
    call be checked in one indexed lookup. ``prefix`` names the key in lists and on the
    audit trail without revealing it.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def usable_at(self, moment: object) -> bool:
        return self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class IdempotentCreate(models.Model):
    """The first answer to a create sent with an ``Idempotency-Key``, kept to be given again.

    The row is inserted before the request is made, in the same transaction: of two
    identical calls at the same moment, the second's insert waits on the unique constraint
    until the first commits, then fails, and it answers with what the first recorded.
    """

    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    body_sha256 = models.CharField(max_length=64)
    request = models.ForeignKey(DataSubjectRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], condition=models.Q(api_key__isnull=False), name="idempotent_key_per_api_key"
            ),
            models.UniqueConstraint(
                fields=["user", "key"], condition=models.Q(user__isnull=False), name="idempotent_key_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(api_key__isnull=False) | models.Q(user__isnull=False), name="idempotent_has_caller"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_created")]

    def __str__(self) -> str:
        return self.key
