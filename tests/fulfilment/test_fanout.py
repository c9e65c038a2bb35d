"""Fan-out on the real estate: PostgreSQL and Redis stores, HTTP processors, a real worker."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import pytest
import redis
import sqlalchemy as sa
from django.db import transaction

from demo import DEMO_DATAMAP_PATH
from demo.seed import DECOY_EMAILS, SPECIAL_EMAILS, seed_estate
from requests_app.datamap import load_datamap_file
from requests_app.datamap.schema import dump_datamap
from requests_app.fulfilment import fanout
from requests_app.fulfilment.connectors import ActionCounts
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.models import AuditEvent, DataSubjectRequest, State, StoreAction, StoreTask, StoreTaskState
from requests_app.services import requests as services
from requests_app.workflow.audit import Actor
from requests_app.workflow.transitions import transition
from tests.estate import FLAKY_MAP, Estate
from tests.factories import DataSubjectRequestFactory
from tests.fanout_helpers import do_by_hand
from tests.waiting import wait_for

if TYPE_CHECKING:
    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

STAFF = Actor.system("tests")
TABLES = {"users": "email", "completions": "user_id", "events": "user_id", "invoices": "user_id"}


@pytest.fixture
def demo_estate(estate: Estate) -> Estate:
    seed_estate(
        estate.sql_url,
        estate.redis_url,
        subjects=8,
        rows_per_subject=3,
        heavy_subjects=1,
        heavy_rows=40,
        auth_db=estate.auth_db,
        reset=True,
    )
    datamap_import(dump_datamap(load_datamap_file(DEMO_DATAMAP_PATH)), actor=STAFF)
    return estate


def rows_of(estate: Estate, email: str) -> dict[str, int]:
    """How many rows each table holds for the subject, read straight from the store."""
    engine = sa.create_engine(estate.sql_url)
    with engine.connect() as conn:
        user_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email})]
        counts = {"users": len(user_ids)}
        for table in ("completions", "events", "invoices"):
            counts[table] = (
                conn.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE user_id = ANY(:ids)"),
                    {"ids": user_ids},
                ).scalar_one()
                if user_ids
                else 0
            )
    engine.dispose()
    return counts


def table_totals(estate: Estate) -> dict[str, int]:
    engine = sa.create_engine(estate.sql_url)
    with engine.connect() as conn:
        totals: dict[str, int] = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return totals


def verified_request(email: str, request_type: str = "access") -> DataSubjectRequest:
    request = DataSubjectRequestFactory.create(subject_email=email, request_type=request_type)
    transition(request, State.VERIFIED, STAFF)
    return request


def start(request: DataSubjectRequest, **approve: Any) -> None:
    with transaction.atomic():
        if request.request_type == "access":
            services.request_start(request=request, actor=STAFF)
        else:
            transition(request, State.AWAITING_APPROVAL, STAFF)
            services.request_approve(request=request, actor=STAFF, **approve)


def settled(request: DataSubjectRequest) -> bool:
    request.refresh_from_db()
    return request.fulfilled_at is not None or request.state == State.NEEDS_ATTENTION


def run_to_the_end(request: DataSubjectRequest, worker: Worker) -> None:
    """Wait for the stores, doing each manual step by hand as a person would."""
    for _ in range(10):
        wait_for(lambda: settled(request), worker)
        manual = StoreTask.objects.filter(request=request, state=StoreTaskState.MANUAL).first()
        if manual is None:
            return
        do_by_hand(manual)
        wait_for(functools.partial(_is_done, manual.pk), worker)


def _is_done(task_pk: int) -> bool:
    return StoreTask.objects.get(pk=task_pk).state in (StoreTaskState.DONE, StoreTaskState.RESOLVED)


def found(request: DataSubjectRequest) -> dict[str, dict[str, int]]:
    return {
        t.system: t.counts.get("found", {})
        for t in StoreTask.objects.filter(request=request, action=StoreAction.RESOLVE)
    }


def test_an_access_request_finds_every_record_of_the_subject_and_no_one_elses(
    demo_estate: Estate, celery_worker: Worker
) -> None:
    email = SPECIAL_EMAILS[0]  # o'brien%_x@example.org: quotes and LIKE wildcards
    request = verified_request(email)
    start(request)
    wait_for(lambda: settled(request), celery_worker)

    # No program reaches the web analytics vendor: a person is asked to export from it.
    assert request.state == State.NEEDS_ATTENTION
    manual = StoreTask.objects.get(request=request, system="web_analytics")
    assert (manual.action, manual.state) == (StoreAction.RESOLVE, StoreTaskState.MANUAL)
    assert "Access request: find the subject" in manual.instructions and "cookie_id" in manual.instructions
    run_to_the_end(request, celery_worker)
    assert request.state in (State.IN_PROGRESS, State.COMPLETED)  # completed once its bundle is built
    assert request.fulfilled_at is not None
    tasks = StoreTask.objects.filter(request=request)
    assert {t.state for t in tasks.exclude(system="web_analytics")} == {StoreTaskState.DONE}
    assert tasks.get(system="accounts").searched_with == {"email": [email]}
    expected = rows_of(demo_estate, email)
    assert found(request)["accounts"] == {"users": expected["users"]}
    assert found(request)["api_usage"]["completions"] == expected["completions"]
    assert found(request)["telemetry"]["events"] == expected["events"]
    assert tasks.get(system="accounts").identifiers["user_id"]
    # The decoy whose address the special one would match as a LIKE pattern is not found.
    decoy = rows_of(demo_estate, DECOY_EMAILS[0])
    assert decoy["users"] == 1
    assert found(request)["accounts"]["users"] == 1
    # Waves: the stores keyed by user id ran after the one that resolved it.
    accounts, usage = tasks.get(system="accounts"), tasks.get(system="api_usage")
    assert accounts.step < usage.step
    assert accounts.finished_at is not None and usage.started_at is not None
    assert accounts.finished_at <= usage.started_at
    assert AuditEvent.objects.filter(request=request, action="fanout.fulfilled").count() == 1


def test_an_erasure_removes_exactly_what_the_map_says_and_a_second_run_changes_nothing(
    demo_estate: Estate, celery_worker: Worker
) -> None:
    email = SPECIAL_EMAILS[0]
    before_subject = rows_of(demo_estate, email)
    before_totals = table_totals(demo_estate)
    store = redis.Redis.from_url(demo_estate.redis_url)
    redis_keys_before = store.dbsize()

    request = verified_request(email, "deletion")
    start(request)
    wait_for(lambda: settled(request), celery_worker)

    # The web analytics vendor is a manual step: the request waits for a person.
    assert request.state == State.NEEDS_ATTENTION
    manual = StoreTask.objects.get(request=request, system="web_analytics", action=StoreAction.ERASE)
    assert manual.state == StoreTaskState.MANUAL
    assert manual.instructions
    assert not StoreTask.objects.filter(request=request, system="web_analytics", action=StoreAction.RESOLVE).exists()
    do_by_hand(manual, note="Deleted the visitor in the vendor console")
    # Then each recipient of the erased data is to be told (GDPR Art. 19); the processors the
    # map names as recipients were told by their own erasure.
    wait_for(
        lambda: settled(request) and StoreTask.objects.filter(request=request, action="notify").exists(), celery_worker
    )
    recipients = set(StoreTask.objects.filter(request=request, action="notify").values_list("recipient", flat=True))
    assert recipients == {"our affiliates", "data analysis service providers"}
    run_to_the_end(request, celery_worker)
    wait_for(lambda: settled(request) and request.fulfilled_at is not None, celery_worker)
    assert request.state in (State.IN_PROGRESS, State.COMPLETED)  # completed once its bundle is built

    after_subject = rows_of(demo_estate, email)
    after_totals = table_totals(demo_estate)
    assert after_subject["users"] == 0 and after_subject["completions"] == 0
    # Everyone else is untouched: the totals dropped by exactly the subject's deleted rows.
    assert after_totals["users"] == before_totals["users"] - before_subject["users"]
    assert after_totals["completions"] == before_totals["completions"] - before_subject["completions"]
    assert rows_of(demo_estate, DECOY_EMAILS[0])["users"] == 1
    assert store.dbsize() < redis_keys_before
    erased = {
        t.system: ActionCounts.from_dict(t.counts).changes
        for t in StoreTask.objects.filter(request=request, action=StoreAction.ERASE)
        if t.kind != "manual"
    }
    assert erased["accounts"] == before_subject["users"]

    again = verified_request(email, "deletion")
    start(again)
    wait_for(lambda: settled(again), celery_worker)
    # Nothing was left to erase, so no recipient is to be told this time.
    assert not StoreTask.objects.filter(request=again, action="notify").exists()
    second = {
        t.system: ActionCounts.from_dict(t.counts).changes
        for t in StoreTask.objects.filter(request=again, action=StoreAction.ERASE, state=StoreTaskState.DONE)
    }
    assert sum(second.values()) == 0
    assert table_totals(demo_estate) == after_totals


def test_a_correction_changes_only_the_allowed_fields(demo_estate: Estate, celery_worker: Worker) -> None:
    email = SPECIAL_EMAILS[0]
    request = verified_request(email, "correction")
    start(request, corrections={"accounts": {"users": {"phone": "+1 555 0100"}}})
    run_to_the_end(request, celery_worker)
    assert request.fulfilled_at is not None
    corrected = StoreTask.objects.filter(request=request, action=StoreAction.CORRECT)
    assert set(corrected.values_list("system", flat=True)) == {"accounts"}

    engine = sa.create_engine(demo_estate.sql_url)
    with engine.connect() as conn:
        phones: dict[str, str] = dict(conn.execute(sa.text("SELECT email, phone FROM users")).all())
    engine.dispose()
    assert phones[email] == "+1 555 0100"
    assert phones[DECOY_EMAILS[0]] != "+1 555 0100"


def test_a_correction_of_a_field_the_map_does_not_allow_is_refused_before_any_store_is_touched(
    demo_estate: Estate,
) -> None:
    from requests_app.errors import GuardFailed

    request = verified_request(SPECIAL_EMAILS[0], "correction")
    transition(request, State.AWAITING_APPROVAL, STAFF)
    with pytest.raises(GuardFailed, match=r"accounts\.users\.id \(not correctable\)"):
        services.request_approve(request=request, actor=STAFF, corrections={"accounts": {"users": {"id": "999"}}})
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL
    assert not StoreTask.objects.filter(request=request).exists()


@pytest.fixture
def flaky_map(estate: Estate) -> Estate:
    datamap_import(FLAKY_MAP, actor=STAFF)
    return estate


def test_a_store_that_fails_twice_then_succeeds_completes(flaky_map: Estate, celery_worker: Worker) -> None:
    flaky_map.flaky.fail_times["flaky@example.org"] = 2
    request = verified_request("flaky@example.org", "deletion")
    start(request)
    wait_for(lambda: settled(request), celery_worker)

    assert request.fulfilled_at is not None
    erase = StoreTask.objects.get(request=request, action=StoreAction.ERASE)
    assert (erase.state, erase.attempts) == (StoreTaskState.DONE, 3)
    assert AuditEvent.objects.filter(request=request, action="store_task.retrying").count() == 2


def test_a_store_that_always_fails_needs_attention_and_a_staff_retry_completes_it(
    flaky_map: Estate, celery_worker: Worker
) -> None:
    flaky_map.flaky.broken.add("broken@example.org")
    request = verified_request("broken@example.org", "deletion")
    start(request)
    wait_for(lambda: settled(request), celery_worker)

    assert request.state == State.NEEDS_ATTENTION
    erase = StoreTask.objects.get(request=request, action=StoreAction.ERASE)
    assert erase.state == StoreTaskState.FAILED
    assert "503" in erase.error or "unavailable" in erase.error.lower()

    flaky_map.flaky.broken.discard("broken@example.org")
    fanout.store_task_retry(task=erase, actor=STAFF)
    wait_for(lambda: settled(request) and request.fulfilled_at is not None, celery_worker)
    assert request.state in (State.IN_PROGRESS, State.COMPLETED)  # completed once its bundle is built
    assert StoreTask.objects.get(pk=erase.pk).state == StoreTaskState.DONE


# In one uncommitted transaction, so no message these tests send reaches the worker's
# eyes before the rows are rolled back: they test the decisions in the database alone.
@pytest.mark.django_db
def test_cancelling_a_request_stops_its_pending_tasks(demo_estate: Estate) -> None:
    request = verified_request(SPECIAL_EMAILS[0], "deletion")
    transition(request, State.AWAITING_APPROVAL, STAFF)
    with transaction.atomic():
        # Start and cancel in one transaction: no worker sees the tasks before they stop.
        services.request_approve(request=request, actor=STAFF)
        services.request_cancel(request=request, actor=STAFF, reason="Withdrawn by the subject")
    assert set(StoreTask.objects.filter(request=request).values_list("state", flat=True)) == {StoreTaskState.CANCELLED}
    assert AuditEvent.objects.filter(request=request, action="fanout.cancelled").exists()


@pytest.mark.django_db
def test_the_sweeper_hands_a_dead_workers_task_to_another_and_leaves_a_live_one_alone(demo_estate: Estate) -> None:
    from datetime import timedelta

    from django.utils import timezone

    request = verified_request(SPECIAL_EMAILS[0])
    with transaction.atomic():
        services.request_start(request=request, actor=STAFF)
    dead, live = StoreTask.objects.filter(request=request).order_by("id")[:2]
    now = timezone.now()
    StoreTask.objects.filter(pk=dead.pk).update(
        state=StoreTaskState.RUNNING, lease_token="dead", lease_expires_at=now - timedelta(seconds=1)
    )
    StoreTask.objects.filter(pk=live.pk).update(
        state=StoreTaskState.RUNNING, lease_token="live", lease_expires_at=now + timedelta(minutes=5)
    )
    result = fanout.store_tasks_sweep()
    assert result["expired"] == 1
    assert StoreTask.objects.get(pk=dead.pk).state == StoreTaskState.QUEUED
    assert StoreTask.objects.get(pk=live.pk).lease_token == "live"


def completed(request: DataSubjectRequest) -> bool:
    request.refresh_from_db()
    return request.state == State.COMPLETED


def test_an_access_request_ends_with_a_signed_bundle_of_the_subjects_data_and_a_completion_email(
    demo_estate: Estate, celery_worker: Worker, tmp_path: Any
) -> None:
    import io
    import zipfile

    from pypdf import PdfReader

    from requests_app.fulfilment import bundle_keys
    from requests_app.fulfilment.bundles.keys import load_public_key
    from requests_app.fulfilment.bundles.verify import verify_bundle
    from requests_app.models import Bundle, EmailMessage
    from requests_app.services.downloads import bundle_open

    email = SPECIAL_EMAILS[0]
    expected = rows_of(demo_estate, email)
    request = verified_request(email)
    start(request)
    run_to_the_end(request, celery_worker)
    wait_for(lambda: completed(request), celery_worker)

    bundle = Bundle.objects.get(request=request)
    assert bundle.counts["api_usage.completions"] == expected["completions"]
    with bundle_open(bundle) as plain:
        data = plain.read()
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    report = verify_bundle(path, load_public_key(bundle_keys.public_key()))
    assert report.ok, report.problems
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read("report.pdf"))).pages)
    assert "data/api_usage/completions.jsonl" in names
    # The export a person made by hand from the vendor is in the bundle, beside its system's data.
    assert "data/web_analytics/exported-by-hand-visits.csv" in names
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("data/web_analytics/exported-by-hand-visits.csv").startswith(b"page,visited_at")
        credentials = archive.read("data/auth_provider/credentials.jsonl").decode()
        manifest = json.loads(archive.read("manifest.json"))
    # A field the map never discloses is in no copy: not in the data, not in the report.
    assert "password_hash" not in credentials
    assert "pbkdf2" not in credentials and "pbkdf2" not in pdf_text
    assert manifest["withheld_fields"][0]["field"] == "password_hash"
    assert request.reference in pdf_text
    # The stored file is the encrypted one: none of the ZIP's bytes are readable at rest.
    with bundle.file.open("rb") as sealed:
        assert not sealed.read().startswith(b"PK")
    assert EmailMessage.objects.filter(request=request, kind="completion").exists()


def test_a_deletion_ends_with_a_certificate_of_what_was_done(demo_estate: Estate, celery_worker: Worker) -> None:
    from requests_app.models import Bundle, BundleKind

    request = verified_request(SPECIAL_EMAILS[0], "deletion")
    start(request)
    run_to_the_end(request, celery_worker)
    wait_for(lambda: completed(request), celery_worker)
    assert Bundle.objects.get(request=request).kind == BundleKind.DELETION_CERTIFICATE
