"""Report periods: ISO weeks, calendar months and quarters in a time zone (pure).

A period is half-open, [start, end), bounded by local midnights of its zone and held as aware
UTC instants. `now` is always an argument.

    week_of(date(2026, 1, 7), "Europe/Berlin")  # 2026-W02: Mon 5 Jan 00:00 .. Mon 12 Jan 00:00
    last_complete_week(now, zone), quarter_of(day, zone), last_complete_quarter(now, zone)
    previous(period), weeks_ending(period, 12), months_of(quarter)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["week", "month", "quarter"]


@dataclass(frozen=True)
class Period:
    kind: Kind
    label: str  # "2026-W02", "2026-01", "2026-Q1"
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    zone: str  # IANA name the period's days are counted in

    def contains(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end

    @property
    def first_day(self) -> date:
        return self.start.astimezone(ZoneInfo(self.zone)).date()

    @property
    def last_day(self) -> date:
        return (self.end.astimezone(ZoneInfo(self.zone)) - timedelta(days=1)).date()


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(timezone.utc)


def _period(kind: Kind, label: str, first: date, after_last: date, zone: str) -> Period:
    return Period(kind, label, _midnight(first, zone), _midnight(after_last, zone), zone)


def week_of(day: date, zone: str) -> Period:
    """The ISO week (Monday to Sunday) that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    return _period("week", f"{year}-W{week:02d}", monday, monday + timedelta(days=7), zone)


def month_of(day: date, zone: str) -> Period:
    first = day.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return _period("month", f"{first:%Y-%m}", first, after, zone)


def quarter_of(day: date, zone: str) -> Period:
    index = (day.month - 1) // 3  # 0..3
    first = date(day.year, 3 * index + 1, 1)
    after = date(day.year + 1, 1, 1) if index == 3 else date(day.year, 3 * index + 4, 1)
    return _period("quarter", f"{day.year}-Q{index + 1}", first, after, zone)


def local_day(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def last_complete_week(now: datetime, zone: str) -> Period:
    """The latest week that ended at or before `now` (the current week never has)."""
    return week_of(local_day(now, zone) - timedelta(days=7), zone)


def last_complete_quarter(now: datetime, zone: str) -> Period:
    return previous(quarter_of(local_day(now, zone), zone))


_OF = {"week": week_of, "month": month_of, "quarter": quarter_of}


def previous(period: Period) -> Period:
    """The period of the same kind just before this one."""
    return _OF[period.kind](period.first_day - timedelta(days=1), period.zone)


def weeks_ending(period: Period, count: int) -> tuple[Period, ...]:
    """`count` consecutive weeks, oldest first, the last one `period`."""
    weeks = [period]
    while len(weeks) < count:
        weeks.append(previous(weeks[-1]))
    return tuple(reversed(weeks))


def months_of(quarter: Period) -> tuple[Period, ...]:
    first = quarter.first_day
    return tuple(month_of(date(first.year, first.month + i, 1), quarter.zone) for i in range(3))


def report_period(kind: Literal["weekly", "quarterly"], now: datetime, zone: str,
                  day: date | None = None) -> Period:
    """The week or quarter holding `day`; without a day, the last complete one before `now`."""
    if kind == "weekly":
        return last_complete_week(now, zone) if day is None else week_of(day, zone)
    return last_complete_quarter(now, zone) if day is None else quarter_of(day, zone)
