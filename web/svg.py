"""A small inline SVG line chart of weekly attainment (no JavaScript, no image files).

The words come translated from the caller (web/dashboard.py, in the page's language): the title,
the x-axis labels and each metric's legend ("First response (dashed: target)")."""
from __future__ import annotations

from typing import Mapping, Sequence

from markupsafe import Markup, escape

COLOURS = {"first_response": "#1f5fa8", "resolution": "#8a4b00", "next_response": "#2e7d32",
           "periodic_update": "#7b1fa2"}
LEGENDS_PER_ROW, LEGEND_ROW = 2, 16  # legends under the plot, two a row
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 44, 12, 12, 40


def attainment_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]],
                     targets: Mapping[str, float], legends: Mapping[str, str]) -> Markup:
    """One line per metric (fractions 0..1, None: nothing counted) and a dashed target line.
    `labels`: one short label per week ("W47"); `legends`: each metric's legend."""
    rows = max(1, -(-len(series) // LEGENDS_PER_ROW))
    height = HEIGHT + (rows - 1) * LEGEND_ROW  # the plot keeps its size; each legend row adds below
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-title">',
             f'<title id="chart-title">{escape(title)}</title>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.0%}</text>')
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % 2 == 0:  # every other week, ending with the last
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    for metric, values in series.items():
        colour = COLOURS.get(metric, "#333")
        if metric in targets:
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(targets[metric]):.1f}" '
                         f'y2="{y(targets[metric]):.1f}" stroke="{colour}" stroke-dasharray="4 4"/>')
        points = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None]
        if points:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{" ".join(points)}"/>')
            parts.extend(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" fill="{colour}"/>'
                         for p in points)
    for n, metric in enumerate(series):
        legend_x, legend_y = LEFT + (n % LEGENDS_PER_ROW) * 250, HEIGHT + (n // LEGENDS_PER_ROW) * LEGEND_ROW
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 14}" width="12" height="4" '
                     f'fill="{COLOURS.get(metric, "#333")}"/><text x="{legend_x + 16}" y="{legend_y - 9}">'
                     f'{escape(legends.get(metric, metric))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
