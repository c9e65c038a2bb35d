"""Admin registrations.

Requests and their audit trail are read-only here: every change to a request goes through
the workflow (and so onto the audit trail), which the staff UI drives. The admin is for
looking, and later for editing the data map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.db.models import Model

from requests_app.datamap import DataMapError
from requests_app.fulfilment.datamap_versions import datamap_current
from requests_app.models import (
    AuditChainHead,
    AuditEvent,
    DataMapVersion,
    Dataset,
    DataSubjectRequest,
    DrpCallback,
    DrpRequest,
    EmailMessage,
    Field,
    OidcIdentity,
    Reminder,
    StaffPreference,
    StoreTask,
    System,
    VerificationChallenge,
)
from requests_app.workflow.audit import audit_open

if TYPE_CHECKING:
    from django.http import HttpRequest

_M = TypeVar("_M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _OpenedReason:
    """The event's reason, opened through its seal (or "removed under the retention rule")."""

    @admin.display(description="reason")
    def reason_text(self, event: AuditEvent) -> str:
        return audit_open(event).text


class AuditEventInline(_OpenedReason, admin.TabularInline[AuditEvent, DataSubjectRequest]):
    model = AuditEvent
    fields = ("seq", "created_at", "actor", "action", "from_state", "to_state", "reason_text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(ReadOnlyAdmin[DataSubjectRequest]):
    list_display = [
        "reference",
        "request_type",
        "state",
        "jurisdiction",
        "channel",
        "received_at",
        "due_at",
        "assignee",
    ]
    list_filter = ["state", "request_type", "channel", "jurisdiction"]
    search_fields = ["reference", "subject_email", "subject_name"]
    date_hierarchy = "received_at"
    list_select_related = ["assignee"]
    readonly_fields = [
        "reference",
        "state",
        "paused_at",
        "paused_from_state",
        "paused_days",
        "extended_at",
        "extension_reason",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [AuditEventInline]


@admin.register(AuditEvent)
class AuditEventAdmin(_OpenedReason, ReadOnlyAdmin[AuditEvent]):
    list_display = ["seq", "created_at", "request", "actor", "action", "from_state", "to_state"]
    exclude = ["reason"]
    readonly_fields = ["reason_text"]
    list_filter = ["action"]
    search_fields = ["request__reference", "actor", "action"]
    list_select_related = ["request"]


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin[AuditChainHead]):
    list_display = ["seq", "hash"]


class FieldInline(admin.TabularInline[Field, Dataset]):
    model = Field
    extra = 0
    fields = ["position", "name", "category", "purpose", "legal_basis", "recipients", "retention", "source",
              "correctable", "erasure", "erasure_reason", "disclose", "disclose_reason"]  # fmt: skip


class DatasetInline(admin.StackedInline[Dataset, System]):
    model = Dataset
    extra = 0
    show_change_link = True


@admin.register(System)
class SystemAdmin(admin.ModelAdmin[System]):
    """The data map is edited here; every save is checked against the whole map."""

    list_display = ["name", "kind", "description", "position"]
    inlines = [DatasetInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:  # noqa: FBT001 - Django's
        super().save_related(request, form, formsets, change)
        _warn_if_map_broken(request)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin[Dataset]):
    list_display = ["__str__", "description"]
    list_select_related = ["system"]
    inlines = [FieldInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:  # noqa: FBT001 - Django's
        super().save_related(request, form, formsets, change)
        _warn_if_map_broken(request)


def _warn_if_map_broken(request: HttpRequest) -> None:
    """Say at once when an edit breaks the map: requests refuse to start on a broken one."""
    try:
        datamap_current()
    except DataMapError as error:
        from django.contrib import messages

        messages.error(request, f"Saved, but the data map now has problems; requests will not start: {error}")


@admin.register(DataMapVersion)
class DataMapVersionAdmin(ReadOnlyAdmin[DataMapVersion]):
    list_display = ["version", "digest", "created_at"]


@admin.register(StoreTask)
class StoreTaskAdmin(ReadOnlyAdmin[StoreTask]):
    list_display = ["request", "system", "action", "step", "state", "attempts", "finished_at"]
    list_filter = ["state", "action", "system"]
    list_select_related = ["request"]
    search_fields = ["request__reference", "system"]


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyAdmin[EmailMessage]):
    list_display = ["created_at", "direction", "kind", "status", "request", "subject"]
    list_filter = ["direction", "status", "kind"]
    list_select_related = ["request"]
    search_fields = ["request__reference", "message_id"]


@admin.register(VerificationChallenge)
class VerificationChallengeAdmin(ReadOnlyAdmin[VerificationChallenge]):
    list_display = ["request", "purpose", "created_at", "expires_at", "used_at", "attempts"]
    exclude = ["token_hash", "code_hash"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin[Reminder]):
    """What went out and when: the record that makes each reminder go once."""

    list_display = ["created_at", "kind", "request", "user", "key"]
    list_filter = ["kind"]
    search_fields = ["key", "request__reference"]


@admin.register(StaffPreference)
class StaffPreferenceAdmin(admin.ModelAdmin[StaffPreference]):
    list_display = ["user", "daily_digest"]


@admin.register(DrpRequest)
class DrpRequestAdmin(ReadOnlyAdmin[DrpRequest]):
    """Data Rights Protocol requests, for looking; agents are registered on the staff pages."""

    list_display = ["created_at", "drp_id", "agent", "exercise", "regime", "request", "revoked_at"]
    list_filter = ["exercise", "agent"]
    list_select_related = ["request", "agent"]
    search_fields = ["drp_id", "request__reference", "agent_request_id"]
    exclude = ["message_digest"]


@admin.register(DrpCallback)
class DrpCallbackAdmin(ReadOnlyAdmin[DrpCallback]):
    """Status callbacks to agents: what was sent, how often, and what the agent answered."""

    list_display = ["created_at", "drp_request", "status", "attempts", "response_status", "delivered_at"]
    list_filter = ["status"]
    list_select_related = ["drp_request"]
    search_fields = ["drp_request__drp_id", "drp_request__request__reference"]


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin[OidcIdentity]):
    """Single sign-on identities: which provider account signs in as which user.

    Made at a person's first single sign-on. An admin adds one by hand only to let an
    existing local account sign in through the provider: its issuer and subject (the
    provider's user id, ``sub``) are then trusted to be that person.
    """

    list_display = ["user", "issuer", "subject", "created_at", "last_sign_in_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "last_sign_in_at"]
