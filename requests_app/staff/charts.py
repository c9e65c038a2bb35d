"""Charts for the dashboard, drawn on the server as SVG: no script, readable by anyone.

This module only computes geometry; the templates ``staff/_chart_*.svg.html`` draw it with
``role="img"``, a ``<title>`` and a ``<desc>``, and the dashboard puts the same figures in a
table next to each chart. Series differ by shape and line style as well as colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from requests_app.models import RequestType

if TYPE_CHECKING:
    from datetime import date

    from requests_app.staff.selectors import WeekCompletion, WeekReceived

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 36  # margins around the plot area

# The three fulfilled types each have a colour; the rights only some laws give (opt-out,
# limit, restriction, objection, appeal) share a fourth, so four colours stay distinguishable.
SERIES_CLASSES = {
    kind: {RequestType.ACCESS: "series-1", RequestType.CORRECTION: "series-2", RequestType.DELETION: "series-3"}.get(
        kind, "series-4"
    )
    for kind in RequestType
}
RECEIVED_LEGEND = (
    (RequestType.ACCESS.label, "series-1"),
    (RequestType.CORRECTION.label, "series-2"),
    (RequestType.DELETION.label, "series-3"),
    ("Other rights (opt-out, limit, restriction, objection, appeal)", "series-4"),
)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    css_class: str
    shape: str  # "circle" or "square": the series differ in shape as well as colour
    paths: list[str]  # one path per run of weeks with a value (no line across empty weeks)
    markers: list[Marker]


@dataclass
class Chart:
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def nice_step(maximum: float, steps: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so ``steps`` steps reach ``maximum``."""
    raw = max(maximum, 1) / steps
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return max(1, int(multiple * power))
    return max(1, int(10 * power))  # pragma: no cover - the loop always returns


def week_label(week: date) -> str:
    return f"{week.day} {week.strftime('%b')}"


def _frame(chart: Chart, weeks: list[date], maximum: float) -> tuple[float, float, int]:
    """Set the axes' ticks; return the band width, the pixels per unit, and the axis top."""
    step = nice_step(maximum)
    top_value = step * max(1, math.ceil(maximum / step))
    scale = (chart.bottom - chart.top) / top_value
    chart.y_ticks = [Tick(chart.bottom - value * scale, str(value)) for value in range(0, top_value + 1, step)]
    band = (chart.right - chart.left) / len(weeks)
    chart.x_ticks = [Tick(chart.left + band * (i + 0.5), week_label(week)) for i, week in enumerate(weeks)]
    return band, scale, top_value


def received_chart(rows: list[WeekReceived]) -> Chart:
    total = sum(row.total for row in rows)
    chart = Chart(
        title="Requests received per week, by type",
        description=(
            f"Stacked bars for the last {len(rows)} weeks: access, correction, deletion and other requests "
            f"received each week, {total} in all. The table after the chart gives each figure."
        ),
    )
    band, scale, _ = _frame(chart, [row.week for row in rows], max((row.total for row in rows), default=0))
    bar_width = band * 0.6
    for i, row in enumerate(rows):
        x = chart.left + band * i + (band - bar_width) / 2
        base = float(chart.bottom)
        for kind in RequestType:
            count = row.counts.get(kind.value, 0)
            if not count:
                continue
            height = count * scale
            base -= height
            chart.rects.append(
                Rect(x, base, bar_width, height, SERIES_CLASSES[kind], f"{week_label(row.week)}: {count} {kind.value}")
            )
    return chart


def completion_chart(rows: list[WeekCompletion]) -> Chart:
    chart = Chart(
        title="Days to complete a request, per week",
        description=(
            f"Lines for the last {len(rows)} weeks: the median (solid, round markers) and the 90th "
            "percentile (dashed, square markers) of the days from receipt to completion of the "
            "requests completed each week; weeks without completions have no point. The table after "
            "the chart gives each figure."
        ),
    )
    maximum = max((row.p90_days or 0 for row in rows), default=0)
    band, scale, _ = _frame(chart, [row.week for row in rows], max(maximum, 10))
    p90 = [None if row.p90_days is None else float(row.p90_days) for row in rows]
    # The median is drawn last, on top: in a week with one completion both are the same.
    for name, css_class, shape, values in (
        ("90th percentile", "line-p90", "square", p90),
        ("Median", "line-median", "circle", [row.median_days for row in rows]),
    ):
        paths: list[str] = []
        markers: list[Marker] = []
        run: list[str] = []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    paths.append(" ".join(run))
                run = []
                continue
            x, y = chart.left + band * (i + 0.5), chart.bottom - value * scale
            run.append(f"{'M' if not run else 'L'}{x:.1f},{y:.1f}")
            markers.append(Marker(x, y, f"{week_label(rows[i].week)}: {value:g} days"))
        if run:
            paths.append(" ".join(run))
        chart.lines.append(Line(name, css_class, shape, paths, markers))
    return chart
