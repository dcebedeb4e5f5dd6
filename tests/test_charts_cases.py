"""What the report charts draw, read from the matplotlib Figure the public functions build
(`attainment_figure`, `weekly_figure`, `scorecard_figures`): the lines and their values, the
dashed target lines, colours, axis limits, ticks, title, legend and the figure's size. No pixel
comparisons: each row says what a reader of the chart sees, worked out by hand."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from processors.charts import (
    COLOURS, FONT_FAMILIES, attainment_chart, attainment_figure, png, scorecard_charts, scorecard_figures,
    weekly_chart, weekly_figure,
)
from processors.periods import quarter_of, week_of
from processors.reports import ClockRecord, History, quarterly_scorecards, weekly_summary

UTC = timezone.utc
PNG = b"\x89PNG\r\n\x1a\n"
FR, RES = "first_response", "resolution"
BLUE, RED = "#1f77b4", "#d62728"
TWO = [("a", {FR: 0.5, RES: 1.0}), ("b", {FR: 0.75, RES: 0.25})]


def _y(values) -> tuple:
    """Plotted y values, a gap (NaN) as None, rounded off float noise."""
    return tuple(None if math.isnan(v) else round(float(v), 6) for v in values)


def _drawn(figure: Figure) -> list[tuple]:
    """Every line of the chart in drawing order: (label, colour, style, width, marker, y values)."""
    (axes,) = figure.axes
    return [(line.get_label(), line.get_color(), line.get_linestyle(), line.get_linewidth(),
             line.get_marker(), _y(line.get_ydata())) for line in axes.get_lines()]


# ---- the attainment lines: one per metric, in per cent, a gap where nothing counted ----------

@pytest.mark.parametrize("attainment, y", [
    (None, None),  # nothing counted that week: a gap, not 0%
    (0.0, 0.0),  # all breached: the bottom of the axis
    (0.5, 50.0),  # a fraction times 100
    (0.855, 85.5),
    (1.0, 100.0),  # all met: 100, inside the 0-105 axis
])
def test_an_attainment_is_plotted_in_per_cent(attainment, y):
    figure = attainment_figure([("W01", {FR: attainment, RES: attainment})], {}, "t")
    assert [line[5] for line in _drawn(figure)] == [(y,), (y,)]


def test_each_metric_is_a_line_with_round_markers_in_its_colour_drawn_over_the_axes_edge():
    figure = attainment_figure(TWO, {}, "t")
    # no targets: just the two metric lines, first response (blue) then resolution (red), width 1.5
    # (matplotlib's default), each value of its metric in order, x the position 0, 1 of the label
    assert _drawn(figure) == [("first response", BLUE, "-", 1.5, "o", (50.0, 75.0)),
                              ("resolution", RED, "-", 1.5, "o", (100.0, 25.0))]
    lines = figure.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[0, 1], [0, 1]]
    # clip_on=False: a marker at 100% (or 0%) is drawn whole, not cut in half at the axes edge
    assert [line.get_clip_on() for line in lines] == [False, False]


def test_a_metric_missing_from_a_point_is_a_gap():
    figure = attainment_figure([("a", {FR: 0.5}), ("b", {})], {}, "t")
    assert [line[5] for line in _drawn(figure)] == [(50.0, None), (None, None)]


# ---- the target lines: dashed, thin, in the metric's colour, labelled in whole per cent -----

@pytest.mark.parametrize("targets, locale, expected", [
    # both targets: after each metric's line its target, at target x 100
    ({FR: 0.85, RES: 0.95}, "en", [
        ("first response", BLUE, "-", 1.5, "o", (50.0, 75.0)),
        ("first response target 85%", BLUE, "--", 1.0, "None", (85.0, 85.0)),
        ("resolution", RED, "-", 1.5, "o", (100.0, 25.0)),
        ("resolution target 95%", RED, "--", 1.0, "None", (95.0, 95.0))]),
    # only resolution has a target: no dashed line for first response
    ({RES: 0.9}, "en", [
        ("first response", BLUE, "-", 1.5, "o", (50.0, 75.0)),
        ("resolution", RED, "-", 1.5, "o", (100.0, 25.0)),
        ("resolution target 90%", RED, "--", 1.0, "None", (90.0, 90.0))]),
    # a target of 85.5% is drawn at 85.5 but labelled in whole per cent (digits=0): 86%
    ({FR: 0.855}, "en", [
        ("first response", BLUE, "-", 1.5, "o", (50.0, 75.0)),
        ("first response target 86%", BLUE, "--", 1.0, "None", (85.5, 85.5)),
        ("resolution", RED, "-", 1.5, "o", (100.0, 25.0))]),
    # a target of another metric (csat) is not a line of this chart
    ({"csat": 0.9}, "en", [
        ("first response", BLUE, "-", 1.5, "o", (50.0, 75.0)),
        ("resolution", RED, "-", 1.5, "o", (100.0, 25.0))]),
    # Chinese: the metric names and the target label in zh_CN
    ({FR: 0.85, RES: 0.95}, "zh_CN", [
        ("首次响应", BLUE, "-", 1.5, "o", (50.0, 75.0)),
        ("首次响应目标85%", BLUE, "--", 1.0, "None", (85.0, 85.0)),
        ("解决时限", RED, "-", 1.5, "o", (100.0, 25.0)),
        ("解决时限目标95%", RED, "--", 1.0, "None", (95.0, 95.0))]),
])
def test_targets_are_dashed_lines_in_the_metrics_colour(targets, locale, expected):
    assert _drawn(attainment_figure(TWO, targets, "t", locale)) == expected


def test_the_colours_are_those_of_the_metrics():
    assert COLOURS == {FR: BLUE, RES: RED}


# ---- the axes, the title and the legend ----------------------------------------------------

def test_the_figure_is_8_by_3_6_inches_at_100_dpi_on_an_agg_canvas():
    figure = attainment_figure(TWO, {}, "t")
    assert tuple(figure.get_size_inches()) == (8.0, 3.6) and figure.get_dpi() == 100  # 800 x 360 px
    assert isinstance(figure.canvas, FigureCanvasAgg)  # off-screen, no GUI backend
    assert len(figure.axes) == 1


def test_the_y_axis_runs_from_0_to_105_per_cent_with_a_faint_grid():
    (axes,) = attainment_figure(TWO, {}, "t").axes
    assert axes.get_ylim() == (0.0, 105.0)  # 0% at the bottom, room above a marker at 100%
    formatter = axes.yaxis.get_major_formatter()
    assert isinstance(formatter, PercentFormatter) and formatter(50, 0) == "50%"
    grid = axes.yaxis.get_gridlines()
    assert grid and all(line.get_visible() and line.get_alpha() == 0.3 for line in grid)
    assert not any(line.get_visible() for line in axes.xaxis.get_gridlines())  # horizontal lines only


@pytest.mark.parametrize("points, ticks", [
    ([], []),  # nothing to plot: no ticks
    ([("W47", {})], ["W47"]),
    (TWO, ["a", "b"]),  # one tick per point, at 0, 1, ... with its label
])
def test_one_slanted_small_x_tick_per_point(points, ticks):
    (axes,) = attainment_figure(points, {}, "t").axes
    assert list(axes.get_xticks()) == list(range(len(ticks)))
    labels = axes.get_xticklabels()
    assert [t.get_text() for t in labels] == ticks
    for text in labels:  # 45 degrees, anchored at its right end under the tick, 8 pt, CJK-capable font
        assert (text.get_rotation(), text.get_horizontalalignment(), text.get_fontsize()) == (45.0, "right", 8.0)
        assert text.get_fontfamily() == FONT_FAMILIES


def test_the_y_tick_labels_are_in_the_cjk_capable_fonts_too():
    (axes,) = attainment_figure(TWO, {}, "t").axes
    assert [t.get_fontfamily() for t in axes.get_yticklabels()][:1] == [FONT_FAMILIES]


def test_the_title_is_10_pt_in_the_cjk_capable_fonts():
    (axes,) = attainment_figure(TWO, {}, "华东运维服务：每周达标率").axes
    assert axes.get_title() == "华东运维服务：每周达标率"
    assert axes.title.get_fontsize() == 10.0 and axes.title.get_fontfamily() == FONT_FAMILIES


@pytest.mark.parametrize("points, targets, entries", [
    ([], {FR: 0.85}, None),  # nothing plotted: no legend at all
    ([("a", {FR: 0.5})], {}, ["first response", "resolution"]),  # one point is enough for a legend
    (TWO, {FR: 0.85, RES: 0.95},
     ["first response", "first response target 85%", "resolution", "resolution target 95%"]),
])
def test_a_legend_of_every_line_below_the_chart_when_there_are_points(points, targets, entries):
    figure = attainment_figure(points, targets, "t")
    if entries is None:
        assert figure.legends == []
        return
    (legend,) = figure.legends
    texts = legend.get_texts()
    assert [t.get_text() for t in texts] == entries
    assert all(t.get_fontsize() == 7.0 and t.get_fontfamily() == FONT_FAMILIES for t in texts)


# ---- PNG bytes ---------------------------------------------------------------------------------

def test_png_is_a_png_without_the_software_stamp():
    data = png(attainment_figure(TWO, {FR: 0.85}, "t"))
    assert data.startswith(PNG)
    assert b"Software" not in data and b"Matplotlib" not in data  # metadata={"Software": None}


def test_attainment_chart_is_the_png_of_the_figure():
    assert attainment_chart(TWO, {FR: 0.85}, "t") == png(attainment_figure(TWO, {FR: 0.85}, "t"))


# ---- the weekly chart: weeks of the trend, oldest first, W-numbers as ticks -----------------

def _clock(ticket: str, metric: str, stopped: datetime, breached: datetime | None = None,
           vendor: str = "acme") -> ClockRecord:
    return ClockRecord(ticket=ticket, metric=metric, cycle=1, vendor=vendor, target_seconds=3600,
                       elapsed_seconds=600, stopped_at=stopped, breached_at=breached)


# 2026 has 53 ISO weeks (it starts on a Thursday): W53 is Mon 28 Dec 2026 .. Sun 3 Jan 2027, and
# 2027-W02 is Mon 11 .. Sun 17 Jan 2027.
W02_2027 = week_of(date(2027, 1, 12), "UTC")
WEEKLY = History((
    _clock("A-1", FR, datetime(2026, 12, 29, 10, tzinfo=UTC)),  # W53: met
    _clock("A-2", FR, datetime(2026, 12, 30, 10, tzinfo=UTC), datetime(2026, 12, 30, 9, tzinfo=UTC)),  # W53: breached
    _clock("A-3", RES, datetime(2027, 1, 17, 23, 59, 59, tzinfo=UTC)),  # the last second of W02: met
    _clock("A-4", RES, datetime(2027, 1, 18, tzinfo=UTC)),  # the first second of W03: not in the chart
))


@pytest.mark.parametrize("weeks, ticks, fr, res", [
    # 12 weeks to 2027-W02: W44 .. W53 of 2026, then W01, W02; the year's last week is W53;
    # weeks below 10 with a leading zero (the label "2027-W01" gives "W01")
    (12, ["W44", "W45", "W46", "W47", "W48", "W49", "W50", "W51", "W52", "W53", "W01", "W02"],
     (None,) * 9 + (50.0, None, None),  # W53: one of two met
     (None,) * 11 + (100.0,)),  # W02: the clock stopped at its last second
    # 3 weeks: W53, W01, W02
    (3, ["W53", "W01", "W02"], (50.0, None, None), (None, None, 100.0)),
    (1, ["W02"], (None,), (100.0,)),
])
def test_the_weekly_chart_has_a_point_per_week_of_the_trend(weeks, ticks, fr, res):
    summary = weekly_summary(WEEKLY, W02_2027, {"acme": "ACME"}, {FR: 0.85}, vendor="acme", weeks=weeks)
    figure = weekly_figure(summary)
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_xticklabels()] == ticks
    assert [line[5] for line in _drawn(figure)] == [fr, (85.0, 85.0), res]  # the summary's targets
    # the title names the vendor, how many weeks and the last one (with its year)
    assert axes.get_title() == f"ACME: attainment per week, {weeks} weeks to 2027-W02"


def test_the_weekly_chart_in_chinese():
    summary = weekly_summary(WEEKLY, W02_2027, {"acme": "华东运维服务"}, {FR: 0.85}, vendor="acme", weeks=2)
    (axes,) = weekly_figure(summary, "zh_CN").axes
    assert [t.get_text() for t in axes.get_xticklabels()] == ["第1周", "第2周"]  # Chinese: no leading zero
    assert axes.get_title() == "华东运维服务：每周达标率（近2周，截至2027年第2周）"


def test_weekly_chart_is_the_png_of_the_weekly_figure():
    summary = weekly_summary(WEEKLY, W02_2027, {"acme": "ACME"}, {FR: 0.85}, vendor="acme", weeks=2)
    assert weekly_chart(summary) == png(weekly_figure(summary))


# ---- the scorecard charts: per vendor, six months (the previous quarter and this one) --------

Q1_2026 = quarter_of(date(2026, 2, 1), "UTC")  # Jan .. Mar 2026; the previous quarter Oct .. Dec 2025
SCORED = History((
    _clock("A-1", FR, datetime(2025, 10, 1, tzinfo=UTC)),  # the first second of October: acme, met
    _clock("A-2", RES, datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
           datetime(2026, 3, 31, 12, tzinfo=UTC)),  # acme, breached at noon on the quarter's last day
    _clock("G-1", FR, datetime(2026, 2, 10, tzinfo=UTC), vendor="globex"),  # globex, February, met
))
MONTHS = ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


def test_one_scorecard_figure_per_vendor_with_six_months():
    cards = quarterly_scorecards(SCORED, Q1_2026, {"acme": "ACME", "globex": "Globex"}, {RES: 0.95})
    figures = scorecard_figures(cards)
    assert list(figures) == ["acme", "globex"]  # keyed by vendor id, in the cards' order
    acme, globex = figures["acme"].axes[0], figures["globex"].axes[0]
    assert [t.get_text() for t in acme.get_xticklabels()] == MONTHS
    assert [t.get_text() for t in globex.get_xticklabels()] == MONTHS
    assert acme.get_title() == "ACME: attainment per month" and globex.get_title() == "Globex: attainment per month"
    # acme: first response met in October; resolution breached in March; the 95% target dashed
    assert [line[5] for line in _drawn(figures["acme"])] == [
        (100.0, None, None, None, None, None), (None, None, None, None, None, 0.0), (95.0, 95.0)]
    # globex: only its own clock, February (acme's clocks are not in its chart)
    assert [line[5] for line in _drawn(figures["globex"])] == [
        (None, None, None, None, 100.0, None), (None,) * 6, (95.0, 95.0)]


def test_scorecard_figures_in_chinese():
    cards = quarterly_scorecards(SCORED, Q1_2026, {"acme": "华东运维服务"}, {}, vendor="acme")
    (axes,) = scorecard_figures(cards, "zh_CN")["acme"].axes
    assert axes.get_title() == "华东运维服务：每月达标率"
    assert [t.get_text() for t in axes.get_xticklabels()][:2] == ["2025年10月", "2025年11月"]


def test_scorecard_charts_are_the_pngs_of_the_figures():
    cards = quarterly_scorecards(SCORED, Q1_2026, {"acme": "ACME", "globex": "Globex"}, {RES: 0.95})
    charts = scorecard_charts(cards)
    figures = scorecard_figures(cards)
    assert list(charts) == ["acme", "globex"]
    assert all(charts[v] == png(figures[v]) for v in figures)
