"""The access bundle: a streamed, signed ZIP of the subject's data, a PDF report and a README.

Records arrive as one stream, possibly millions long and interleaved across datasets. Each
dataset is spooled to temporary files (JSON Lines and CSV) while only its count and first
records stay in memory; once the stream ends the PDF is rendered, then everything is copied
into the ZIP in chunks, each entry hashed on the way, and a signed manifest closes it.

Fields the data map never discloses (a password hash) are dropped from every record here,
the last gate before the subject's copy, whatever the store sent. Files a person exported
by hand from a system no program reaches go in beside the data files of that system.
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from django.template.loader import render_to_string

from requests_app.fulfilment.bundles.keys import key_id
from requests_app.fulfilment.bundles.manifest import FileEntry, SignedZip
from requests_app.fulfilment.bundles.names import NameRegistry
from requests_app.fulfilment.bundles.report import render_access_report
from requests_app.fulfilment.bundles.spool import DatasetSpool

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from requests_app.fulfilment.bundles.inputs import BundleContext, ManualExport, Records

# A data map has tens of datasets; each open one holds two temporary files.
MAX_DATASETS = 500
PDF_SPOOL_BYTES = 8 << 20


class BundleError(Exception):
    """The bundle could not be written (too many datasets, a record that is not a dict)."""


@dataclass(frozen=True)
class BundleSummary:
    counts: dict[tuple[str, str], int]
    total_records: int
    files: tuple[FileEntry, ...]
    zip_size: int
    key_id: str
    manifest_sha256: str


class _Counter:
    """Count the bytes written to a stream that cannot tell its position (a pipe, a socket)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


class _Spools:
    """The open spool of every (system, dataset) seen so far, with safe unique file names."""

    def __init__(self, context: BundleContext, *, sample_limit: int, tmp_dir: Path | str | None) -> None:
        self._context = context
        self._sample_limit = sample_limit
        self._tmp_dir = tmp_dir
        self._folders = NameRegistry()
        self._stems: dict[str, NameRegistry] = {}
        self.by_key: dict[tuple[str, str], DatasetSpool] = {}
        self.withheld: dict[tuple[str, str], frozenset[str]] = {}
        for system_info in context.systems:
            for dataset_info in system_info.datasets:
                if dataset_info.withheld:
                    names = frozenset(f.name for f in dataset_info.withheld)
                    self.withheld[(system_info.name, dataset_info.name)] = names

    def get(self, system: str, dataset: str, record: dict[str, Any]) -> DatasetSpool:
        spool = self.by_key.get((system, dataset))
        if spool is None:
            spool = self._open(system, dataset, record)
        return spool

    def export_path(self, export: ManualExport) -> str:
        """Where a file exported by hand goes: beside the system's data files, under its own name."""
        folder = self._folders.component(export.system)
        stem = self._stems.setdefault(export.system, NameRegistry()).component(f"exported-by-hand-{export.name}")
        return f"data/{folder}/{stem}"

    def _open(self, system: str, dataset: str, record: dict[str, Any]) -> DatasetSpool:
        if len(self.by_key) >= MAX_DATASETS:
            raise BundleError(f"more than {MAX_DATASETS} datasets in one bundle")
        system_info = self._context.get_system(system)
        dataset_info = system_info.get_dataset(dataset) if system_info else None
        # The data map's fields make a stable CSV header; without them, the first record's keys.
        withheld = self.withheld.get((system, dataset), frozenset())
        header = (
            tuple(f.name for f in dataset_info.fields if f.name not in withheld)
            if dataset_info and dataset_info.fields
            else tuple(str(k) for k in record if k not in withheld)
        )
        spool = DatasetSpool(
            system=system,
            dataset=dataset,
            folder=self._folders.component(system),
            stem=self._stems.setdefault(system, NameRegistry()).component(dataset),
            header=header,
            sample_limit=self._sample_limit,
            tmp_dir=self._tmp_dir,
            withheld=withheld,
        )
        self.by_key[(system, dataset)] = spool
        return spool

    def close(self) -> None:
        for spool in self.by_key.values():
            spool.close()


def _spool_all(records: Records, spools: _Spools) -> int:
    total = 0
    # Records come store by store: the spool of the last one is most often the next one's.
    last: tuple[str, str] | None = None
    add: Any = None
    for system, dataset, record in records:
        if not isinstance(record, dict):
            raise BundleError(f"a record of {system}/{dataset} is a {type(record).__name__}, not a dict")
        if (system, dataset) != last:
            add = spools.get(system, dataset, record).add
            last = (system, dataset)
        add(record)  # the spool drops the fields the data map withholds
        total += 1
    for spool in spools.by_key.values():
        spool.flush()
    return total


def _label(name: str) -> str:
    """Show a name from data on one line of plain text: no control or bidi characters."""
    return "".join(c if c.isprintable() and unicodedata.category(c) != "Cf" else "?" for c in name)[:120]


def _readme(context: BundleContext, spools: list[DatasetSpool], *, created_at: datetime, signer: str) -> bytes:
    text = render_to_string(
        "bundles/readme.txt",
        {
            "ctx": context,
            "spools": [
                {
                    "system_label": _label(s.system),
                    "dataset_label": _label(s.dataset),
                    "count": s.count,
                    "csv_path": s.csv_path,
                    "jsonl_path": s.jsonl_path,
                }
                for s in spools
            ],
            "created_at": created_at,
            "key_id": signer,
        },
    )
    return text.replace("\n", "\r\n").encode("utf-8")  # CRLF: Notepad users read it too


def write_access_bundle(
    out: BinaryIO,
    context: BundleContext,
    records: Records,
    *,
    signing_key: Ed25519PrivateKey,
    pdf_record_limit: int = 50,
    tmp_dir: Path | str | None = None,
    now: datetime | None = None,
    exports: tuple[ManualExport, ...] = (),
) -> BundleSummary:
    """Write the access bundle ZIP for one request to `out` and say what went into it.

    `records` is consumed once. `tmp_dir` holds the spooled datasets while the stream runs
    (the system's temporary folder by default); they are deleted when this returns. If this
    raises, whatever reached `out` is an incomplete, unsigned ZIP: discard it. `exports` are
    files a person exported by hand; each is copied in whole.
    """
    created_at = now or datetime.now(UTC)
    spools = _Spools(context, sample_limit=pdf_record_limit, tmp_dir=tmp_dir)
    try:
        total = _spool_all(records, spools)
        ordered = sorted(spools.by_key.values(), key=lambda s: (s.folder, s.stem))
        placed = [(export, spools.export_path(export)) for export in exports]
        with tempfile.SpooledTemporaryFile(max_size=PDF_SPOOL_BYTES, dir=str(tmp_dir) if tmp_dir else None) as pdf:
            render_access_report(
                pdf,
                context,
                ordered,
                generated_at=created_at,
                record_limit=pdf_record_limit,
                exports={(e.system, path) for e, path in placed},
            )
            return _write_zip(
                out, context, ordered, pdf, signing_key=signing_key, created_at=created_at, total=total, exports=placed
            )
    finally:
        spools.close()


def _write_zip(
    out: BinaryIO,
    context: BundleContext,
    spools: list[DatasetSpool],
    pdf: IO[bytes],
    *,
    signing_key: Ed25519PrivateKey,
    created_at: datetime,
    total: int,
    exports: list[tuple[ManualExport, str]],
) -> BundleSummary:
    try:
        start = out.tell()
        target: BinaryIO | _Counter = out
    except (AttributeError, OSError):
        start, target = 0, _Counter(out)
    bundle = SignedZip(target, created_at=created_at)  # type: ignore[arg-type]
    try:
        bundle.write_bytes("README.txt", _readme(context, spools, created_at=created_at, signer=key_id(signing_key)))
        bundle.copy_file("report.pdf", pdf)
        for spool in spools:
            bundle.copy_hashed(
                spool.jsonl_path, spool.jsonl_file, size=spool.jsonl_size, sha256=spool.jsonl_sha256.hexdigest()
            )
            bundle.copy_hashed(spool.csv_path, spool.csv_file, size=spool.csv_size, sha256=spool.csv_sha256.hexdigest())
        for export, path in exports:
            with export.open() as handle:
                bundle.copy_file(path, handle)
        manifest = bundle.close_signed(signing_key, _manifest_fields(context, spools, exports))
    except BaseException:
        bundle.abort()
        raise
    size = target.size if isinstance(target, _Counter) else out.tell() - start
    return BundleSummary(
        counts={(s.system, s.dataset): s.count for s in spools},
        total_records=total,
        files=tuple(bundle.files),
        zip_size=size,
        key_id=key_id(signing_key),
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
    )


def _manifest_fields(
    context: BundleContext, spools: list[DatasetSpool], exports: list[tuple[ManualExport, str]]
) -> dict[str, Any]:
    """The manifest names each dataset's files, so the original names survive sanitising."""
    return {
        "kind": "access",
        "reference": context.reference,
        "request_type": context.request_type,
        "datamap_version": context.datamap_version,
        "company": context.company_name,
        "datasets": [
            {"system": s.system, "dataset": s.dataset, "records": s.count, "files": [s.jsonl_path, s.csv_path]}
            for s in spools
        ],
        "exported_by_hand": [{"system": e.system, "name": e.name, "file": path} for e, path in exports],
        "withheld_fields": [
            {"system": system.name, "dataset": dataset.name, "field": f.name, "reason": f.withheld_reason}
            for system in context.systems
            for dataset in system.datasets
            for f in dataset.withheld
        ],
    }
