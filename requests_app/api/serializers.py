"""The API's bodies: small input serializers per operation, output serializers per resource."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app.api.action_names import available_actions
from requests_app.models import (
    AppealOutcome,
    Channel,
    RejectionCategory,
    RequestType,
    State,
    StoreOutcome,
    StoreTaskState,
)

TEXT_MAX = 5000


def _text(help_text: str, *, required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=TEXT_MAX, help_text=help_text)
    return serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="", help_text=help_text)


# --- Requests: create ------------------------------------------------------------------------


VERIFIED_BY = {
    "session": "The subject was signed in to their account with us when they asked",
    "multi_factor": "The subject passed a second factor with us",
    "document_check": "The subject's identity document was checked",
    "other": "Another way, described in verification_note",
}


class RequestCreateSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=RequestType.choices, help_text="What the subject asks for.")
    email = serializers.EmailField(max_length=254, help_text="The subject's email address; we write to it.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    jurisdiction = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="", help_text="A law's code; empty: the default."
    )
    details = _text("What the subject said, as they said it.", required=False)
    identifiers = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=dict,
        help_text='More ways to find the subject, e.g. {"account_id": "A-42", "phone": "+44 ..."}.',
    )
    portability = serializers.BooleanField(required=False, default=False, help_text="Access only (GDPR Art. 20).")
    received_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it reached you; empty: now."
    )
    verified_by = serializers.ChoiceField(
        choices=list(VERIFIED_BY.items()),
        required=False,
        allow_blank=True,
        default="",
        help_text="The caller already verified the subject (needs the requests:create_verified scope).",
    )
    verification_note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        allow_blank=True,
        default="",
        help_text="The language the requester is answered in; empty: the site's default (LANGUAGE_CODE).",
    )
    appeal_of = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="For type appeal: the reference of the subject's decided request it appeals.",
    )

    def validate_identifiers(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 20 or any(not key.strip() or len(key) > 50 for key in value):
            raise serializers.ValidationError("Up to 20 identifiers, each named in 1 to 50 characters.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("verified_by") == "other" and not attrs.get("verification_note", "").strip():
            raise serializers.ValidationError({"verification_note": "Say how the subject was verified."})
        if attrs.get("type") == RequestType.APPEAL and not attrs.get("appeal_of", "").strip():
            raise serializers.ValidationError({"appeal_of": "Give the reference of the request appealed."})
        if attrs.get("type") != RequestType.APPEAL and attrs.get("appeal_of", "").strip():
            raise serializers.ValidationError({"appeal_of": "Only an appeal names an earlier request."})
        return attrs


# --- Requests: out ---------------------------------------------------------------------------


class SubjectSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    name = serializers.CharField()
    identifiers = serializers.DictField(child=serializers.CharField())


class AgentSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    email = serializers.CharField()


class RequestSerializer(serializers.Serializer[Any]):
    """A request; ``subject`` and ``agent`` are null for a caller who may not see personal data."""

    id = serializers.CharField(source="reference", help_text="The public reference, e.g. DSR-7KQ2-M9XD.")
    type = serializers.ChoiceField(source="request_type", choices=RequestType.choices)
    portability = serializers.BooleanField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_via = serializers.CharField(help_text="For a request staff entered: phone, letter, in_person, other.")
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField(source="get_state_display")
    jurisdiction = serializers.CharField()
    language = serializers.CharField(help_text="The language the requester is answered in.")
    received_at = serializers.DateTimeField()
    due_at = serializers.DateField(help_text="The last day to answer, in the company's time zone.")
    extended = serializers.BooleanField(source="is_extended")
    paused = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rejection_category = serializers.CharField(
        help_text=f"When rejected: one of {', '.join(RejectionCategory.values)}."
    )
    appeal_of = serializers.CharField(
        source="appeal_of.reference", read_only=True, allow_null=True, help_text="An appeal: the reference it appeals."
    )
    appeal_outcome = serializers.CharField(
        help_text=f"A decided appeal: one of {', '.join(AppealOutcome.values)}; empty until decided."
    )
    assignee = serializers.SerializerMethodField()
    fraud_signals = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()
    agent = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_paused(self, request: Any) -> bool:
        return bool(request.paused_at)

    def get_assignee(self, request: Any) -> str | None:
        return request.assignee.get_username() if request.assignee_id else None

    def get_fraud_signals(self, request: Any) -> list[str]:
        return [str(signal.get("code", "")) for signal in request.fraud_signals if isinstance(signal, dict)]

    def get_available_actions(self, request: Any) -> list[str]:
        return available_actions(request)

    @extend_schema_field(SubjectSerializer(allow_null=True))
    def get_subject(self, request: Any) -> dict[str, Any] | None:
        if not self.context.get("personal"):
            return None
        return {
            "email": request.subject_email,
            "name": request.subject_name,
            "identifiers": request.subject_identifiers,
        }

    @extend_schema_field(AgentSerializer(allow_null=True))
    def get_agent(self, request: Any) -> dict[str, str] | None:
        if not self.context.get("personal") or not request.agent_email:
            return None
        return {"name": request.agent_name, "email": request.agent_email}


class TimelineEventSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    title = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    text = serializers.CharField(allow_null=True, help_text="The event's text; null without personal-data rights.")
    details = serializers.DictField(help_text="The event's recorded facts (no personal data).")


class StoreTaskSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    system = serializers.CharField()
    action = serializers.CharField()
    state = serializers.ChoiceField(choices=StoreTaskState.choices)
    outcome = serializers.CharField()
    attempts = serializers.IntegerField()
    error = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_error(self, task: Any) -> str | None:
        return task.error if self.context.get("personal") else None

    def get_counts(self, task: Any) -> dict[str, Any]:
        from requests_app.models import counts_without_personal

        counts: dict[str, Any] = task.counts if self.context.get("personal") else counts_without_personal(task.counts)
        return counts


# --- Actions ---------------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer[Any]):
    note = _text("How the identity was verified; kept on the record, the subject is not told.")


class QuestionSerializer(serializers.Serializer[Any]):
    question = _text("What you need from the requester; emailed as written. The request pauses.")


class ApproveSerializer(serializers.Serializer[Any]):
    note = _text("Optional; kept on the record.", required=False)
    corrections = serializers.DictField(
        child=serializers.DictField(child=serializers.DictField(child=serializers.CharField(max_length=1000))),
        required=False,
        default=dict,
        help_text='Corrections only: {"system": {"dataset": {"field": "new value"}}}.',
    )


class RejectSerializer(serializers.Serializer[Any]):
    reason = _text("Emailed to the requester, with their right to complain.")
    category = serializers.ChoiceField(choices=RejectionCategory.choices, help_text="The ground, for the metrics.")


class DecideAppealSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=AppealOutcome.choices, help_text="What the review decided.")
    explanation = _text("Why; emailed to the subject with the outcome (and, if denied, whom to complain to).")


class ReasonSerializer(serializers.Serializer[Any]):
    reason = _text("Why; see the operation for who is told.")


class AssignSerializer(serializers.Serializer[Any]):
    assignee = serializers.CharField(
        max_length=150, allow_null=True, help_text="A staff member's username, or null for nobody."
    )


class ResolveSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=StoreOutcome.choices, help_text="What happened in the store.")
    note = _text("Why, or what was done; kept on the record.", required=False)


# --- Data map and metrics --------------------------------------------------------------------


class DataMapSerializer(serializers.Serializer[Any]):
    version = serializers.CharField()
    digest = serializers.CharField(allow_null=True)
    document = serializers.DictField(help_text="The data map as the YAML/JSON document it is loaded from.")
