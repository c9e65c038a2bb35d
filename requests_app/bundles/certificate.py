"""The deletion certificate and the correction report: small signed ZIPs around one PDF.

Both use the access bundle's manifest and signature, so `verify_bundle` checks all three.
They say what was done where, with counts, and never hold the data that was erased or the
old values that were corrected. The manifest repeats the outcomes as data, signed, so a
program can read them too.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.template.loader import render_to_string

from requests_app.bundles.inputs import BundleContext, CorrectionOutcome, ErasureOutcome
from requests_app.bundles.keys import key_id
from requests_app.bundles.manifest import SignedZip
from requests_app.bundles.report import branding_context, render_pdf

# What each erasure action of the data map did, in words the subject reads.
ACTION_LABELS = {
    "delete_row": "deleted",
    "delete": "deleted",
    "null": "emptied",
    "mask": "masked",
    "hash": "replaced by a one-way hash",
    "retain": "kept, as the law requires",
}
STATUS_LABELS = {
    "done": "Done",
    "manual": "Done by hand by our staff",
    "failed": "Not done yet: we are working on it",
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


def write_deletion_certificate(
    out: BinaryIO,
    context: BundleContext,
    outcomes: list[ErasureOutcome],
    *,
    signing_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> None:
    """Write certificate.pdf with its signed manifest as a ZIP: what erasure did, per dataset."""
    rows = [{"outcome": o, "actions": _actions(o), "status": STATUS_LABELS.get(o.status, o.status)} for o in outcomes]
    open_items = [row for row, o in zip(rows, outcomes, strict=True) if o.status != "done"]
    _write_signed_pdf_zip(
        out,
        context,
        document="certificate.pdf",
        template="bundles/certificate.html",
        title=f"Certificate of erasure for request {context.reference}",
        template_context={
            "rows": rows,
            "retained": [o for o in outcomes if o.retained_reasons],
            "open_items": open_items,
            "complete": all(o.status != "failed" for o in outcomes),
        },
        manifest_fields={"kind": "deletion_certificate", "outcomes": [asdict(o) for o in outcomes]},
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
        title=f"Correction report for request {context.reference}",
        template_context={
            "changes": changes,
            "refusals": [(c, field, why) for c in changes for field, why in c.refused],
            "rows_changed": sum(c.rows_changed for c in changes),
        },
        manifest_fields={"kind": "correction_report", "changes": [asdict(c) for c in changes]},
        signing_key=signing_key,
        now=now,
    )
