"""Which opening hours a local calendar date has.

Precedence per local date, first match wins:

1. an explicit special day of the spec: exactly its hours (``()`` closes the date);
2. a closed date: an explicit holiday date, a recurring (month, day) holiday, or any date the
   ``holidays`` package lists for the spec's country/subdivision in that year;
3. a make-up working day of that country (``weekend_workdays``): the hours of the first weekday,
   Monday first, that has hours;
4. the weekly hours of the date's weekday.

Pure: no clock, no I/O; ``holidays`` lookups are computed once per (country, year) and cached.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterator

import holidays

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


_ONE_DAY = timedelta(days=1)


def _check_hours(hours, where: str) -> None:
    previous_end = 0
    for start, end in hours:
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= 86400):
            raise ValueError(f"{where}: interval ({start}, {end}) is not 0 <= start < end <= 86400")
        if start < previous_end:
            raise ValueError(f"{where}: intervals must be sorted and must not overlap")
        previous_end = end


class DaySchedule:
    """The opening hours (local seconds of the day) of each local date of one calendar spec."""

    def __init__(self, spec: "CalendarSpec"):
        if len(spec.weekly) != 7:
            raise ValueError(f"weekly must have 7 entries (Monday first), got {len(spec.weekly)}")
        for weekday, hours in enumerate(spec.weekly):
            _check_hours(hours, f"weekly[{weekday}]")
        for day, hours in spec.special_days:
            _check_hours(hours, f"special day {day.isoformat()}")
        self.spec = spec
        self._weekly = tuple(tuple(hours) for hours in spec.weekly)
        self._special = {day: tuple(hours) for day, hours in spec.special_days}
        self._makeup_hours = next((hours for hours in self._weekly if hours), ())

    def hours_on(self, day: date) -> "DayHours":
        return self._hours(day, *self._country(day.year))

    def year(self, year: int) -> Iterator[tuple[date, "DayHours"]]:
        """Every date of the local calendar year with its hours, in order."""
        closed, makeup = self._country(year)
        day = date(year, 1, 1)
        while day.year == year:
            yield day, self._hours(day, closed, makeup)
            day += _ONE_DAY

    def _hours(self, day: date, closed: frozenset[date], makeup: frozenset[date]) -> "DayHours":
        special = self._special.get(day)
        if special is not None:
            return special
        spec = self.spec
        if day in closed or day in spec.holiday_dates or (day.month, day.day) in spec.recurring_holidays:
            return ()
        if day in makeup:
            return self._makeup_hours
        return self._weekly[day.weekday()]

    def _country(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        spec = self.spec
        if not spec.holiday_country:
            return _NO_DAYS
        return country_days(spec.holiday_country, spec.holiday_subdivision, year)


_NO_DAYS: tuple[frozenset[date], frozenset[date]] = (frozenset(), frozenset())


@lru_cache(maxsize=1024)
def country_days(country: str, subdivision: str | None, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(closed dates, make-up working dates) of a country in `year`, from the `holidays` package."""
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    closed = frozenset(day for day in found.keys() if day.year == year)
    workdays = getattr(found, "weekend_workdays", set())  # may hold dates of other years
    return closed, frozenset(day for day in workdays if day.year == year)
