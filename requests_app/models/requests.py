"""The request itself: its kinds, its states, and the request row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from requests_app.laws.registry import jurisdiction_choices


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


TERMINAL_STATES = frozenset({State.COMPLETED, State.REJECTED, State.CANCELLED, State.CLOSED_UNVERIFIED})
OPEN_STATES = frozenset(set(State) - TERMINAL_STATES)


class RequestType(models.TextChoices):
    """What the subject asks for. The first three are fulfilled by the connectors; the
    decisions (opt-out, limit, restriction, objection) are applied by a person in each system
    the data map says they affect; an appeal asks for a refusal to be looked at again."""

    ACCESS = "access", _("Access (a copy of my data)")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    OPT_OUT = "opt_out", _("Opt out of the sale or sharing of my data, and of targeted advertising")
    LIMIT = "limit", _("Limit the use of my sensitive personal information")
    RESTRICTION = "restriction", _("Restrict the processing of my data")
    OBJECTION = "objection", _("Object to the processing of my data")
    APPEAL = "appeal", _("Appeal a decision on my earlier request")


# The request types that are a decision a person applies in each affected system.
DECISION_TYPES = frozenset({RequestType.OPT_OUT, RequestType.LIMIT, RequestType.RESTRICTION, RequestType.OBJECTION})


class AppealOutcome(models.TextChoices):
    """What the review of a refused (or partly refused) request decided."""

    UPHELD = "upheld", _("The original decision stands")
    REVERSED = "reversed", _("The original decision is reversed: the request is carried out")
    PARTLY_REVERSED = "partly_reversed", _("The original decision is partly reversed")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    STAFF = "staff", _("Entered by staff")
    DRP = "drp", _("Authorised agent (Data Rights Protocol)")


class ReceivedVia(models.TextChoices):
    """How a request staff entered reached us; empty for the other channels."""

    PHONE = "phone", _("Phone call")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


class RejectionCategory(models.TextChoices):
    """Why a request was refused, in the grounds 11 CCR § 7102(a)(2) lets a business report.

    "Not verifiable" is also the state ``closed_unverified`` (the subject never verified in
    time); ``not_verified`` here is a staff rejection because verification failed.
    """

    NOT_VERIFIED = "not_verified", _("Identity could not be verified")
    NOT_A_CONSUMER = "not_a_consumer", _("Not made by a consumer (or data subject) of ours")
    EXEMPT = "exempt", _("The information or action is exempt")
    OTHER = "other", _("Other grounds")


class VerificationPolicy(models.TextChoices):
    EMAIL = "email", _("A link or code sent to the subject's email address")
    EMAIL_AND_FACT = "email+fact", _("Email, and a detail the company already holds (phone or organisation)")
    EMAIL_AND_STAFF = "email+staff", _("Email, and a decision by the privacy team")


def default_language() -> str:
    """The site's language, for a request that did not say its own (a callable, so that a
    change of LANGUAGE_CODE needs no migration)."""
    return str(settings.LANGUAGE_CODE)


class DataSubjectRequest(models.Model):
    """One request from one data subject.

    ``reference`` is the public name (``DSR-7KQ2-M9XD``): random, so that it cannot be
    guessed or enumerated, and separate from the primary key. ``state`` is assigned only by
    ``requests_app.workflow.transitions``.
    """

    reference = models.CharField(max_length=13, unique=True, editable=False)
    request_type = models.CharField(max_length=16, choices=RequestType.choices)
    portability = models.BooleanField(
        default=False,
        help_text=_("The subject wants the data in a machine-readable form to take elsewhere (GDPR Art. 20)."),
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    received_via = models.CharField(
        max_length=12,
        choices=ReceivedVia.choices,
        blank=True,
        help_text=_("For a request staff entered: how it reached us (phone, letter, in person)."),
    )

    subject_email = models.EmailField(max_length=254)
    subject_name = models.CharField(max_length=200, blank=True)
    subject_identifiers = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Other identifiers the subject gave, such as a phone number or account id."),
    )
    details = models.TextField(blank=True)

    # An authorised agent acting for the subject (CCPA regulations §7063): the subject is
    # still verified directly, and staff review the signed authorisation.
    agent_name = models.CharField(max_length=200, blank=True)
    agent_email = models.EmailField(max_length=254, blank=True)
    agent_authorisation = models.FileField(upload_to="authorisations/", blank=True, max_length=200)

    verification_policy = models.CharField(
        max_length=16,
        choices=VerificationPolicy.choices,
        default=VerificationPolicy.EMAIL,
        help_text=_("What verifying this request takes, fixed when it arrives."),
    )
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the identity was verified, by the subject's own confirmation or by staff: from then
    # on the subject's status link works and the result can be collected through it.
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_note = models.TextField(blank=True, editable=False)
    fraud_signals = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=_("Warnings for staff, e.g. a disposable email domain or many requests from one address."),
    )
    # A keyed hash of the submitter's IP address: enough to count requests from one address
    # without keeping the address itself.
    source_ip_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    # Global Privacy Control: the browser sent ``Sec-GPC: 1`` with the form (an opt-out signal
    # that CCPA regulations §7025 and the Colorado rules require honouring).
    gpc_signal = models.BooleanField(default=False, editable=False)
    # The requester's language: every email to them, their status page and their PDFs use it.
    language = models.CharField(
        max_length=8,
        default=default_language,
        help_text=_("The language the requester is answered in (one of settings.LANGUAGES)."),
    )
    # An appeal is of one earlier, refused or partly refused request of the same subject; its
    # outcome is recorded when it is decided.
    appeal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals", editable=False
    )
    appeal_outcome = models.CharField(max_length=16, choices=AppealOutcome.choices, blank=True, editable=False)

    jurisdiction = models.CharField(max_length=16, choices=jurisdiction_choices)
    # The edition of the jurisdiction's rule the deadline is counted under (laws.registry):
    # a later change to the rule pack never moves this request's deadline.
    rule_version = models.CharField(max_length=32, editable=False)
    state = models.CharField(max_length=24, choices=State.choices, default=State.PENDING_VERIFICATION, editable=False)

    received_at = models.DateTimeField()
    due_at = models.DateField(help_text=_("The last day to answer, in the company's time zone."))
    # The clock stops while the request waits for the requester, where the law allows it.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_from_state = models.CharField(max_length=24, choices=State.choices, blank=True, editable=False)
    paused_days = models.PositiveIntegerField(default=0, editable=False)
    extended_at = models.DateTimeField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    # Set when the request is rejected; not personal data, so the metrics can count it.
    rejection_category = models.CharField(max_length=16, choices=RejectionCategory.choices, blank=True, editable=False)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The data map version the store tasks ran with, and when every store was done.
    datamap_version = models.ForeignKey(
        "requests_app.DataMapVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    fulfilled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # For a correction, what staff approved: {system: {dataset: {field: new value}}}.
    corrections = models.JSONField(default=dict, blank=True, editable=False)
    # A request completed without searching any store says why (told to the subject), e.g.
    # "no personal data held: the subject is in none of our systems".
    completion_note = models.TextField(blank=True, editable=False)
    # When the personal data was removed under the retention rule (services.retention): the
    # record of the request stays, its subject only as keyed hashes.
    minimised_at = models.DateTimeField(null=True, blank=True, editable=False)
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
            # The reminder scan reads open requests only: a partial index keeps its cost
            # independent of the closed requests that accumulate for years.
            models.Index(fields=["due_at"], condition=models.Q(state__in=sorted(OPEN_STATES)), name="dsr_open_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=State.values), name="dsr_state_valid"),
            models.CheckConstraint(
                condition=models.Q(request_type__in=RequestType.values), name="dsr_request_type_valid"
            ),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="dsr_channel_valid"),
            models.CheckConstraint(
                condition=models.Q(received_via__in=["", *ReceivedVia.values]), name="dsr_received_via_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(rejection_category__in=["", *RejectionCategory.values]),
                name="dsr_rejection_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    @property
    def is_minimised(self) -> bool:
        return self.minimised_at is not None

    @property
    def is_agent_request(self) -> bool:
        return bool(self.agent_email)


class RequestAttachment(models.Model):
    """A file that came with a request staff entered, such as the scanned letter.

    It holds the subject's personal data, so it is kept like a store task's evidence:
    encrypted at rest with the bundle key under a random name, never opened by the server,
    never served inline. The name it came with is kept apart, cleaned, for the page.
    """

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Emptied when the retention rule removes the file; the row stays as the record.
    file = models.FileField(upload_to="request-attachments/", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
