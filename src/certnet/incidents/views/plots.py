"""The dashboard's plots: server-rendered SVG geometry the templates draw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# --- plots (server-rendered SVG; the template draws what these compute) -----------------------

PLOT_WIDTH, PLOT_HEIGHT = 640, 180
PALETTE = (
    "#1d5bd8",
    "#b45309",
    "#15803d",
    "#b91c1c",
    "#6b21a8",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#475569",
    "#4d7c0f",
)
MAX_SERIES = len(PALETTE) - 1


@dataclass(frozen=True)
class Bar:
    """One rectangle of a plot, with what it stands for (its tooltip)."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Plot:
    """A plot ready to draw: bars, a legend, axis ticks and the largest value."""

    bars: list[Bar]
    legend: list[tuple[str, str, int]]
    ticks: list[tuple[float, str]]
    top: int
    width: int = PLOT_WIDTH
    height: int = PLOT_HEIGHT

    @property
    def empty(self) -> bool:
        return not self.bars


def stacked_bars(counts: Sequence[Any], days: list[str]) -> Plot:
    """Incidents per day, one stacked bar per day, one colour per key (the largest keys;
    the rest summed as "other")."""
    totals: dict[str, int] = {}
    for row in counts:
        totals[row.key] = totals.get(row.key, 0) + row.count
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    shown = ranked[:MAX_SERIES]
    key_of = {k: (k if k in shown else "other") for k in ranked}
    series = [*shown, *(["other"] if len(ranked) > MAX_SERIES else [])]
    colour = {k: PALETTE[i] for i, k in enumerate(series)}
    per_day: dict[str, dict[str, int]] = {d: {} for d in days}
    for row in counts:
        if row.day in per_day:
            bucket = per_day[row.day]
            bucket[key_of[row.key]] = bucket.get(key_of[row.key], 0) + row.count
    top = max((sum(v.values()) for v in per_day.values()), default=0)
    bars: list[Bar] = []
    slot = PLOT_WIDTH / max(len(days), 1)
    if top:
        for index, day in enumerate(days):
            y = float(PLOT_HEIGHT)
            for key in series:
                n = per_day[day].get(key, 0)
                if not n:
                    continue
                h = PLOT_HEIGHT * n / top
                y -= h
                bars.append(
                    Bar(
                        round(index * slot + 1, 2),
                        round(y, 2),
                        round(max(slot - 2, 1), 2),
                        round(h, 2),
                        colour[key],
                        f"{day}: {n} {key}",
                    )
                )
    step = max(len(days) // 6, 1)
    ticks = [(round(i * slot + slot / 2, 2), days[i][5:]) for i in range(0, len(days), step)]
    legend = [(k, colour[k], sum(totals[r] for r in ranked if key_of[r] == k)) for k in series]
    return Plot(bars=bars, legend=legend, ticks=ticks, top=top)


def clock_bar(on_time: int, late: int, overdue: int) -> Plot:
    """Stages met on time, submitted late, and overdue, as one bar split in proportion."""
    parts = (
        ("on time", on_time, "#15803d"),
        ("late", late, "#b45309"),
        ("overdue", overdue, "#b91c1c"),
    )
    total = on_time + late + overdue
    bars, x = [], 0.0
    for label, n, colour in parts:
        if n:
            width = PLOT_WIDTH * n / total
            bars.append(Bar(round(x, 2), 0, round(width, 2), 28, colour, f"{n} {label}"))
            x += width
    return Plot(
        bars=bars, legend=[(label, c, n) for label, n, c in parts], ticks=[], top=total, height=28
    )


def resolve_bars(metrics: Any) -> Plot:
    """Median hours to resolve per sector, one horizontal bar each."""
    groups = [g for g in metrics.groups if g.median_hours_to_resolve is not None]
    top = max((g.median_hours_to_resolve for g in groups), default=0.0)
    bars = []
    row = 24
    for index, group in enumerate(groups):
        hours = group.median_hours_to_resolve
        width = (PLOT_WIDTH - 200) * hours / top if top else 0
        bars.append(
            Bar(
                160,
                index * row + 4,
                round(max(width, 1), 2),
                row - 8,
                PALETTE[index % len(PALETTE)],
                f"{group.key}: {hours:.1f} h median to resolve ({group.incidents} incidents)",
            )
        )
    legend = [(g.key, PALETTE[i % len(PALETTE)], g.incidents) for i, g in enumerate(groups)]
    return Plot(
        bars=bars,
        legend=legend,
        ticks=[],
        top=round(top),
        height=max(len(groups) * row, row),
    )
