"""Recording the events the outside world hears of (webhooks, DRP status callbacks).

``event_record`` is called by the workflow inside the transaction that makes the change,
and sends the dispatch message only after that transaction commits: an event is never
announced for a change that rolled back, and a lost message is found by the sweeper.

An event no consumer takes (no webhook subscription to its kind, no agent waiting for a
callback) is recorded as dispatched and sends no message: it goes to the consumers there
are when it is recorded. Who consumes is known to the layers above (integrations), which
tell this module at start-up (apps.py); until they have, every event is sent to the
dispatcher, which decides as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app.infra import queue
from requests_app.models import EventKind, RequestEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from requests_app.models import DataSubjectRequest

_consumers: dict[str, Callable[[RequestEvent], bool]] = {}  # "has_consumers": set by apps.py


def event_consumers_known(has_consumers: Callable[[RequestEvent], bool]) -> None:
    """Say how to tell whether anyone takes an event (integrations.dispatch.event_has_consumers)."""
    _consumers["has_consumers"] = has_consumers


def _nobody_takes(event: RequestEvent) -> bool:
    has_consumers = _consumers.get("has_consumers")
    return has_consumers is not None and not has_consumers(event)


def request_snapshot(request: DataSubjectRequest) -> dict[str, Any]:
    """The facts of a request an integration may see: no name, address or free text."""
    return {
        "id": request.reference,
        "type": request.request_type,
        "channel": request.channel,
        "state": request.state,
        "jurisdiction": request.jurisdiction,
        "received_at": request.received_at.isoformat(),
        "due_at": request.due_at.isoformat() if request.due_at else None,
        "extended": request.extended_at is not None,
        "agent_request": request.is_agent_request,
    }


def event_record(
    *, kind: EventKind, request: DataSubjectRequest, data: dict[str, Any] | None = None, unique_key: str = ""
) -> RequestEvent | None:
    """Record one event in the caller's transaction; dispatch it once that commits.

    With ``unique_key``, an event already recorded under that key is not recorded again and
    None is returned: the unique constraint decides, in a savepoint so the caller's
    transaction goes on.
    """
    payload = {"request": request_snapshot(request), **(data or {})}
    event = RequestEvent(kind=kind, request=request, data=payload, unique_key=unique_key)
    if _nobody_takes(event):
        event.dispatched_at = timezone.now()  # handed to every consumer there is: none
    if unique_key:
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            return None
    else:
        with transaction.atomic(savepoint=False):
            event.save()
    if event.dispatched_at is None:
        queue.enqueue_on_commit(queue.DISPATCH_EVENT, event.pk)
    return event
