"""Geometry of the remediation plots, drawn as inline SVG by the templates (no script, no
external asset: the console's strict content policy holds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

#: Horizontal bar charts: label column, bar area and value text, in SVG user units.
LABEL_WIDTH, BAR_AREA, VALUE_WIDTH, ROW_HEIGHT = 150, 230, 110, 24
#: The line chart.
CHART_WIDTH, CHART_HEIGHT, MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 1060, 220, 44, 24, 10


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart."""

    label: str
    value_text: str
    y: float
    width: float
    title: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_area: int
    row_height: int


def bar_chart(
    rows: Sequence[tuple[str, float, str, str]], *, scale_max: float | None = None
) -> BarChart:
    """``rows`` of (label, value, value text, tooltip) as bars scaled to the largest value
    (or to ``scale_max``)."""
    top = scale_max if scale_max is not None else max((v for _, v, _, _ in rows), default=0.0)
    bars = [
        Bar(
            label=label if len(label) <= 22 else label[:21] + "…",
            value_text=text,
            y=index * ROW_HEIGHT,
            width=round(BAR_AREA * value / top, 1) if top > 0 else 0.0,
            title=title,
        )
        for index, (label, value, text, title) in enumerate(rows)
    ]
    return BarChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=max(len(bars), 1) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        bar_area=BAR_AREA,
        row_height=ROW_HEIGHT,
    )


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """A line over days: the path, the area under it, and the axes' ticks."""

    path: str
    area: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int
    height: int
    left: int
    bottom: float
    last_value: int


def line_chart(points: Sequence[tuple[date, int]]) -> LineChart:
    """Open findings at the end of each day as a line with a shaded area."""
    plot_width = CHART_WIDTH - MARGIN_LEFT - 10
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    bottom = float(MARGIN_TOP + plot_height)
    top_value = max((v for _, v in points), default=0)
    step = _nice_step(top_value)
    y_max = max(step * ((top_value + step - 1) // step), step)
    count = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(MARGIN_LEFT + plot_width * index / count, 1)

    def y(value: int) -> float:
        return round(bottom - plot_height * value / y_max, 1)

    coords = [(x(i), y(v)) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{px},{py}" for i, (px, py) in enumerate(coords))
    area = f"{path} L{coords[-1][0]},{bottom} L{coords[0][0]},{bottom} Z" if coords else ""
    every = max(len(points) // 6, 1)
    x_ticks = [
        Tick(x(i), day.strftime("%d %b")) for i, (day, _) in enumerate(points) if i % every == 0
    ]
    y_ticks = [Tick(y(v), str(v)) for v in range(0, y_max + 1, step)]
    return LineChart(
        path=path,
        area=area,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=MARGIN_LEFT,
        bottom=bottom,
        last_value=points[-1][1] if points else 0,
    )


def _nice_step(top: int) -> int:
    """A round step giving four or five ticks up to ``top``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if top / step <= 5:
            return step
    return max(top // 5, 1)
