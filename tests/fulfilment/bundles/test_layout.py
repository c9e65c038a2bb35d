"""The PDF report as a person sees it: pages rendered to pictures with poppler's pdftoppm.

Needs Debian's poppler-utils (pdftoppm) and fonts-dejavu-core plus a CJK font
(fonts-wqy-microhei or fonts-noto-cjk) for the non-Latin name.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from pypdf import PdfReader

from requests_app.fulfilment.bundles.keys import generate_signing_key
from tests.bundle_data import LONG_TABLE, SUBJECT_NAME, write_test_bundle

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report with the whole 300-row table in it, so the table runs over many pages."""
    folder = tmp_path_factory.mktemp("layout")
    write_test_bundle(folder / "bundle.zip", generate_signing_key(), pdf_record_limit=LONG_TABLE)
    path = folder / "report.pdf"
    with zipfile.ZipFile(folder / "bundle.zip") as zf:
        path.write_bytes(zf.read("report.pdf"))
    return path


@pytest.fixture(scope="module")
def pages(report: Path) -> list[Path]:
    assert shutil.which("pdftoppm"), "install Debian's poppler-utils"
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(report), str(report.parent / "page")], check=True)
    return sorted(report.parent.glob("page-*.png"))


def _ink(page: Path) -> float:
    """The share of pixels that are not white."""
    with Image.open(page) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return 1 - sum(histogram[250:]) / sum(histogram)


def test_the_page_count_is_plausible_for_a_300_row_table(report, pages):
    assert len(pages) == len(PdfReader(report).pages)
    # Cover, summary, disclosures, rights, then 300 short rows at about 40 a page.
    assert 12 <= len(pages) <= 40


def test_no_page_is_blank(pages):
    for page in pages:
        assert _ink(page) > 0.005, page.name


def test_every_page_is_a4_portrait(pages):
    for page in pages:
        with Image.open(page) as image:
            width, height = image.size
        assert (width, height) == (414, 585), page.name  # A4 at 50 dpi, rounded up


def test_the_long_table_repeats_its_header_on_each_page(report):
    reader = PdfReader(report)
    table_pages = [p.extract_text() for p in reader.pages if "/v1/things/" in p.extract_text()]
    assert len(table_pages) >= 5
    for text in table_pages:
        assert "user_agent" in text


def test_the_non_latin_name_is_in_the_text_layer_and_its_font_is_embedded(report):
    reader = PdfReader(report)
    assert SUBJECT_NAME in reader.pages[0].extract_text()
    fonts = subprocess.run(["pdffonts", str(report)], capture_output=True, text=True, check=True).stdout
    assert "DejaVu" in fonts
    assert any(name in fonts for name in ("WenQuanYi", "Noto-Sans-CJK", "NotoSansCJK", "Droid")), fonts


def test_the_report_embeds_every_font_it_uses(report):
    lines = subprocess.run(["pdffonts", str(report)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) > 2
    for line in lines[2:]:
        assert line.split()[-5] == "yes", line  # the "emb" column


def test_nothing_runs_into_the_side_margins(pages):
    """Tables and text stay inside the 15 mm margins: the outer 10 mm of every page stay white."""
    strip = round(10 / 25.4 * 50)
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            width, height = grey.size
            for box in ((0, 0, strip, height), (width - strip, 0, width, height)):
                darkest, _ = grey.crop(box).getextrema()  # (min, max) of a one-band image
                assert isinstance(darkest, int) and darkest >= 250, page.name
