"""Report charts with Chinese text: every character drawn is in a font matplotlib actually uses
(fontTools reads the cmap of the font font_manager.findfont resolves for each family), and
matplotlib warns of no missing glyph, so nothing is drawn as an empty box on any machine."""
from __future__ import annotations

import io
import warnings
from datetime import date, datetime, timezone

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from processors.charts import CJK_FONT_PATH, FONT_FAMILIES, attainment_figure, png, weekly_figure
from processors.periods import week_of
from processors.reports import ClockRecord, History, TicketRecord, weekly_summary

UTC = timezone.utc
TARGETS = {"first_response": 0.85, "resolution": 0.95}
W47 = week_of(date(2026, 11, 18), "Asia/Shanghai")


def _cmap(path: str) -> set[int]:
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return set(font.getBestCmap())


def _glyph_warnings(figure: Figure) -> list[str]:
    """Draw the figure (the first time: matplotlib caches text layouts, and warns only then)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _uncovered(figure: Figure) -> dict[str, list[str]]:
    """Per text drawn: the characters no font of its family list covers (findfont, no default)."""
    missing = {}
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text():
            continue
        props = text.get_fontproperties()
        covered: set[int] = set()
        for family in props.get_family():
            path = font_manager.findfont(font_manager.FontProperties(family=family, size=props.get_size()),
                                         fallback_to_default=False)
            covered |= _cmap(path)
        lacking = [c for c in text.get_text() if not c.isspace() and ord(c) not in covered]
        if lacking:
            missing[text.get_text()] = lacking
    return missing


def test_the_chinese_font_is_registered_and_covers_the_glossary():
    chosen = font_manager.findfont(font_manager.FontProperties(family=FONT_FAMILIES[1]), fallback_to_default=False)
    assert chosen == str(CJK_FONT_PATH) and FONT_FAMILIES[1] == "Noto Sans SC"
    assert {ord(c) for c in "华东运维服务首次响应解决时限违约供应商满意度季度考核预警升级暂停豁免确认交接"} <= _cmap(chosen)


def test_a_chart_with_chinese_text_draws_every_character():
    points = [("第46周", {"first_response": 0.8, "resolution": 0.9}),
              ("第47周", {"first_response": 0.9, "resolution": None})]
    figure = attainment_figure(points, TARGETS, "华东运维服务：首次响应 达标率", locale="zh_CN")
    texts = {t.get_text() for t in figure.findobj(Text)}
    assert {"华东运维服务：首次响应 达标率", "第47周", "首次响应", "首次响应目标85%", "解决时限目标95%"} <= texts
    assert _glyph_warnings(figure) == []
    assert _uncovered(figure) == {}


def test_the_weekly_chart_of_a_chinese_vendor_in_chinese():
    clock = ClockRecord(ticket="OPS-1", metric="first_response", cycle=1, vendor="east", target_seconds=3600,
                        elapsed_seconds=600, stopped_at=datetime(2026, 11, 17, 2, tzinfo=UTC), breached_at=None)
    history = History((clock,), (TicketRecord("OPS-1", "east", datetime(2026, 11, 17, 1, tzinfo=UTC)),), ())
    summary = weekly_summary(history, W47, {"east": "华东运维服务"}, TARGETS, vendor="east")
    figure = weekly_figure(summary, "zh_CN")
    texts = {t.get_text() for t in figure.findobj(Text)}
    assert "华东运维服务：每周达标率（近12周，截至2026年第47周）" in texts and "第47周" in texts
    assert _glyph_warnings(figure) == [] and _uncovered(figure) == {}
    english = {t.get_text() for t in weekly_figure(summary, "en").findobj(Text)}
    assert "华东运维服务: attainment per week, 12 weeks to 2026-W47" in english and "W47" in english
    assert png(figure).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_check_sees_a_box_where_the_font_lacks_the_glyph():
    """The two checks above fail for a chart set in DejaVu Sans alone (the state before)."""
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("华东运维服务", fontfamily=["DejaVu Sans"])
    assert len(_glyph_warnings(figure)) == 6  # one per character
    assert _uncovered(figure) == {"华东运维服务": list("华东运维服务")}
