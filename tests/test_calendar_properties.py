"""Properties of business-time arithmetic on random calendars, and agreement with a slow
reference that walks local days one by one."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.calendar import Calendar, CalendarSpec

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "Asia/Tehran", "UTC")
COUNTRIES = (None, None, None, "DE", "CN", "US")
UTC = timezone.utc
US = 1_000_000
DAY_US = 86400 * US
FIRST = datetime(2015, 1, 1, tzinfo=UTC)
LAST = datetime(2035, 12, 31, tzinfo=UTC)


def us(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _dst_days(zone_name: str) -> list[datetime]:
    """UTC noons of local days 2015-2035 whose noon offset differs from the day before."""
    zone, found, day = ZoneInfo(zone_name), [], date(2015, 1, 2)
    while day.year < 2036:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        if noon.utcoffset() != (noon - timedelta(days=1)).utcoffset():
            found.append(noon.astimezone(UTC))
        day += timedelta(days=1)
    return found or [datetime(2026, 3, 29, 12, tzinfo=UTC)]


DST_DAYS = {zone: _dst_days(zone) for zone in ZONES}


# One draw per boundary: 0..96 are quarter hours (where clocks change), the rest any second.
BOUNDARY = st.integers(0, 97 + 86400).map(lambda n: n * 900 if n <= 96 else n - 97)


def _pairs(points: list[int]) -> tuple:
    points = sorted(points)
    return tuple((start, end) for start, end in zip(points[::2], points[1::2]) if start < end)


# 0 to 3 sorted, non-overlapping intervals of one day (touching ones allowed).
DAY_HOURS = st.lists(BOUNDARY, max_size=6).map(_pairs)


@st.composite
def scenarios(draw) -> tuple[CalendarSpec, datetime]:
    """A random calendar spec and a start instant; holidays and special days lie near the start.

    Each weekday, and each special day, takes one of three random day schedules or is closed:
    that keeps the draws (and the run time) small while days still differ from each other.
    """
    zone = draw(st.sampled_from(ZONES))
    schedules = draw(st.lists(DAY_HOURS, min_size=3, max_size=3)) + [()]
    weekly = [schedules[pick] for pick in draw(st.lists(st.integers(0, 3), min_size=7, max_size=7))]
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = ((9 * 3600, 17 * 3600),)
    if draw(st.booleans()):
        start = draw(st.sampled_from(DST_DAYS[zone])) - timedelta(microseconds=draw(st.integers(0, 3 * DAY_US)))
    else:
        start = FIRST + timedelta(microseconds=draw(st.integers(0, us(LAST) - us(FIRST))))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    near = st.integers(-3, 70).map(lambda offset: local_day + timedelta(days=offset))
    special = draw(st.lists(st.tuples(near, st.integers(0, 3)), max_size=3, unique_by=lambda pair: pair[0]))
    spec = CalendarSpec(
        timezone=zone,
        weekly=tuple(weekly),
        holiday_country=draw(st.sampled_from(COUNTRIES)),
        holiday_dates=frozenset(draw(st.lists(near, max_size=4))),
        recurring_holidays=frozenset((day.month, day.day) for day in draw(st.lists(near, max_size=2))),
        special_days=tuple((day, schedules[pick]) for day, pick in special),
    )
    return spec, start


def weekly_open_us(spec: CalendarSpec) -> int:
    return sum(end - start for hours in spec.weekly for start, end in hours) * US


def budget(spec: CalendarSpec) -> st.SearchStrategy[int]:
    """Durations up to 60 days, and at most ~10 weeks of this calendar's hours."""
    return st.integers(0, min(60 * DAY_US, 10 * weekly_open_us(spec)))


# ---- slow reference: every local day, its hours from the spec, their union, intersected ----

@lru_cache(maxsize=None)
def country_days(country: str | None, year: int) -> tuple[set[date], set[date]]:
    if country is None:
        return set(), set()
    found = holidays.country_holidays(country, years=year)
    return set(found.keys()), {day for day in getattr(found, "weekend_workdays", set()) if day.year == year}


def reference_hours(spec: CalendarSpec, day: date) -> tuple:
    for special_day, hours in spec.special_days:
        if special_day == day:
            return hours
    closed, makeup = country_days(spec.holiday_country, day.year)
    if day in spec.holiday_dates or (day.month, day.day) in spec.recurring_holidays or day in closed:
        return ()
    if day in makeup:
        return next(hours for hours in spec.weekly if hours)
    return spec.weekly[day.weekday()]


def reference_open_spans(spec: CalendarSpec, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(spec.timezone)
    day, last = start.astimezone(zone).date() - timedelta(days=2), end.astimezone(zone).date() + timedelta(days=2)
    spans = []
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for open_s, close_s in reference_hours(spec, day):
            opens = (midnight + timedelta(seconds=open_s)).astimezone(UTC)  # wall-clock sum, fold=0
            closes = (midnight + timedelta(seconds=close_s)).astimezone(UTC)
            if opens < closes:
                spans.append((opens, closes))
        day += timedelta(days=1)
    union: list[list[datetime]] = []
    for opens, closes in sorted(spans):
        if union and opens <= union[-1][1]:
            union[-1][1] = max(union[-1][1], closes)
        else:
            union.append([opens, closes])
    return [(opens, closes) for opens, closes in union]


def reference_elapsed(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    for opens, closes in reference_open_spans(spec, start, end):
        total += max(timedelta(0), min(closes, end) - max(opens, start))
    return total


# ---- properties ----

@settings(deadline=None, max_examples=100)
@given(st.data())
def test_add_then_elapsed_gives_the_duration_back(data):
    spec, start = data.draw(scenarios())
    cal = Calendar(spec)
    duration = timedelta(microseconds=data.draw(budget(spec)))
    due_at = cal.add(start, duration)
    assert cal.elapsed(start, due_at) == duration
    if duration:  # and it is the earliest such instant
        assert cal.elapsed(start, due_at - timedelta(microseconds=1)) < duration
    else:
        assert due_at == cal.next_open(start) and cal.is_open(due_at)


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_elapsed_is_additive(data):
    spec, a = data.draw(scenarios())
    cal = Calendar(spec)
    b = a + timedelta(microseconds=data.draw(st.integers(0, 60 * DAY_US)))
    c = b + timedelta(microseconds=data.draw(st.integers(0, 60 * DAY_US)))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed_us(us(a), us(b)) + cal.elapsed_us(us(b), us(c)) == cal.elapsed_us(us(a), us(c))


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_add_is_monotone_in_the_duration(data):
    spec, start = data.draw(scenarios())
    cal = Calendar(spec)
    shorter, longer = sorted((data.draw(budget(spec)), data.draw(budget(spec))))
    first, second = cal.add(start, timedelta(microseconds=shorter)), cal.add(start, timedelta(microseconds=longer))
    assert first <= second
    assert (first < second) == (shorter < longer)


@settings(deadline=None, max_examples=100)
@given(st.data())
def test_elapsed_and_is_open_agree_with_the_reference(data):
    spec, start = data.draw(scenarios())
    cal = Calendar(spec)
    end = start + timedelta(microseconds=data.draw(st.integers(0, 10 * DAY_US)))
    assert cal.elapsed(start, end) == reference_elapsed(spec, start, end)
    spans = reference_open_spans(spec, start, start)
    assert cal.is_open(start) == any(opens <= start < closes for opens, closes in spans)
