"""Finishing a request once every store is done: build what the subject receives, then complete.

An access request gets its bundle, streamed straight from the connectors into the ZIP (the
application keeps counts and metadata, never the subject's records); a deletion its
certificate of erasure; a correction its report. The ZIP is encrypted at rest and recorded
as a ``Bundle`` once per request and kind, so a repeated task builds nothing twice.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app import bundle_keys, deadlines, services
from requests_app.audit import Actor, audit_append
from requests_app.bundles.certificate import write_correction_report, write_deletion_certificate
from requests_app.bundles.crypto import encrypt_stream
from requests_app.bundles.inputs import (
    Branding,
    BundleContext,
    CorrectionOutcome,
    DatasetInfo,
    ErasureOutcome,
    FieldInfo,
    SystemInfo,
)
from requests_app.bundles.writer import write_access_bundle
from requests_app.connectors import ActionCounts, Subject, connector_for
from requests_app.datamap.schema import DataMap
from requests_app.datamap.store import datamap_of
from requests_app.models import (
    Bundle,
    BundleKind,
    DataSubjectRequest,
    RequestType,
    State,
    StoreAction,
    StoreTask,
    StoreTaskState,
)
from requests_app.notifications import absolute_url

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("fulfilment")
KIND_OF = {
    RequestType.ACCESS: BundleKind.ACCESS,
    RequestType.DELETION: BundleKind.DELETION_CERTIFICATE,
    RequestType.CORRECTION: BundleKind.CORRECTION_REPORT,
}
PUBLIC_KEY_PATH = "/.well-known/dsar-bundle-signing-key.pem"


def request_fulfil(request_pk: int) -> Bundle | None:
    """Build the request's bundle (once) and complete the request; safe to run again."""
    request = DataSubjectRequest.objects.select_related("datamap_version").filter(pk=request_pk).first()
    if request is None or request.state != State.IN_PROGRESS or request.fulfilled_at is None:
        return None
    kind = KIND_OF[RequestType(request.request_type)]
    bundle = Bundle.objects.filter(request=request, kind=kind).first() or _build(request, kind)
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state == State.IN_PROGRESS:
            services.request_complete(request=locked, actor=SYSTEM)
    return bundle


def _build(request: DataSubjectRequest, kind: str) -> Bundle:
    assert request.datamap_version is not None  # noqa: S101 - set when the store tasks were created
    datamap = datamap_of(request.datamap_version)
    context = bundle_context(request, datamap)
    key = bundle_keys.signing_key()
    with tempfile.TemporaryDirectory(prefix="dsar-bundle-") as folder:
        plain, sealed = Path(folder) / "bundle.zip", Path(folder) / "bundle.enc"
        counts: dict[str, Any] = {}
        records = 0
        with plain.open("wb") as out:
            if kind == BundleKind.ACCESS:
                summary = write_access_bundle(
                    out,
                    context,
                    _records(request, datamap),
                    signing_key=key,
                    pdf_record_limit=settings.DSAR_REPORT_RECORD_LIMIT,
                    tmp_dir=folder,
                )
                counts = {f"{system}.{dataset}": n for (system, dataset), n in summary.counts.items()}
                records = summary.total_records
            elif kind == BundleKind.DELETION_CERTIFICATE:
                write_deletion_certificate(out, context, erasure_outcomes(request), signing_key=key)
            else:
                write_correction_report(out, context, correction_outcomes(request), signing_key=key)
        digest = _sha256(plain)
        with plain.open("rb") as src, sealed.open("wb") as dst:
            encrypt_stream(src, dst, bundle_keys.encryption_key())
        return _record(request, kind, sealed, plain.stat().st_size, digest, counts, records)


def _record(
    request: DataSubjectRequest, kind: str, sealed: Path, size: int, digest: str, counts: dict[str, Any], records: int
) -> Bundle:
    bundle = Bundle(
        request=request,
        kind=kind,
        size=size,
        sha256=digest,
        records=records,
        counts=counts,
        expires_at=timezone.now() + timedelta(days=settings.DSAR_BUNDLE_EXPIRY_DAYS),
        max_downloads=settings.DSAR_BUNDLE_MAX_DOWNLOADS,
    )
    with sealed.open("rb") as handle:
        bundle.file.save(f"{request.reference}-{kind}-{digest[:12]}.zip.enc", File(handle), save=False)
    try:
        with transaction.atomic():
            bundle.save()
            audit_append(
                request=request,
                actor=SYSTEM,
                action="bundle.built",
                data={"kind": kind, "sha256": digest, "size": size, "records": records},
            )
    except IntegrityError:
        # Another worker recorded it first: keep theirs, drop our copy.
        bundle.file.delete(save=False)
        return Bundle.objects.get(request=request, kind=kind)
    return bundle


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _subject(request: DataSubjectRequest) -> Subject:
    subject = Subject.from_dict({"email": [request.subject_email]})
    for identifiers in StoreTask.objects.filter(
        request=request, action=StoreAction.RESOLVE, state=StoreTaskState.DONE
    ).values_list("identifiers", flat=True):
        subject = subject.merged(identifiers)
    return subject


def _records(request: DataSubjectRequest, datamap: DataMap) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every record of the subject, store by store, straight from the connectors."""
    subject = _subject(request)
    for system in datamap.systems:
        if system.kind == "manual":
            continue
        with connector_for(system) as connector:
            for dataset, record in connector.export(subject):
                yield system.name, dataset, record


def erasure_outcomes(request: DataSubjectRequest) -> list[ErasureOutcome]:
    outcomes = []
    for task in StoreTask.objects.filter(request=request, action=StoreAction.ERASE).order_by("step", "id"):
        counts = ActionCounts.from_dict(task.counts)
        if task.kind == "manual" or not counts.datasets:
            note = f"Done by hand: {task.note}" if task.note else ""
            outcomes.append(ErasureOutcome(task.system, "-", {}, status="done" if task.note else "manual", note=note))
            continue
        for name, c in counts.datasets.items():
            actions = {
                "deleted": c.deleted,
                "nulled": c.nulled,
                "masked": c.masked,
                "hashed": c.hashed,
                "retained": c.retained,
            }
            outcomes.append(
                ErasureOutcome(
                    task.system,
                    name,
                    {k: v for k, v in actions.items() if v},
                    retained_reasons=tuple(dict.fromkeys(c.retained_reasons.values())),
                    status="done" if task.state == StoreTaskState.DONE else "failed",
                )
            )
    return outcomes


def correction_outcomes(request: DataSubjectRequest) -> list[CorrectionOutcome]:
    outcomes = []
    for task in StoreTask.objects.filter(request=request, action=StoreAction.CORRECT).order_by("step", "id"):
        wanted = request.corrections.get(task.system, {})
        counts = ActionCounts.from_dict(task.counts)
        for dataset, fields in wanted.items():
            changed = counts.datasets.get(dataset)
            rows = changed.corrected if changed else 0
            refused = () if task.state == StoreTaskState.DONE else tuple((f, task.error[:200]) for f in fields)
            outcomes.append(CorrectionOutcome(task.system, dataset, tuple(fields), rows, refused=refused))
    return outcomes


def bundle_context(request: DataSubjectRequest, datamap: DataMap) -> BundleContext:
    """What the report says: who asked and when, and the data map it was answered with."""
    return BundleContext(
        reference=request.reference,
        request_type=request.request_type,
        subject_name=request.subject_name,
        subject_email=request.subject_email,
        received_at=request.received_at,
        completed_at=timezone.now(),
        jurisdiction_name=deadlines.get_rule(request.jurisdiction).name,
        company_name=settings.DSAR_COMPANY_NAME,
        company_address=settings.DSAR_COMPANY_ADDRESS,
        contact_email=settings.DSAR_REPLY_TO_EMAIL,
        supervisory_authority=settings.DSAR_SUPERVISORY_AUTHORITY,
        datamap_version=f"{datamap.version} ({datamap.digest[:12]})",
        systems=tuple(_system_info(s) for s in datamap.systems),
        automated_decision_making=settings.DSAR_AUTOMATED_DECISIONS,
        transfer_safeguards=settings.DSAR_TRANSFER_SAFEGUARDS,
        branding=Branding(company_name=settings.DSAR_COMPANY_NAME),
        public_key_url=absolute_url(PUBLIC_KEY_PATH),
    )


def _system_info(system: Any) -> SystemInfo:
    return SystemInfo(
        name=system.name,
        description=system.description,
        kind=system.kind,
        datasets=tuple(
            DatasetInfo(
                name=d.name,
                description=d.description,
                fields=tuple(
                    FieldInfo(
                        name=f.name,
                        category=f.category,
                        purpose=f.purpose,
                        legal_basis=f.legal_basis,
                        recipients=tuple(f.recipients),
                        retention=f.retention,
                        source=f.source,
                        erasure=f.erasure,
                        erasure_reason=f.erasure_reason,
                    )
                    for f in d.fields
                ),
            )
            for d in system.datasets
        ),
    )


def bundles_purge(now: Any = None) -> int:
    """Delete the files of expired bundles (the record and its audit trail stay)."""
    now = now or timezone.now()
    purged = 0
    for bundle in Bundle.objects.filter(purged_at__isnull=True, expires_at__lte=now).select_related("request"):
        with transaction.atomic():
            if not Bundle.objects.filter(pk=bundle.pk, purged_at__isnull=True).update(purged_at=now):
                continue
            audit_append(request=bundle.request, actor=SYSTEM, action="bundle.purged", data={"kind": bundle.kind})
            transaction.on_commit(functools.partial(bundle.file.storage.delete, bundle.file.name))
        purged += 1
    return purged
