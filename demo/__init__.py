"""The demo estate: a fictional company's stores (SQL, Redis, an HTTP processor), its data
map, and the commands that fill them for the quick start (`make demo`) and the tests.

A Django app of its own, outside the product's `requests_app`, and installed only outside
production (``dsar/settings.py``): nothing of the product imports it (a contract in
pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

DEMO_DATAMAP_PATH = Path(__file__).resolve().parent / "datamap.yaml"
