"""The reminder scan: every kind of reminder and alert, each sent once (beat, every 15 minutes),
and the due-soon events webhooks and agents hear of, each recorded once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from requests_app.reminders.alerts import store_alerts_send
from requests_app.reminders.deadlines import deadline_reminders_send
from requests_app.reminders.digest import digests_send
from requests_app.reminders.due_soon import due_soon_events_record
from requests_app.reminders.requester import verification_reminders_send

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class ScanResult:
    deadlines: int
    verifications: int
    alerts: int
    digests: int
    due_soon: int

    def as_dict(self) -> dict[str, int]:
        return {
            "deadlines": self.deadlines,
            "verifications": self.verifications,
            "alerts": self.alerts,
            "digests": self.digests,
            "due_soon": self.due_soon,
        }


def reminders_send(*, now: datetime | None = None) -> ScanResult:
    """Send every reminder and alert that is due at ``now`` and has not gone out."""
    now = now or timezone.now()
    return ScanResult(
        deadlines=deadline_reminders_send(now),
        verifications=verification_reminders_send(now),
        alerts=store_alerts_send(now),
        digests=digests_send(now),
        due_soon=due_soon_events_record(now),
    )
