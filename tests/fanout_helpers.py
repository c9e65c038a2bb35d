"""Shared pieces of the tests that run against the demo estate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app.fulfilment import fanout
from requests_app.workflow.audit import Actor

if TYPE_CHECKING:
    from requests_app.models import StoreTask

STAFF = Actor.system("tests")

# One store no program reaches: a request's work waits for a person, whatever the timing.
MANUAL_MAP: dict[str, Any] = {
    "version": "manual-test",
    "systems": [
        {
            "name": "crm",
            "kind": "manual",
            "description": "The CRM vendor's console.",
            "connection": {"vendor": "CRM vendor"},
            "identifiers": {"searched_by": ["email"]},
            "datasets": [
                {
                    "name": "contacts",
                    "description": "Contacts.",
                    "locator": {"instructions": "Find the contact in the CRM console."},
                    "fields": [
                        {
                            "name": "email",
                            "category": "contact",
                            "purpose": "To stay in touch.",
                            "legal_basis": "Legitimate interests",
                            "recipients": [],
                            "retention": "Two years.",
                            "source": "the subject",
                            "correctable": True,
                            "erasure": "delete_row",
                        }
                    ],
                }
            ],
        }
    ],
}


def use_manual_map() -> None:
    """Make MANUAL_MAP the data map in use."""
    from requests_app.fulfilment.datamap_versions import datamap_import

    datamap_import(MANUAL_MAP, actor=STAFF)


def do_by_hand(task: StoreTask, *, note: str = "Done in the vendor's console", outcome: str = "done_by_hand") -> None:
    """Record a manual step as done by a person; an access request's export comes with a file."""
    export = None
    if task.request.request_type == "access" and task.action == "resolve" and outcome == "done_by_hand":
        export = SimpleUploadedFile(
            "visits.csv", b"page,visited_at\r\n/pricing,2026-01-02\r\n", content_type="text/csv"
        )
    fanout.store_task_resolve(task=task, actor=STAFF, outcome=outcome, note=note, attachment=export)
