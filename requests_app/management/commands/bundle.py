"""``python manage.py bundle REF --output FILE.zip``: write a request's bundle, decrypted (audited)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.models import Bundle, DataSubjectRequest
from requests_app.services.downloads import bundle_open
from requests_app.workflow.audit import Actor, audit_append
from requests_app.workflow.references import reference_normalize


class Command(BaseCommand):
    help = "Write a request's bundle (export, certificate or report) to a file, decrypted; the export is audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--output", "-o", required=True)
        parser.add_argument("--kind", help="access, deletion_certificate or correction_report (default: the only one)")
        parser.add_argument("--by", default="", help="who asks for it, recorded on the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        reference = reference_normalize(options["reference"]) or options["reference"]
        request = DataSubjectRequest.objects.filter(reference=reference).first()
        if request is None:
            raise CommandError(f"No request {reference}")
        stored = Bundle.objects.filter(request=request, purged_at__isnull=True).select_related("request")
        if not stored.exists():
            purged = Bundle.objects.filter(request=request, purged_at__isnull=False).exists()
            why = "its bundle has expired and was deleted" if purged else "nothing has been made for it yet"
            raise CommandError(
                f"Request {reference} ({request.get_state_display().lower()}) has no stored bundle: {why}"
            )
        found = list(stored.filter(kind=options["kind"])) if options["kind"] else list(stored)
        if len(found) != 1:
            kinds = ", ".join(sorted(b.kind for b in stored))
            raise CommandError(
                f"{len(found)} stored bundles of {reference} match (it has: {kinds}); name one with --kind"
            )
        bundle = found[0]
        with bundle_open(bundle) as plain, Path(options["output"]).open("wb") as out:
            shutil.copyfileobj(plain, out, 1024 * 1024)
        audit_append(
            request=bundle.request,
            actor=Actor.system(f"manage.py{':' + options['by'] if options['by'] else ''}"),
            action="bundle.exported_by_staff",
            data={"kind": bundle.kind, "sha256": bundle.sha256},
        )
        self.stdout.write(f"Wrote {bundle.get_kind_display().lower()} of {reference} to {options['output']}")
