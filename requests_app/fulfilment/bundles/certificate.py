"""The deletion certificate, the correction report and the record of a decision: small signed
ZIPs around one PDF.

All three use the access bundle's manifest and signature, so `verify_bundle` checks all three.
They say what was done where, with counts, how each store was searched, what a person did
(and who), and which recipients were told. The certificate never holds the erased data; the
correction report shows the corrected fields' values before and after, as the subject may
see them (a never-disclosed field shows neither). The manifest repeats the outcomes as
data, signed, so a program can read them too.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from requests_app.fulfilment.bundles.keys import key_id
from requests_app.fulfilment.bundles.manifest import SignedZip
from requests_app.fulfilment.bundles.report import branding_context, render_pdf

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from requests_app.fulfilment.bundles.inputs import (
        BundleContext,
        CorrectionOutcome,
        Decision,
        DecisionOutcome,
        ErasureOutcome,
    )

# What each erasure action of the data map did, in the words the table, its legend and the
# "kept" section all use: one word (or phrase) per action.
ACTION_LABELS = {
    "delete_row": _("deleted"),
    "delete": _("deleted"),
    "null": _("emptied"),
    "mask": _("masked"),
    "hash": _("replaced by a one-way hash"),
    "retain": _("kept"),
}


def _actions(outcome: ErasureOutcome) -> list[str]:
    return [f"{count} {ACTION_LABELS.get(action, action)}" for action, count in outcome.action_counts.items() if count]


def _write_signed_pdf_zip(
    out: BinaryIO,
    context: BundleContext,
    *,
    document: str,
    template: str,
    title: str,
    template_context: dict[str, Any],
    manifest_fields: dict[str, Any],
    signing_key: Ed25519PrivateKey,
    now: datetime | None,
) -> None:
    created_at = now or datetime.now(UTC)
    page_context = {"ctx": context, "brand": branding_context(context.branding), "generated_at": created_at}
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as pdf:
        render_pdf(template, {**page_context, **template_context, "title": title}, pdf)
        readme = render_to_string(
            "bundles/readme.txt",
            {"ctx": context, "document": document, "created_at": created_at, "key_id": key_id(signing_key)},
        )
        bundle = SignedZip(out, created_at=created_at)
        try:
            bundle.write_bytes("README.txt", readme.replace("\n", "\r\n").encode("utf-8"))
            bundle.copy_file(document, pdf)
            bundle.close_signed(
                signing_key,
                {
                    "reference": context.reference,
                    "request_type": context.request_type,
                    "datamap_version": context.datamap_version,
                    "company": context.company_name,
                    **manifest_fields,
                },
            )
        except BaseException:
            bundle.abort()
            raise


def _record_context(context: BundleContext) -> dict[str, Any]:
    """The record of the search, what people did, and the recipients, for the templates."""
    searched = {r.system for r in context.records_of("resolve")}
    # A system no program searches (a manual one) has no search of its own for a deletion or
    # a correction: its erasure or correction is where it was searched.
    searches = [r for r in context.store_records if r.action == "resolve" or r.system not in searched]
    return {
        "searches": searches,
        "by_hand": [r for r in context.store_records if r.by_hand],
        "recipients": context.recipients,
    }


def _plain(record: Any) -> dict[str, Any]:
    """A record as JSON-able data (times and days in ISO 8601)."""
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in asdict(record).items()}


def _record_manifest(context: BundleContext) -> dict[str, Any]:
    return {
        "record_of_search": [_plain(r) for r in context.store_records],
        "recipients": [_plain(r) for r in context.recipients],
    }


def write_deletion_certificate(
    out: BinaryIO,
    context: BundleContext,
    outcomes: list[ErasureOutcome],
    *,
    signing_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> None:
    """Write certificate.pdf with its signed manifest as a ZIP: what erasure did, per dataset."""
    rows = [{"outcome": o, "actions": _actions(o)} for o in outcomes]
    _write_signed_pdf_zip(
        out,
        context,
        document="certificate.pdf",
        template="bundles/certificate.html",
        title=str(_("Certificate of erasure for request %(reference)s") % {"reference": context.reference}),
        template_context={
            "rows": rows,
            "labels": ACTION_LABELS,
            "retained": [o for o in outcomes if o.retained_reasons],
            "complete": all(o.done for o in outcomes),
            **_record_context(context),
        },
        manifest_fields={
            "kind": "deletion_certificate",
            "outcomes": [asdict(o) for o in outcomes],
            **_record_manifest(context),
        },
        signing_key=signing_key,
        now=now,
    )


def write_correction_report(
    out: BinaryIO,
    context: BundleContext,
    changes: list[CorrectionOutcome],
    *,
    signing_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> None:
    """Write correction-report.pdf with its signed manifest as a ZIP: what changed and what could not."""
    _write_signed_pdf_zip(
        out,
        context,
        document="correction-report.pdf",
        template="bundles/correction.html",
        title=str(_("Correction report for request %(reference)s") % {"reference": context.reference}),
        template_context={
            # A change refused when the correction was approved went to no store: it is only
            # among what we could not change, with the reason staff gave.
            "changes": [c for c in changes if not c.refused_at_review],
            "refusals": [(c, field, why) for c in changes for field, why in c.refused],
            "rows_changed": sum(c.rows_changed for c in changes),
            **_record_context(context),
        },
        manifest_fields={
            "kind": "correction_report",
            "changes": [asdict(c) for c in changes],
            **_record_manifest(context),
        },
        signing_key=signing_key,
        now=now,
    )


# Why a system may keep processing after the decision, by decision: what the law allows, so
# the subject reads the ground beside the reason staff recorded.
LEGAL_GROUNDS = {
    "objection": _(
        "GDPR Art. 21(1) lets us continue only where we demonstrate compelling legitimate grounds for "
        "the processing which override your interests, rights and freedoms, or where it is needed to "
        "establish, exercise or defend legal claims. Processing for direct marketing always stops (Art. 21(3))."
    ),
    "restriction": _(
        "GDPR Art. 18(2): data whose processing is restricted may, apart from being stored, be processed "
        "only with your consent, to establish, exercise or defend legal claims, to protect the rights of "
        "another person, or for reasons of important public interest."
    ),
    "opt_out": _("The law lets a business continue only for the purposes it sets out; the ground we rely on is given."),
    "limit": _(
        "The law lets a business keep using sensitive personal information for the purposes its "
        "regulations allow (11 CCR §7027(m)); the ground we rely on is given."
    ),
}


def write_decision_record(
    out: BinaryIO,
    context: BundleContext,
    decision: Decision,
    outcomes: list[DecisionOutcome],
    *,
    signing_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> None:
    """Write decision-record.pdf with its signed manifest as a ZIP: the decision, system by system.

    A system is said to have applied the decision only where its outcome is "done by hand";
    a legal ground to continue, or work not done, is said with the reason staff recorded.
    """
    not_applied = [o for o in outcomes if o.outcome in ("retained", "not_done")]
    applied = [o for o in outcomes if o.applied]
    # The signal was honoured when the opt-out it is was applied wherever it applies.
    gpc_honoured = decision.gpc_signal and decision.request_type == "opt_out" and not not_applied and bool(applied)
    _write_signed_pdf_zip(
        out,
        context,
        document="decision-record.pdf",
        template="bundles/decision.html",
        title=str(_("Record of the decision for request %(reference)s") % {"reference": context.reference}),
        template_context={
            "decision": decision,
            "outcomes": outcomes,
            "applied": applied,
            "no_data": [o for o in outcomes if o.outcome == "no_data"],
            "not_applied": not_applied,
            "kept": [o for o in outcomes if o.outcome == "retained"],
            "legal_ground": str(LEGAL_GROUNDS[decision.request_type]),
            "gpc_honoured": gpc_honoured,
            "request_label": decision.asked[:1].upper() + decision.asked[1:],
        },
        manifest_fields={
            "kind": "decision_record",
            "decision": {
                **_plain(decision),
                "received_at": context.received_at.isoformat(),
                "gpc_honoured": gpc_honoured,
            },
            "outcomes": [_plain(o) for o in outcomes],
        },
        signing_key=signing_key,
        now=now,
    )
