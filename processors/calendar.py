"""Business time: how much open calendar time lies between two instants, and when a budget of
open time runs out.

INTERFACE CONTRACT (other modules rely on exactly this; the implementation may change):

    spec = CalendarSpec(timezone="Europe/Berlin", weekly=((( 9*3600, 17*3600),),)*5 + ((), ()))
    cal = Calendar(spec)
    cal.elapsed(start, end) -> timedelta   # open time in [start, end); 0 if end <= start
    cal.add(start, duration) -> datetime   # earliest t with elapsed(start, t) >= duration;
                                           # duration == 0 -> first open instant >= start
    cal.elapsed_us(a, b) -> int, cal.add_us(a, d) -> int   # same on epoch microseconds
    cal.is_open(at) -> bool
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

Interval = tuple[int, int]  # (start, end) local seconds of the day, half-open, 0 <= start < end <= 86400
DayHours = tuple[Interval, ...]  # sorted, non-overlapping


@dataclass(frozen=True)
class CalendarSpec:
    timezone: str  # IANA name, e.g. "Asia/Shanghai"; "UTC" for 24x7
    weekly: tuple[DayHours, ...]  # exactly 7 entries, Monday first
    holiday_country: str | None = None  # `holidays` package country code, e.g. "CN"
    holiday_subdivision: str | None = None  # e.g. "CA" for holidays.US(subdiv="CA")
    holiday_dates: frozenset[date] = frozenset()  # extra closed local dates
    recurring_holidays: frozenset[tuple[int, int]] = frozenset()  # (month, day) closed every year
    special_days: tuple[tuple[date, DayHours], ...] = ()  # exact hours of one date, () closes it
    always_open: bool = False  # the `24x7` shorthand: never closes

    @classmethod
    def twenty_four_seven(cls, timezone: str = "UTC") -> "CalendarSpec":
        return cls(timezone=timezone, weekly=(((0, 86400),),) * 7, always_open=True)


class Calendar:  # placeholder until implemented; see the contract above
    def __init__(self, spec: CalendarSpec):
        self.spec = spec
