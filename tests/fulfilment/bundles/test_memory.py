"""Memory stays bounded however many records stream through the bundle writer.

Size bounds, not timings: tracemalloc counts the Python allocations made while records go
through write_access_bundle, PDF rendering included. Holding the 200,000 records of this test
in a list would take about 60 MB by itself; the writer's peak (about 30 MB, most of it
WeasyPrint laying out the report) must stay under a fixed bound and must not grow with the
number of records.
"""

from __future__ import annotations

import tracemalloc
from typing import TYPE_CHECKING, Any

from requests_app.fulfilment.bundles.keys import generate_signing_key
from requests_app.fulfilment.bundles.verify import verify_bundle
from requests_app.fulfilment.bundles.writer import BundleSummary, write_access_bundle
from tests.bundle_data import RESERVED_DATASET, make_context

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

RECORDS = 200_000
BOUND_BYTES = 64 * 1024 * 1024
GROWTH_BYTES = 4 * 1024 * 1024


def _records(count: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for index in range(count):
        if index % 3 == 0:
            yield "accounts", "api_requests", {"id": index, "path": f"/v1/things/{index}", "ip": "203.0.113.7"}
        elif index % 3 == 1:
            yield "sessions", RESERVED_DATASET, {"key": f"session:{index}", "ip": "198.51.100.2"}
        else:
            yield "accounts", "users", {"id": index, "email": "zoya@example.org", "name": "Зоя"}


def _traced_peak(path: Path, key: Ed25519PrivateKey, count: int) -> tuple[int, BundleSummary]:
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            summary = write_access_bundle(out, make_context(), _records(count), signing_key=key)
        return tracemalloc.get_traced_memory()[1], summary
    finally:
        tracemalloc.stop()


def test_streaming_200k_records_stays_under_a_fixed_memory_bound(tmp_path):
    key = generate_signing_key()
    # Warm up once, so module imports and font caches are not counted as the stream's memory.
    _traced_peak(tmp_path / "warm.zip", key, 10)

    small_peak, _ = _traced_peak(tmp_path / "small.zip", key, RECORDS // 10)
    peak, summary = _traced_peak(tmp_path / "big.zip", key, RECORDS)

    assert summary.total_records == RECORDS
    assert peak < BOUND_BYTES, f"peak {peak / 2**20:.1f} MiB"
    assert peak < small_peak + GROWTH_BYTES, f"{small_peak / 2**20:.1f} MiB for 20k, {peak / 2**20:.1f} for 200k"
    assert verify_bundle(tmp_path / "big.zip", key.public_key()).ok
