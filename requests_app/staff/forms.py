"""Forms of the staff UI: login and second factor, the queue's filters, and the actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from requests_app.datamap import DataMapError
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.laws.deadlines import jurisdiction_choices
from requests_app.laws.registry import grouped_choices
from requests_app.models import AppealOutcome, Channel, RejectionCategory, RequestType, State
from requests_app.staff import selectors
from requests_app.staff.correction_review import MAX_VALUE, CorrectionReview, text_problem

if TYPE_CHECKING:
    from collections.abc import Sequence


def set_choices(form: forms.Form, name: str, choices: Sequence[tuple[str, Any]]) -> None:
    """Set a choice field's choices: (value, label) pairs, or (group, pairs) for a grouped select."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - only called on choice fields
    field.choices = choices


class StaffForm(forms.Form):
    """Labels without Django's trailing colon, as on the public pages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(AuthenticationForm):
    """Django's login form; its one error never says whether the username exists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class TokenForm(StaffForm):
    token = forms.CharField(
        label="Code from your authenticator app",
        help_text="Six digits; a new one appears every 30 seconds.",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


# --- The queue ------------------------------------------------------------------------------

STATE_CHOICES = [("open", "Any open state"), ("any", "Any state"), *State.choices]
# A request whose clock is stopped (waiting for the requester, where the law allows) is in none.
DUE_CHOICES = [
    ("", "Any due date"),
    ("overdue", "Overdue"),
    ("soon", "Due this week (today to 7 days ahead)"),
    ("later", "Later"),
]
WAITING_CHOICES = [
    ("", "Anything"),
    ("manual", "A manual step in a store"),
    ("failed", "A store that failed"),
]
SORT_CHOICES = [
    ("due", "Due date, soonest first"),
    ("-due", "Due date, latest first"),
    ("received", "Received, oldest first"),
    ("-received", "Received, newest first"),
]


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class QueueFilterForm(StaffForm):
    """The queue's filters, read from the query string: none of them is personal data."""

    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)
    request_type = forms.ChoiceField(label="Type", choices=[("", "Any type"), *RequestType.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    jurisdiction = forms.ChoiceField(label="Law", required=False)
    assignee = forms.ChoiceField(required=False)
    due = forms.ChoiceField(label="Due", choices=DUE_CHOICES, required=False)
    waiting = forms.ChoiceField(label="Waiting for", choices=WAITING_CHOICES, required=False)
    system = forms.CharField(label="In the system", max_length=64, required=False)
    fraud = forms.BooleanField(label="Has fraud signals", required=False)
    unread = forms.BooleanField(label="With unread messages", required=False)
    received_from = forms.DateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(label="Received to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_from = forms.DateField(label="Closed from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_to = forms.DateField(label="Closed to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, assignees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "jurisdiction", [("", "Any law"), *jurisdiction_choices()])
        set_choices(self, "assignee", [("", "Anyone or nobody"), ("me", "Me"), ("none", "Nobody"), *assignees])

    def query(self, *, search: str, by_reference_only: bool = False) -> selectors.QueueQuery:
        """The valid filters as a query; a value that is not valid is left out."""
        self.is_valid()
        data = {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value not in (None, "")}
        data.setdefault("state", "open")
        data.setdefault("sort", "due")
        return selectors.QueueQuery(search=search, search_by_reference_only=by_reference_only, **data)


class SearchForm(StaffForm):
    q = forms.CharField(label="Reference, email or name", max_length=254, required=False)
    # The filters in force, to come back to after searching (a query string without personal data).
    filters = forms.CharField(required=False, widget=forms.HiddenInput)


class BulkAssignForm(StaffForm):
    references = forms.MultipleChoiceField(label="Requests", error_messages={"required": "Choose some requests."})
    assignee = forms.ChoiceField(label="Assign to")
    filters = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, references: list[str], assignees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "references", [(r, r) for r in references])
        set_choices(self, "assignee", [("", "Nobody"), *assignees])


# --- Actions on one request -----------------------------------------------------------------


def _confirm(label: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=label, required=True, error_messages={"required": "Tick the box to confirm; this cannot be undone."}
    )


def _text(label: str, *, required: bool = True, help_text: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class VerifyForm(StaffForm):
    note = _text("How was the identity verified?", help_text="Kept on the record; the subject is not told.")
    confirm = _confirm("I have checked the subject's identity; mark the request verified.")


class AskForm(StaffForm):
    question = _text("What do you need from the requester?", help_text="Emailed to the requester as written.", rows=4)
    confirm = _confirm("Email this question to the requester and pause the request.")


class ReplyForm(StaffForm):
    message = _text(
        "Your reply", help_text="Emailed to the requester as written, and shown on their status page.", rows=4
    )
    confirm = _confirm("Email this reply to the requester.")


class RemakeForm(StaffForm):
    confirm = _confirm("Make the subject's result again from the stores' outcomes.")


class RestartForm(StaffForm):
    confirm = _confirm("Search every store again with the data map as it is now.")


class ApproveForm(StaffForm):
    note = _text("Note", required=False, help_text="Optional; kept on the record.", rows=2)
    corrections = _text(
        "Other changes, as text (corrections only)",
        required=False,
        help_text="For changes the rows above do not offer, one a line, as system.dataset.field = new value "
        "(e.g. accounts.users.phone = +44 20 7946 0000). "
        "Only fields the data map marks as correctable can change.",
        rows=3,
    )
    confirm = _confirm("Approve the request and start work on it.")

    def __init__(self, *args: Any, review: CorrectionReview | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # For a correction: the row per correctable field (see correction_review).
        self.review = review

    def clean_corrections(self) -> dict[str, dict[str, dict[str, str]]]:
        """Read the lines into {system: {dataset: {field: value}}}."""
        changes: dict[str, dict[str, dict[str, str]]] = {}
        for number, line in enumerate(self.cleaned_data.get("corrections", "").splitlines(), start=1):
            if not line.strip():
                continue
            target, equals, value = line.partition("=")
            parts = [p.strip() for p in target.split(".")]
            if not equals or len(parts) != 3 or not all(parts):
                raise forms.ValidationError(f"Line {number} is not system.dataset.field = value.")
            problem = text_problem(value.strip(), limit=MAX_VALUE)
            if problem:
                raise forms.ValidationError(f"The value on line {number} {problem}.")
            system, dataset, field = parts
            changes.setdefault(system, {}).setdefault(dataset, {})[field] = value.strip()
        return changes

    def clean(self) -> dict[str, Any]:
        """Join the rows' changes to the text box's, and check both against the data map."""
        cleaned = super().clean() or {}
        if self.review is None:
            return cleaned
        changes, refusals, problems = self.review.parse()
        for system, datasets in cleaned.get("corrections", {}).items():
            for dataset, fields in datasets.items():
                chosen = changes.setdefault(system, {}).setdefault(dataset, {})
                for name, value in fields.items():
                    if name in chosen and chosen[name] != value:
                        problems.append(f"{system}.{dataset}.{name} is given two new values, in a row and as text")
                    elif name in refusals.get(system, {}).get(dataset, {}):
                        problems.append(f"{system}.{dataset}.{name} is refused in its row and changed as text")
                    chosen[name] = value
        if not problems and "corrections" in cleaned:
            try:
                refused = datamap_current().correction_refusals(changes)
            except DataMapError:
                refused = ["the data map has problems, so no change can be checked"]
            problems += [f"This change cannot be made: {r}" for r in refused]
            if not refused and not changes:
                problems.append(
                    "Say which changes are approved: accept or edit at least one field. To refuse the whole "
                    "correction, use Reject, whose reason is emailed to the requester."
                )
        for problem in problems:
            self.add_error(None, problem)
        cleaned["corrections"] = changes
        cleaned["refusals"] = refusals
        return cleaned


class ResumeForm(StaffForm):
    note = _text("What did the requester answer?", required=False, help_text="Optional; kept on the record.", rows=2)


class CompleteForm(StaffForm):
    reason = _text(
        "Why no store needs searching",
        required=False,
        help_text="Only for a request that reached no store; the subject is told. "
        "A request whose stores ran completes when each has an outcome and the result is made.",
        rows=2,
    )
    confirm = _confirm("The request is fulfilled: close it and tell the subject.")


class RejectForm(StaffForm):
    category = forms.ChoiceField(
        label="Ground for the rejection",
        choices=[("", "Choose the ground"), *RejectionCategory.choices],
        help_text="Kept on the record and counted in the yearly metrics; the requester is not told it.",
        error_messages={"required": "Choose the ground for the rejection."},
    )
    reason = _text(
        "Reason",
        help_text="Emailed to the requester, with their right to complain to a supervisory authority.",
        rows=5,
    )
    confirm = _confirm("Reject the request and email the reason to the requester.")


class DecideAppealForm(StaffForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=AppealOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the appeal."},
    )
    explanation = _text(
        "Why",
        help_text="Emailed to the subject with the outcome; a denied appeal also says whom to complain to.",
        rows=5,
    )
    confirm = _confirm("Decide the appeal, close it and email the subject.")


class TemplatePickerForm(StaffForm):
    """The template list above a message form: one field, named for the action's template."""

    def __init__(
        self, *args: Any, field_name: str, label: str, button: str, choices: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.button = button
        self.fields[field_name] = forms.ChoiceField(label=label, choices=choices)


class ExtendForm(StaffForm):
    reason = _text("Why is more time needed?", help_text="Emailed to the requester with the new due date.")
    confirm = _confirm("Extend the deadline (possible once) and email the requester.")


class JurisdictionForm(StaffForm):
    """The law to count the request under instead: any rule in force today, grouped by region.

    A law in force today may still be too new for the day the request was received; the
    workflow refuses that one, saying from when it applies.
    """

    jurisdiction = forms.ChoiceField(
        label="New jurisdiction",
        help_text="The due date is counted again from the day the request was received, under this law's rule.",
        error_messages={
            "required": "Choose the law the request answers to.",
            "invalid_choice": "Choose one of the laws in the list.",
        },
    )
    reason = _text("Why does another law apply?", help_text="Kept on the record; the requester is not emailed.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "jurisdiction", [("", "Choose the law"), *grouped_choices(timezone.localdate())])


class CancelForm(StaffForm):
    reason = _text("Why is the request cancelled?", help_text="Kept on the record; the requester is not emailed.")
    confirm = _confirm("Cancel the request; this cannot be undone.")


class AssignForm(StaffForm):
    assignee = forms.ChoiceField(label="Assign to")

    def __init__(self, *args: Any, assignees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", "Nobody"), *assignees])


class NoteForm(StaffForm):
    note = _text("Internal note", help_text="Seen by the privacy team only; kept on the audit trail.")
