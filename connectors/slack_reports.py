"""Block Kit for the reports: the weekly summary and the quarterly provider scorecards.

    text, blocks = weekly_message(summary, locale)      # text: the plain-text fallback (notifications)
    text, blocks = scorecard_message(cards, locale)     # locale: "en", "zh_CN" (docs/i18n.md)

Within Slack's limits: at most 50 blocks (vendors past that are named in a last context block,
with a pointer to `slawatch report`), section text at most 3000 characters, header text at most
150. The chart is not a block: the outbox uploads it with `files_upload_v2` next to the message.
"""
from __future__ import annotations

from typing import Any

from connectors.input_checks import is_issue_key
from connectors.slack_blocks import escape
from processors.i18n import format_date, period_label, translator
from processors.periods import Period
from processors.reports import (
    METRICS, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary, WeekSection,
    in_locale,
)
from processors.report_render import (
    communication_lines, dur, joined, judged_text, metric_name, pct, per_section, period_text, pp, target_pct,
    targets_text,
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


def metric_line(stats: MetricStats, change: float | None, since: str, locale: str = "en") -> str:
    _ = translator(locale).gettext
    line = _("*%(metric)s* %(attainment)s (%(met)d/%(counted)d, target %(target)s) · %(change)s vs %(since)s"
             " · median %(median)s, p90 %(p90)s") % {
        "metric": metric_name(stats.metric, locale), "attainment": pct(stats.attainment, locale),
        "met": stats.met, "counted": stats.counted, "target": target_pct(stats.target, locale),
        "change": pp(change, locale), "since": since, "median": dur(stats.median_seconds, locale),
        "p90": dur(stats.p90_seconds, locale)}
    return f"{icon(stats.above)} {line}"


def judged_context(judged: tuple[Judged, ...], locale: str = "en") -> list[Block]:
    """The rules versions that judged the report, as a context block (none if nothing counted)."""
    text = judged_text(judged, locale)
    return [context(translator(locale).gettext("Judged by %(rules)s.") % {"rules": escape(text)})] if text else []


def _judged_line(judged: tuple[Judged, ...], shown: bool, locale: str) -> list[str]:
    text = judged_text(judged, locale) if shown else None
    if not text:
        return []
    return ["_" + translator(locale).gettext("judged by %(rules)s") % {"rules": escape(text)} + "_"]


def _capped(head: list[Block], parts: list[list[Block]], tail: list[Block], names: list[str],
            hint: str, locale: str) -> list[Block]:
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
        note = translator(locale).gettext("%(count)d more not shown here; %(hint)s They are: %(names)s")
        blocks.append(context(note % {"count": len(left), "hint": hint, "names": escape(joined(left, locale))}))
    return blocks


# ---- weekly --------------------------------------------------------------------------------

def _week_section(section_: WeekSection, versions: bool = False, locale: str = "en") -> Block:
    _ = translator(locale).gettext
    counts = _("*%(name)s* · opened %(opened)d · resolved %(resolved)d · open breaches %(open)d") % {
        "name": escape(section_.name), "opened": section_.opened, "resolved": section_.resolved,
        "open": section_.open_breaches}
    lines = [counts, *_judged_line(section_.judged_by, versions, locale)]
    last_week = _("last week")
    lines += [metric_line(section_.metrics[m], section_.change_pp(m), last_week, locale) for m in METRICS]
    lines += [satisfaction_line(s, locale) for s in section_.satisfaction.values()]
    lines += [escape(line) for line in communication_lines(section_.communication, section_.handaways, locale)]
    if section_.excused:
        lines.append(_("excused breaches (not counted): %(breaches)s") % {"breaches": len(section_.excused)})
    return section("\n".join(lines))


def _breach_line(summary: WeeklySummary, rank: int, record: ClockRecord, locale: str) -> str:
    _ = translator(locale).gettext
    link = summary.link(record.ticket)
    key = f"<{link}|{escape(record.ticket)}>" if link and is_issue_key(record.ticket) else escape(record.ticket)
    about = f" — {escape(record.summary)}" if record.summary else ""
    vendor = escape(summary.names.get(record.vendor, record.vendor or ""))
    line = _("%(ticket)s %(metric)s · %(over)s over (target %(target)s) · %(vendor)s") % {
        "ticket": key, "metric": metric_name(record.metric, locale), "over": dur(record.over_seconds, locale),
        "target": dur(record.target_seconds, locale), "vendor": vendor}
    return f"{rank}. {line}{about}"


def verdict(stats: MetricStats, locale: str = "en") -> str:
    """Plain text: "first response 75.0% (target 85%, below)"."""
    _ = translator(locale).gettext
    words = {True: _("%(metric)s %(attainment)s (target %(target)s, above)"),
             False: _("%(metric)s %(attainment)s (target %(target)s, below)"),
             None: _("%(metric)s %(attainment)s (target %(target)s)")}[stats.above]
    return words % {"metric": metric_name(stats.metric, locale), "attainment": pct(stats.attainment, locale),
                    "target": target_pct(stats.target, locale)}


def weekly_text(summary: WeeklySummary, locale: str = "en") -> str:
    """The fallback: one line with the overall verdicts."""
    _ = translator(locale).gettext
    summary = in_locale(summary, locale)
    overall = summary.overall
    verdicts = joined([verdict(overall.metrics[m], locale) for m in METRICS], locale)
    text = _("Weekly SLA summary %(period)s for %(name)s: %(verdicts)s; open breaches: %(open)d") % {
        "period": period_label(summary.period, locale), "name": overall.name, "verdicts": verdicts,
        "open": overall.open_breaches}
    return clip(text, MAX_SECTION)


def weekly_message(summary: WeeklySummary, locale: str = "en") -> tuple[str, list[Block]]:
    """The summary as Block Kit, in `locale`: (the notification's text, the blocks)."""
    _ = translator(locale).gettext
    summary = in_locale(summary, locale)
    versions = per_section(summary.overall.judged_by)
    title = _("Weekly SLA summary · %(period)s") % {"period": period_label(summary.period, locale)}
    head = [header(title), context(escape(period_text(summary.period, locale))),
            *judged_context(summary.overall.judged_by, locale), _week_section(summary.overall, locale=locale)]
    parts = [[DIVIDER, _week_section(s, versions, locale)] for s in summary.vendors]
    worst = summary.overall.worst
    lines = "\n".join(_breach_line(summary, i, r, locale) for i, r in enumerate(worst, 1)) or _("None this week.")
    worst_title = _("Worst breaches")
    tail = [DIVIDER, section(f"*{worst_title}*\n{lines}")]
    tail.append(context(_("Median and p90: nearest-rank percentiles of elapsed business time. "
                          "Chart: attainment per week, last 12 weeks.")))
    hint = _("See `slawatch report weekly --end %(day)s`.") % {"day": summary.period.last_day}
    blocks = _capped(head, parts, tail, [s.name for s in summary.vendors], hint, locale)
    return weekly_text(summary, locale), blocks


# ---- quarterly -----------------------------------------------------------------------------

def _card_section(cards: QuarterlyScorecards, card: Scorecard, locale: str) -> Block:
    _ = translator(locale).gettext
    counts = {"name": escape(card.name), "opened": card.opened, "resolved": card.resolved,
              "breaches": card.breaches, "excused": card.excused}
    first = (_("*%(name)s* · opened %(opened)d · resolved %(resolved)d · breaches %(breaches)d "
               "(%(excused)d excused, not counted)") if card.excused
             else _("*%(name)s* · opened %(opened)d · resolved %(resolved)d · breaches %(breaches)d")) % counts
    lines = [first, *_judged_line(card.judged_by, per_section(cards.judged_by), locale)]
    since = period_label(cards.previous, locale)
    for m in METRICS:
        lines.append(metric_line(card.metrics[m], card.change_pp(m), since, locale))
        months = " · ".join(_("%(month)s %(attainment)s") % {"month": month_name(month, locale),
                                                              "attainment": pct(s.attainment, locale)}
                            for month, s in zip(cards.months, card.monthly[m]))
        lines.append("      " + _("by month: %(months)s") % {"months": months})
    lines += [satisfaction_line(s, locale) for s in card.satisfaction.values()]
    lines += [escape(line) for line in communication_lines(card.communication, card.handaways, locale)]
    return section("\n".join(lines))


def month_name(month: Period, locale: str) -> str:
    """"Jan" (en), "1月" (zh_CN): the month's abbreviated name (the quarter is in the header)."""
    return format_date(month.first_day, locale, "MMM")


def satisfaction_line(s: Satisfaction, locale: str = "en") -> str:
    line = translator(locale).gettext("*%(metric)s* %(attainment)s (%(positive)d/%(answered)d answers, "
                                      "target %(target)s)") % {
        "metric": metric_name(s.question, locale), "attainment": pct(s.attainment, locale),
        "positive": s.positive, "answered": s.answered, "target": target_pct(s.target, locale)}
    return f"{icon(s.above)} {line}"


def scorecard_text(cards: QuarterlyScorecards, locale: str = "en") -> str:
    _ = translator(locale).gettext
    verdicts = joined([_("%(name)s: %(verdicts)s") % {
        "name": card.name, "verdicts": joined([verdict(card.metrics[m], locale) for m in METRICS], locale)}
        for card in cards.cards], locale, "semicolon")
    text = _("Quarterly provider scorecards %(period)s: %(verdicts)s") % {
        "period": period_label(cards.period, locale), "verdicts": verdicts or _("no vendors")}
    return clip(text, MAX_SECTION)


def scorecard_message(cards: QuarterlyScorecards, locale: str = "en") -> tuple[str, list[Block]]:
    """The scorecards as Block Kit, in `locale`: (the notification's text, the blocks)."""
    _ = translator(locale).gettext
    title = _("Quarterly provider scorecards · %(period)s") % {"period": period_label(cards.period, locale)}
    intro = _("%(period)s · targets: %(targets)s") % {"period": period_text(cards.period, locale),
                                                     "targets": targets_text(cards.targets, locale)}
    head = [header(title), context(escape(intro)), *judged_context(cards.judged_by, locale)]
    parts = [[DIVIDER, _card_section(cards, card, locale)] for card in cards.cards]
    tail = [context(_("Median and p90: nearest-rank percentiles of elapsed business time. Export: "
                      "`slawatch report quarterly --vendor V --format html|csv`."))]
    hint = _("See `slawatch report quarterly --end %(day)s`.") % {"day": cards.period.last_day}
    blocks = _capped(head, parts, tail, [c.name for c in cards.cards], hint, locale)
    return scorecard_text(cards, locale), blocks
