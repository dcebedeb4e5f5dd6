"""Report charts as PNG bytes (matplotlib, rendered off-screen with the Agg canvas).

    png = attainment_chart(points, targets, title="Attainment, last 12 weeks")
    png = weekly_chart(summary); pngs = scorecard_charts(cards)  # {vendor id: png}

`points` are (label, {metric: attainment fraction or None}) oldest first; each metric is one
line (a gap where nothing counted) with its target as a dashed line of the same colour. No
pyplot: a bare `Figure` on a `FigureCanvasAgg`, so no GUI backend and no global state.
"""
from __future__ import annotations

import io
import math
from typing import Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from processors.reports import QuarterlyScorecards, WeeklySummary

COLOURS = {"first_response": "#1f77b4", "resolution": "#d62728"}
LABELS = {"first_response": "first response", "resolution": "resolution"}


def _percent(value: float | None) -> float:
    return math.nan if value is None else value * 100


def attainment_chart(points: Sequence[tuple[str, Mapping[str, float | None]]],
                     targets: Mapping[str, float], title: str) -> bytes:
    figure = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [label for label, _ in points]
    x = range(len(points))
    for metric, colour in COLOURS.items():
        name = LABELS[metric]
        axes.plot(x, [_percent(values.get(metric)) for _, values in points], marker="o",
                  color=colour, label=name, clip_on=False)
        if metric in targets:
            axes.axhline(targets[metric] * 100, color=colour, linestyle="--", linewidth=1,
                         label=f"{name} target {targets[metric]:.0%}")
    axes.set_xticks(list(x), labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    if points:
        figure.legend(fontsize=7, loc="outside lower center", ncol=4)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def weekly_chart(summary: WeeklySummary) -> bytes:
    """Attainment per week over the summary's trend (12 weeks) against the targets."""
    points = [(week.label.split("-")[1], values) for week, values in summary.trend]
    title = f"{summary.overall.name}: attainment per week, {len(points)} weeks to {summary.period.label}"
    return attainment_chart(points, summary.targets, title)


def scorecard_charts(cards: QuarterlyScorecards) -> dict[str, bytes]:
    """Per vendor: attainment per month over this quarter and the previous one."""
    charts = {}
    for card in cards.cards:
        points = [(month.label, values) for month, values in cards.monthly_trend[card.vendor]]
        charts[card.vendor] = attainment_chart(points, cards.targets, f"{card.name}: attainment per month")
    return charts
