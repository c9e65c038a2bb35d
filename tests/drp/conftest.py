from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.drp.agent import BUSINESS_ID, Receiver, SigningAgent, receiver_running

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test import Client


@pytest.fixture(autouse=True)
def drp_settings(settings: Any) -> Any:
    settings.DSAR_DRP_BUSINESS_ID = BUSINESS_ID
    settings.DSAR_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DSAR_OUTBOUND_ALLOW_HTTP = True
    return settings


@pytest.fixture
def alpha(db: None, client: Client) -> SigningAgent:
    return SigningAgent("ALPHA_AGENT").register().set_up(client)


@pytest.fixture
def beta(db: None, client: Client) -> SigningAgent:
    return SigningAgent("BETA_AGENT").register().set_up(client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiver_running()
