"""Server-rendered SVG geometry for the risk register: stacked bars of open measures by
priority per group, and the trend of open and overdue measures over days. Templates draw the
shapes; nothing runs in the browser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from certnet.risk.service.register import PRIORITIES, RegisterRow, TrendPoint

#: Priority → CSS class of its colour (risk.css), most urgent first.
PRIORITY_CLASS = {p: f"prio-{p.replace('_', '-')}" for p in PRIORITIES}
PRIORITY_LABEL = {
    "immediate": "Immediate",
    "out_of_cycle": "Out-of-cycle",
    "scheduled": "Scheduled",
    "defer": "Defer",
}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class StackedBar:
    y: float
    label: str
    total: int
    overdue: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    label_width: int
    bar_area: int
    row_height: int
    bars: tuple[StackedBar, ...]


def stacked(rows: Sequence[RegisterRow], *, width: int = 720, limit: int = 25) -> StackedChart:
    """One bar per group, segments by priority, lengths on one scale."""
    label_width, row_height = 190, 26
    bar_area = width - label_width - 110
    shown = list(rows)[:limit]
    biggest = max((r.total for r in shown), default=0) or 1
    bars = []
    for i, row in enumerate(shown):
        x = 0.0
        segments = []
        for priority in PRIORITIES:
            count = row.by_priority[priority]
            if not count:
                continue
            length = bar_area * count / biggest
            segments.append(
                Segment(
                    round(label_width + x, 2),
                    round(max(length, 1.0), 2),
                    PRIORITY_CLASS[priority],
                    f"{row.label}: {count} {PRIORITY_LABEL[priority].lower()}",
                )
            )
            x += length
        bars.append(
            StackedBar(i * row_height, row.label[:28], row.total, row.overdue, tuple(segments))
        )
    return StackedChart(
        width, row_height * len(bars), label_width, bar_area, row_height, tuple(bars)
    )


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    bottom: int
    open_path: str
    overdue_path: str
    points: tuple[tuple[float, float, str], ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


def trend_chart(points: Sequence[TrendPoint], *, width: int = 720, height: int = 220) -> TrendChart:
    """Open measures (total) and overdue ones, one point per snapshot day."""
    left, top, bottom = 44, 12, height - 26
    right = width - 12
    highest = max((max(p.total, p.overdue) for p in points), default=0) or 1
    span = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return round(left + (right - left) * i / span, 2)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / highest, 2)

    def path(values: Sequence[int]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x(i)},{y(v)}" for i, v in enumerate(values))

    open_path = path([p.total for p in points]) if points else ""
    overdue_path = path([p.overdue for p in points]) if points else ""
    marks = tuple(
        (x(i), y(p.total), f"{p.day.isoformat()}: {p.total} open, {p.overdue} overdue")
        for i, p in enumerate(points)
    )
    y_ticks = tuple(Tick(y(v), str(v)) for v in sorted({0, highest // 2, highest}))
    step = max(len(points) // 6, 1)
    x_ticks = tuple(
        Tick(x(i), p.day.strftime("%d %b")) for i, p in enumerate(points) if i % step == 0
    )
    return TrendChart(width, height, left, bottom, open_path, overdue_path, marks, y_ticks, x_ticks)
