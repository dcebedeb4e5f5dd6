"""Report charts as PNG bytes (matplotlib, rendered off-screen with the Agg canvas).

    png = attainment_chart(points, targets, title="Attainment, last 12 weeks")
    png = weekly_chart(summary, locale="zh_CN"); pngs = scorecard_charts(cards, locale)  # {vendor id: png}
    figure = weekly_figure(summary, locale)   # or attainment_figure(...), scorecard_figures(cards, locale):
                                              # the Figure(s), not yet drawn

`points` are (label, {metric: attainment fraction or None}) oldest first; each metric is one
line (a gap where nothing counted) with its target as a dashed line of the same colour. No
pyplot: a bare `Figure` on a `FigureCanvasAgg`, so no GUI backend and no global state (but for
the one font registered with matplotlib's font manager, below).

Chinese text: every text of a chart is set in `FONT_FAMILIES`, DejaVu Sans (matplotlib's own)
then Noto Sans SC, shipped by the `pylopdf-fonts-zh-cn` package (a runtime dependency) and
registered here, so a character DejaVu Sans lacks (华东运维服务, 首次响应) is drawn from Noto Sans SC
on any machine, never as an empty box. Titles, legends and labels are in `locale`.
"""
from __future__ import annotations

import io
import math
from typing import Mapping, Sequence

import pylopdf_fonts_zh_cn
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from processors.i18n import format_percent, period_label, translator
from processors.reports import QuarterlyScorecards, WeeklySummary

CJK_FONT_PATH = pylopdf_fonts_zh_cn.sans_path()
font_manager.fontManager.addfont(str(CJK_FONT_PATH))  # idempotent: the font manager keys fonts by file
LATIN_FAMILY = "DejaVu Sans"  # i18n: skip (a name, not text): matplotlib's own font
FONT_FAMILIES = [LATIN_FAMILY, font_manager.FontProperties(fname=str(CJK_FONT_PATH)).get_name()]
COLOURS = {"first_response": "#1f77b4", "resolution": "#d62728"}


def _labels(locale: str) -> dict[str, str]:
    _ = translator(locale).gettext
    return {"first_response": _("first response"), "resolution": _("resolution")}


def _percent(value: float | None) -> float:
    return math.nan if value is None else value * 100


def attainment_figure(points: Sequence[tuple[str, Mapping[str, float | None]]],
                      targets: Mapping[str, float], title: str, locale: str = "en") -> Figure:
    """The chart as a matplotlib Figure (on an Agg canvas), every text in `FONT_FAMILIES`."""
    _ = translator(locale).gettext
    figure = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [label for label, _values in points]
    x = range(len(points))
    for metric, colour in COLOURS.items():
        name = _labels(locale)[metric]
        axes.plot(x, [_percent(values.get(metric)) for _label, values in points], marker="o",
                  color=colour, label=name, clip_on=False)
        if metric in targets:
            target = format_percent(targets[metric], locale, digits=0)
            axes.axhline(targets[metric] * 100, color=colour, linestyle="--", linewidth=1,
                         label=_("%(metric)s target %(target)s") % {"metric": name, "target": target})
    axes.set_xticks(list(x), labels, rotation=45, ha="right", fontsize=8)
    axes.tick_params(labelfontfamily=FONT_FAMILIES)
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_title(title, fontsize=10, fontfamily=FONT_FAMILIES)
    axes.grid(axis="y", alpha=0.3)
    if points:
        legend_at = "outside lower center"  # i18n: skip
        figure.legend(loc=legend_at, ncol=4, prop={"family": FONT_FAMILIES, "size": 7})
    return figure


def png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def attainment_chart(points: Sequence[tuple[str, Mapping[str, float | None]]],
                     targets: Mapping[str, float], title: str, locale: str = "en") -> bytes:
    return png(attainment_figure(points, targets, title, locale))


def _week_tick(label: str, locale: str) -> str:
    """'2026-W47' -> 'W47' (en), '第47周' (zh_CN): the year is in the title."""
    _ = translator(locale).gettext
    return _("W%(week)02d") % {"week": int(label.split("-W")[1])}


def weekly_figure(summary: WeeklySummary, locale: str = "en") -> Figure:
    """Attainment per week over the summary's trend (12 weeks) against the targets."""
    _ = translator(locale).gettext
    points = [(_week_tick(week.label, locale), values) for week, values in summary.trend]
    title = _("%(name)s: attainment per week, %(count)d weeks to %(week)s") % {
        "name": summary.overall.name, "count": len(points), "week": period_label(summary.period, locale)}
    return attainment_figure(points, summary.targets, title, locale)


def weekly_chart(summary: WeeklySummary, locale: str = "en") -> bytes:
    return png(weekly_figure(summary, locale))


def scorecard_figures(cards: QuarterlyScorecards, locale: str = "en") -> dict[str, Figure]:
    """Per vendor: attainment per month over this quarter and the previous one."""
    _ = translator(locale).gettext
    figures = {}
    for card in cards.cards:
        points = [(period_label(month, locale), values) for month, values in cards.monthly_trend[card.vendor]]
        title = _("%(name)s: attainment per month") % {"name": card.name}
        figures[card.vendor] = attainment_figure(points, cards.targets, title, locale)
    return figures


def scorecard_charts(cards: QuarterlyScorecards, locale: str = "en") -> dict[str, bytes]:
    """Per vendor: the chart of `scorecard_figures` as PNG bytes."""
    return {vendor: png(figure) for vendor, figure in scorecard_figures(cards, locale).items()}
