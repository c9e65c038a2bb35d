"""Celery tasks: thin shells that take ids, call one service, and let Celery retry.

Tasks are enqueued with ``transaction.on_commit`` by the services that create their work,
never from inside an open transaction (a worker could run before the data it needs exists).
"""

from __future__ import annotations

import smtplib

from celery import Task, shared_task
from celery.signals import worker_init, worker_process_init
from django.db import OperationalError
from django.utils import timezone

from requests_app.drp import callbacks as drp_callbacks
from requests_app.fulfilment import fanout
from requests_app.fulfilment import results as fulfilment
from requests_app.fulfilment.connectors import ConnectorError
from requests_app.fulfilment.warmup import worker_warm
from requests_app.infra import queue
from requests_app.intake import mailbox, pipeline
from requests_app.integrations import dispatch
from requests_app.models import StoreTask
from requests_app.notifications import emails as notifications
from requests_app.reminders import scan as reminders
from requests_app.services import outbox, retention, second_factor
from requests_app.services import requests as services
from requests_app.webhooks import deliveries as webhooks


def warm_worker_child(**_: object) -> None:
    """Each pool process loads what its first request needs as it starts (fulfilment/warmup.py).

    Pool processes only, never the prefork parent: Pango and Fontconfig are best not loaded
    before a fork. Celery sends this signal in each prefork child, and in the solo pool's one
    process (the tests' worker) as its pool starts.
    """
    worker_warm()


@worker_init.connect
def connect_child_warming(**_: object) -> None:
    """Have each child warm itself as it starts, after Celery's Django fixup has run there.

    Celery calls a signal's receivers in the order they were connected. The fixup connects
    its child-start receiver (which drops the database connections a child inherited from
    its parent) when the worker starts; connecting ours now, at the same moment but later,
    puts it after, so warming never reads the data map through the parent's connection.
    """
    worker_process_init.connect(warm_worker_child, dispatch_uid="dsar-warm-worker-child")


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def close_unverified_requests() -> int:
    """Close requests whose subject did not verify within the window (beat, every 15 minutes)."""
    return services.requests_close_unverified()


@shared_task(
    bind=True,
    autoretry_for=(OSError, smtplib.SMTPException, OperationalError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_email_message(self: Task[[int], bool], message_pk: int) -> bool:
    """Send one recorded email (queued by notifications.notify after commit).

    A failed attempt goes back to the queue (retried here with backoff, and by the sweeper
    if this message is lost); after ``DSAR_EMAIL_MAX_ATTEMPTS`` it is recorded as failed.
    """
    return notifications.email_send(message_pk)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def advance_request(request_pk: int) -> None:
    """Queue a request's next store tasks, or record that all are done."""
    fanout.request_advance(request_pk)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def run_store_task(self: Task[[int], None], task_pk: int) -> None:
    """Run one store task; a transient connector failure comes back after its backoff.

    The attempt count and the delay live on the task row (fanout decides them), so a
    retry survives a restart of the worker: the sweeper sends it again if this message is lost.
    """
    try:
        fanout.store_task_run(task_pk)
    except ConnectorError as error:
        delay = StoreTask.objects.filter(pk=task_pk).values_list("next_attempt_at", flat=True).first()
        countdown = max(0.0, (delay - timezone.now()).total_seconds()) if delay else 0.0
        raise self.retry(countdown=countdown, max_retries=None, exc=error) from error


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def dispatch_request_event(event_pk: int) -> None:
    """Turn one recorded event into its webhook deliveries and agent callbacks."""
    dispatch.event_dispatch(event_pk)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def send_drp_callback(self: Task[[int], str], callback_pk: int) -> str:
    """Send one status callback to a DRP agent; one it did not take comes back after its backoff.

    The attempts and the next attempt's time live on the callback row, so the sweeper sends a
    callback again if this message is lost or the worker restarts.
    """
    try:
        return drp_callbacks.callback_send(callback_pk)
    except drp_callbacks.CallbackRetry as retry:
        raise self.retry(countdown=retry.delay, max_retries=None, exc=retry) from retry


# A retry due within this many seconds waits in the worker (a countdown); a later one is
# left to the sweeper, since Redis hands a message held longer than its visibility timeout
# to a second worker.
WEBHOOK_COUNTDOWN_LIMIT = 600


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def deliver_webhook(self: Task[[int], None], delivery_pk: int) -> None:
    """Make the next attempt of one webhook delivery; a failed one comes back after its backoff.

    The attempt count and the time of the next attempt live on the delivery row, so a retry
    survives a restart of the worker: the sweeper sends it again if this message is lost.
    """
    retry_at = webhooks.webhook_deliver(delivery_pk)
    if retry_at is None:
        return
    countdown = max(0.0, (retry_at - timezone.now()).total_seconds())
    if countdown <= WEBHOOK_COUNTDOWN_LIMIT:
        raise self.retry(countdown=countdown, max_retries=None)


@shared_task
def sweep_webhook_deliveries() -> int:
    """Send again the webhook deliveries that are due and whose message may be lost (beat, every minute)."""
    return webhooks.webhook_deliveries_sweep()


@shared_task
def sweep_outbox() -> dict[str, int]:
    """Send again the work a lost broker message left undone (beat, every minute)."""
    return outbox.outbox_sweep()


@shared_task
def sweep_store_tasks() -> dict[str, int]:
    """Find work a lost message or a dead worker left behind (beat, every minute)."""
    return fanout.store_tasks_sweep()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=10)
def process_inbound_email(message_pk: int) -> None:
    """Understand one stored inbound email (queued when it was stored)."""
    pipeline.email_process(message_pk)


@shared_task
def poll_mailbox() -> int:
    """Fetch new mail from the configured IMAP folder (beat, every minute; nothing if unset)."""
    if not mailbox.mailbox_configured():
        return 0
    stored = mailbox.mailbox_poll(mailbox.mailbox_settings())
    for pk in pipeline.unprocessed():
        queue.enqueue_now(queue.PROCESS_INBOUND_EMAIL, pk)
    return stored


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def check_second_factor(request_pk: int) -> bool | None:
    """Compare the detail a subject gave with the one on file (policy email+fact)."""
    return second_factor.request_check_second_factor(request_pk)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, ConnectorError, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=6,
)
def fulfil_request(self: Task[[int], None], request_pk: int) -> None:
    """Build the bundle or certificate of a request whose stores are all done, and complete it.

    After the last retry the request waits for a person, saying why: it never stays "in
    progress" with nothing happening.
    """
    try:
        fulfilment.request_fulfil(request_pk)
    except (ConnectorError, OSError) as error:
        if self.request.retries >= (self.max_retries or 0):
            fulfilment.fulfilment_failed(request_pk, f"{type(error).__name__}: {error}")
            return
        raise


@shared_task
def purge_expired_bundles() -> int:
    """Delete expired bundles' files (beat, hourly); their records and audit events stay."""
    return fulfilment.bundles_purge()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_reminders() -> dict[str, int]:
    """Send the reminders and alerts that are due, each once (beat, every 15 minutes)."""
    return reminders.reminders_send().as_dict()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def minimise_closed_requests() -> int:
    """Remove the personal data of requests closed longer than the retention period (beat, daily)."""
    return len(retention.requests_minimise())
