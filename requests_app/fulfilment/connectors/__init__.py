"""Connectors: one module per kind of data store, one small interface (see `base`).

Use `connector_for(system)` to get the connector for a system of the data map.
"""

from __future__ import annotations

from requests_app.fulfilment.connectors.base import (
    ActionCounts,
    Checkpoint,
    Connector,
    ConnectorError,
    ConnectorPending,
    CorrectionRefused,
    CurrentValues,
    DatasetCounts,
    MemoryCheckpoint,
    Subject,
    ValuesUnreadable,
    hash_value,
)
from requests_app.fulfilment.connectors.registry import connector_for

__all__ = [
    "ActionCounts",
    "Checkpoint",
    "Connector",
    "ConnectorError",
    "ConnectorPending",
    "CorrectionRefused",
    "CurrentValues",
    "DatasetCounts",
    "MemoryCheckpoint",
    "Subject",
    "ValuesUnreadable",
    "connector_for",
    "hash_value",
]
