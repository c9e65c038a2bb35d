"""The daily digest: each person's open requests by urgency, and what waits for them.

Sent once a day per person (the key holds their local date), from ``DSAR_DIGEST_HOUR`` in
``DSAR_TIME_ZONE``: a scan after an outage sends today's digest, never the missed days'.
A person with nothing open and nothing waiting gets none that day (until something comes).
Turned off per person on the staff preferences page. Only references, types and dates:
no subject's name or address goes into a mailbox this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    NEEDS_PERSON_STATES,
    OPEN_STATES,
    DataSubjectRequest,
    Reminder,
    ReminderKind,
    StaffPreference,
    State,
    StoreTask,
)
from requests_app.notifications.emails import absolute_url
from requests_app.reminders.delivery import Recipients, reminder_send
from requests_app.staff.selectors import assignable_users, due_status

if TYPE_CHECKING:
    from datetime import date, datetime

    from django.contrib.auth.models import AbstractBaseUser

# States in which a request waits for a decision or an action by its assignee.
WAITING_FOR_STAFF = (State.VERIFIED, State.AWAITING_APPROVAL, State.NEEDS_ATTENTION)
UNASSIGNED_SHOWN = 10


@dataclass
class DigestLine:
    reference: str
    type: str
    state: str
    due: str
    url: str


@dataclass
class Digest:
    overdue: list[DigestLine] = field(default_factory=list)
    soon: list[DigestLine] = field(default_factory=list)
    later: list[DigestLine] = field(default_factory=list)
    paused: list[DigestLine] = field(default_factory=list)
    waiting: list[DigestLine] = field(default_factory=list)
    stores_waiting: int = 0
    unassigned: list[DigestLine] = field(default_factory=list)
    unassigned_total: int = 0

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.soon or self.later or self.paused or self.waiting or self.unassigned_total)

    @property
    def open_total(self) -> int:
        return len(self.overdue) + len(self.soon) + len(self.later) + len(self.paused)


def _line(request: DataSubjectRequest, today: date) -> DigestLine:
    return DigestLine(
        reference=request.reference,
        type=request.get_request_type_display(),
        state=request.get_state_display(),
        due=f"{due_status(request, today).text} ({request.due_at.isoformat()})",
        url=absolute_url(reverse("staff_request", args=[request.reference])),
    )


@dataclass(frozen=True)
class Unassigned:
    """The unassigned open requests: the same in every person's digest, so read once a scan."""

    lines: list[DigestLine]
    total: int

    @classmethod
    def read(cls, today: date) -> Unassigned:
        unassigned = DataSubjectRequest.objects.filter(assignee__isnull=True, state__in=sorted(OPEN_STATES))
        shown = unassigned.order_by("due_at", "pk")[:UNASSIGNED_SHOWN]
        return cls(lines=[_line(r, today) for r in shown], total=unassigned.count())


def digest_for(user: AbstractBaseUser, today: date, unassigned: Unassigned) -> Digest:
    digest = Digest(unassigned=unassigned.lines, unassigned_total=unassigned.total)
    mine = DataSubjectRequest.objects.filter(assignee_id=user.pk, state__in=sorted(OPEN_STATES)).order_by(
        "due_at", "pk"
    )
    for request in mine:
        line = _line(request, today)
        getattr(digest, due_status(request, today).level).append(line)
        if request.state in WAITING_FOR_STAFF:
            digest.waiting.append(line)
    digest.stores_waiting = StoreTask.objects.filter(
        request__assignee_id=user.pk, request__state__in=sorted(OPEN_STATES), state__in=NEEDS_PERSON_STATES
    ).count()
    return digest


def digests_send(now: datetime) -> int:
    """Send today's digest to each person who wants one, once, from the configured hour."""
    local = timezone.localtime(now)
    if local.hour < settings.DSAR_DIGEST_HOUR:
        return 0
    today = local.date()
    opted_out = set(StaffPreference.objects.filter(daily_digest=False).values_list("user_id", flat=True))
    people = [u for u in assignable_users() if u.email and u.pk not in opted_out]
    keys = {user.pk: f"digest:{user.pk}:{today.isoformat()}" for user in people}
    sent = set(Reminder.objects.filter(key__in=list(keys.values())).values_list("key", flat=True))
    due = [user for user in people if keys[user.pk] not in sent]
    if not due:
        return 0
    unassigned = Unassigned.read(today)
    count = 0
    for user in due:
        digest = digest_for(user, today, unassigned)
        if digest.empty:
            continue
        context = {
            "digest": digest,
            "person": user,
            "today": today,
            "queue_url": absolute_url(reverse("staff_queue")),
            "preferences_url": absolute_url(reverse("staff_preferences")),
        }
        recipients = Recipients(addresses=[user.email], label="person", user=user, names=[user.get_username()])
        if reminder_send(
            key=keys[user.pk],
            kind=ReminderKind.DIGEST,
            now=now,
            recipients=recipients,
            email_kind="digest",
            context=context,
        ):
            count += 1
    return count
