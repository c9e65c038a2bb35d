"""The data map: which systems hold personal data, how a subject is found, what erasure does.

Public interface: `load_datamap(dict)`, `load_datamap_file(path)`, `dump_datamap`, `waves`,
`datamap_digest` (also `DataMap.digest`), the dataclasses and `DataMapError`.
"""

from __future__ import annotations

from pathlib import Path

from requests_app.datamap.schema import (
    CATEGORIES,
    ERASURE_ACTIONS,
    KINDS,
    DataMap,
    DataMapError,
    Dataset,
    Derivation,
    Field,
    System,
    Transfer,
    datamap_digest,
    dump_datamap,
    waves,
)
from requests_app.datamap.validate import load_datamap


def load_datamap_file(path: str | Path) -> DataMap:
    """Return the data map in the YAML file at `path` (PyYAML's safe loader)."""
    import yaml  # Imported here: only reading a map from a file needs PyYAML.

    name = Path(path).name
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataMapError([f"(file {name}): not UTF-8 text (byte {exc.start})"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataMapError([f"(file {name}): not valid YAML: {exc}"]) from exc
    except (ValueError, TypeError) as exc:
        # A tagged or dated value PyYAML cannot build: "2026-02-30", "!!int abc".
        raise DataMapError([f"(file {name}): a value cannot be read: {exc}"]) from exc
    except RecursionError as exc:
        raise DataMapError([f"(file {name}): nested too deeply to read"]) from exc
    return load_datamap(data)


__all__ = [
    "CATEGORIES",
    "ERASURE_ACTIONS",
    "KINDS",
    "DataMap",
    "DataMapError",
    "Dataset",
    "Derivation",
    "Field",
    "System",
    "Transfer",
    "datamap_digest",
    "dump_datamap",
    "load_datamap",
    "load_datamap_file",
    "waves",
]
