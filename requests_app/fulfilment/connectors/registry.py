"""Which connector serves which kind of system.

The one module that knows every kind; each kind's module imports only ``base`` (and the data
map), so there is no cycle between the kinds and the interface.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from requests_app.fulfilment.connectors.base import Connector, ConnectorError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from requests_app.datamap.schema import System


def connector_for(system: System, *, environ: Mapping[str, str] = os.environ) -> Connector:
    """Return the connector for the system's kind, reading its settings from `environ`."""
    # Imported here so that using one kind does not import every other kind's client library.
    if system.kind == "sql":
        from requests_app.fulfilment.connectors.sql import SqlConnector

        return SqlConnector(system, environ=environ)
    if system.kind == "redis":
        from requests_app.fulfilment.connectors.redis_store import RedisConnector

        return RedisConnector(system, environ=environ)
    if system.kind == "http":
        from requests_app.fulfilment.connectors.http_processor import HttpProcessorConnector

        return HttpProcessorConnector(system, environ=environ)
    if system.kind == "manual":
        from requests_app.fulfilment.connectors.manual import ManualConnector

        return ManualConnector(system)
    raise ConnectorError(f"unknown kind {system.kind!r}", transient=False, system=system.name)
