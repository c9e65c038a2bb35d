"""Memory over many small access bundles built one after another in one process, as a worker does.

A worker child builds one bundle per request for its whole life, so whatever a bundle leaves
behind adds up. This builds N small bundles (10 records per store, a full PDF report each, a
fresh context each time as a request has) in a subprocess and prints its RSS every 50, with
tracemalloc's biggest growth by line between the first checkpoint and the last. Goal: RSS flat
after the warm-up, within 15% of the first checkpoint (``rss_growth``). No database is used.

    python -m bench.benchmarks.memory_growth [N]   one run, a line of text per checkpoint
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
EVERY = 50
GOAL = "<= 0.15"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(count: int, *, trace: bool) -> dict[str, Any]:
    """Build `count` bundles here; report RSS at each checkpoint and what grew the most."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")
    import django

    django.setup()
    from bench.benchmarks.bundle_export import _context, _records
    from requests_app.fulfilment.bundles.keys import generate_signing_key
    from requests_app.fulfilment.bundles.writer import write_access_bundle

    key = generate_signing_key()
    checkpoints: list[dict[str, Any]] = []
    first: tracemalloc.Snapshot | None = None
    top: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as name:
        folder = Path(name)

        def build() -> None:
            with (folder / "bundle.zip").open("wb") as out:
                write_access_bundle(out, _context(), _records(30), signing_key=key, tmp_dir=folder)

        build()  # the first bundle loads fonts and stylesheets: a warm worker has them
        if trace:
            tracemalloc.start(8)
        for index in range(1, count + 1):
            build()
            if index % EVERY == 0 or index == 1:
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0] / 2**20 if trace else 0.0
                checkpoints.append({"bundles": index, "rss_mb": round(_rss_mb(), 1), "traced_mb": round(traced, 2)})
                sys.stderr.write(f"{checkpoints[-1]}\n")  # progress: a traced run is slow
                if trace:
                    snapshot = tracemalloc.take_snapshot()
                    if first is None:
                        first = snapshot
                    else:
                        stats = snapshot.compare_to(first, "lineno")[:8]
                        top = [str(stat) for stat in stats]
    return {"checkpoints": checkpoints, "top_growth": top}


def run(*, quick: bool) -> Iterator[dict[str, Any]]:
    count = 100 if quick else 200
    result = subprocess.run(
        [sys.executable, "-m", "bench.benchmarks.memory_growth", str(count), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    points = data["checkpoints"]
    base, last = points[1] if len(points) > 1 else points[0], points[-1]
    growth = (last["rss_mb"] - base["rss_mb"]) / base["rss_mb"]
    yield {
        "name": "memory_growth",
        "bundles": count,
        "rss_mb_by_bundles": {str(p["bundles"]): p["rss_mb"] for p in points},
        "traced_mb_by_bundles": {str(p["bundles"]): p["traced_mb"] for p in points},
        "top_growth": data["top_growth"][:5],
        "baseline": f"the RSS after {base['bundles']} bundles",
        "rss_growth": round(growth, 3),
        "goal": GOAL,
        "meets_goal": growth <= 0.15,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    as_json = "--json" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--json"]
    report = child(int(args[0]) if args else 200, trace=True)
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        for point in report["checkpoints"]:
            sys.stdout.write(
                f"{point['bundles']:>5} bundles  RSS {point['rss_mb']:7.1f} MB  traced {point['traced_mb']:6.2f} MB\n"
            )
        sys.stdout.write("biggest growth since the first checkpoint:\n")
        for line in report["top_growth"]:
            sys.stdout.write(f"  {line}\n")
