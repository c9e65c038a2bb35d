"""Waiting for a real worker, and reading what it sent."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Worker

# An upper bound for work done by another process, not a timing assertion.
WAIT_SECONDS = 60


def wait_for(condition: Callable[[], bool], worker: Worker) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the Celery worker exited:\n{worker.log.read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"the worker did not finish within {WAIT_SECONDS} s:\n{worker.log.read_text()[-3000:]}")


def sent_mail(mail_dir: Path) -> list[EmailMessage]:
    """Every message Django's file backend wrote, oldest first."""
    messages: list[EmailMessage] = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                parsed = message_from_bytes(chunk.strip() + b"\n", policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                messages.append(parsed)
    return messages


def mail_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    return [m for m in sent_mail(mail_dir) if address in str(m["To"])] if mail_dir.exists() else []


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())
