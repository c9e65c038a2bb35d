"""Store tasks: the work of one request on one data store (or with one recipient)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.requests import DataSubjectRequest

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class StoreAction(models.TextChoices):
    RESOLVE = "resolve", _("Find the subject and count their records")
    ERASE = "erase", _("Erase")
    CORRECT = "correct", _("Correct")
    # GDPR Art. 19: each recipient of erased or corrected data is told, unless that proves
    # impossible or involves disproportionate effort (recorded as "not done", with why).
    NOTIFY = "notify", _("Tell a recipient")
    # An opt-out, limit, restriction or objection, applied in one system by a person.
    APPLY = "apply", _("Apply the decision")


class StoreTaskState(models.TextChoices):
    PENDING = "pending", _("Waiting for earlier stores")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    MANUAL = "manual", _("Waiting for a person")
    FAILED = "failed", _("Failed")
    RESOLVED = "resolved", _("Outcome recorded by staff")
    CANCELLED = "cancelled", _("Cancelled")


class StoreOutcome(models.TextChoices):
    """What a person says happened, when a program could not do (or did not finish) the work."""

    DONE_BY_HAND = "done_by_hand", _("Done by hand")
    NO_DATA = "no_data", _("No data held")
    RETAINED = "retained", _("Kept for a legal reason")
    NOT_DONE = "not_done", _("Not done")


# A task in one of these needs nothing more; only DONE and RESOLVED are outcomes (a cancelled
# task's work did not happen, so a request with one can be cancelled or rejected, not completed).
FINISHED_STATES = (StoreTaskState.DONE, StoreTaskState.RESOLVED, StoreTaskState.CANCELLED)
OUTCOME_STATES = (StoreTaskState.DONE, StoreTaskState.RESOLVED)
# A person may record an outcome for a task in one of these (or retry a failed one).
NEEDS_PERSON_STATES = (StoreTaskState.MANUAL, StoreTaskState.FAILED)

# The words every record uses for what happened, per action: the staff page, the access
# report, the certificate of erasure and the correction report all say the same thing.
# "done" is a program's result; the others are outcomes a person recorded.
OUTCOME_WORDS: dict[str, dict[str, StrOrPromise]] = {
    StoreAction.RESOLVE: {
        "done": _("Searched"),
        "not_searched": _("Not searched"),
        StoreOutcome.DONE_BY_HAND: _("Searched by hand"),
        StoreOutcome.NO_DATA: _("No data held"),
        StoreOutcome.NOT_DONE: _("Not searched"),
    },
    StoreAction.ERASE: {
        "done": _("Erased"),
        "not_searched": _("Not searched"),
        StoreOutcome.DONE_BY_HAND: _("Erased by hand"),
        StoreOutcome.NO_DATA: _("No data held"),
        StoreOutcome.RETAINED: _("Kept for a legal reason"),
        StoreOutcome.NOT_DONE: _("Not erased"),
    },
    StoreAction.CORRECT: {
        "done": _("Corrected"),
        "not_searched": _("Not searched"),
        StoreOutcome.DONE_BY_HAND: _("Corrected by hand"),
        StoreOutcome.NO_DATA: _("No data held"),
        StoreOutcome.NOT_DONE: _("Not corrected"),
    },
    StoreAction.NOTIFY: {
        "done": _("Told"),
        StoreOutcome.DONE_BY_HAND: _("Told"),
        StoreOutcome.NO_DATA: _("Never received the data"),
        StoreOutcome.NOT_DONE: _("Not told"),
    },
    StoreAction.APPLY: {
        StoreOutcome.DONE_BY_HAND: _("Applied"),
        StoreOutcome.NO_DATA: _("No data held"),
        StoreOutcome.RETAINED: _("Not applied: a legal ground to continue"),
        StoreOutcome.NOT_DONE: _("Not applied"),
    },
}

# Which outcomes a person may record for each action.
OUTCOMES_FOR: dict[str, tuple[StoreOutcome, ...]] = {
    StoreAction.RESOLVE: (StoreOutcome.DONE_BY_HAND, StoreOutcome.NO_DATA, StoreOutcome.NOT_DONE),
    StoreAction.ERASE: (StoreOutcome.DONE_BY_HAND, StoreOutcome.NO_DATA, StoreOutcome.RETAINED, StoreOutcome.NOT_DONE),
    StoreAction.CORRECT: (StoreOutcome.DONE_BY_HAND, StoreOutcome.NO_DATA, StoreOutcome.NOT_DONE),
    StoreAction.NOTIFY: (StoreOutcome.DONE_BY_HAND, StoreOutcome.NO_DATA, StoreOutcome.NOT_DONE),
    StoreAction.APPLY: (StoreOutcome.DONE_BY_HAND, StoreOutcome.NO_DATA, StoreOutcome.RETAINED, StoreOutcome.NOT_DONE),
}


# Keys in a store task's counts that hold what a connector saw of the subject rather than
# numbers: a manual step's instructions (they quote the identifiers) and the values a
# correction replaced. The audit trail seals them; the retention rule removes them.
PERSONAL_COUNT_KEYS = frozenset({"instructions", "previous"})


def counts_without_personal(counts: Any) -> Any:
    """``counts`` with every PERSONAL_COUNT_KEYS entry left out, at any depth."""
    if isinstance(counts, dict):
        return {k: counts_without_personal(v) for k, v in counts.items() if k not in PERSONAL_COUNT_KEYS}
    if isinstance(counts, list):
        return [counts_without_personal(item) for item in counts]
    return counts


class StoreTask(models.Model):
    """One request's work on one system, claimed by a worker under a lease.

    ``step`` orders the work: the systems that resolve identifiers come first, and erasure
    runs in the reverse order, so the row that maps an email to a user id is deleted last.
    A worker owns the task while ``lease_token`` is its own and ``lease_expires_at`` is in
    the future; it renews the lease as it goes, and the sweeper hands an expired task to
    another worker. ``checkpoint`` lets a restarted erasure continue after its last batch.

    A task ends ``done`` (a program did it) or ``resolved`` (a person recorded ``outcome``,
    with ``note`` saying why and, optionally, evidence in ``attachment``). A ``notify`` task
    is about ``recipient``, not a system of the data map.
    """

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="store_tasks")
    system = models.CharField(max_length=64)
    recipient = models.CharField(max_length=200, blank=True)
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
    searched_with = models.JSONField(
        default=dict, blank=True, help_text=_("The identifiers this store was searched with: {name: [values]}.")
    )
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=StoreOutcome.choices, blank=True)
    note = models.TextField(blank=True, help_text=_("What the person did, or why it was not done."))
    resolved_by = models.CharField(max_length=150, blank=True, help_text=_("Who recorded the outcome."))
    # Evidence (a vendor's confirmation, or an export made by hand), encrypted at rest like bundles.
    attachment = models.FileField(upload_to="manual-steps/", blank=True, max_length=200)
    attachment_name = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the task entered its present state (written by every move): how long a manual
    # step has waited for a person, for the alerts.
    state_changed_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "step", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "system", "action", "recipient"], name="store_task_once_per_request"
            ),
            models.CheckConstraint(condition=models.Q(state__in=StoreTaskState.values), name="store_task_state_valid"),
        ]
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="store_task_state_lease"),
            models.Index(fields=["state", "queued_at"], name="store_task_state_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.action} ({self.state})"

    @property
    def target(self) -> str:
        """The store (or, for a notify task, the recipient) this task is about."""
        return self.recipient if self.action == StoreAction.NOTIFY else self.system

    @property
    def has_outcome(self) -> bool:
        return self.state in OUTCOME_STATES

    @property
    def not_searched(self) -> bool:
        """A program found nothing to search this store by (no identifier it is searched by)."""
        return self.state == StoreTaskState.DONE and bool(self.counts.get("not_searched"))

    @property
    def missing_identifiers(self) -> str:
        """For a store not searched: the identifiers it is searched by, none of which was known."""
        return " or ".join(str(name) for name in self.counts.get("missing", ())) or "identifier"

    @property
    def outcome_words(self) -> str:
        """What happened, in the records' words ("Erased by hand", "Not searched"); "" while open."""
        words = OUTCOME_WORDS.get(self.action, {})
        if self.state == StoreTaskState.RESOLVED:
            return str(words.get(self.outcome) or (StoreOutcome(self.outcome).label if self.outcome else ""))
        if self.state == StoreTaskState.DONE:
            return str(words.get("not_searched" if self.not_searched else "done", _("Done")))
        return ""

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
