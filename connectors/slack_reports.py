"""Block Kit for the reports: the weekly summary and the quarterly provider scorecards.

    text, blocks = weekly_message(summary)      # text: the plain-text fallback (notifications)
    text, blocks = scorecard_message(cards)

Within Slack's limits: at most 50 blocks (vendors past that are named in a last context block,
with a pointer to `slawatch report`), section text at most 3000 characters, header text at most
150. The chart is not a block: the outbox uploads it with `files_upload_v2` next to the message.
"""
from __future__ import annotations

from typing import Any

from connectors.input_checks import is_issue_key
from connectors.slack_blocks import escape
from processors.reports import (
    METRICS, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary, WeekSection,
)
from processors.report_render import (
    METRIC_NAMES, communication_lines, dur, judged_text, mark, pct, per_section, period_text, pp, target_pct,
)
from processors.rule_schedule import Judged

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
Block = dict[str, Any]


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER), "emoji": True}}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_SECTION)}]}


DIVIDER: Block = {"type": "divider"}


def icon(above: bool | None) -> str:
    return {True: "✅", False: "❌", None: "➖"}[above]


def metric_line(stats: MetricStats, change: float | None, since: str) -> str:
    return (f"{icon(stats.above)} *{METRIC_NAMES[stats.metric]}* {pct(stats.attainment)} "
            f"({stats.met}/{stats.counted}, target {target_pct(stats.target)}) · {pp(change)} vs {since}"
            f" · median {dur(stats.median_seconds)}, p90 {dur(stats.p90_seconds)}")


def judged_context(judged: tuple[Judged, ...]) -> list[Block]:
    """The rules versions that judged the report, as a context block (none if nothing counted)."""
    text = judged_text(judged)
    return [context(f"Judged by {escape(text)}.")] if text else []


def _judged_line(judged: tuple[Judged, ...], shown: bool) -> list[str]:
    text = judged_text(judged) if shown else None
    return [f"_judged by {escape(text)}_"] if text else []


def _capped(head: list[Block], parts: list[list[Block]], tail: list[Block], names: list[str],
            hint: str) -> list[Block]:
    """head + as many whole parts as fit + tail, and a note naming the parts left out."""
    room = MAX_BLOCKS - len(head) - len(tail) - 1
    blocks, shown = list(head), 0
    for part in parts:
        if len(blocks) - len(head) + len(part) > room:
            break
        blocks += part
        shown += 1
    blocks += tail
    if shown < len(parts):
        left = names[shown:]
        blocks.append(context(f"{len(left)} more not shown here; {hint} They are: {escape(', '.join(left))}"))
    return blocks


# ---- weekly --------------------------------------------------------------------------------

def _week_section(section_: WeekSection, versions: bool = False) -> Block:
    lines = [f"*{escape(section_.name)}* · opened {section_.opened} · resolved {section_.resolved}"
             f" · open breaches {section_.open_breaches}", *_judged_line(section_.judged_by, versions)]
    lines += [metric_line(section_.metrics[m], section_.change_pp(m), "last week") for m in METRICS]
    lines += [satisfaction_line(s) for s in section_.satisfaction.values()]
    lines += [escape(line) for line in communication_lines(section_.communication, section_.handaways)]
    if section_.excused:
        lines.append(f"excused breaches (not counted): {len(section_.excused)}")
    return section("\n".join(lines))


def _breach_line(summary: WeeklySummary, rank: int, record: ClockRecord) -> str:
    link = summary.link(record.ticket)
    key = f"<{link}|{escape(record.ticket)}>" if link and is_issue_key(record.ticket) else escape(record.ticket)
    about = f" — {escape(record.summary)}" if record.summary else ""
    vendor = escape(summary.names.get(record.vendor, record.vendor or ""))
    return (f"{rank}. {key} {METRIC_NAMES[record.metric]} · {dur(record.over_seconds)} over "
            f"(target {dur(record.target_seconds)}) · {vendor}{about}")


def verdict(stats: MetricStats) -> str:
    """Plain text: "first response 75.0% (target 85%, below)"."""
    judged = f", {mark(stats.above)}" if stats.above is not None else ""
    return f"{METRIC_NAMES[stats.metric]} {pct(stats.attainment)} (target {target_pct(stats.target)}{judged})"


def weekly_text(summary: WeeklySummary) -> str:
    """The fallback: one line with the overall verdicts."""
    overall = summary.overall
    verdicts = ", ".join(verdict(overall.metrics[m]) for m in METRICS)
    return clip(f"Weekly SLA summary {summary.period.label} for {overall.name}: {verdicts}; "
                f"open breaches: {overall.open_breaches}", MAX_SECTION)


def weekly_message(summary: WeeklySummary) -> tuple[str, list[Block]]:
    versions = per_section(summary.overall.judged_by)
    head = [header(f"Weekly SLA summary · {summary.period.label}"),
            context(escape(period_text(summary.period))), *judged_context(summary.overall.judged_by),
            _week_section(summary.overall)]
    parts = [[DIVIDER, _week_section(s, versions)] for s in summary.vendors]
    worst = summary.overall.worst
    tail = [DIVIDER, section("*Worst breaches*\n" + ("\n".join(
        _breach_line(summary, i, r) for i, r in enumerate(worst, 1)) or "None this week."))]
    tail.append(context("Median and p90: nearest-rank percentiles of elapsed business time. "
                        "Chart: attainment per week, last 12 weeks."))
    blocks = _capped(head, parts, tail, [s.name for s in summary.vendors],
                     f"See `slawatch report weekly --end {summary.period.last_day}`.")
    return weekly_text(summary), blocks


# ---- quarterly -----------------------------------------------------------------------------

def _card_section(cards: QuarterlyScorecards, card: Scorecard) -> Block:
    lines = [f"*{escape(card.name)}* · opened {card.opened} · resolved {card.resolved} · "
             f"breaches {card.breaches}"
             + (f" ({card.excused} excused, not counted)" if card.excused else ""),
             *_judged_line(card.judged_by, per_section(cards.judged_by))]
    for m in METRICS:
        lines.append(metric_line(card.metrics[m], card.change_pp(m), cards.previous.label))
        lines.append("      by month: " + " · ".join(
            f"{month.first_day:%b} {pct(s.attainment)}" for month, s in zip(cards.months, card.monthly[m])))
    lines += [satisfaction_line(s) for s in card.satisfaction.values()]
    lines += [escape(line) for line in communication_lines(card.communication, card.handaways)]
    return section("\n".join(lines))


def satisfaction_line(s: Satisfaction) -> str:
    return (f"{icon(s.above)} *{METRIC_NAMES[s.question]}* {pct(s.attainment)} "
            f"({s.positive}/{s.answered} answers, target {target_pct(s.target)})")


def scorecard_text(cards: QuarterlyScorecards) -> str:
    verdicts = "; ".join(f"{card.name}: " + ", ".join(verdict(card.metrics[m]) for m in METRICS)
                         for card in cards.cards)
    return clip(f"Quarterly provider scorecards {cards.period.label}: {verdicts or 'no vendors'}",
                MAX_SECTION)


def scorecard_message(cards: QuarterlyScorecards) -> tuple[str, list[Block]]:
    head = [header(f"Quarterly provider scorecards · {cards.period.label}"),
            context(escape(period_text(cards.period)) + " · targets: " + ", ".join(
                f"{METRIC_NAMES[m]} {target_pct(cards.targets.get(m))}" for m in METRICS)),
            *judged_context(cards.judged_by)]
    parts = [[DIVIDER, _card_section(cards, card)] for card in cards.cards]
    tail = [context("Median and p90: nearest-rank percentiles of elapsed business time. Export: "
                    "`slawatch report quarterly --vendor V --format html|csv`.")]
    blocks = _capped(head, parts, tail, [c.name for c in cards.cards],
                     f"See `slawatch report quarterly --end {cards.period.last_day}`.")
    return scorecard_text(cards), blocks
