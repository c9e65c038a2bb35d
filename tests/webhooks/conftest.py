"""Fixtures of the webhook tests: a real receiver on loopback, allowed explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.webhooks.receiver import Receiver

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def outbound(settings: Any) -> Any:
    """Let deliveries reach the test receiver: plain http, and loopback explicitly allowed."""
    settings.DSAR_OUTBOUND_ALLOW_HTTP = True
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DSAR_WEBHOOK_TIMEOUT_SECONDS = 5
    settings.DSAR_WEBHOOK_MAX_ATTEMPTS = 10
    settings.DSAR_WEBHOOK_DISABLE_AFTER = 5
    settings.DSAR_TEAM_EMAIL = "privacy-team@example.com"
    return settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
