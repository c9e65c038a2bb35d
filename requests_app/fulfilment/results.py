"""Finishing a request once every store is done: build what the subject receives, then complete.

An access request gets its bundle, streamed straight from the connectors into the ZIP (the
application keeps counts and metadata, never the subject's records); a deletion its
certificate of erasure; a correction its report; a decision (opt-out, limit, restriction,
objection) the record of what was done in each system it affects. The ZIP is encrypted at rest and recorded
as a ``Bundle`` once per request and kind, so a repeated task builds nothing twice.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from requests_app.errors import GuardFailed
from requests_app.fulfilment import bundle_keys, decisions, evidence, recipients
from requests_app.fulfilment.bundles.certificate import (
    write_correction_report,
    write_decision_record,
    write_deletion_certificate,
)
from requests_app.fulfilment.bundles.crypto import encrypt_stream
from requests_app.fulfilment.bundles.inputs import (
    BundleContext,
    CorrectionOutcome,
    Decision,
    DecisionOutcome,
    ErasureOutcome,
    FieldChange,
    ManualExport,
    RecipientRecord,
    StoreRecord,
    company_facts,
)
from requests_app.fulfilment.bundles.writer import write_access_bundle
from requests_app.fulfilment.connectors import ActionCounts, Subject, connector_for
from requests_app.fulfilment.datamap_versions import datamap_of
from requests_app.infra import queue
from requests_app.laws import deadlines
from requests_app.models import (
    DECISION_TYPES,
    OUTCOME_STATES,
    OUTCOME_WORDS,
    RESULT_KIND,
    Bundle,
    BundleKind,
    DataSubjectRequest,
    RequestType,
    State,
    StoreAction,
    StoreOutcome,
    StoreTask,
    StoreTaskState,
)
from requests_app.notifications.emails import absolute_url, notify
from requests_app.verification import challenges as verification
from requests_app.workflow.audit import Actor, audit_append, audit_open
from requests_app.workflow.law_of_request import appeal_offer
from requests_app.workflow.transitions import transition

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from requests_app.datamap.schema import DataMap, Dataset
    from requests_app.fulfilment.connectors import DatasetCounts

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("fulfilment")
PUBLIC_KEY_PATH = "/.well-known/dsar-bundle-signing-key.pem"
# The audit event that records the changes staff refused when approving a correction.
CORRECTIONS_REFUSED = "request.corrections_refused"


def request_fulfil(request_pk: int) -> Bundle | None:
    """Build the request's bundle (once) and complete the request; safe to run again."""
    request = DataSubjectRequest.objects.select_related("datamap_version").filter(pk=request_pk).first()
    if request is None or request.state != State.IN_PROGRESS or request.fulfilled_at is None:
        return None
    kind = RESULT_KIND[RequestType(request.request_type)]
    bundle = Bundle.objects.filter(request=request, kind=kind).first() or _build(request, kind)
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state == State.IN_PROGRESS:
            request_complete(request=locked, actor=SYSTEM)
    return bundle


def request_complete(*, request: DataSubjectRequest, actor: Actor, reason: str = "") -> DataSubjectRequest:
    """Close a fulfilled request and point the subject to the result on their status page.

    The workflow refuses unless every store task has an outcome and the result exists, or,
    for a request that never reached a store, ``reason`` says why (the subject is told it).
    """
    with transaction.atomic():
        transition(request, State.COMPLETED, actor, reason=reason)
        not_done = request.store_tasks.filter(state=StoreTaskState.RESOLVED, outcome=StoreOutcome.NOT_DONE)
        decision = decision_summary(request) if request.request_type in DECISION_TYPES else None
        notify(
            request=request,
            kind="completion",
            to=request.subject_email,
            context={
                "status_url": verification.status_url(request),
                "partly": not_done.exists()
                or bool(decision and decision["not_applied"])
                or bool(request.request_type == RequestType.CORRECTION and review_refusals(request)),
                "completion_note": request.completion_note,
                "decision": decision,
                "appeal": appeal_offer(request),
            },
        )
    return request


def fulfilment_failed(request_pk: int, error: str) -> None:
    """The result could not be made after every retry: the request waits for a person."""
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().filter(pk=request_pk).first()
        if request is None or request.state != State.IN_PROGRESS or request.bundles.exists():
            return
        kind = RESULT_KIND[RequestType(request.request_type)]
        transition(
            request, State.NEEDS_ATTENTION, SYSTEM, reason=f"The {kind.label.lower()} could not be made: {error[:500]}"
        )


def result_retry(*, request: DataSubjectRequest, actor: Actor) -> DataSubjectRequest:
    """Staff try making the result again, once what stopped it is fixed."""
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if not result_can_be_retried(locked):
            raise GuardFailed(f"Request {locked.reference} has no result to make again")
        transition(locked, State.IN_PROGRESS, actor, reason="Make the result again")
        queue.enqueue_on_commit(queue.FULFIL_REQUEST, locked.pk)
    request.refresh_from_db()
    return request


def result_can_be_retried(request: DataSubjectRequest) -> bool:
    """Every store has its outcome, yet the result is missing (its making failed)."""
    return (
        request.state == State.NEEDS_ATTENTION
        and request.fulfilled_at is not None
        and not request.bundles.exists()
        and not request.store_tasks.exclude(state__in=OUTCOME_STATES).exists()
    )


def _build(request: DataSubjectRequest, kind: str) -> Bundle:
    assert request.datamap_version is not None  # noqa: S101 - set when the store tasks were created
    datamap = datamap_of(request.datamap_version)
    tasks = list(StoreTask.objects.filter(request=request).order_by("step", "id"))
    # The documents speak the requester's language: headings, outcomes and dates.
    with translation.override(request.language):
        context = bundle_context(request, datamap, tasks)
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
                        _records(request, datamap, tasks),
                        signing_key=key,
                        pdf_record_limit=settings.DSAR_REPORT_RECORD_LIMIT,
                        tmp_dir=folder,
                        exports=manual_exports(tasks),
                    )
                    counts = {f"{system}.{dataset}": n for (system, dataset), n in summary.counts.items()}
                    records = summary.total_records
                elif kind == BundleKind.DELETION_CERTIFICATE:
                    write_deletion_certificate(out, context, erasure_outcomes(tasks), signing_key=key)
                elif kind == BundleKind.DECISION_RECORD:
                    write_decision_record(out, context, decision_of(request), decision_outcomes(tasks), signing_key=key)
                else:
                    write_correction_report(out, context, correction_outcomes(request, datamap, tasks), signing_key=key)
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


def _subject(tasks: list[StoreTask], email: str) -> Subject:
    subject = Subject.from_dict({"email": [email]})
    for task in tasks:
        if task.action == StoreAction.RESOLVE and task.state == StoreTaskState.DONE:
            subject = subject.merged(task.identifiers)
    return subject


def _searched_by_program(task: StoreTask) -> bool:
    return task.state == StoreTaskState.DONE and not task.not_searched


def _records(
    request: DataSubjectRequest, datamap: DataMap, tasks: list[StoreTask]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every record of the subject, store by store, straight from the connectors.

    Only the stores a program searched are read again: one no program reaches, one that was
    not searched, and one whose outcome a person recorded are exported by hand or not at all.
    """
    subject = _subject(tasks, request.subject_email)
    searched = {t.system for t in tasks if t.action == StoreAction.RESOLVE and _searched_by_program(t)}
    for system in datamap.systems:
        if system.kind == "manual" or system.name not in searched:
            continue
        with connector_for(system) as connector:
            for dataset, record in connector.export(subject):
                yield system.name, dataset, record


def manual_exports(tasks: list[StoreTask]) -> tuple[ManualExport, ...]:
    """The files people exported by hand for an access request, to go into the bundle."""
    return tuple(
        ManualExport(
            system=task.system,
            name=task.attachment_name or "export",
            open=functools.partial(evidence.evidence_open, task),
        )
        for task in tasks
        if task.action == StoreAction.RESOLVE
        and task.state == StoreTaskState.RESOLVED
        and task.outcome == StoreOutcome.DONE_BY_HAND
        and task.attachment
    )


VALUES_SHOWN = 3


def _searched_with(task: StoreTask) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The identifiers a store was searched with, a few values each ("and 4 more")."""
    result = []
    for name, values in (task.searched_with or {}).items():
        shown = tuple(str(v) for v in values[:VALUES_SHOWN])
        if len(values) > VALUES_SHOWN:
            shown += (f"and {len(values) - VALUES_SHOWN} more",)
        result.append((str(name), shown))
    return tuple(result)


def store_record(task: StoreTask) -> StoreRecord:
    """One line of the record of the search, from a task that has an outcome."""
    resolved = task.state == StoreTaskState.RESOLVED
    if task.not_searched:
        note = f"we hold no {task.missing_identifiers} for you, which is what this system is searched by"
    else:
        note = task.note if resolved else ""
    return StoreRecord(
        system=task.system,
        action=task.action,
        words=task.outcome_words,
        done=not task.not_searched and not (resolved and task.outcome == StoreOutcome.NOT_DONE),
        searched_with=_searched_with(task),
        found=tuple((str(d), int(n)) for d, n in (task.counts.get("found") or {}).items()) if not resolved else (),
        by=(task.resolved_by or str(_("a member of our staff"))) if resolved else "",
        at=task.finished_at if resolved else None,
        note=note,
        evidence=task.attachment_name if resolved else "",
    )


def store_records(tasks: list[StoreTask]) -> tuple[StoreRecord, ...]:
    return tuple(store_record(t) for t in tasks if t.action != StoreAction.NOTIFY and t.has_outcome)


def recipient_records(
    request: DataSubjectRequest, datamap: DataMap, tasks: list[StoreTask]
) -> tuple[RecipientRecord, ...]:
    """Each recipient of data that was erased or corrected, and what came of telling it."""
    notices = recipients.recipients_to_tell(datamap, tasks, request.corrections)
    by_recipient = {t.recipient.casefold(): t for t in tasks if t.action == StoreAction.NOTIFY}
    second = {t.system: t for t in tasks if t.action in (StoreAction.ERASE, StoreAction.CORRECT)}
    records = []
    for notice in notices.values():
        if notice.told_by_system:
            through = second.get(notice.told_by_system)
            words = through.outcome_words if through else "Told"
            records.append(
                RecipientRecord(
                    notice.recipient, tuple(notice.fields), words, done=bool(through and _done(through)),
                    told_by_system=notice.told_by_system,
                )
            )  # fmt: skip
            continue
        task = by_recipient.get(notice.recipient.casefold())
        if task is None or not task.has_outcome:
            continue
        records.append(
            RecipientRecord(
                notice.recipient,
                tuple(notice.fields),
                task.outcome_words,
                done=task.outcome != StoreOutcome.NOT_DONE,
                by=task.resolved_by or "a member of our staff",
                at=task.finished_at,
                note=task.note,
            )
        )
    return tuple(records)


def _done(task: StoreTask) -> bool:
    return task.has_outcome and not (task.state == StoreTaskState.RESOLVED and task.outcome == StoreOutcome.NOT_DONE)


def erasure_outcomes(tasks: list[StoreTask]) -> list[ErasureOutcome]:
    """What erasure did, per dataset where a program did it, per system where a person decided."""
    outcomes = []
    for task in tasks:
        if task.action != StoreAction.ERASE:
            continue
        if task.state == StoreTaskState.RESOLVED or task.not_searched:
            record = store_record(task)
            outcomes.append(
                ErasureOutcome(
                    task.system, "-", {}, words=record.words, done=_done(task), note=record.note, by=record.by
                )
            )
            continue
        counts = ActionCounts.from_dict(task.counts)
        for name, c in counts.datasets.items():
            actions = {
                "deleted": c.deleted,
                "nulled": c.nulled,
                "masked": c.masked,
                "hashed": c.hashed,
                "retained": c.retained,
            }
            done = {ERASURE_ACTION_OF[k]: v for k, v in actions.items() if v}
            outcomes.append(
                ErasureOutcome(
                    task.system,
                    name,
                    done,
                    retained_reasons=tuple(dict.fromkeys(c.retained_reasons.values())) if c.retained else (),
                    words=_erasure_words(c.changes, c.retained, task.outcome_words),
                    # A processor carries out the erasure itself and may not say how much it held:
                    # that is not "nothing found".
                    note=str(PROCESSOR_NOTE) if task.kind == "http" and not done else "",
                )
            )
    return outcomes


PROCESSOR_NOTE = _("Erased by the processor, which does not report how many records it held")


def _erasure_words(changed: int, kept: int, erased: str) -> str:
    """The outcome of one dataset's erasure: what the counts say, in the records' words."""
    if not changed and kept:
        return str(OUTCOME_WORDS[StoreAction.ERASE][StoreOutcome.RETAINED])
    return erased


# The data map's erasure action behind each count a connector reports.
ERASURE_ACTION_OF = {
    "deleted": "delete_row",
    "nulled": "null",
    "masked": "mask",
    "hashed": "hash",
    "retained": "retain",
}


def correction_outcomes(
    request: DataSubjectRequest, datamap: DataMap, tasks: list[StoreTask]
) -> list[CorrectionOutcome]:
    """What each approved change did: the field's values before (as far as known) and now."""
    outcomes = []
    for task in tasks:
        if task.action != StoreAction.CORRECT:
            continue
        wanted = request.corrections.get(task.system, {})
        counts = ActionCounts.from_dict(task.counts)
        system = datamap.get_system(task.system)
        resolved = task.state == StoreTaskState.RESOLVED
        for dataset_name, fields in wanted.items():
            dataset = system.get_dataset(dataset_name) if system else None
            changed = counts.datasets.get(dataset_name)
            rows = changed.corrected if changed and not resolved else 0
            refused: tuple[tuple[str, str], ...] = ()
            if not _done(task) or task.not_searched:
                why = task.note if resolved else store_record(task).note
                refused = tuple((f, why) for f in fields)
            outcomes.append(
                CorrectionOutcome(
                    task.system,
                    dataset_name,
                    tuple(fields),
                    rows,
                    refused=refused,
                    changes=tuple(
                        _field_change(dataset, name, value, changed, resolved=resolved)
                        for name, value in fields.items()
                    ),
                    words=task.outcome_words,
                    by=task.resolved_by if resolved else "",
                    note=task.note if resolved else "",
                )
            )
    return outcomes + review_refusals(request)


def review_refusals(request: DataSubjectRequest) -> list[CorrectionOutcome]:
    """The changes staff refused when approving the correction, each with the reason given.

    Read from the approval's audit event, where they are sealed with the request's key: once
    the retention rule removes the key, the reasons are gone and only the fields remain.
    """
    event = request.audit_events.filter(action=CORRECTIONS_REFUSED).order_by("-seq").first()
    if event is None:
        return []
    opened = audit_open(event)
    refused = opened.personal.get("refused") or {}
    outcomes = []
    for system, datasets in refused.items():
        for dataset, fields in datasets.items():
            outcomes.append(
                CorrectionOutcome(
                    system,
                    dataset,
                    (),
                    0,
                    refused=tuple((str(name), str(reason)) for name, reason in fields.items()),
                    words="Refused",
                    refused_at_review=True,
                )
            )
    return outcomes


def decision_of(request: DataSubjectRequest) -> Decision:
    """What the subject asked for, under which law and provision, and by when."""
    rule = deadlines.rule_of(request)
    return Decision(
        request_type=request.request_type,
        asked=str(decisions.ASKED[request.request_type]),
        law=rule.label,
        citation=decisions.decision_citation(request.request_type, rule),
        due=request.due_at,
        gpc_signal=request.gpc_signal,
    )


def decision_outcomes(tasks: list[StoreTask]) -> list[DecisionOutcome]:
    """Each system's outcome for the decision, as a person recorded it.

    Applied only where the outcome is "done by hand": nothing else reads as applied.
    """
    outcomes = []
    for task in tasks:
        if task.action != StoreAction.APPLY or not task.has_outcome:
            continue
        resolved = task.state == StoreTaskState.RESOLVED
        outcome = task.outcome if resolved else StoreOutcome.NOT_DONE
        outcomes.append(
            DecisionOutcome(
                system=task.system,
                outcome=str(outcome),
                words=task.outcome_words if resolved else str(OUTCOME_WORDS[StoreAction.APPLY][StoreOutcome.NOT_DONE]),
                applied=resolved and task.outcome == StoreOutcome.DONE_BY_HAND,
                by=(task.resolved_by or str(_("a member of our staff"))) if resolved else "",
                at=task.finished_at if resolved else None,
                note=task.note if resolved else "",
                evidence=task.attachment_name if resolved else "",
            )
        )
    return outcomes


def decision_summary(request: DataSubjectRequest) -> dict[str, Any]:
    """How the decision went, counted by system, for the completion email."""
    outcomes = decision_outcomes(list(request.store_tasks.order_by("step", "id")))
    return {
        "asked": str(decisions.ASKED[request.request_type]),
        "systems": len(outcomes),
        "applied": sum(1 for o in outcomes if o.applied),
        "no_data": sum(1 for o in outcomes if o.outcome == StoreOutcome.NO_DATA),
        "kept": sum(1 for o in outcomes if o.outcome == StoreOutcome.RETAINED),
        "not_applied": sum(1 for o in outcomes if o.outcome in (StoreOutcome.RETAINED, StoreOutcome.NOT_DONE)),
        "gpc": request.gpc_signal and request.request_type == RequestType.OPT_OUT,
    }


def _field_change(
    dataset: Dataset | None, name: str, value: object, counts: DatasetCounts | None, *, resolved: bool
) -> FieldChange:
    data_field = dataset.get_field(name) if dataset else None
    if data_field is not None and data_field.withheld:
        return FieldChange(name, (), "", withheld_reason=data_field.disclose_reason)
    was = tuple(counts.previous.get(name, ())) if counts is not None and not resolved else ()
    return FieldChange(name, was, str(value))


def bundle_context(
    request: DataSubjectRequest, datamap: DataMap, tasks: list[StoreTask] | None = None
) -> BundleContext:
    """What the report says: who asked and when, the data map it was answered with, and the
    record of the search (how each store was searched, what a person did, who was told)."""
    tasks = tasks if tasks is not None else list(StoreTask.objects.filter(request=request).order_by("step", "id"))
    return BundleContext(
        reference=request.reference,
        request_type=request.request_type,
        subject_name=request.subject_name,
        subject_email=request.subject_email,
        received_at=request.received_at,
        completed_at=timezone.now(),
        jurisdiction_name=deadlines.rule_of(request).name,
        datamap_version=f"{datamap.version} ({datamap.digest[:12]})",
        systems=datamap.systems,
        **company_facts(),
        public_key_url=absolute_url(PUBLIC_KEY_PATH),
        store_records=store_records(tasks),
        recipients=recipient_records(request, datamap, tasks),
        language=request.language,
        request_type_label=str(request.get_request_type_display()),
    )


def bundles_purge(now: datetime | None = None) -> int:
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
