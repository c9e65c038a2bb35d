"""The migrations move a database that already holds requests forward to the newest, and one
step back, without losing or changing a row (django-test-migrations)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

APP = "requests_app"
# The state the rows are written in: any migration after it must keep them.
POPULATED_AT = (APP, "0008_truthful_outcomes")


def newest_and_previous() -> tuple[tuple[str, str], tuple[str, str]]:
    loader = MigrationLoader(connection)
    (leaf,) = loader.graph.leaf_nodes(APP)
    parents = [p for p in loader.graph.node_map[leaf].parents if p.key[0] == APP]
    return leaf, parents[0].key


def populate(apps: Any) -> None:
    Request = apps.get_model(APP, "DataSubjectRequest")
    StoreTask = apps.get_model(APP, "StoreTask")
    EmailMessage = apps.get_model(APP, "EmailMessage")
    received = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
    for number, (kind, state) in enumerate([("access", "in_progress"), ("deletion", "completed")]):
        request = Request.objects.create(
            reference=f"DSR-TEST-000{number}",
            request_type=kind,
            channel="web",
            subject_email=f"subject{number}@example.org",
            subject_name="Ada Lovelace",
            jurisdiction="gdpr",
            state=state,
            received_at=received,
            due_at=datetime.date(2026, 4, 2),
        )
        StoreTask.objects.create(
            request=request, system="billing", kind="sql", action="erase", step=0, state="done",
            counts={"datasets": {"invoices": {"deleted": 3}}},
        )  # fmt: skip
        EmailMessage.objects.create(
            request=request, direction="out", status="sent", to_addresses=[request.subject_email],
            subject="Your request", body_text="We have your request.", message_id=f"<m{number}@example.org>",
        )  # fmt: skip


def rows(apps: Any) -> dict[str, list[tuple[Any, ...]]]:
    Request = apps.get_model(APP, "DataSubjectRequest")
    StoreTask = apps.get_model(APP, "StoreTask")
    EmailMessage = apps.get_model(APP, "EmailMessage")
    return {
        "requests": list(
            Request.objects.order_by("reference").values_list(
                "reference", "request_type", "subject_email", "state", "received_at", "due_at"
            )
        ),
        "store_tasks": list(StoreTask.objects.order_by("pk").values_list("request__reference", "state", "counts")),
        "emails": list(EmailMessage.objects.order_by("pk").values_list("request__reference", "status", "subject")),
    }


@pytest.mark.integration
def test_a_populated_database_migrates_to_the_newest_and_one_step_back_keeping_every_row(
    migrator_factory: Any,
) -> None:
    migrator = migrator_factory()
    newest, previous = newest_and_previous()
    try:
        old = migrator.apply_initial_migration(POPULATED_AT)
        populate(old.apps)
        before = rows(old.apps)
        assert len(before["requests"]) == 2

        forward = migrator.apply_tested_migration(newest)
        assert rows(forward.apps) == before

        back = migrator.apply_tested_migration(previous)
        assert rows(back.apps) == before
    finally:
        # Back to the newest schema, whatever happened, for the tests that follow in this process.
        migrator.reset()


@pytest.mark.integration
def test_requests_rejected_before_grounds_were_recorded_count_as_other(migrator_factory: Any) -> None:
    migrator = migrator_factory()
    try:
        old = migrator.apply_initial_migration((APP, "0011_reminders"))
        populate(old.apps)
        old.apps.get_model(APP, "DataSubjectRequest").objects.filter(reference="DSR-TEST-0000").update(state="rejected")
        new = migrator.apply_tested_migration((APP, "0012_rejection_category"))
        grounds = dict(
            new.apps.get_model(APP, "DataSubjectRequest").objects.values_list("reference", "rejection_category")
        )
        assert grounds == {"DSR-TEST-0000": "other", "DSR-TEST-0001": ""}
    finally:
        migrator.reset()
