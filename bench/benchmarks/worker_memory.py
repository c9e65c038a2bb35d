"""A real worker's children over 1,000 small access requests in a row: does their memory level off?

The estate benchmark's customer database (``users`` and ``prompts``, 10 prompts a user),
one real worker (prefork, concurrency 2), and 1,000 access requests (``--quick``: 200),
each completed with its bundle, sent in waves of 20 as a privacy team's day brings them.
After every tenth of them each child's RSS and the tree's PSS are read.

- ``worker_memory_flat``: each child's RSS at the end against its RSS after the first tenth
  (100 requests; by then the caches of the first requests have filled). Goal: within ±15% (issue
  17: "a worker handling 1,000 requests in a row keeps its children's RSS flat"). A child
  that the pool replaced is named: its successor starts again from nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection

from bench.benchmarks._common import ThrowawayDatabase
from bench.benchmarks.estate import (
    MIB,
    STAFF,
    URL_ENV,
    Sizes,
    _children_rss_mib,
    _estate_map,
    _fill,
    _pss_bytes,
    _submitted,
    _tree,
    _wait_completed,
    _Worker,
    loadavg,
    user_email,
)
from dsar.celery import app as celery_app
from requests_app.fulfilment.datamap_versions import datamap_import

if TYPE_CHECKING:
    from collections.abc import Iterator

WAVE = 20
CHECKPOINTS = 10
GOAL_SHARE = 0.15


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        raise RuntimeError("the worker memory benchmark runs on PostgreSQL (make bench)")
    requests = 200 if quick else 1000
    queue = f"dsar-bench-memory-{uuid.uuid4().hex[:8]}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        with (
            ThrowawayDatabase("dsar_bench_memory") as sql_url,
            tempfile.TemporaryDirectory(prefix="dsar-bench-memory-") as folder,
        ):
            os.environ[URL_ENV] = sql_url
            _fill(sql_url, Sizes(users=requests, rows_per_user=10, heavy_rows=10, repeats=0))
            datamap_import(_estate_map(), actor=STAFF)
            worker = _Worker(queue, Path(folder), sql_url)
            try:
                worker.wait_ready()
                yield _measure(worker, requests)
            finally:
                worker.stop()
            os.environ.pop(URL_ENV, None)
    finally:
        celery_app.control.purge()
        celery_app.conf.task_default_queue = default_queue


def _measure(worker: _Worker, requests: int) -> dict[str, Any]:
    load_start, started = loadavg(), time.perf_counter()
    check_every = requests // CHECKPOINTS
    checkpoints: list[dict[str, Any]] = [_checkpoint(worker, 0)]
    for first in range(0, requests, WAVE):
        began = {_submitted(user_email(index), "access"): time.perf_counter() for index in range(first, first + WAVE)}
        _wait_completed(began)
        if (first + WAVE) % check_every == 0:
            checkpoints.append(_checkpoint(worker, first + WAVE))
    growth, replaced, flat = flat_verdict(checkpoints[1]["children_rss_mib"], checkpoints[-1]["children_rss_mib"])
    return {
        "name": "worker_memory_flat",
        "requests": requests,
        "seconds": round(time.perf_counter() - started, 1),
        "checkpoints": checkpoints,
        "children_growth_after_first_tenth": growth,
        "children_replaced": replaced,
        "baseline": f"each child's RSS after the first {check_every} requests",
        "ratio": max((abs(share) for share in growth.values()), default=None),
        "goal": f"every child within ±{GOAL_SHARE:.0%} of it, none replaced",
        "meets_goal": flat,
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
    }


def flat_verdict(warmed: dict[str, float], end: dict[str, float]) -> tuple[dict[str, float], list[str], bool]:
    """Each child's growth from ``warmed`` to ``end`` (RSS by pid), the children not there at
    ``warmed`` (the pool replaced one), and whether every child stayed within the goal."""
    growth = {pid: round(end[pid] / warmed[pid] - 1, 3) for pid in end if pid in warmed}
    replaced = sorted(set(end) - set(warmed))
    flat = bool(growth) and not replaced and all(abs(share) <= GOAL_SHARE for share in growth.values())
    return growth, replaced, flat


def _checkpoint(worker: _Worker, done: int) -> dict[str, Any]:
    pids = _tree(worker.process.pid)
    return {
        "requests_done": done,
        "children_rss_mib": _children_rss_mib(worker.process.pid),
        "tree_pss_mib": round(sum(_pss_bytes(pid) for pid in pids) / MIB, 1),
    }
