"""The weekly summary and the quarterly scorecard jobs, called by the scheduler's leader.

    run_weekly(db, rules, now, enqueue, jira_url)      # now: the scheduled instant (rules.reports.weekly)
    run_quarterly(db, rules, now, enqueue, jira_url)   # now: the scheduled instant (rules.reports.quarterly)
    post_report(db, rules, kind, period, now, jira_url, vendor)   # also `slawatch report --post`

A message speaks the language of its reader (docs/i18n.md): a vendor's weekly summary and a
vendor's scorecard `rules.locale_for(vendor)` (`vendors.<id>.locale`, else `locale:`), the
report of every vendor `rules.locale`; its chart too.

Posting a report freezes its period (store/freeze.py): later changes of its clocks are recorded
as late changes, and only `slawatch repair` re-judges it.

`enqueue` is store.outbox.enqueue: `enqueue(session, Outgoing(...), now) -> bool`, to be called
inside a `db.write(...)` transaction. A job may run again for the same instant (a new leader
after a crash): the outbox keys of report messages include the period
(`report:weekly:2026-W47[:vendor]`), so a second run posts nothing new.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from connectors.slack_reports import scorecard_message, weekly_message
from processors.report_render import chart_title
from processors.periods import Period, last_complete_quarter, last_complete_week
from processors.reports import in_locale
from processors.rules import Rules
from store import history
from store.db import Database
from store.freeze import freeze

log = logging.getLogger(__name__)


def run_weekly(db: Database, rules: Rules, now: datetime, enqueue: Callable[..., Any],
               jira_url: str | None = None) -> None:
    """The summary of the last complete week before `now` (in reports.weekly.timezone)."""
    period = last_complete_week(now, rules.reports.weekly.timezone)
    post_report(db, rules, "weekly", period, now, jira_url, enqueue=enqueue)


def run_quarterly(db: Database, rules: Rules, now: datetime, enqueue: Callable[..., Any],
                  jira_url: str | None = None) -> None:
    """The scorecards of the last complete quarter before `now` (periods in reports.weekly.timezone)."""
    period = last_complete_quarter(now, rules.reports.weekly.timezone)
    post_report(db, rules, "quarterly", period, now, jira_url, enqueue=enqueue)


def destinations(rules: Rules, kind: str, vendor: str | None = None) -> list[tuple[str | None, str]]:
    """(vendor or None for all, channel) for each message a report makes: the whole report to
    reports.<kind>.channel; for the weekly summary also each vendor's own summary to the
    vendor's channel. With `vendor`: the weekly summary of that vendor to its channel (else to
    reports.weekly.channel), its scorecard to reports.quarterly.channel."""
    channel = getattr(rules.reports, kind).channel
    if kind == "quarterly":
        return [(vendor, channel)] if channel else []
    if vendor is not None:
        own = next((v.channel for v in rules.vendors if v.id == vendor), None) or channel
        return [(vendor, own)] if own else []
    return [(None, channel)] * bool(channel) + [(v.id, v.channel) for v in rules.vendors if v.channel]


def _weekly_chart(report: Any, locale: str) -> bytes | None:
    """The weekly chart; None without matplotlib (an install without the `charts` extra)."""
    try:
        from processors import charts  # matplotlib: loaded only when a chart is drawn
    except ImportError:
        log.info("the weekly report goes without its chart: matplotlib is not installed "
                 "(pip install 'slawatch[charts]')")
        return None
    return charts.weekly_chart(in_locale(report, locale), locale)


def post_report(db: Database, rules: Rules, kind: str, period: Period, now: datetime,
                jira_url: str | None = None, vendor: str | None = None,
                enqueue: Callable[..., Any] | None = None, locale: str | None = None) -> list[tuple[str, bool]]:
    """Compute a report from the stored history and put its messages in the outbox (see
    `destinations`); the weekly summary's chart goes into its thread. Returns (channel, new)
    per message: new is False when that message was queued before. Empty: no channel is set.
    `locale` (`slawatch report --post --locale`): every message in it, else each its reader's."""
    out = []
    for who, channel in destinations(rules, kind, vendor):
        with db.reading() as session:
            report = history.build_report(session, rules, kind, period, now, jira_url, who)
        speaks = locale or rules.locale_for(who)
        if kind == "weekly":
            (text, blocks), chart = weekly_message(report, speaks), _weekly_chart(report, speaks)
        else:
            (text, blocks), chart = scorecard_message(report, speaks), None
        new = db.write(lambda session: history.enqueue_report(
            session, kind, period, channel, text, blocks, chart, now, vendor=who, enqueue=enqueue,
            chart_title=chart_title(period, speaks)))
        log.info("%s report %s%s for %s: %s", kind, period.label, f" ({who})" if who else "", channel,
                 "queued" if new else "queued before")
        out.append((channel, new))
    if not out:
        log.info("%s report %s: no channel in the rules, not posted", kind, period.label)
    else:  # posted: its figures are the evidence now (store/freeze.py)
        db.write(lambda session: freeze(session, rules, period, now, "posted"))
    return out
