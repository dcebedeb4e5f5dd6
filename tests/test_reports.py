"""Reports: periods, the weekly summary and the quarterly scorecards on a small history whose
numbers are worked out by hand below; the renderers, the chart, the Slack blocks; and the same
history stored in a real database and read back by store/history.py."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from connectors.slack_reports import MAX_BLOCKS, MAX_SECTION, scorecard_message, weekly_message
from processors import report_csv, report_html
from processors import report_render as render
from processors.charts import attainment_chart, scorecard_charts, weekly_chart
from processors.periods import (
    last_complete_quarter, last_complete_week, months_of, previous, quarter_of, report_period, week_of,
    weeks_ending,
)
from processors.reports import (
    ClockRecord, History, SurveyRecord, TicketRecord, nearest_rank, quarterly_scorecards, weekly_summary,
)
from processors.rules import parse_rules
from store.db import Database
from store.history import CLOCKS, TICKETS, load_clock_records, load_ticket_records
from store.history import quarterly_scorecards as stored_scorecards
from store.history import weekly_summary as stored_summary
from tests.conftest import RULES_YAML

UTC = timezone.utc
PNG = b"\x89PNG\r\n\x1a\n"
NAMES = {"acme": "ACME Outsourcing", "globex": "globex"}  # as RULES_YAML names them
TARGETS = {"first_response": 0.85, "resolution": 0.95, "csat": 0.90, "communication": 0.80}
JIRA = "https://jira.example.com"
FR, RES = "first_response", "resolution"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# The history. Week 2026-W02 is Mon 5 Jan .. Sun 11 Jan 2026 (UTC), W01 is 29 Dec .. 4 Jan.
# key: (vendor, created, summary)
TICKET_ROWS = {
    "ACME-8": ("acme", "2025-11-03 09:00", "VPN slow"),  # Q4 2025
    "ACME-0": ("acme", "2025-12-30 10:00", "Printer"),  # W01, December
    "ACME-5": ("acme", "2026-01-02 08:00", "Mail bounce"),  # W01, January
    "ACME-1": ("acme", "2026-01-05 09:00", "Laptop"),
    "ACME-2": ("acme", "2026-01-06 10:00", "Router down"),
    "ACME-3": ("acme", "2026-01-07 08:00", "Disk full"),
    "ACME-4": ("acme", "2026-01-09 12:00", "Password"),
    "ACME-6": ("acme", "2026-02-10 09:00", "New hire"),
    "ACME-7": ("acme", "2026-03-03 09:00", "Wi-Fi"),
    "INFRA-1": ("globex", "2026-01-08 09:00", "Backup <failed> & retried"),
    "INFRA-2": ("globex", "2026-01-10 22:00", "DNS"),
    "OPS-1": (None, "2026-01-06 12:00", "Unassigned"),
}
# (ticket, metric, target s, elapsed s, stopped_at, breached_at); state: stopped, or paused if not
CLOCK_ROWS = [
    ("ACME-8", FR, 3600, 300, "2025-11-03 09:05", None),
    ("ACME-8", RES, 28800, 40000, "2025-11-03 20:00", "2025-11-03 17:00"),  # Q4 breach
    ("ACME-0", FR, 3600, 900, "2025-12-30 10:15", None),
    ("ACME-0", RES, 28800, 3600, "2025-12-30 11:00", None),
    ("ACME-5", FR, 3600, 1000, "2026-01-02 08:16:40", None),
    ("ACME-5", RES, 28800, 50000, "2026-01-05 10:00", "2026-01-02 16:00"),  # ends W01, stops W02
    ("ACME-1", FR, 3600, 1200, "2026-01-05 09:20", None),
    ("ACME-1", RES, 28800, 21600, "2026-01-05 15:00", None),
    ("ACME-2", FR, 1800, 3600, "2026-01-06 11:00", "2026-01-06 10:30"),  # 30m over
    ("ACME-2", RES, 14400, 86400, "2026-01-07 10:00", "2026-01-06 14:00"),  # 20h over
    ("ACME-3", FR, 3600, 1800, "2026-01-07 08:30", None),
    ("ACME-3", RES, 28800, 36000, None, "2026-01-07 18:00"),  # paused, open breach, 2h over
    ("ACME-4", FR, 3600, 600, "2026-01-09 12:10", None),
    ("ACME-4", RES, 28800, 7200, "2026-01-09 14:00", None),
    ("ACME-6", FR, 3600, 3000, "2026-02-10 09:50", None),
    ("ACME-6", RES, 28800, 20000, "2026-02-10 15:00", None),
    ("ACME-7", FR, 3600, 7200, "2026-03-03 11:00", "2026-03-03 10:00"),
    ("ACME-7", RES, 28800, 10000, "2026-03-03 13:00", None),
    ("INFRA-1", FR, 3600, 2400, "2026-01-08 09:40", None),
    ("INFRA-1", RES, 28800, 30000, "2026-01-08 17:20", "2026-01-08 17:00"),  # 20m over
    ("INFRA-2", FR, 1800, 5400, "2026-01-10 23:30", "2026-01-10 22:30"),  # 1h over
    ("INFRA-2", RES, 14400, 10800, "2026-01-12 01:00", None),  # stops in W03
    ("OPS-1", FR, 3600, 4000, "2026-01-06 13:06:40", "2026-01-06 13:00"),  # 6m40s over
    ("OPS-1", RES, 28800, 7200, "2026-01-06 14:00", None),
]


def _instant(text: str | None) -> datetime | None:
    return at(text) if text else None


def history(excused: frozenset[tuple[str, str]] = frozenset(), surveys=()) -> History:
    clocks = tuple(
        ClockRecord(ticket=key, metric=metric, cycle=1, vendor=TICKET_ROWS[key][0], target_seconds=target,
                    elapsed_seconds=elapsed, stopped_at=_instant(stopped), breached_at=_instant(breached),
                    summary=TICKET_ROWS[key][2], excused=(key, metric) in excused, rules_version="test")
        for key, metric, target, elapsed, stopped, breached in CLOCK_ROWS)
    tickets = tuple(TicketRecord(key, vendor, at(created)) for key, (vendor, created, _) in TICKET_ROWS.items())
    return History(clocks, tickets, tuple(surveys))


W02 = week_of(date(2026, 1, 7), "UTC")
Q1 = quarter_of(date(2026, 2, 1), "UTC")


# ---- periods -------------------------------------------------------------------------------

def test_iso_week_in_utc():
    assert (W02.label, W02.start, W02.end) == ("2026-W02", at("2026-01-05 00:00"), at("2026-01-12 00:00"))
    assert previous(W02).label == "2026-W01" and previous(W02).start == at("2025-12-29 00:00")
    weeks = weeks_ending(W02, 12)
    assert [weeks[0].label, weeks[-1].label, len(weeks)] == ["2025-W43", "2026-W02", 12]  # 2025 has 52 weeks


def test_week_across_a_dst_change_has_its_real_length():
    week = week_of(date(2026, 3, 26), "Europe/Berlin")  # clocks go forward on Sun 29 March
    assert week.start == at("2026-03-22 23:00") and week.end == at("2026-03-29 22:00")
    assert week.end - week.start == timedelta(hours=167)


def test_last_complete_week_depends_on_the_report_time_zone():
    now = at("2026-01-11 23:30")  # Sunday in UTC, already Monday 00:30 in Berlin
    assert last_complete_week(now, "UTC").label == "2026-W01"
    assert last_complete_week(now, "Europe/Berlin").label == "2026-W02"
    assert report_period("weekly", now, "UTC", date(2026, 1, 11)).label == "2026-W02"


def test_quarters_and_months():
    assert (Q1.label, Q1.start, Q1.end) == ("2026-Q1", at("2026-01-01 00:00"), at("2026-04-01 00:00"))
    assert [m.label for m in months_of(Q1)] == ["2026-01", "2026-02", "2026-03"]
    assert previous(Q1).label == "2025-Q4" and months_of(previous(Q1))[-1].end == Q1.start
    assert last_complete_quarter(at("2026-01-05 12:00"), "UTC").label == "2025-Q4"
    assert report_period("quarterly", at("2026-07-01 00:00"), "UTC").label == "2026-Q2"


@pytest.mark.parametrize("values, p50, p90", [
    ([], None, None), ([5], 5, 5), ([1, 2], 1, 2), ([1, 2, 3, 4], 2, 4),
    (list(range(1, 11)), 5, 9), (list(range(1, 12)), 6, 10),
])
def test_nearest_rank(values, p50, p90):
    assert (nearest_rank(values, 50), nearest_rank(values, 90)) == (p50, p90)


# ---- the weekly summary, by hand ---------------------------------------------------------------

def test_weekly_summary_overall():
    summary = weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA)
    overall = summary.overall
    # opened in W02: ACME-1..4, INFRA-1, INFRA-2, OPS-1 = 7
    # resolved (resolution clocks stopped in W02): ACME-5 (breached in W01), ACME-1, ACME-2,
    # ACME-4, INFRA-1, OPS-1 = 6 (INFRA-2 stops in W03, ACME-3 is open)
    assert (overall.opened, overall.resolved) == (7, 6)
    # first response ending in W02: ACME-1 ok, ACME-2 breach, ACME-3 ok, ACME-4 ok, INFRA-1 ok,
    # INFRA-2 breach, OPS-1 breach: 4 of 7 = 57.1%; previous week ACME-0, ACME-5 both met: 100%
    fr = overall.metrics[FR]
    assert (fr.met, fr.counted, fr.excused) == (4, 7, 0) and fr.attainment == pytest.approx(4 / 7)
    assert fr.above is False and overall.previous[FR] == 1.0
    assert overall.change_pp(FR) == pytest.approx(-42.857142857)
    # times [600, 1200, 1800, 2400, 3600, 4000, 5400]: p50 = rank 4, p90 = rank ceil(6.3) = 7
    assert (fr.median_seconds, fr.p90_seconds) == (2400, 5400)
    # resolution ending in W02: ACME-1 ok, ACME-2 breach (W02 14:00), ACME-3 breach (open), ACME-4 ok,
    # INFRA-1 breach, OPS-1 ok: 3 of 6 = 50%. W01: ACME-0 ok, ACME-5 breach: 50% -> 0.0 pp
    res = overall.metrics[RES]
    assert (res.met, res.counted, res.attainment, overall.change_pp(RES)) == (3, 6, 0.5, 0.0)
    # times [7200, 7200, 21600, 30000, 36000, 86400]: p50 = rank 3, p90 = rank ceil(5.4) = 6
    assert (res.median_seconds, res.p90_seconds) == (21600, 86400)
    assert overall.open_breaches == 1  # ACME-3 resolution (ACME-5 stopped on 5 Jan)
    # over target: ACME-2 res 20h, ACME-3 res 2h, INFRA-2 fr 1h, ACME-2 fr 30m, INFRA-1 res 20m
    # (OPS-1 fr 6m40s is sixth)
    assert [(r.ticket, r.metric, r.over_seconds) for r in overall.worst] == [
        ("ACME-2", RES, 72000), ("ACME-3", RES, 7200), ("INFRA-2", FR, 3600), ("ACME-2", FR, 1800),
        ("INFRA-1", RES, 1200)]
    assert summary.link("ACME-2") == "https://jira.example.com/browse/ACME-2"


def test_weekly_summary_per_vendor():
    summary = weekly_summary(history(), W02, NAMES, TARGETS)
    acme, globex, nobody = summary.vendors
    assert [s.name for s in summary.vendors] == ["ACME Outsourcing", "globex", "no vendor"]
    # ACME fr: ACME-1, -3, -4 met, ACME-2 breached: 3/4 = 75%; W01 2/2 -> -25 pp;
    # times [600, 1200, 1800, 3600]: p50 rank 2, p90 rank 4
    fr = acme.metrics[FR]
    assert (fr.met, fr.counted, acme.change_pp(FR), fr.median_seconds, fr.p90_seconds) == (3, 4, -25.0, 1200, 3600)
    # ACME res: ACME-1, -4 met; -2, -3 breached: 2/4 = 50%; W01 1/2 = 50% -> 0 pp
    res = acme.metrics[RES]
    assert (res.met, res.counted, acme.change_pp(RES), res.median_seconds, res.p90_seconds) == (2, 4, 0.0, 21600, 86400)
    assert (acme.opened, acme.resolved, acme.open_breaches) == (4, 4, 1)
    # globex fr: INFRA-1 met (2400), INFRA-2 breached (5400); nothing in W01 -> no change
    assert (globex.metrics[FR].met, globex.metrics[FR].counted, globex.change_pp(FR)) == (1, 2, None)
    assert (globex.metrics[FR].median_seconds, globex.metrics[FR].p90_seconds) == (2400, 5400)
    assert (globex.metrics[RES].attainment, globex.opened, globex.resolved) == (0.0, 2, 1)
    assert (nobody.vendor, nobody.metrics[FR].attainment, nobody.metrics[RES].attainment) == (None, 0.0, 1.0)
    assert [r.ticket for r in globex.worst] == ["INFRA-2", "INFRA-1"]


def test_weekly_trend_has_twelve_weeks():
    summary = weekly_summary(history(), W02, NAMES, TARGETS)
    assert [w.label for w, _ in summary.trend][-3:] == ["2025-W52", "2026-W01", "2026-W02"]
    values = [v for _, v in summary.trend]
    assert values[-2] == {FR: 1.0, RES: 0.5} and values[-1][FR] == pytest.approx(4 / 7)
    assert values[0] == {FR: None, RES: None}


def test_excused_breaches_are_counted_apart():
    summary = weekly_summary(history(excused=frozenset({("INFRA-2", FR)})), W02, NAMES, TARGETS)
    fr = summary.overall.metrics[FR]
    assert (fr.met, fr.counted, fr.excused) == (4, 6, 1)  # out of the denominator
    assert [r.ticket for r in summary.overall.excused] == ["INFRA-2"]
    assert "INFRA-2" not in [r.ticket for r in summary.overall.worst]
    globex = summary.vendors[1]
    assert (globex.metrics[FR].attainment, globex.metrics[FR].excused) == (1.0, 1)


def test_weekly_summary_of_one_vendor():
    summary = weekly_summary(history(), W02, NAMES, TARGETS, vendor="globex")
    assert summary.vendors == () and summary.overall.name == "globex"
    assert (summary.overall.opened, summary.overall.metrics[FR].counted) == (2, 2)


def test_a_week_without_records():
    summary = weekly_summary(History(), W02, NAMES, TARGETS)
    fr = summary.overall.metrics[FR]
    assert (fr.attainment, fr.above, fr.median_seconds, summary.overall.change_pp(FR)) == (None, None, None, None)
    assert [s.name for s in summary.vendors] == ["ACME Outsourcing", "globex"]
    assert "n/a" in render.weekly_text(summary)


# ---- the quarterly scorecards, by hand ---------------------------------------------------------

SURVEYS = [SurveyRecord("ACME-1", "acme", at("2026-01-06 10:00"), True, True),
           SurveyRecord("ACME-2", "acme", at("2026-01-08 10:00"), True, None),
           SurveyRecord("ACME-6", "acme", at("2026-02-11 10:00"), False, False),
           SurveyRecord("ACME-0", "acme", at("2025-12-31 10:00"), False, False)]  # Q4: not counted


def test_quarterly_scorecard_acme():
    cards = quarterly_scorecards(history(surveys=SURVEYS), Q1, NAMES, TARGETS)
    acme, globex = cards.cards
    # first response by month: Jan ACME-5, -1, -3, -4 met, ACME-2 breached: 4/5 = 80%;
    # Feb ACME-6 met: 100%; Mar ACME-7 breached: 0%. Quarter 5/7 = 71.4%.
    assert [(s.met, s.counted) for s in acme.monthly[FR]] == [(4, 5), (1, 1), (0, 1)]
    assert acme.metrics[FR].attainment == pytest.approx(5 / 7)
    # resolution: Jan ACME-5 (breached 2 Jan), -2, -3 breached, -1, -4 met: 2/5 = 40%;
    # Feb ACME-6 met, Mar ACME-7 met. Quarter 4/7 = 57.1%.
    assert [(s.met, s.counted) for s in acme.monthly[RES]] == [(2, 5), (1, 1), (1, 1)]
    # Q4: fr ACME-8, ACME-0 met: 100% -> -28.6 pp; res ACME-8 breached, ACME-0 met: 50% -> +7.1 pp
    assert acme.previous == {FR: 1.0, RES: 0.5}
    assert acme.change_pp(FR) == pytest.approx(-28.571428571)
    assert acme.change_pp(RES) == pytest.approx(7.142857143)
    # breaches: fr ACME-2, ACME-7; res ACME-5, ACME-2, ACME-3
    assert (acme.breaches, acme.excused, acme.opened, acme.resolved) == (5, 0, 7, 6)
    # fr times [600, 1000, 1200, 1800, 3000, 3600, 7200]: p50 rank 4, p90 rank 7
    assert (acme.metrics[FR].median_seconds, acme.metrics[FR].p90_seconds) == (1800, 7200)
    # res times [7200, 10000, 20000, 21600, 36000, 50000, 86400]
    assert (acme.metrics[RES].median_seconds, acme.metrics[RES].p90_seconds) == (21600, 86400)
    # surveys in Q1: satisfied 2 of 3 (66.7%, below 90%); communication good 1 of 2 (50%)
    csat, communication = acme.satisfaction["csat"], acme.satisfaction["communication"]
    assert (csat.positive, csat.answered, csat.above) == (2, 3, False)
    assert (communication.positive, communication.answered) == (1, 2)
    assert globex.satisfaction == {}  # no surveys: no satisfaction shown


def test_quarterly_scorecard_globex_and_vendor_filter():
    cards = quarterly_scorecards(history(), Q1, NAMES, TARGETS)
    globex = cards.cards[1]
    # Jan only: fr INFRA-1 met, INFRA-2 breached; res INFRA-1 breached, INFRA-2 met (12 Jan)
    assert [(s.met, s.counted) for s in globex.monthly[FR]] == [(1, 2), (0, 0), (0, 0)]
    assert [s.attainment for s in globex.monthly[RES]] == [0.5, None, None]
    assert (globex.breaches, globex.change_pp(FR)) == (2, None)
    assert [c.vendor for c in cards.cards] == ["acme", "globex"]  # OPS-1 has no provider
    only = quarterly_scorecards(history(), Q1, NAMES, TARGETS, vendor="globex")
    assert [c.vendor for c in only.cards] == ["globex"]
    assert [m.label for m, _ in only.monthly_trend["globex"]] == [
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


# ---- renderers -----------------------------------------------------------------------------

def test_weekly_text():
    text = render.weekly_text(weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA))
    assert text.startswith("Weekly SLA summary 2026-W02 (Mon 2026-01-05 to Sun 2026-01-11, UTC)\n")
    assert ("first response: 57.1% (4 of 7 met), below the 85% target, -42.9 pp from last week (100.0%); "
            "median 40m, p90 1h30m") in text
    assert "resolution: 50.0% (3 of 6 met), below the 95% target, +0.0 pp from last week (50.0%)" in text
    assert "first response: 75.0% (3 of 4 met), below the 85% target, -25.0 pp" in text  # ACME
    assert ("  1. ACME-2 resolution: 20h over (elapsed 1d, target 4h), ACME Outsourcing "
            'https://jira.example.com/browse/ACME-2 "Router down"') in text
    assert "== ACME Outsourcing\nopened 4, resolved 4, open breaches at the end of the week 1" in text
    assert "nearest-rank" in text


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a report's CSV, which starts with a BOM (for Excel)."""
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_weekly_csv():
    rows = csv_rows(report_csv.weekly_csv(weekly_summary(history(), W02, NAMES, TARGETS)))
    assert list(rows[0]) == report_csv.WEEKLY_HEADER
    assert [(r["vendor"], r["metric"]) for r in rows] == [
        ("(all)", FR), ("(all)", RES), ("acme", FR), ("acme", RES), ("globex", FR), ("globex", RES),
        ("", FR), ("", RES)]
    acme_fr = rows[2]
    assert (acme_fr["attainment_percent"], acme_fr["target_percent"], acme_fr["mark"]) == ("75.00", "85.00", "below")
    assert (acme_fr["change_pp"], acme_fr["median_seconds"], acme_fr["p90_seconds"]) == ("-25.00", "1200", "3600")
    assert (rows[4]["change_pp"], rows[0]["opened"], rows[0]["open_breaches"]) == ("", "7", "1")


def test_quarterly_text_and_csv():
    cards = quarterly_scorecards(history(surveys=SURVEYS), Q1, NAMES, TARGETS)
    text = render.quarterly_text(cards)
    assert "== ACME Outsourcing (acme)\nopened 7, resolved 6, breaches 5" in text
    assert "  by month: 2026-01 80.0% (4 of 5), 2026-02 100.0% (1 of 1), 2026-03 0.0% (0 of 1)" in text
    assert "-28.6 pp from 2025-Q4 (100.0%)" in text and "+7.1 pp from 2025-Q4 (50.0%)" in text
    assert "satisfaction: 66.7% (2 of 3 answers), below the 90% target" in text
    rows = csv_rows(report_csv.quarterly_csv(cards))
    assert list(rows[0]) == report_csv.QUARTERLY_HEADER
    acme_fr = [(r["period"], r["attainment_percent"], r["breaches"], r["change_pp"])
               for r in rows if r["vendor"] == "acme" and r["metric"] == FR]
    assert acme_fr == [("2026-01", "80.00", "1", ""), ("2026-02", "100.00", "0", ""),
                       ("2026-03", "0.00", "1", ""), ("2026-Q1", "71.43", "2", "-28.57")]
    csat = next(r for r in rows if r["metric"] == "csat")
    assert (csat["vendor"], csat["counted"], csat["met"], csat["attainment_percent"]) == ("acme", "3", "2", "66.67")
    assert not any(r["metric"] == "csat" for r in rows if r["vendor"] == "globex")


def _png_size(png: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.size


def test_chart_is_a_png():
    png = weekly_chart(weekly_summary(history(), W02, NAMES, TARGETS))
    assert png.startswith(PNG) and _png_size(png) == (800, 360)
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (360, 800)
    assert attainment_chart([], TARGETS, "empty").startswith(PNG)  # nothing to plot is still a chart


def test_html_pages_are_standalone():
    summary = weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA)
    page = report_html.weekly_html(summary, weekly_chart(summary))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<link" not in page
    assert "ACME Outsourcing" in page and "globex" in page
    found = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    import base64

    assert found and base64.b64decode(found.group(1)).startswith(PNG)
    assert '<a href="https://jira.example.com/browse/ACME-2">ACME-2</a>' in page
    assert "Backup &lt;failed&gt; &amp; retried" in page  # INFRA-1's summary, escaped
    cards = quarterly_scorecards(history(), Q1, NAMES, TARGETS)
    page = report_html.quarterly_html(cards, scorecard_charts(cards))
    assert "ACME Outsourcing" in page and page.count('<img src="data:image/png;base64,') == 2
    assert '<td class="below">71.4%</td>' in page


# ---- Slack ---------------------------------------------------------------------------------

def _texts(blocks) -> str:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", [])]
    return "\n".join(out)


def test_weekly_slack_message():
    text, blocks = weekly_message(weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA))
    assert text == ("Weekly SLA summary 2026-W02 for All vendors: first response 57.1% (target 85%, below), "
                    "resolution 50.0% (target 95%, below); open breaches: 1")
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                     "text": "Weekly SLA summary · 2026-W02"}}
    body = _texts(blocks)
    assert "❌ *first response* 57.1% (4/7, target 85%) · -42.9 pp vs last week · median 40m, p90 1h30m" in body
    assert "1. <https://jira.example.com/browse/ACME-2|ACME-2> resolution · 20h over (target 4h)" in body
    assert "Backup &lt;failed&gt; &amp; retried" in body
    assert len(blocks) <= MAX_BLOCKS


def test_weekly_slack_message_shows_above_target():
    records = [ClockRecord("ACME-1", FR, 1, "acme", 3600, 60, at("2026-01-05 10:00"), None)]
    _, blocks = weekly_message(weekly_summary(History(records), W02, NAMES, TARGETS))
    assert "✅ *first response* 100.0% (1/1, target 85%)" in _texts(blocks)


def test_slack_limits_with_many_vendors():
    names = {f"v{i:02d}": f"Vendor {i:02d} " + "x" * 200 for i in range(60)}
    records = [ClockRecord(f"T-{i}", FR, 1, v, 3600, 60 * i, at("2026-01-06 10:00"), None, summary="y" * 3000)
               for i, v in enumerate(names)]
    text, blocks = weekly_message(weekly_summary(History(records), W02, names, TARGETS))
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in blocks if b["type"] == "section")
    assert blocks[-1]["elements"][0]["text"].startswith("39 more not shown here; See `slawatch report weekly")
    _, blocks = scorecard_message(quarterly_scorecards(History(records), Q1, names, TARGETS))
    assert len(blocks) <= MAX_BLOCKS and "slawatch report quarterly" in blocks[-1]["elements"][0]["text"]


def test_scorecard_slack_message():
    text, blocks = scorecard_message(quarterly_scorecards(history(surveys=SURVEYS), Q1, NAMES, TARGETS))
    assert text.startswith("Quarterly provider scorecards 2026-Q1: ACME Outsourcing: first response 71.4% "
                           "(target 85%, below)")
    body = _texts(blocks)
    assert "*ACME Outsourcing* · opened 7 · resolved 6 · breaches 5" in body
    assert "by month: Jan 80.0% · Feb 100.0% · Mar 0.0%" in body
    assert "❌ *satisfaction* 66.7% (2/3 answers, target 90%)" in body
    assert "-28.6 pp vs 2025-Q4" in body


# ---- the same history in a real database ---------------------------------------------------

def store_history(db_url: str) -> None:
    """Write TICKET_ROWS and CLOCK_ROWS into the tickets and clocks tables."""
    tickets = [{"key": key, "vendor": vendor, "created_at": at(created), "summary": summary,
                "deleted": False} for key, (vendor, created, summary) in TICKET_ROWS.items()]
    clocks = [{"ticket": key, "metric": metric, "cycle": 1, "state": "stopped" if stopped else "paused",
               "target_seconds": target, "elapsed_seconds": elapsed, "paused_seconds": 0,
               "started_at": at(TICKET_ROWS[key][1]), "stopped_at": _instant(stopped),
               "due_at": None, "breached_at": _instant(breached), "policy": "standard", "calendar": "always",
               "rules_version": "test", "computed_at": _instant(stopped) or at("2026-01-08 09:00"),
               "vendor": TICKET_ROWS[key][0]}
              for key, metric, target, elapsed, stopped, breached in CLOCK_ROWS]
    database = Database(db_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(insert(TICKETS), tickets)
            connection.execute(insert(CLOCKS), clocks)
    finally:
        database.dispose()


@pytest.fixture
def stored(db_url):
    store_history(db_url)
    database = Database(db_url)
    yield database
    database.dispose()


RULES = parse_rules(RULES_YAML)
NOW = at("2026-04-02 08:00")


def test_stored_history_reads_back_as_the_same_records(stored):
    with stored.reading() as session:
        clocks = load_clock_records(session, at("2025-01-01 00:00"), at("2027-01-01 00:00"), NOW, RULES.calendars)
        tickets = load_ticket_records(session, W02.start, W02.end)
    key = lambda c: (c.ticket, c.metric)  # noqa: E731
    assert sorted(clocks, key=key) == sorted(history().clocks, key=key)
    assert sorted(t.key for t in tickets) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "INFRA-1", "INFRA-2", "OPS-1"]


def test_stored_weekly_summary_and_scorecards(stored):
    with stored.reading() as session:
        summary = stored_summary(session, RULES, W02, NOW, jira_url=JIRA)
        cards = stored_scorecards(session, RULES, Q1, NOW, vendor="acme")
    assert summary == weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA)
    fr = summary.overall.metrics[FR]
    assert (fr.met, fr.counted, fr.median_seconds, fr.p90_seconds) == (4, 7, 2400, 5400)
    (acme,) = cards.cards
    assert [(s.met, s.counted) for s in acme.monthly[FR]] == [(4, 5), (1, 1), (0, 1)]
    assert acme.previous == {FR: 1.0, RES: 0.5}


def test_a_running_clock_is_completed_up_to_now(db_url):
    """Stored at 10:00 with 10m elapsed and due at 10:50: at 10:30 it has run 40m; at 12:00 it
    breached at 10:50 and has run 2h10m (the `always` calendar is 24x7)."""
    database = Database(db_url)
    row = {"ticket": "INFRA-9", "metric": FR, "cycle": 1, "state": "running", "target_seconds": 3600,
           "elapsed_seconds": 600, "paused_seconds": 0, "started_at": at("2026-01-08 09:50"),
           "stopped_at": None, "due_at": at("2026-01-08 10:50"), "breached_at": None, "policy": "standard",
           "calendar": "always", "rules_version": "test", "computed_at": at("2026-01-08 10:00"),
           "vendor": "globex"}
    ticket = {"key": "INFRA-9", "vendor": "globex", "created_at": at("2026-01-08 09:50"), "deleted": False}
    with database.engine.begin() as connection:
        connection.execute(insert(TICKETS), ticket)
        connection.execute(insert(CLOCKS), row)
    with database.reading() as session:
        (before,) = load_clock_records(session, W02.start, W02.end, at("2026-01-08 10:30"), RULES.calendars)
        (after,) = load_clock_records(session, W02.start, W02.end, at("2026-01-08 12:00"), RULES.calendars)
        summary = stored_summary(session, RULES, W02, at("2026-01-12 08:00"))
    database.dispose()
    assert (before.breached_at, before.elapsed_seconds) == (None, 2400)
    assert (after.breached_at, after.elapsed_seconds) == (at("2026-01-08 10:50"), 7800)
    assert summary.overall.open_breaches == 1 and summary.overall.metrics[FR].met == 0


def test_the_weekly_summary_shows_the_surveys_answered_that_week():
    summary = weekly_summary(history(surveys=SURVEYS), W02, NAMES, TARGETS)  # 5-11 January: two answers
    acme = next(s for s in summary.vendors if s.vendor == "acme")
    assert {q: (s.positive, s.answered) for q, s in acme.satisfaction.items()} == {
        "csat": (2, 2), "communication": (1, 1)}
    assert next(s for s in summary.vendors if s.vendor == "globex").satisfaction == {}
    text = render.weekly_text(summary)
    assert "satisfaction: 100.0% (2 of 2 answers), above the 90% target" in text
    rows = [r for r in csv_rows(report_csv.weekly_csv(summary)) if r["metric"] == "csat"]
    assert [(r["vendor"], r["counted"], r["met"], r["attainment_percent"]) for r in rows] == [
        ("(all)", "2", "2", "100.00"), ("acme", "2", "2", "100.00")]
    _, blocks = weekly_message(summary)
    assert "*satisfaction* 100.0% (2/2 answers, target 90%)" in str(blocks)
    assert "Satisfaction surveys answered this week" in report_html.weekly_html(summary, None)
    later = weekly_summary(history(surveys=SURVEYS), week_of(date(2026, 1, 14), "UTC"), NAMES, TARGETS)
    assert later.overall.satisfaction == {} and "satisfaction:" not in render.weekly_text(later)
