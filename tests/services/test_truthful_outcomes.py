"""A request is closed only for what really happened, and its subject can always collect it.

Each test here is one thing seen when the product was used from outside: a deletion closed
as done while a store still held the data, a subject verified by staff who could never
download, a manual store reported as searched and empty, a certificate that called a
person's work "nothing found", a status page that contradicted itself, and a correction
report that did not say what changed. They run on the real estate with a real worker.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from demo.seed import SPECIAL_EMAILS
from requests_app.models import (
    AuditEvent,
    Bundle,
    BundleKind,
    ChallengePurpose,
    Channel,
    DataSubjectRequest,
    EmailMessage,
    State,
    StoreAction,
    StoreTask,
    StoreTaskState,
    VerificationChallenge,
)
from requests_app.services import requests as services
from requests_app.services.downloads import bundle_open
from requests_app.verification.challenges import challenge_issue
from requests_app.workflow.audit import Actor, audit_open
from requests_app.workflow.new_request import NewRequest
from tests.fanout_helpers import STAFF, do_by_hand
from tests.fulfilment.test_fanout import demo_estate, run_to_the_end, settled
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast
from tests.waiting import wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import Worker
    from tests.estate import Estate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["demo_estate"]  # the fixture, used by name


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return make_cast()


@pytest.fixture
def billing_moved(demo_estate: Estate) -> Iterator[Estate]:
    """The billing store broken as a person would break it: its table renamed."""
    engine = sa.create_engine(demo_estate.sql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE invoices RENAME TO invoices_moved"))
    yield demo_estate
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE IF EXISTS invoices_moved RENAME TO invoices"))
    engine.dispose()


def submitted(email: str, kind: str, *, channel: str = Channel.EMAIL) -> DataSubjectRequest:
    return services.request_submit(
        NewRequest(
            channel=channel, request_type=kind, subject_email=email, subject_name="Test Subject", jurisdiction="gdpr"
        )
    )


def completed(request: DataSubjectRequest) -> bool:
    request.refresh_from_db()
    return request.state == State.COMPLETED


def pdf_text(bundle: Bundle, name: str) -> str:
    with bundle_open(bundle) as plain, zipfile.ZipFile(plain) as archive:
        reader = PdfReader(io.BytesIO(archive.read(name)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_deletion_with_a_broken_store_is_completed_only_once_that_store_has_an_outcome(
    cast: Cast, billing_moved: Estate, celery_worker: Worker
) -> None:
    bob = client_for(cast.bob)
    request = submitted(SPECIAL_EMAILS[0], "deletion")
    services.request_verify_manually(request=request, actor=Actor.staff(cast.bob), note="Called the subject back")
    services.request_approve(request=DataSubjectRequest.objects.get(pk=request.pk), actor=Actor.staff(cast.bob))
    wait_for(lambda: settled(request), celery_worker)
    assert request.state == State.NEEDS_ATTENTION
    billing = StoreTask.objects.get(request=request, system="billing", action=StoreAction.RESOLVE)
    assert billing.state == StoreTaskState.FAILED

    # Completing now is refused, naming the stores with no outcome; nobody is told anything.
    response = bob.post(f"/staff/requests/{request.reference}/complete/", {"complete-confirm": "on"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "billing (find the subject and count their records) is failed" in body
    assert "Nothing was changed" in body
    request.refresh_from_db()
    assert request.state == State.NEEDS_ATTENTION
    assert not EmailMessage.objects.filter(request=request, kind="completion").exists()
    page = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Try billing again" in page and "Record the outcome for billing" in page
    assert "Not yet: These stores have no outcome yet" in page

    # Staff record what happened in billing, with a file; it settles billing's erasure too.
    evidence = SimpleUploadedFile("ledger-export.pdf", b"%PDF-1.7 the accounting system's log")
    response = bob.post(
        f"/staff/requests/{request.reference}/stores/{billing.pk}/outcome/",
        {"outcome": "done_by_hand", "note": "Erased by hand in the accounting system", "attachment": evidence},
    )
    assert response.status_code == 302
    erase = StoreTask.objects.get(request=request, system="billing", action=StoreAction.ERASE)
    assert erase.state == StoreTaskState.RESOLVED and erase.outcome_words == "Erased by hand"
    run_to_the_end(request, celery_worker)
    wait_for(lambda: completed(request), celery_worker)

    certificate = Bundle.objects.get(request=request, kind=BundleKind.DELETION_CERTIFICATE)
    text = pdf_text(certificate, "certificate.pdf")
    assert "What our staff did by hand" in text
    assert re.search(r"billing\s+Erased by hand\s+Bob", text)
    assert "Erased by hand in the accounting system" in text and "ledger-export.pdf" in text
    assert "Who we told (GDPR Art. 19)" in text and "our affiliates" in text
    completion = EmailMessage.objects.get(request=request, kind="completion")
    assert "could not carry it out" not in completion.body_text

    # Closed: no store is offered any action, and none runs.
    page = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Try billing again" not in page and "Record the outcome" not in page
    assert "Waiting for earlier stores" not in page
    assert bob.post(f"/staff/requests/{request.reference}/stores/{billing.pk}/retry/").status_code == 404


def test_a_subject_verified_by_staff_collects_the_result_through_the_status_link(
    demo_estate: Estate, celery_worker: Worker
) -> None:
    request = submitted("phoned.in@example.org", "access", channel=Channel.STAFF)
    services.request_verify_manually(request=request, actor=STAFF, note="Verified on the phone")
    wait_for(lambda: completed(request), celery_worker)
    assert request.email_verified_at is None
    link = EmailMessage.objects.get(request=request, kind="status_link")
    assert "our privacy team has confirmed your identity" in link.body_text
    found = re.search(r"/request/status/[^/\s]+/", link.body_text)
    assert found is not None
    client = Client()
    status = client.get(found.group(0))
    assert status.status_code == 200
    bundle = Bundle.objects.get(request=request)
    download = f"{found.group(0)}download/{bundle.pk}/"
    assert client.get(download).status_code == 200
    client.post(download, {"action": "send"})
    code = re.search(r"\d{4}-\d{4}", EmailMessage.objects.filter(request=request, kind="download_code").get().body_text)
    assert code is not None
    response = client.post(download, {"code": code.group(0)})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"PK")  # type: ignore[attr-defined]


def test_a_manual_store_is_searched_by_a_person_for_access_and_never_reported_as_searched_and_empty(
    demo_estate: Estate, celery_worker: Worker
) -> None:
    request = submitted(SPECIAL_EMAILS[0], "access")
    services.request_verify_manually(request=request, actor=STAFF, note="Verified")
    wait_for(lambda: settled(request), celery_worker)
    manual = StoreTask.objects.get(request=request, system="web_analytics")
    assert (manual.action, manual.state) == (StoreAction.RESOLVE, StoreTaskState.MANUAL)
    do_by_hand(manual, outcome="not_done", note="The vendor's console is down; we will send it when it is back")
    wait_for(lambda: completed(request), celery_worker)

    text = pdf_text(Bundle.objects.get(request=request), "report.pdf")
    assert "We searched every system" not in text
    assert "We searched 6 of the 7 systems" in text
    assert "Not searched, recorded by system:tests" in text
    assert "The vendor's console is down" in text
    assert "web_analytics visits 0" not in text
    completion = EmailMessage.objects.get(request=request, kind="completion")
    assert "could not carry it out in every system" in completion.body_text


def test_a_correction_report_says_what_each_field_was_and_is_and_who_was_told(
    demo_estate: Estate, celery_worker: Worker
) -> None:
    email = SPECIAL_EMAILS[0]
    engine = sa.create_engine(demo_estate.sql_url)
    with engine.connect() as conn:
        before: str = conn.execute(sa.text("SELECT phone FROM users WHERE email = :e"), {"e": email}).scalar_one()
    engine.dispose()
    request = submitted(email, "correction")
    services.request_verify_manually(request=request, actor=STAFF, note="Verified")
    services.request_approve(
        request=DataSubjectRequest.objects.get(pk=request.pk),
        actor=STAFF,
        corrections={"accounts": {"users": {"phone": "+44 20 7946 0000"}}},
    )
    wait_for(
        lambda: settled(request) and StoreTask.objects.filter(request=request, action="notify").exists(), celery_worker
    )
    notify = StoreTask.objects.get(request=request, action=StoreAction.NOTIFY)
    assert notify.recipient == "our affiliates" and "accounts.users.phone" in notify.instructions
    run_to_the_end(request, celery_worker)
    wait_for(lambda: completed(request), celery_worker)

    text = pdf_text(Bundle.objects.get(request=request), "correction-report.pdf")
    assert str(before) in text and "+44 20 7946 0000" in text
    assert re.search(r"our affiliates\s+accounts \u203a users: phone\s+Told", text)


def test_the_status_page_and_the_queue_say_who_the_request_waits_for(cast: Cast) -> None:
    confirmed = submitted("confirmed@example.org", "deletion")
    never = submitted("never@example.org", "deletion")
    issued = challenge_issue(request=confirmed, purpose=ChallengePurpose.VERIFY_REQUEST, email=confirmed.subject_email)
    response = Client().post(f"/request/verify/{issued.link_token}/")
    assert response.status_code == 302
    status = Client().get(response["Location"]).content.decode()
    assert "Checking your identity" in status
    assert "Your email address is confirmed; we are checking your identity." in status
    assert "Waiting for identity verification" not in status

    bob = client_for(cast.bob)
    bob.post("/staff/requests/search/", {"q": "@example.org"})
    queue = bob.get("/staff/requests/").content.decode()
    assert "Email confirmed; waiting for staff to verify the identity" in queue
    assert "Waiting for the requester to confirm their email" in queue

    # Staff verifying a subject who confirmed their address sends no second status link.
    services.request_verify_manually(request=confirmed, actor=STAFF, note="Checked the account")
    assert EmailMessage.objects.filter(request=confirmed, kind="status_link").count() == 1
    services.request_verify_manually(request=never, actor=STAFF, note="Checked on the phone")
    assert EmailMessage.objects.filter(request=never, kind="status_link").count() == 1
    assert VerificationChallenge.objects.filter(request=never).exists()


def test_the_demo_samples_are_real_or_wait_for_a_decision(
    estate: Estate, celery_worker: Worker, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    monkeypatch.setenv("DSAR_DEMO_SQL_URL", estate.sql_url)
    monkeypatch.setenv("DSAR_DEMO_AUTH_DB", str(estate.auth_db))
    call_command("load_demo", stdout=io.StringIO())
    requests = list(DataSubjectRequest.objects.all())
    assert len(requests) >= 9

    def quiet() -> bool:
        return (
            not any(r.state in (State.VERIFIED, State.IN_PROGRESS) for r in DataSubjectRequest.objects.all())
            and not StoreTask.objects.filter(state__in=("pending", "queued", "running"))
            .exclude(request__state=State.NEEDS_ATTENTION)
            .exists()
        )

    wait_for(quiet, celery_worker)
    for request in DataSubjectRequest.objects.all():
        tasks = list(request.store_tasks.all())
        if request.state == State.COMPLETED:
            assert Bundle.objects.filter(request=request).exists(), request.subject_name
            assert all(t.has_outcome for t in tasks), request.subject_name
        elif request.state == State.NEEDS_ATTENTION:
            assert any(t.state in (StoreTaskState.MANUAL, StoreTaskState.FAILED) for t in tasks), request.subject_name
        elif request.state == State.REJECTED:
            rejections = AuditEvent.objects.filter(request=request, to_state=State.REJECTED)
            assert any(audit_open(event).reason for event in rejections), request.subject_name
        else:
            assert request.state in (
                State.PENDING_VERIFICATION,
                State.AWAITING_APPROVAL,
                State.AWAITING_REQUESTER,
                State.CLOSED_UNVERIFIED,
            ), (request.subject_name, request.state)
            assert not tasks, request.subject_name
    assert DataSubjectRequest.objects.filter(state=State.COMPLETED).exists()
    assert DataSubjectRequest.objects.filter(state=State.NEEDS_ATTENTION).exists()


def test_the_bundle_command_says_when_a_request_has_no_bundle(tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    request = submitted("nobundle@example.org", "access")
    with pytest.raises(CommandError, match=r"has no stored bundle: nothing has been made for it yet"):
        call_command("bundle", request.reference, "--output", str(tmp_path / "x.zip"))
