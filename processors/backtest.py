"""Backtest (pure): the stored history judged by the rules in force and by proposed rules, side
by side. Feed it one ticket's events at a time (`add`), then read `result()`:

    test = Backtest(current, proposed, window, now, vendor=None)
    for events in tickets: test.add(events)
    comparison = test.result()

Either side may be a `RuleSchedule` (effective-dated rules): each ticket is then judged by the
version its creation instant maps to, and the targets are those of the side's current rules.

What counts is what the reports count (processors/reports.py): a clock counts in the window its
end (the earlier of stop and breach) falls in, for the vendor it was attributed to then.
- attainment per vendor and metric, under each rules set (`MetricStats`, same arithmetic);
- breaches gained: clocks (ticket, metric, cycle) counted and breached under the proposed rules
  that were not breached under the current ones; breaches lost: the reverse;
- the tickets whose verdict changes: those with a breach gained or lost.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from processors.events import TicketEvent
from processors.i18n import DEFAULT_LOCALE, translator
from processors.periods import Period
from processors.report_render import dur
from processors.reports import NO_VENDOR, ClockRecord, MetricStats, metric_stats
from processors.rule_schedule import RuleSchedule, as_schedule
from processors.rules import ALL_METRICS, COMMUNICATION_METRICS, METRICS, Rules
from processors.sla import evaluate

ALL = "*"  # the vendor key of the all-vendors line

ClockId = tuple[str, str, int]  # ticket, metric, cycle


@dataclass(frozen=True)
class Change:
    """One clock whose verdict differs: `before`/`after` are None when it does not count there."""

    ticket: str
    metric: str
    cycle: int
    before: ClockRecord | None
    after: ClockRecord | None

    @property
    def gained(self) -> bool:
        return self.after is not None and not self.after.met


@dataclass(frozen=True)
class Comparison:
    window: Period
    vendor: str | None
    tickets: int  # tickets evaluated
    before: Mapping[tuple[str, str], MetricStats]  # (vendor id or ALL or NO_VENDOR, metric)
    after: Mapping[tuple[str, str], MetricStats]
    changes: tuple[Change, ...]

    @property
    def gained(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.gained)

    @property
    def lost(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.gained)

    @property
    def changed_tickets(self) -> tuple[str, ...]:
        return tuple(sorted({c.ticket for c in self.changes}))

    @property
    def unchanged(self) -> bool:
        """No verdict changes and the same attainment everywhere."""
        def shares(stats):
            return {k: (s.met, s.counted) for k, s in stats.items()}
        return not self.changes and shares(self.before) == shares(self.after)


@dataclass
class Backtest:
    current: Rules | RuleSchedule
    proposed: Rules | RuleSchedule
    window: Period
    now: datetime
    vendor: str | None = None
    tickets: int = 0
    _records: tuple[list[ClockRecord], list[ClockRecord]] = field(default_factory=lambda: ([], []))

    def __post_init__(self) -> None:
        self.current, self.proposed = as_schedule(self.current), as_schedule(self.proposed)

    def add(self, events: Iterable[TicketEvent], current: bool = True) -> None:
        """One ticket's events; `current=False`: its clocks under the rules in force are known
        already (given to `add_current`), so only the proposed rules are evaluated."""
        events = list(events)
        if not events:
            return
        self.tickets += 1
        sides = zip((self.current, self.proposed), self._records)
        for schedule, records in (sides if current else list(sides)[1:]):
            rules = schedule.rules_for(events)
            state = evaluate(events, rules, self.now)
            if state is None:
                continue
            summary = state.facts.get("summary")
            for clock in state.clocks:
                record = ClockRecord(state.key, clock.metric, clock.cycle, clock.vendor,
                                     int(clock.target.total_seconds()), int(clock.elapsed.total_seconds()),
                                     clock.stopped_at, clock.breached_at, summary, rules_version=rules.version,
                                     ended_by=clock.ended_by)
                if self._counts(record):
                    records.append(record)

    def add_current(self, records: Iterable[ClockRecord]) -> None:
        """Clocks under the rules in force taken from the clock cache (not re-evaluated)."""
        self._records[0].extend(r for r in records if self._counts(r))

    def _counts(self, record: ClockRecord) -> bool:
        return self.window.contains(record.ended_at) and (self.vendor is None or record.vendor == self.vendor)

    def records(self) -> tuple[list[ClockRecord], list[ClockRecord]]:
        """The clocks counted so far, under the current and the proposed rules."""
        return self._records

    def absorb(self, tickets: int, before: list[ClockRecord], after: list[ClockRecord]) -> None:
        """Take in what another Backtest of the same rules and window counted (a worker's part)."""
        self.tickets += tickets
        self._records[0].extend(before)
        self._records[1].extend(after)

    def result(self) -> Comparison:
        before, after = self._records
        return Comparison(self.window, self.vendor, self.tickets, self._stats(before, self.current.current),
                          self._stats(after, self.proposed.current), _changes(before, after))

    def _stats(self, records: list[ClockRecord], rules: Rules) -> dict[tuple[str, str], MetricStats]:
        groups: dict[str, list[ClockRecord]] = defaultdict(list)
        for record in records:
            groups[record.vendor or NO_VENDOR].append(record)
            groups[ALL].append(record)
        metrics = METRICS + tuple(m for m in COMMUNICATION_METRICS if any(r.metric == m for r in records))
        targets = {**rules.targets, **{m: rules.target_of(m) for m in COMMUNICATION_METRICS}}
        return {(vendor, metric): metric_stats(mine, metric, self.window, targets)
                for vendor, mine in groups.items() for metric in metrics}


def _changes(before: list[ClockRecord], after: list[ClockRecord]) -> tuple[Change, ...]:
    old: dict[ClockId, ClockRecord] = {(r.ticket, r.metric, r.cycle): r for r in before}
    new: dict[ClockId, ClockRecord] = {(r.ticket, r.metric, r.cycle): r for r in after}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        was_breached = was is not None and not was.met
        now_breached = now is not None and not now.met
        if was_breached != now_breached:
            changes.append(Change(*key, was, now))
    return tuple(changes)


def _percent(stats: MetricStats | None) -> str:
    if stats is None or stats.attainment is None:
        return "    -"
    return f"{stats.attainment * 100:5.1f}% ({stats.met}/{stats.counted})"


def _duration(seconds: int, locale: str) -> str:
    if locale != DEFAULT_LOCALE:
        return dur(abs(seconds), locale)
    hours, rest = divmod(abs(seconds) // 60, 60)
    return f"{hours}h{rest:02d}m" if hours else f"{rest}m"


def _verdict(record: ClockRecord | None, locale: str) -> str:
    _ = translator(locale).gettext
    if record is None:
        return _("not counted")
    return _("breached (+%(over)s)") % {"over": _duration(record.over_seconds, locale)} if not record.met else _("met")


def _width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` cut to `width` terminal columns and padded to them (left- or right-aligned)."""
    while _width(text) > width:
        text = text[:-1]
    pad = " " * (width - _width(text))
    return pad + text if right else text + pad


def render(comparison: Comparison, names: Mapping[str, str], jira_url: str | None,
           limit: int = 50, locale: str = "en") -> str:
    """The comparison as plain text in `locale`: attainment table, breach counts, changed tickets.
    Metrics are named by their rules.yaml keys (the reader is a rules author)."""
    _ = translator(locale).gettext
    window = comparison.window
    values = {"start": f"{window.start:%Y-%m-%d}", "end": f"{window.end:%Y-%m-%d}", "tickets": comparison.tickets,
              "vendor": comparison.vendor}
    title = (_("Backtest %(start)s .. %(end)s (end exclusive), %(tickets)d tickets, vendor %(vendor)s")
             if comparison.vendor else _("Backtest %(start)s .. %(end)s (end exclusive), %(tickets)d tickets"))
    rows = []
    vendors = sorted({v for v, _v in (*comparison.before, *comparison.after)}, key=lambda v: (v == ALL, v))
    for vendor in vendors:
        label = _("all vendors") if vendor == ALL else names.get(vendor, _(vendor) if vendor == NO_VENDOR else vendor)
        for metric in [m for m in ALL_METRICS if (vendor, m) in comparison.before or (vendor, m) in comparison.after]:
            was, now = comparison.before.get((vendor, metric)), comparison.after.get((vendor, metric))
            delta = ("" if was is None or now is None or was.attainment is None or now.attainment is None
                     else _("%(change)spp") % {"change": f"{(now.attainment - was.attainment) * 100:+.1f}"})
            rows.append((label, metric, _percent(was), _percent(now), delta))
    change_width = max([9, _width(_("change")), *(_width(row[4]) for row in rows)])
    lines = [title % values, "", " ".join([
        _fit(_("vendor"), 24), _fit(_("metric"), 15), _fit(_("rules in force"), 22, True),
        _fit(_("proposed"), 22, True), _fit(_("change"), change_width, True)])]
    lines += [" ".join([_fit(label, 24), _fit(metric, 15), _fit(was, 22, True), _fit(now, 22, True),
                        _fit(delta, change_width, True)]) for label, metric, was, now, delta in rows]
    lines += ["", _("breaches gained: %(gained)d, lost: %(lost)d, tickets whose verdict changes: %(changed)d") % {
        "gained": len(comparison.gained), "lost": len(comparison.lost), "changed": len(comparison.changed_tickets)}]
    if comparison.unchanged:
        lines.append(_("no change: the proposed rules judge this history exactly as the rules in force"))
    for change in comparison.changes[:limit]:
        link = f"  {jira_url.rstrip('/')}/browse/{change.ticket}" if jira_url else ""
        lines.append(f"  {change.ticket} {change.metric} #{change.cycle}: {_verdict(change.before, locale)} -> "
                     f"{_verdict(change.after, locale)}{link}")
    if len(comparison.changes) > limit:
        lines.append("  " + _("... and %(count)d more") % {"count": len(comparison.changes) - limit})
    return "\n".join(lines)
