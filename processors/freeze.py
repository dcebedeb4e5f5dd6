"""Frozen periods (pure): what a period's figures counted when frozen, and what changed since.

    counted = counted_clocks(clock_records, period)      # the clocks behind the figures, with verdicts
    figures(counted)                                     # [{"vendor", "metrics": {m: [counted, met, excused]}}]
    changes(frozen, counted)                             # clocks counted otherwise now: late changes
    correction_text(period, vendor, before, after, by, reason, names)   # the Slack correction

A week or quarter freezes when its report is posted (or `reports.freeze_after` after its end);
its figures then stay as posted. A clock of it counted otherwise later (a late event, reconcile,
a rules edit, a backfill) is a *late change*, recorded and shown, never applied silently:
`slawatch repair` applies them on purpose.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from processors.i18n import format_percent, period_label, translator
from processors.periods import Period
from processors.report_render import metric_name
from processors.reports import ClockRecord, counted_in

ClockKey = tuple[str, str, int]  # (ticket, metric, cycle)


@dataclass(frozen=True)
class CountedClock:
    ticket: str
    metric: str
    cycle: int
    vendor: str | None
    verdict: str  # met | breached | excused
    ended_at: datetime
    rules_version: str | None = None

    @property
    def key(self) -> ClockKey:
        return self.ticket, self.metric, self.cycle


@dataclass(frozen=True)
class Change:
    ticket: str
    metric: str
    cycle: int
    vendor: str | None  # now, or when frozen if no longer counted
    before: str | None  # verdict when frozen (None: not counted then)
    after: str | None  # verdict now (None: no longer counted)


def verdict_of(record: ClockRecord) -> str:
    return "excused" if record.excused else ("met" if record.met else "breached")


def counted_clocks(records: Iterable[ClockRecord], period: Period) -> list[CountedClock]:
    """The clocks the period's figures count (processors.reports.counted_in), with their verdicts."""
    return [CountedClock(r.ticket, r.metric, r.cycle, r.vendor, verdict_of(r), r.ended_at, r.rules_version)
            for r in counted_in(records, period)]


def figures(clocks: Iterable[CountedClock]) -> list[dict[str, Any]]:
    """Per vendor (None last), per metric: [counted, met, excused], counted as the reports do
    (excused breaches left out of counted)."""
    table: dict[str | None, dict[str, list[int]]] = {}
    for clock in clocks:
        tally = table.setdefault(clock.vendor, {}).setdefault(clock.metric, [0, 0, 0])
        if clock.verdict == "excused":
            tally[2] += 1
        else:
            tally[0] += 1
            tally[1] += clock.verdict == "met"
    return [{"vendor": vendor, "metrics": {m: table[vendor][m] for m in sorted(table[vendor])}}
            for vendor in sorted(table, key=lambda v: (v is None, v or ""))]


def changes(frozen: Mapping[ClockKey, CountedClock], now: Mapping[ClockKey, CountedClock]) -> list[Change]:
    """The clocks whose verdict or vendor in the period differs from when it was frozen."""
    out = []
    for key in sorted(set(frozen) | set(now)):
        before, after = frozen.get(key), now.get(key)
        if before is not None and after is not None and (before.verdict, before.vendor) == (after.verdict, after.vendor):
            continue
        vendor = (after or before).vendor
        out.append(Change(*key, vendor, before.verdict if before else None, after.verdict if after else None))
    return out


def _attainment(counts: list[int] | None, locale: str) -> str:
    if not counts or not counts[0]:
        return "–"
    return f"{format_percent(counts[1] / counts[0], locale)} ({counts[1]}/{counts[0]})"  # i18n: skip


def correction_text(period: Period, vendor: str | None, before: list[dict[str, Any]], after: list[dict[str, Any]],
                    by: str, reason: str, names: Mapping[str, str], locale: str = "en") -> str:
    """The correction posted in the period's thread, in `locale`: per vendor and metric, before -> after."""
    _ = translator(locale).gettext
    old = {(e["vendor"], m): c for e in before for m, c in e["metrics"].items()}
    new = {(e["vendor"], m): c for e in after for m, c in e["metrics"].items()}
    values = {"period": period_label(period, locale), "who": by, "reason": reason}
    if vendor:
        head = _("Correction to %(period)s for %(vendor)s: re-judged by %(who)s. Reason: %(reason)s")
        lines = [head % {**values, "vendor": names.get(vendor, vendor)}]
    else:
        lines = [_("Correction to %(period)s: re-judged by %(who)s. Reason: %(reason)s") % values]
    for key in sorted(set(old) | set(new), key=lambda k: (k[0] is None, k[0] or "", k[1])):
        if old.get(key) != new.get(key):
            who = names.get(key[0], key[0]) if key[0] else _("no vendor")
            line = _("• %(vendor)s, %(metric)s: %(before)s → %(after)s")
            lines.append(line % {"vendor": who, "metric": metric_name(key[1], locale),
                                 "before": _attainment(old.get(key), locale), "after": _attainment(new.get(key), locale)})
    if len(lines) == 1:
        lines.append(_("The figures did not change."))
    return "\n".join(lines)
