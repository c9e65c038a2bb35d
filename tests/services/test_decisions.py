"""Decisions (opt-out, limit, restriction, objection) from the request to the signed record.

Each request is made the way a subject makes it (request_submit), goes to work, waits for a
person in every system the data map says it affects, and ends with a record that says
exactly what staff recorded, system by system, with a real worker doing the rest.
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.test import Client

from requests_app.errors import GuardFailed
from requests_app.fulfilment import bundle_keys
from requests_app.fulfilment.bundles.keys import load_public_key
from requests_app.fulfilment.bundles.verify import verify_bundle
from requests_app.fulfilment.datamap_versions import datamap_import
from requests_app.fulfilment.results import request_complete
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
)
from requests_app.services import requests as services
from requests_app.services.downloads import bundle_open
from requests_app.verification.challenges import challenge_issue
from requests_app.workflow.audit import Actor
from requests_app.workflow.new_request import NewRequest
from tests.fulfilment.test_decisions import DECISIONS_MAP
from tests.staff.test_permissions import FAST_HASHERS, Cast, client_for, make_cast
from tests.waiting import wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    datamap_import(DECISIONS_MAP, actor=Actor.system("tests"))
    return make_cast()


def submitted(request_type: str, jurisdiction: str, *, gpc: bool = False) -> DataSubjectRequest:
    return services.request_submit(
        NewRequest(
            channel=Channel.WEB,
            request_type=request_type,
            subject_email="pat.doe@example.org",
            subject_name="Pat Doe",
            jurisdiction=jurisdiction,
            gpc_signal=gpc,
        )
    )


def confirmed_by_email(request: DataSubjectRequest) -> None:
    """The subject follows the link in their verification email."""
    issued = challenge_issue(request=request, purpose=ChallengePurpose.VERIFY_REQUEST, email=request.subject_email)
    assert Client().post(f"/request/verify/{issued.link_token}/").status_code == 302


def in_state(request: DataSubjectRequest, state: str) -> bool:
    request.refresh_from_db()
    return request.state == state


def apply_tasks(request: DataSubjectRequest) -> dict[str, StoreTask]:
    return {t.system: t for t in StoreTask.objects.filter(request=request).order_by("step", "id")}


def record_outcome(staff: Client, task: StoreTask, outcome: str, note: str) -> Any:
    return staff.post(
        f"/staff/requests/{task.request.reference}/stores/{task.pk}/outcome/", {"outcome": outcome, "note": note}
    )


def unzipped(bundle: Bundle, tmp_path: Path) -> tuple[str, dict[str, Any], Path]:
    """The record's PDF text (pdftotext), its signed manifest, and the PDF's path."""
    with bundle_open(bundle) as plain:
        data = plain.read()
    archive_path = tmp_path / "record.zip"
    archive_path.write_bytes(data)
    report = verify_bundle(archive_path, load_public_key(bundle_keys.public_key()))
    assert report.ok, report.problems
    out = io.StringIO()
    call_command("verify_bundle", str(archive_path), stdout=out)
    assert out.getvalue().startswith(f"OK {bundle.request.reference}")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "decision-record.pdf", "manifest.json", "manifest.sig"]
        pdf = tmp_path / "decision-record.pdf"
        pdf.write_bytes(archive.read("decision-record.pdf"))
        manifest = json.loads(archive.read("manifest.json"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split()), manifest, pdf


def test_a_california_opt_out_goes_to_work_unverified_and_ends_with_a_record_of_what_staff_did(
    cast: Cast, celery_worker: Worker, tmp_path: Path
) -> None:
    request = submitted("opt_out", "us-ca", gpc=True)
    wait_for(lambda: in_state(request, State.NEEDS_ATTENTION), celery_worker)
    assert request.verified_at is None
    assert not request.challenges.exists()

    # One task for a person in each system the map says sells, shares or markets; none ran.
    tasks = apply_tasks(request)
    assert list(tasks) == ["newsletter", "payments"]
    assert all(
        (t.action, t.kind, t.state) == (StoreAction.APPLY, "manual", StoreTaskState.MANUAL) for t in tasks.values()
    )
    assert all(t.attempts == 0 and t.queued_at is not None for t in tasks.values())
    payments = tasks["payments"].instructions
    assert payments.startswith("Stop selling or sharing the personal data of pat.doe@example.org held in payments")
    assert "disclosed to: payment processor" in payments and "Global Privacy Control" in payments
    assert "CCPA §1798.120; 11 CCR §7026(f)." in payments
    created = AuditEvent.objects.get(request=request, action="fanout.created")
    assert created.data["tasks"] == 2

    bob = client_for(cast.bob)
    page = bob.get(f"/staff/requests/{request.reference}/").content.decode()
    assert "Record the outcome for payments" in page
    assert "Not applied: a legal ground to continue (name the ground" in page

    # The request cannot be completed while a system has no outcome.
    with pytest.raises(GuardFailed, match=r"payments \(apply the decision\) is waiting for a person"):
        request_complete(request=DataSubjectRequest.objects.get(pk=request.pk), actor=Actor.staff(cast.bob))

    record_outcome(bob, tasks["newsletter"], "done_by_hand", "Added to the suppression list; audience removed")
    wait_for(lambda: in_state(request, State.NEEDS_ATTENTION), celery_worker)
    with pytest.raises(GuardFailed, match="payments"):
        request_complete(request=DataSubjectRequest.objects.get(pk=request.pk), actor=Actor.staff(cast.bob))
    record_outcome(bob, tasks["payments"], "retained", "Card data goes to the processor only to take payment")
    wait_for(lambda: in_state(request, State.COMPLETED), celery_worker)

    bundle = Bundle.objects.get(request=request)
    assert bundle.kind == BundleKind.DECISION_RECORD
    text, manifest, pdf = unzipped(bundle, tmp_path)
    assert "You asked us to opt out of the sale or sharing of your personal data and of targeted advertising" in text
    assert "under the law of United States — California (CCPA/CPRA) (CCPA §1798.120; 11 CCR §7026(f))" in text
    assert f"the law gave us until {request.due_at.day} {request.due_at:%B %Y} to act on it" in text
    assert "newsletter Applied Bob" in text
    assert "payments Not applied: a legal ground to continue Bob" in text
    assert "Card data goes to the processor only to take payment" in text
    assert "We did not apply your decision in every system" in text
    assert "Global Privacy Control" in text and "We honoured it" not in text
    assert manifest["kind"] == "decision_record"
    assert manifest["decision"]["gpc_signal"] is True and manifest["decision"]["gpc_honoured"] is False
    assert manifest["decision"]["due"] == request.due_at.isoformat()
    assert [(o["system"], o["outcome"], o["applied"], o["by"]) for o in manifest["outcomes"]] == [
        ("newsletter", "done_by_hand", True, "Bob"),
        ("payments", "retained", False, "Bob"),
    ]
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 0

    completion = EmailMessage.objects.get(request=request, kind="completion")
    assert "We have finished your request to opt out of the sale or sharing" in completion.body_text
    assert "We applied it in 1 of the 2 systems it concerns." in completion.body_text
    assert "In 1 system we did not apply it" in completion.body_text


@pytest.mark.parametrize(
    ("request_type", "systems"),
    [("restriction", ["newsletter", "payments", "analytics", "support"]), ("objection", ["newsletter", "analytics"])],
)
def test_a_gdpr_decision_is_verified_by_email_then_applied_in_each_affected_system(
    cast: Cast, celery_worker: Worker, tmp_path: Path, request_type: str, systems: list[str]
) -> None:
    request = submitted(request_type, "gdpr")
    assert request.state == State.PENDING_VERIFICATION
    assert not request.store_tasks.exists()
    confirmed_by_email(request)
    wait_for(lambda: in_state(request, State.NEEDS_ATTENTION), celery_worker)
    assert request.verified_at is not None
    tasks = apply_tasks(request)
    assert list(tasks) == systems
    citation = "GDPR Art. 18." if request_type == "restriction" else "GDPR Art. 21."
    assert all(t.instructions.endswith(citation) for t in tasks.values())

    bob = client_for(cast.bob)
    for system, task in tasks.items():
        outcome, note = (
            ("retained", "Kept for the defence of a pending legal claim")
            if system == "newsletter"
            else ("done_by_hand", f"Done in {system}")
        )
        record_outcome(bob, task, outcome, note)
    wait_for(lambda: in_state(request, State.COMPLETED), celery_worker)

    text, manifest, _ = unzipped(Bundle.objects.get(request=request), tmp_path)
    assert "newsletter Not applied: a legal ground to continue" in text
    assert "Kept for the defence of a pending legal claim" in text
    ground = "GDPR Art. 18(2)" if request_type == "restriction" else "compelling legitimate grounds"
    assert ground in text
    assert [o["applied"] for o in manifest["outcomes"]] == [s != "newsletter" for s in systems]
    assert "Global Privacy Control" not in text


def test_an_apply_outcome_without_a_reason_is_refused_and_changes_nothing(cast: Cast, celery_worker: Worker) -> None:
    request = submitted("opt_out", "us-ca")
    wait_for(lambda: in_state(request, State.NEEDS_ATTENTION), celery_worker)
    task = apply_tasks(request)["payments"]
    bob = client_for(cast.bob)
    for outcome in ("retained", "done_by_hand", "not_done"):
        response = record_outcome(bob, task, outcome, "   ")
        assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.outcome, task.resolved_by) == (StoreTaskState.MANUAL, "", "")
    assert not AuditEvent.objects.filter(request=request, action="store_task.resolved").exists()
    # An outcome that is not one for the decision is refused too.
    record_outcome(bob, task, "erased", "Erased")
    task.refresh_from_db()
    assert task.state == StoreTaskState.MANUAL
    assert in_state(request, State.NEEDS_ATTENTION)
    assert not Bundle.objects.filter(request=request).exists()
