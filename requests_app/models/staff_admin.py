"""Staff administration: invitations to join the privacy team, and the editable templates
staff start a rejection, a reply or a request for information from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import RejectionCategory

# The languages a template may be written in; English is the one every other falls back to.
TEMPLATE_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
)
FALLBACK_LANGUAGE = "en"


class StaffInvitation(models.Model):
    """The one open invitation of a person: the link's token (its SHA-256 only), until when it
    works, and when it was used. Inviting the person again replaces the row's token, so the
    old link stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_invitation")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    role = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"invitation of user {self.user_id}"


class TemplateKind(models.TextChoices):
    REJECTION = "rejection", _("Rejection reason")
    REPLY = "reply", _("Reply")
    ASK = "ask", _("Request for information")


class MessageTemplate(models.Model):
    """A starting text for a message to a requester, in one language; staff edit it before sending.

    The text may hold placeholders (``{reference}`` and the others in
    ``requests_app.services.message_templates.PLACEHOLDERS``), checked when it is saved.
    """

    kind = models.CharField(max_length=16, choices=TemplateKind.choices)
    key = models.SlugField(max_length=50, help_text=_("Names the template across its languages."))
    language = models.CharField(max_length=8, choices=TEMPLATE_LANGUAGES)
    title = models.CharField(max_length=200)
    text = models.TextField()
    # For a rejection: the ground the rejection form starts with; staff may change it.
    category = models.CharField(max_length=16, choices=RejectionCategory.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "language"], name="message_template_once_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} ({self.language})"
