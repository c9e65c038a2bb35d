"""Single-use proofs that a person controls an email address."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest


class ChallengePurpose(models.TextChoices):
    VERIFY_REQUEST = "verify_request", _("Verify a new request")
    DOWNLOAD = "download", _("Download a bundle")


class VerificationChallenge(models.Model):
    """A link token and a short code sent to one address; only their hashes are stored.

    A challenge is used once (``used_at``), expires (``expires_at``), allows a few wrong
    codes (``attempts``), and is superseded when a new one is sent for the same purpose.
    """

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="challenges")
    purpose = models.CharField(max_length=16, choices=ChallengePurpose.choices)
    email = models.EmailField(max_length=254, help_text=_("Where the link and code were sent."))
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["request", "purpose", "created_at"], name="challenge_request_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.request_id}"
