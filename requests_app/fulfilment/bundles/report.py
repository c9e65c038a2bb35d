"""The PDF documents: the access report, and the shared rendering for every bundle PDF.

WeasyPrint renders a Django template. It fetches nothing but data: URIs, so no value from a
data store can make the renderer read a local file or call a URL (the logo is inlined).
The output is tagged PDF/UA-1 with a title and language, so screen readers can read it and
the headings give the PDF its outline.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from requests_app.fulfilment.bundles import rendering
from requests_app.fulfilment.bundles.disclosures import disclosures_build
from requests_app.fulfilment.bundles.inputs import Branding, BundleContext, StoreRecord
from requests_app.fulfilment.bundles.spool import DatasetSpool, displayable

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from weasyprint import CSS
    from weasyprint.document import Document

    from requests_app.datamap.schema import Field

COLUMNS_PER_TABLE = 6  # more columns than this are split into several tables of one record set
NUMBER_WIDTH = 5  # percent of the width for the record number column
MIN_WEIGHT, MAX_WEIGHT, CELL_PADDING = 3, 40, 3  # in characters
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


@dataclass(frozen=True)
class RecordTable:
    columns: tuple[str, ...]
    widths: tuple[str, ...]  # CSS percentages, one per column, after the record number's
    rows: tuple[tuple[str, ...], ...]  # the first cell is the record's number


@dataclass(frozen=True)
class DatasetSection:
    name: str
    description: str
    count: int
    fields: tuple[Field, ...]
    tables: tuple[RecordTable, ...]
    shown: int
    jsonl_path: str
    csv_path: str

    @property
    def more(self) -> int:
        return self.count - self.shown

    @property
    def withheld(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.withheld)


@dataclass(frozen=True)
class SystemSection:
    name: str
    description: str
    kind: str
    datasets: tuple[DatasetSection, ...]
    record: StoreRecord | None = None  # how the system was searched (None: no record given)
    exports: tuple[str, ...] = ()  # files exported by hand, as paths inside the bundle

    @property
    def count(self) -> int:
        return sum(d.count for d in self.datasets)

    @property
    def searched(self) -> bool:
        """Whether the system was searched, by a program or by a person (no record: assumed so)."""
        return self.record is None or self.record.done


def _weight(column: str, sample: Sequence[dict[str, str]]) -> int:
    """A column's share: its typical text length (80th percentile, so one long value does
    not take the page), at least its heading's, plus room for the cell's padding."""
    lengths = sorted(len(record.get(column, "")) for record in sample)
    typical = lengths[int(len(lengths) * 0.8)] if lengths else 0
    return min(MAX_WEIGHT, max(MIN_WEIGHT, len(column), typical) + CELL_PADDING)


def _widths(columns: Sequence[str], sample: Sequence[dict[str, str]]) -> tuple[str, ...]:
    """Share the page between columns by how long their texts are, within limits.

    Fixed table layout with these widths keeps a single long value from squeezing every
    other column to one letter, as automatic layout does; long values wrap in their cell.
    """
    weights = [_weight(column, sample) for column in columns]
    total = sum(weights) or 1
    return tuple(f"{(100 - NUMBER_WIDTH) * weight / total:.2f}%" for weight in weights)


def record_tables(columns: Sequence[str], sample: Sequence[dict[str, str]]) -> tuple[RecordTable, ...]:
    """Split wide records into tables of a few columns each, so no table is wider than the page."""
    if not sample:
        return ()
    groups = [tuple(columns[i : i + COLUMNS_PER_TABLE]) for i in range(0, len(columns), COLUMNS_PER_TABLE)]
    return tuple(
        RecordTable(
            columns=group,
            widths=_widths(group, sample),
            rows=tuple((str(n), *(record.get(c, "") for c in group)) for n, record in enumerate(sample, 1)),
        )
        for group in groups or [()]
    )


def dataset_section(
    spool: DatasetSpool | None, name: str, description: str, fields: tuple[Field, ...]
) -> DatasetSection:
    """Summarise one dataset; `spool` is None when the search found no record in it."""
    name = displayable(name)  # names can come from the records, decoded badly
    if spool is None:
        return DatasetSection(name, description, 0, fields, (), 0, "", "")
    return DatasetSection(
        name=name,
        description=description,
        count=spool.count,
        fields=fields,
        tables=record_tables(spool.columns, spool.sample),
        shown=len(spool.sample),
        jsonl_path=spool.jsonl_path,
        csv_path=spool.csv_path,
    )


def system_sections(
    context: BundleContext, spools: Iterable[DatasetSpool], exports: Iterable[tuple[str, str]] = ()
) -> tuple[SystemSection, ...]:
    """Every system of the data map in its order (datasets with no records too), then any other."""
    by_system: dict[str, list[DatasetSpool]] = {}
    for spool in spools:
        by_system.setdefault(spool.system, []).append(spool)
    exported: dict[str, list[str]] = {}
    for system_name, path in sorted(exports):
        exported.setdefault(system_name, []).append(path)
    sections = []
    for system in context.systems:
        found = {spool.dataset: spool for spool in by_system.pop(system.name, [])}
        datasets = [dataset_section(found.pop(d.name, None), d.name, d.description, d.fields) for d in system.datasets]
        datasets += [dataset_section(spool, spool.dataset, "", ()) for spool in found.values()]
        sections.append(
            SystemSection(
                system.name,
                system.description,
                system.kind,
                tuple(datasets),
                record=context.record_of(system.name, "resolve"),
                exports=tuple(exported.get(system.name, ())),
            )
        )
    for name, extra in by_system.items():
        unmapped = tuple(dataset_section(s, s.dataset, "", ()) for s in extra)
        sections.append(SystemSection(displayable(name), "", "", unmapped))
    return tuple(sections)


def _logo_data_uri(path: Path | str | None) -> str:
    if not path:
        return ""
    mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        return ""
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


def branding_context(branding: Branding) -> dict[str, str]:
    """Colours go into CSS, so anything but a plain #rgb or #rrggbb falls back to the default."""
    defaults = Branding(company_name=branding.company_name)
    return {
        "company_name": branding.company_name,
        "logo": _logo_data_uri(branding.logo_path),
        "primary": branding.primary_colour if _COLOUR.match(branding.primary_colour) else defaults.primary_colour,
        "accent": branding.accent_colour if _COLOUR.match(branding.accent_colour) else defaults.accent_colour,
    }


def render_pdf(
    template_name: str, context: dict[str, Any], out: IO[bytes], *, stylesheet: str = "bundles/report.css"
) -> None:
    """Render a template to a tagged PDF written to `out`, styled by the `stylesheet` template.

    The stylesheet is rendered with the context's `brand` and parsed once per process for
    each brand and language (see rendering.py); an empty name gives no stylesheet.
    """
    html = render_to_string(template_name, context)
    sheets = [rendering.stylesheet(stylesheet, context.get("brand", {}))] if stylesheet else []
    rendering.write_pdf(html, out, stylesheets=sheets)


def explanation_document(context: BundleContext, brand: dict[str, str], stylesheets: list[CSS]) -> Document:
    """The part of the access report every subject of a data map version reads the same, laid out.

    What GDPR Art. 15(1)-(2) and CCPA §1798.110 require us to tell (purposes, categories,
    recipients, retention, sources, automated decisions, transfers) and the rights: pages
    laid out once per process for each set of facts, language and brand, and kept in a small
    LRU table; each report puts them in the pages it reserves for them (rendering.py). The
    key is the facts themselves (the data map's disclosures and the company's texts), not a
    version label, so a changed data map or company text can never be served an old page.
    """
    texts = {
        "company_name": context.company_name,
        "contact_email": context.contact_email,
        "supervisory_authority": context.supervisory_authority,
        "automated_decision_making": context.automated_decision_making,
        "transfer_safeguards": context.transfer_safeguards,
    }
    disclosures = disclosures_build(context)
    key = (translation.get_language(), disclosures, tuple(texts.items()), tuple(sorted(brand.items())))

    def lay_out() -> Document:
        # Only these texts reach the template: anything else of the subject's would be cached.
        html = render_to_string("bundles/explanation.html", {"ctx": texts, "brand": brand, "disclosures": disclosures})
        return rendering.layout(html, stylesheets=stylesheets)

    return rendering.state().explanations.get(key, lay_out)


def render_access_report(
    out: IO[bytes],
    context: BundleContext,
    spools: Iterable[DatasetSpool],
    *,
    generated_at: datetime,
    record_limit: int,
    exports: Iterable[tuple[str, str]] = (),
) -> None:
    systems = system_sections(context, spools, exports)
    searched = [s for s in systems if s.searched]
    brand = branding_context(context.branding)
    sheets = [rendering.stylesheet("bundles/report.css", brand)]
    explanation = explanation_document(context, brand, sheets)
    html = render_to_string(
        "bundles/report.html",
        {
            "ctx": context,
            "brand": brand,
            "explanation_pages": rendering.reserved_page_ids(len(explanation.pages)),
            "systems": systems,
            "searched_count": len(searched),
            "all_searched": len(searched) == len(systems),
            "withheld_count": sum(len(d.withheld) for s in systems for d in s.datasets),
            "total_records": sum(s.count for s in systems),
            "generated_at": generated_at,
            "record_limit": record_limit,
            "title": str(
                _("Your personal data held by %(company)s (%(reference)s)")
                % {"company": context.company_name, "reference": context.reference}
            ),
        },
    )
    rendering.write_pdf_with_pages(html, out, stylesheets=sheets, inserted=explanation)
