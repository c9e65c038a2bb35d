"""Hand one recorded event to every consumer, once.

Each consumer turns the event into its own rows (a webhook delivery per subscription, a
status callback per agent) under a unique constraint on (consumer, event), so handing the
same event over twice, after a lost message or a crash between the two steps, makes
nothing twice. The event is marked dispatched only after every consumer took it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from requests_app.drp.callbacks import callback_wanted, callbacks_from_event
from requests_app.models import RequestEvent
from requests_app.webhooks.deliveries import subscriptions_wanting, webhook_deliveries_create

if TYPE_CHECKING:
    from collections.abc import Callable

# Each takes the locked event row and writes its own rows in the same transaction.
CONSUMERS: tuple[Callable[[RequestEvent], object], ...] = (webhook_deliveries_create, callbacks_from_event)


def event_has_consumers(event: RequestEvent) -> bool:
    """Whether any consumer takes ``event``: an active webhook subscription to its kind, or an
    agent waiting for a status callback. It is asked as the event is recorded (apps.py hands
    it to workflow.events); an event no consumer takes is recorded as dispatched, with no task."""
    return bool(subscriptions_wanting(event.kind)) or callback_wanted(event)


def event_dispatch(event_pk: int) -> bool:
    """Give event ``event_pk`` to every consumer; False if it is gone or already dispatched."""
    with transaction.atomic():
        event = RequestEvent.objects.select_for_update().filter(pk=event_pk, dispatched_at__isnull=True).first()
        if event is None:
            return False
        for consume in CONSUMERS:
            consume(event)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
    return True
