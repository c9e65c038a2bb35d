"""Inbound messages per second through ``ingest_email``'s code path.

Each message is stored (raw bytes and hash, deduplicated), parsed, found to be a new
access request, recorded with its audit event, and answered with a verification email
(rendered and recorded, its Celery message queued). The baseline stores the same raw bytes
as a file and a row and does nothing else. The goal: understanding a message costs at
most twenty times storing it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import connection, transaction

from bench.benchmarks._common import meets, rate
from dsar.celery import app as celery_app
from requests_app.intake.pipeline import email_process, email_receive
from requests_app.models import Direction, EmailMessage, EmailStatus

if TYPE_CHECKING:
    from collections.abc import Iterator

GOAL = ">= 0.05"
QUEUE = "dsar-bench"


def _message(index: int, kind: str) -> bytes:
    return (
        f"From: Person {index} <{kind}{index}@example.org>\r\nTo: privacy@example.com\r\n"
        f"Subject: PRIVACY POLICY request\r\nMessage-ID: <{kind}-{index}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hello, please send me a copy of all the personal data you hold about me.\r\nThanks\r\n"
    ).encode()


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    count = 100 if quick else 1000
    celery_app.conf.task_default_queue = QUEUE

    def ingest(index: int) -> None:
        with transaction.atomic():
            message, _ = email_receive(_message(index, "ingest"), source="bench")
        email_process(message.pk)

    def bare(index: int) -> None:
        raw = _message(index, "bare")
        digest = hashlib.sha256(raw).hexdigest()
        row = EmailMessage(direction=Direction.INBOUND, status=EmailStatus.RECEIVED, sha256=digest, message_id=digest)
        row.raw.save(f"bench/{digest}.eml", ContentFile(raw), save=False)
        row.save()

    try:
        for index in range(10):
            ingest(count + index)
            bare(count + index)
        ingest_rate = rate(count, ingest)
        bare_rate = rate(count, bare)
    finally:
        celery_app.control.purge()
    ratio = ingest_rate / bare_rate
    yield {
        "name": "email_ingest",
        "database": connection.vendor,
        "messages": count,
        "messages_per_s": round(ingest_rate, 1),
        "bare_stores_per_s": round(bare_rate, 1),
        "baseline": "storing the raw message as a file and a row, nothing else",
        "ratio": round(ratio, 4),
        "goal": GOAL,
        "meets_goal": meets(ratio, GOAL),
    }
