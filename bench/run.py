#!/usr/bin/env python
"""Run the benchmarks and print one JSON object a line.

    python bench/run.py [--quick] [--only NAME ...]

Each benchmark compares the application against a baseline (the same work done the
simplest way) and prints: ``name``, its figures with their units in the key names,
``baseline``, ``ratio``, ``goal`` (such as ``">= 0.5"``) and ``meets_goal``. The database
and broker are those the environment names (``make bench`` starts the loopback PostgreSQL
and Redis); the benchmarks run in a throwaway database created for the run and dropped after.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", default=[], help="run only these benchmarks (module names)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    from bench import benchmarks

    names = [m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_")]
    selected = [n for n in names if not args.only or n in args.only]
    unknown = set(args.only) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; known: {names}")

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        for name in selected:
            module = importlib.import_module(f"bench.benchmarks.{name}")
            for result in module.run(quick=args.quick):
                sys.stdout.write(json.dumps(result) + "\n")
                sys.stdout.flush()  # each figure as soon as it is measured

    finally:
        teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
