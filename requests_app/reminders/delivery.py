"""Send one reminder once: the unique row first, the email and the audit event with it.

The row, the queued email and the audit event are written in one transaction. Of two scans
that reach the same occasion at the same moment, the second one's insert of the same key
fails (PostgreSQL makes it wait for the first transaction, then refuses it), so it sends
nothing; if the first one rolls back, the second one's insert goes through and it sends.
No cache and no ``exists()`` check decides this, only the constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction

from requests_app.models import DataSubjectRequest, Reminder, ReminderKind
from requests_app.notifications.emails import staff_notify
from requests_app.staff.selectors import assignable_users
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser

ACTOR = Actor.system("reminders")


@dataclass(frozen=True)
class Recipients:
    """Where a reminder goes, and how the audit trail names them (no addresses in it)."""

    addresses: list[str]
    label: str
    user: AbstractBaseUser | None = None
    names: list[str] = field(default_factory=list)


def team_recipients() -> Recipients:
    """DSAR_TEAM_EMAIL, or else every active member of the team with an address."""
    if settings.DSAR_TEAM_EMAIL:
        return Recipients(addresses=[settings.DSAR_TEAM_EMAIL], label="team")
    people = [user for user in assignable_users() if user.email]
    return Recipients(
        addresses=sorted({user.email for user in people}), label="team", names=[u.get_username() for u in people]
    )


def request_recipients(request: DataSubjectRequest) -> Recipients:
    """The assignee, while they are active and have an address; the team otherwise."""
    assignee = request.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return Recipients(addresses=[assignee.email], label="assignee", user=assignee, names=[assignee.get_username()])
    return team_recipients()


def _already_sent(key: str) -> bool:
    return Reminder.objects.filter(key=key).exists()


def reminder_send(
    *,
    key: str,
    kind: ReminderKind,
    now: datetime,
    recipients: Recipients,
    email_kind: str,
    context: dict[str, Any],
    request: DataSubjectRequest | None = None,
    send: Callable[[], object] | None = None,
) -> bool:
    """Record the occasion ``key`` and queue its email, once; return False if it was sent before.

    ``send`` replaces the staff email (the subject's verification reminder queues its own).
    With nobody to send to, the occasion is still recorded, and the audit trail says that
    no email went, and why, instead of pretending one did.
    """
    try:
        with transaction.atomic():
            Reminder.objects.create(
                key=key,
                kind=kind,
                request=request,
                user_id=recipients.user.pk if recipients.user is not None else None,
                recipients=recipients.addresses,
                created_at=now,
            )
            if send is not None:
                send()
            elif recipients.addresses:
                staff_notify(kind=email_kind, to=recipients.addresses, context=context, request=request)
            if request is not None:
                _audit(request, kind=kind, key=key, recipients=recipients, sent=bool(recipients.addresses or send))
    except IntegrityError:
        if _already_sent(key):
            return False
        raise
    return True


def _audit(request: DataSubjectRequest, *, kind: str, key: str, recipients: Recipients, sent: bool) -> None:
    data = {"kind": kind, "occasion": key, "to": recipients.label, "people": recipients.names}
    if sent:
        audit_append(request=request, actor=ACTOR, action="reminder.sent", data=data)
    else:
        audit_append(
            request=request,
            actor=ACTOR,
            action="reminder.not_sent",
            reason="Nobody to send it to: no assignee, no DSAR_TEAM_EMAIL and no team member with an address",
            data=data,
        )
