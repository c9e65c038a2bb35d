"""``python manage.py verify_audit``: check the audit trail's hash chain from its first event."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from requests_app.workflow.audit import audit_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain. Prints 'OK <n> events' and exits 0, "
        "or names the first broken event and exits 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"OK {report.events} events")
            return
        self.stderr.write(f"BROKEN at event #{report.broken_seq}: {report.problem}")
        self.stderr.write(f"{report.events} events verified before it")
        sys.exit(1)
