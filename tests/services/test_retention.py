"""Record retention by minimisation: after the retention period a closed request keeps its
record and loses its subject, everywhere: every table, every file, the audit trail's text."""

from __future__ import annotations

import io
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from requests_app.errors import GuardFailed
from requests_app.fulfilment import fanout
from requests_app.fulfilment import results as fulfilment
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.intake.triage import triage_attach
from requests_app.models import (
    AuditEvent,
    Bundle,
    Channel,
    DataSubjectRequest,
    Direction,
    EmailAttachment,
    EmailMessage,
    EmailStatus,
    RequestSealKey,
    State,
    StoreTask,
    StoreTaskState,
    VerificationChallenge,
    counts_without_personal,
)
from requests_app.notifications.emails import email_send
from requests_app.services import requests as services
from requests_app.services.retention import request_minimise, requests_minimise
from requests_app.staff.actions import request_note_add
from requests_app.verification.challenges import status_token
from requests_app.verification.identity_hash import identity_hash
from requests_app.workflow.audit import REMOVED_TEXT, Actor, audit_open, audit_verify
from requests_app.workflow.new_request import NewRequest
from tests.concurrency import run_together
from tests.factories import request_in_state
from tests.fanout_helpers import use_manual_map

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from django.contrib.auth.models import User

NAME = "Quentin Oddsworth"
EMAIL = "quentin.oddsworth@example.net"
# What must be gone after minimisation: the address, the name, and the surname alone (it is
# in the agent's request, the corrected value and every free text below).
NEEDLES = (EMAIL, NAME, "Oddsworth")
STAFF = Actor.system("tests")
RETENTION = timedelta(days=730)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage_of_this_test(settings: Any, tmp_path: Path) -> Path:
    """A storage directory of this test alone, so "every file" means this test's files."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def inbound_email_with_attachment() -> bytes:
    message = MimeMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = "privacy@example.com"
    message["Subject"] = "Correction of my data"
    message["Message-ID"] = "<retention-test-1@mail.example.net>"
    message.set_content(f"Hello,\n\nPlease correct my email address. My name is {NAME}.\n\nThanks\n{NAME}\n")
    message.add_attachment(
        f"Passport of {NAME}".encode(), maintype="application", subtype="octet-stream", filename="oddsworth-id.txt"
    )
    return message.as_bytes()


def send_queued_emails() -> None:
    """Send what the flows queued, as the worker would: raw .eml files land in storage."""
    for pk in EmailMessage.objects.filter(direction=Direction.OUTBOUND, status=EmailStatus.QUEUED).values_list(
        "pk", flat=True
    ):
        email_send(pk)


def corrected_by_email() -> DataSubjectRequest:
    """A correction that came by email with an attachment and went through every step by the services."""
    message, _ = email_receive(inbound_email_with_attachment(), source="pipe")
    email_process(message.pk)
    request = DataSubjectRequest.objects.get(emails__pk=message.pk)
    assert (request.request_type, request.subject_email) == ("correction", EMAIL)
    challenge = VerificationChallenge.objects.filter(request=request).latest("created_at")
    request = services.request_confirm_email(challenge, method="link")
    request.refresh_from_db()
    assert request.state == State.AWAITING_APPROVAL
    request_note_add(request=request, actor=STAFF, note=f"{NAME} phoned to say the old address is dead.")
    services.request_reply(request=request, actor=STAFF, message=f"Dear {NAME}, we are on it.")
    services.request_extend_with_notice(request=request, actor=STAFF, reason=f"{NAME}'s records are in many places")
    use_manual_map()
    services.request_approve(
        request=DataSubjectRequest.objects.get(pk=request.pk),
        actor=STAFF,
        note=f"Approved for {NAME}",
        corrections={"crm": {"contacts": {"email": "q.oddsworth@example.net"}}},
    )
    fanout.request_advance(request.pk)
    for task in StoreTask.objects.filter(request=request, state=StoreTaskState.QUEUED):
        fanout.store_task_run(task.pk)
    task = StoreTask.objects.get(request=request, state=StoreTaskState.MANUAL)
    evidence = SimpleUploadedFile("oddsworth-confirmation.txt", f"Changed {EMAIL} for {NAME}".encode())
    fanout.store_task_resolve(
        task=task, actor=STAFF, outcome="done_by_hand", note=f"Changed {NAME}'s address by hand", attachment=evidence
    )
    fanout.request_advance(request.pk)
    fulfilment.request_fulfil(request.pk)
    send_queued_emails()
    request.refresh_from_db()
    assert request.state == State.COMPLETED
    assert Bundle.objects.filter(request=request).exclude(file="").exists()
    return request


def rejected_agent_request() -> DataSubjectRequest:
    """An authorised agent's access request with a signed authorisation, rejected with a reason."""
    new = NewRequest(
        channel=Channel.WEB,
        request_type="access",
        subject_email=EMAIL,
        subject_name=NAME,
        identifiers={"phone": "+1 555 0199", "account": "oddsworth-77"},
        details=f"I act for {NAME}.",
        agent_name="Agatha Agent",
        agent_email="agatha@agents.example",
    )
    authorisation = SimpleUploadedFile("oddsworth-authorisation.pdf", f"%PDF-1.4 {NAME} authorises".encode())
    request = services.request_submit(new, agent_authorisation=authorisation)
    services.request_reject(request=request, actor=STAFF, reason=f"{NAME} told us they never asked an agent")
    send_queued_emails()
    return DataSubjectRequest.objects.get(pk=request.pk)


def database_text_matches(needles: tuple[str, ...]) -> list[str]:
    """Every table, every row, every value as text (bytes too): where any needle occurs."""
    found = []
    lowered = [needle.lower() for needle in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            columns = [column.name for column in cursor.description or ()]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = bytes(value).decode("latin-1") if isinstance(value, memoryview | bytes) else str(value)
                    found += [f"{table}.{column}: {text[:2000]}" for needle in lowered if needle in text.lower()]
    return found


def storage_matches(root: Path, needles: tuple[str, ...]) -> list[str]:
    lowered = [needle.lower().encode() for needle in needles]
    return [
        f"{path.relative_to(root)}: {needle.decode()}"
        for path in root.rglob("*")
        if path.is_file()
        for needle in lowered
        if needle in path.read_bytes().lower()
    ]


def record_of(request: DataSubjectRequest) -> dict[str, Any]:
    """What the record and the metrics read: it must be the same before and after."""
    request.refresh_from_db()
    return {
        "request": [
            getattr(request, name)
            for name in (
                "request_type", "channel", "jurisdiction", "state", "received_at", "due_at", "closed_at",
                "extended_at", "verified_at", "email_verified_at", "fulfilled_at", "paused_days", "assignee_id",
            )
        ],
        "tasks": [
            (*row[:-1], counts_without_personal(row[-1]))
            for row in StoreTask.objects.filter(request=request)
            .order_by("pk")
            .values_list("system", "action", "state", "outcome", "started_at", "finished_at", "resolved_by", "counts")
        ],
        "transitions": list(
            AuditEvent.objects.filter(request=request)
            .exclude(action="request.minimised")
            .order_by("seq")
            .values_list("seq", "action", "from_state", "to_state", "created_at", "actor", "hash")
        ),
        "bundles": list(Bundle.objects.filter(request=request).values_list("kind", "sha256", "size", "downloads")),
        "emails": list(EmailMessage.objects.filter(request=request).values_list("direction", "kind", "created_at")),
    }  # fmt: skip


def minimise_after_the_period(
    capture: Callable[..., Any], *requests: DataSubjectRequest, dry_run: bool = False
) -> list[Any]:
    closed = max(r.closed_at for r in requests if r.closed_at is not None)
    with capture(execute=True):
        return requests_minimise(now=closed + RETENTION + timedelta(minutes=1), dry_run=dry_run)


def test_a_request_that_went_through_every_flow_keeps_its_record_and_nothing_of_its_subject(
    django_capture_on_commit_callbacks: Any, storage_of_this_test: Path, admin_user: User
) -> None:
    corrected = corrected_by_email()
    rejected = rejected_agent_request()
    # Everything the flows wrote is there to find, in the tables and in the files.
    assert database_text_matches((EMAIL,)) and storage_matches(storage_of_this_test, (NAME,))
    assert EmailAttachment.objects.filter(email__request=corrected).exists()
    before = {r.pk: record_of(r) for r in (corrected, rejected)}

    done = minimise_after_the_period(django_capture_on_commit_callbacks, corrected, rejected)

    assert sorted(result.reference for result in done) == sorted([corrected.reference, rejected.reference])
    assert database_text_matches(NEEDLES) == []
    assert storage_matches(storage_of_this_test, NEEDLES) == []
    assert [p for p in storage_of_this_test.rglob("*") if p.is_file()] == []
    assert audit_verify().ok
    output = io.StringIO()
    call_command("verify_audit", stdout=output)
    assert output.getvalue().startswith("OK ")
    assert {r.pk: record_of(r) for r in (corrected, rejected)} == before


def test_minimising_says_what_it_removed_by_kind_and_count_and_never_a_value(
    django_capture_on_commit_callbacks: Any,
) -> None:
    corrected = corrected_by_email()
    minimise_after_the_period(django_capture_on_commit_callbacks, corrected)
    event = AuditEvent.objects.get(request=corrected, action="request.minimised")
    removed = event.data["removed"]
    assert removed["emails"] == EmailMessage.objects.filter(request=corrected).count()
    assert removed["email_attachments"] == 1
    assert removed["evidence_files"] == 1
    assert removed["bundle_files"] == 1
    assert removed["audit_texts"] >= 5
    assert all(isinstance(count, int) for count in removed.values())
    assert (event.reason, event.sealed) == ("", "")


def test_the_audit_text_of_a_minimised_request_reads_as_removed_and_the_chain_still_verifies(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = rejected_agent_request()
    rejection = AuditEvent.objects.get(request=request, to_state=State.REJECTED)
    assert audit_open(rejection).reason == f"{NAME} told us they never asked an agent"
    assert rejection.reason == "" and rejection.sealed

    minimise_after_the_period(django_capture_on_commit_callbacks, request)

    rejection = AuditEvent.objects.get(pk=rejection.pk)
    assert audit_open(rejection).removed and audit_open(rejection).text == REMOVED_TEXT
    assert rejection.sealed  # the ciphertext stays; its key is gone
    assert not RequestSealKey.objects.filter(request=request).exists()
    assert audit_verify().ok


def test_staff_can_still_tell_whether_an_address_made_a_request(
    django_capture_on_commit_callbacks: Any, admin_user: User
) -> None:
    request = rejected_agent_request()
    minimise_after_the_period(django_capture_on_commit_callbacks, request)
    request.refresh_from_db()
    assert request.subject_email == identity_hash("email", EMAIL.upper())
    assert DataSubjectRequest.objects.filter(subject_email=identity_hash("email", f" {EMAIL} ")).count() == 1
    staff = Client()
    staff.force_login(admin_user)
    staff.post("/staff/requests/search/", {"q": EMAIL})
    assert request.reference in staff.get("/staff/requests/?state=any").content.decode()
    staff.post("/staff/requests/search/", {"q": "someone.else@example.net"})
    assert request.reference not in staff.get("/staff/requests/?state=any").content.decode()


def test_the_staff_and_status_pages_say_the_personal_data_was_removed(
    django_capture_on_commit_callbacks: Any, admin_user: User
) -> None:
    request = corrected_by_email()
    minimise_after_the_period(django_capture_on_commit_callbacks, request)
    request.refresh_from_db()
    assert request.minimised_at is not None
    on = request.minimised_at.strftime("%-d %b %Y")
    staff = Client()
    staff.force_login(admin_user)
    detail = staff.get(f"/staff/requests/{request.reference}/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert f"Personal data removed on {on} under the retention rule" in page
    assert "The text was removed under the retention rule" in page
    assert "hmac-sha256" not in page
    assert staff.get("/staff/requests/?state=any").status_code == 200
    status = Client().get(f"/request/status/{status_token(request)}/")
    assert status.status_code == 200
    assert "Your personal data was removed from this request on" in status.content.decode()


def test_the_admin_opens_sealed_events_and_shows_them_removed_once_minimised(
    django_capture_on_commit_callbacks: Any, admin_user: User
) -> None:
    request = rejected_agent_request()
    rejection = AuditEvent.objects.get(request=request, to_state=State.REJECTED)
    admin = Client()
    admin.force_login(admin_user)
    request_page = f"/admin/requests_app/datasubjectrequest/{request.pk}/change/"
    event_page = f"/admin/requests_app/auditevent/{rejection.pk}/change/"
    assert "told us they never asked an agent" in admin.get(request_page).content.decode()
    assert "told us they never asked an agent" in admin.get(event_page).content.decode()

    minimise_after_the_period(django_capture_on_commit_callbacks, request)

    for page in (request_page, event_page):
        response = admin.get(page)
        assert response.status_code == 200
        assert REMOVED_TEXT in response.content.decode() and NAME not in response.content.decode()


def test_a_request_is_not_minimised_before_its_retention_period_ends(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = rejected_agent_request()
    assert request.closed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert requests_minimise(now=request.closed_at + RETENTION - timedelta(minutes=1)) == []
    request.refresh_from_db()
    assert (request.subject_email, request.minimised_at) == (EMAIL, None)
    assert RequestSealKey.objects.filter(request=request).exists()


def test_the_retention_period_is_the_setting(django_capture_on_commit_callbacks: Any, settings: Any) -> None:
    settings.DSAR_REQUEST_RETENTION_DAYS = 30
    request = request_in_state(State.CANCELLED, subject_email=EMAIL)
    assert request.closed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert requests_minimise(now=request.closed_at + timedelta(days=29)) == []
        assert len(requests_minimise(now=request.closed_at + timedelta(days=30))) == 1


@pytest.mark.parametrize("state", [State.PENDING_VERIFICATION, State.IN_PROGRESS, State.AWAITING_REQUESTER])
def test_an_open_request_is_never_minimised(state: State, django_capture_on_commit_callbacks: Any) -> None:
    request = request_in_state(state, subject_email=EMAIL, received_at=timezone.now() - timedelta(days=3000))
    with django_capture_on_commit_callbacks(execute=True):
        assert requests_minimise(now=timezone.now() + timedelta(days=3000)) == []
    request.refresh_from_db()
    assert (request.subject_email, request.minimised_at) == (EMAIL, None)


def test_minimising_twice_changes_nothing_the_second_time(django_capture_on_commit_callbacks: Any) -> None:
    request = rejected_agent_request()
    assert len(minimise_after_the_period(django_capture_on_commit_callbacks, request)) == 1
    request.refresh_from_db()
    after_first = (record_of(request), request.subject_email, request.subject_identifiers, request.minimised_at)

    assert minimise_after_the_period(django_capture_on_commit_callbacks, request) == []
    later = timezone.now() + timedelta(days=5000)
    with django_capture_on_commit_callbacks(execute=True):
        assert request_minimise(request_pk=request.pk, now=later) is None

    request.refresh_from_db()
    assert (record_of(request), request.subject_email, request.subject_identifiers, request.minimised_at) == after_first
    assert AuditEvent.objects.filter(request=request, action="request.minimised").count() == 1


def test_the_dry_run_counts_what_would_go_and_changes_nothing(
    django_capture_on_commit_callbacks: Any, storage_of_this_test: Path
) -> None:
    request = corrected_by_email()
    files = sorted(p for p in storage_of_this_test.rglob("*") if p.is_file())
    events = AuditEvent.objects.count()

    (planned,) = minimise_after_the_period(django_capture_on_commit_callbacks, request, dry_run=True)

    assert planned.removed["email_attachments"] == 1 and planned.removed["evidence_files"] == 1
    assert sorted(p for p in storage_of_this_test.rglob("*") if p.is_file()) == files
    assert AuditEvent.objects.count() == events
    assert DataSubjectRequest.objects.get(pk=request.pk).minimised_at is None
    assert database_text_matches((EMAIL,))
    assert RequestSealKey.objects.filter(request=request).exists()
    # And the real run then removes exactly what the dry run counted.
    (done,) = minimise_after_the_period(django_capture_on_commit_callbacks, request)
    assert done.removed == planned.removed


def test_the_command_prints_what_it_would_do_and_then_what_it_did(settings: Any) -> None:
    settings.DSAR_REQUEST_RETENTION_DAYS = 1
    request = request_in_state(State.CANCELLED, subject_email=EMAIL, subject_name=NAME)
    DataSubjectRequest.objects.filter(pk=request.pk).update(closed_at=timezone.now() - timedelta(days=2))

    dry = io.StringIO()
    call_command("minimise_requests", "--dry-run", stdout=dry)
    assert dry.getvalue().splitlines()[-1] == "1 request would be minimised (closed more than 1 days ago)"
    assert f"{request.reference}: " in dry.getvalue() and "request_fields 2" in dry.getvalue()
    assert DataSubjectRequest.objects.get(pk=request.pk).subject_email == EMAIL

    real = io.StringIO()
    call_command("minimise_requests", stdout=real)
    assert real.getvalue().splitlines()[-1] == "1 request minimised (closed more than 1 days ago)"
    assert DataSubjectRequest.objects.get(pk=request.pk).minimised_at is not None
    again = io.StringIO()
    call_command("minimise_requests", stdout=again)
    assert again.getvalue() == "0 requests minimised (closed more than 1 days ago)\n"


def test_no_personal_text_is_added_to_a_minimised_request_and_the_page_says_why(
    django_capture_on_commit_callbacks: Any, admin_user: User
) -> None:
    request = rejected_agent_request()
    minimise_after_the_period(django_capture_on_commit_callbacks, request)
    request.refresh_from_db()
    with pytest.raises(GuardFailed, match="removed under the retention rule"):
        request_note_add(request=request, actor=STAFF, note=f"{NAME} called again")
    with pytest.raises(GuardFailed, match="removed under the retention rule"):
        services.request_reply(request=request, actor=STAFF, message=f"Dear {NAME}")
    staff = Client()
    staff.force_login(admin_user)
    response = staff.post(f"/staff/requests/{request.reference}/note/", {"note-note": f"{NAME} called again"})
    assert response.status_code == 409
    assert "removed under the retention rule" in response.content.decode()
    refusal = AuditEvent.objects.filter(request=request, action="action.refused").last()
    assert refusal is not None and refusal.data["text_removed"] == "retention"
    assert (refusal.reason, refusal.sealed) == ("", "")
    assert database_text_matches(NEEDLES) == []
    assert audit_verify().ok


def test_a_late_reply_to_a_minimised_request_waits_in_triage_and_is_never_attached_to_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = rejected_agent_request()
    minimise_after_the_period(django_capture_on_commit_callbacks, request)
    reply = MimeMessage()
    reply["From"] = f"{NAME} <{EMAIL}>"
    reply["To"] = "privacy@example.com"
    reply["Subject"] = f"Re: your request {request.reference}"
    reply["Message-ID"] = "<retention-late-reply@mail.example.net>"
    reply.set_content("Is there any news?")
    message, _ = email_receive(reply.as_bytes(), source="pipe")
    email_process(message.pk)
    message.refresh_from_db()
    assert (message.status, message.request_id) == (EmailStatus.TRIAGE, None)
    assert "retention rule" in message.triage_reason
    with pytest.raises(GuardFailed, match="retention rule"):
        triage_attach(message=message, actor=STAFF, request=request)


@pytest.fixture
def closed_long_ago() -> list[DataSubjectRequest]:
    requests = [request_in_state(State.CANCELLED, subject_email=f"ask{n}@example.net") for n in range(6)]
    DataSubjectRequest.objects.update(closed_at=timezone.now() - RETENTION - timedelta(days=1))
    return requests


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_minimise_each_request_once_and_both_succeed(
    closed_long_ago: list[DataSubjectRequest],
) -> None:
    results: list[list[Any]] = []
    errors = run_together(lambda: results.append(requests_minimise(batch_size=2)), timeout=60)
    assert errors == []
    references = sorted(result.reference for run_results in results for result in run_results)
    assert references == sorted(r.reference for r in closed_long_ago)
    assert AuditEvent.objects.filter(action="request.minimised").count() == len(closed_long_ago)
    assert not DataSubjectRequest.objects.filter(minimised_at__isnull=True).exists()
    assert audit_verify().ok


def test_the_beat_schedule_runs_the_minimisation_once_a_day(settings: Any) -> None:
    from dsar.celery import app

    entry = app.conf.beat_schedule["minimise-closed-requests"]
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {17})
    app.loader.import_default_modules()
    settings.DSAR_REQUEST_RETENTION_DAYS = 1
    request_in_state(State.CANCELLED, subject_email=EMAIL)
    DataSubjectRequest.objects.update(closed_at=timezone.now() - timedelta(days=2))
    assert app.tasks[entry["task"]].apply().get() == 1
    assert DataSubjectRequest.objects.get().minimised_at is not None
