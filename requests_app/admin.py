"""Admin registrations.

Requests and their audit trail are read-only here: every change to a request goes through
the workflow (and so onto the audit trail), which the staff UI drives. The admin is for
looking, and later for editing the data map.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from requests_app.models import AuditChainHead, AuditEvent, DataSubjectRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    fields = ("seq", "created_at", "actor", "action", "from_state", "to_state", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(ReadOnlyAdmin):
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
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "request", "actor", "action", "from_state", "to_state"]
    list_filter = ["action"]
    search_fields = ["request__reference", "actor", "action"]
    list_select_related = ["request"]


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["seq", "hash"]
