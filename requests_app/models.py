"""Data and invariants. Writes live in workflow.py and audit.py, never in views or signals."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from requests_app.deadlines import jurisdiction_choices


class State(models.TextChoices):
    PENDING_VERIFICATION = "pending_verification", _("Waiting for identity verification")
    VERIFIED = "verified", _("Identity verified")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
    IN_PROGRESS = "in_progress", _("In progress")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    AWAITING_REQUESTER = "awaiting_requester", _("Waiting for the requester")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED_UNVERIFIED = "closed_unverified", _("Closed: identity not verified")


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access (a copy of my data)")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    STAFF = "staff", _("Entered by staff")


class DataSubjectRequest(models.Model):
    """One request from one data subject.

    ``reference`` is the public name (``DSR-7KQ2-M9XD``): random, so that it cannot be
    guessed or enumerated, and separate from the primary key. ``state`` is assigned only by
    ``requests_app.workflow``.
    """

    reference = models.CharField(max_length=13, unique=True, editable=False)
    request_type = models.CharField(max_length=16, choices=RequestType.choices)
    portability = models.BooleanField(
        default=False,
        help_text=_("The subject wants the data in a machine-readable form to take elsewhere (GDPR Art. 20)."),
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)

    subject_email = models.EmailField(max_length=254)
    subject_name = models.CharField(max_length=200, blank=True)
    subject_identifiers = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Other identifiers the subject gave, such as a phone number or account id."),
    )
    details = models.TextField(blank=True)

    jurisdiction = models.CharField(max_length=16, choices=jurisdiction_choices)
    state = models.CharField(max_length=24, choices=State.choices, default=State.PENDING_VERIFICATION, editable=False)

    received_at = models.DateTimeField()
    due_at = models.DateField(help_text=_("The last day to answer, in the company's time zone."))
    # The clock stops while the request waits for the requester, where the law allows it.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_from_state = models.CharField(max_length=24, choices=State.choices, blank=True, editable=False)
    paused_days = models.PositiveIntegerField(default=0, editable=False)
    extended_at = models.DateTimeField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data subject request")
        ordering = ["due_at", "id"]
        indexes = [
            # The staff queue and the reminders: open requests by state, soonest due first.
            models.Index(fields=["state", "due_at"], name="dsr_state_due"),
            models.Index(fields=["assignee", "state", "due_at"], name="dsr_assignee_state_due"),
            models.Index(Lower("subject_email"), name="dsr_subject_email_ci"),
            models.Index(fields=["received_at"], name="dsr_received"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=State.values), name="dsr_state_valid"),
            models.CheckConstraint(
                condition=models.Q(request_type__in=RequestType.values), name="dsr_request_type_valid"
            ),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="dsr_channel_valid"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        from requests_app.workflow import OPEN_STATES

        return self.state in OPEN_STATES

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None


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
    (see ``requests_app.audit``), so changing, removing or reordering any event breaks every
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
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["request", "seq"], name="audit_request_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutable("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("Audit events cannot be deleted")


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
