"""Calendars at their boundaries, as tables worked out by hand: the last closing time of a year,
the first hours of local 1 January east and west of UTC, opening hours in and around DST gaps
and folds, the 20-year "never open" limit, the precedence of a date's hours, and the checks on
a spec. Public surface only (`Calendar` methods, `CalendarSpec`, `DaySchedule.hours_on`).

Weekdays: 2026-12-31 Thu, 2027-01-01 Fri, 2026-03-29 Sun (EU spring forward), 2026-10-25 Sun (EU
fall back), 2026-03-08 Sun and 2026-11-01 Sun (US), 2026-04-05 Sun (Auckland fall back),
2026-09-27 Sun (Auckland spring forward), 2026-06-01 Mon.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from processors._calendar_days import DaySchedule
from processors.calendar import Calendar, CalendarNeverOpen, CalendarSpec, from_us, to_us

H = 3600
UTC = timezone.utc
S = timedelta(seconds=1)


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def local(zone: str, *fields) -> datetime:
    return datetime(*fields, tzinfo=ZoneInfo(zone))


def weekly(*pairs, days=7) -> tuple:
    hours = tuple((int(a * H), int(b * H)) for a, b in pairs)
    return (hours,) * days + ((),) * (7 - days)


def cal(zone: str, *pairs, days=7, **spec) -> Calendar:
    return Calendar(CalendarSpec(zone, weekly=weekly(*pairs, days=days), **spec))


OFFICE = cal("Europe/Berlin", (9, 17), days=5)  # Mon-Fri 09-17 Berlin
DAY_SHANGHAI = cal("Asia/Shanghai", (0, 24))  # every hour of every local day, but not `24x7`
DAY_AUCKLAND = cal("Pacific/Auckland", (0, 24))
DAY_LA = cal("America/Los_Angeles", (0, 24))
EARLY_SHANGHAI = cal("Asia/Shanghai", (0, 2))  # open 00:00-02:00 local only
GAP_BERLIN = cal("Europe/Berlin", (2.5, 4))  # 02:30 does not exist on 2026-03-29
FOLD_BERLIN = cal("Europe/Berlin", (2.5, 3))  # 02:30 happens twice on 2026-10-25
NIGHT_AKL = cal("Pacific/Auckland", (1, 4))  # Auckland: 02:00 NZDT -> 02:00 NZST on 04-05; 02:00 -> 03:00 on 09-27
NIGHT_NY = cal("America/New_York", (1, 4))


ELAPSED = [
    # Shanghai (UTC+8, no DST): local 1 January 2027 00:00 is 2026-12-31 16:00Z. Both instants
    # are still 2026 in UTC but 2027 locally: 2 h open, not 0.
    pytest.param(DAY_SHANGHAI, utc(2026, 12, 31, 16), utc(2026, 12, 31, 18), 2 * H, id="shanghai-new-year-first-hours"),
    pytest.param(EARLY_SHANGHAI, utc(2026, 12, 31, 15), utc(2026, 12, 31, 23), 2 * H, id="shanghai-open-only-new-year-night"),
    # One second either side of the local New Year: 23:59:59 Dec 31 to 00:00:01 Jan 1 = 2 s.
    pytest.param(DAY_SHANGHAI, utc(2026, 12, 31, 15, 59, 59), utc(2026, 12, 31, 16, 0, 1), 2, id="shanghai-across-new-year"),
    # Auckland in January is NZDT (UTC+13): local New Year 2027 is 2026-12-31 11:00Z.
    pytest.param(DAY_AUCKLAND, utc(2026, 12, 31, 11), utc(2026, 12, 31, 13), 2 * H, id="auckland-new-year-first-hours"),
    pytest.param(DAY_AUCKLAND, utc(2026, 12, 31, 10), utc(2026, 12, 31, 12), 2 * H, id="auckland-across-new-year"),
    # West of UTC: Los Angeles (PST, UTC-8): local New Year 2027 is 2027-01-01 08:00Z; UTC says
    # 2027 already while local is 2026 for 8 h.
    pytest.param(DAY_LA, utc(2027, 1, 1, 1), utc(2027, 1, 1, 3), 2 * H, id="la-last-hours-of-year-in-utc-new-year"),
    pytest.param(DAY_LA, utc(2027, 1, 1, 7), utc(2027, 1, 1, 9), 2 * H, id="la-across-new-year"),
    # Zones that changed their offset at local New Year: Africa/Sao_Tome went from UTC+0 to
    # UTC+1 at 01:00 on 1 January 2018, Asia/Singapore from +7:30 to +8 at 00:00 on 1 January
    # 1982 (so local 1982-01-01 00:00-00:30 never happened). A calendar open all day is open at
    # every instant, whatever the offsets: 24 h of wall time is 24 h of open time.
    pytest.param(cal("Africa/Sao_Tome", (0, 24)), utc(2017, 12, 31, 12), utc(2018, 1, 1, 12), 24 * H, id="sao-tome-offset-change-at-new-year"),
    pytest.param(cal("Asia/Singapore", (0, 24)), utc(1981, 12, 31, 4), utc(1982, 1, 1, 4), 24 * H, id="singapore-gap-at-new-year"),
    # A span of several local years (2025-2029 in Shanghai): every hour counts.
    pytest.param(DAY_SHANGHAI, utc(2025, 6, 1), utc(2029, 6, 1), (365 * 3 + 366) * 24 * H, id="shanghai-four-years"),
    # Opening hours starting inside the spring-forward gap (Berlin 2026-03-29, 02:00 -> 03:00):
    # 02:30 does not exist; read with fold=0 it is 02:30+01:00 = 01:30Z (= 03:30 CEST); 04:00
    # CEST = 02:00Z: open 30 min that day (1 h 30 min on other days).
    pytest.param(GAP_BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), 30 * 60, id="gap-opening-inside-gap"),
    pytest.param(GAP_BERLIN, utc(2026, 3, 29, 12), utc(2026, 3, 30, 12), 90 * 60, id="gap-next-day-normal"),
    # Fall back (Berlin 2026-10-25, 03:00 CEST -> 02:00 CET): 02:30 fold=0 is the first one
    # (CEST, 00:30Z); 03:00 CET is 02:00Z: open 1 h 30 min (30 min on other days).
    pytest.param(FOLD_BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12), 90 * 60, id="fold-opening-in-repeated-hour"),
    pytest.param(FOLD_BERLIN, utc(2026, 10, 25, 12), utc(2026, 10, 26, 12), 30 * 60, id="fold-next-day-normal"),
    # Auckland fall back 2026-04-05 03:00 NZDT -> 02:00 NZST: 01:00-04:00 lasts 4 h.
    pytest.param(NIGHT_AKL, utc(2026, 4, 4, 0), utc(2026, 4, 5, 0), 4 * H, id="auckland-fold-night"),
    # Auckland spring forward 2026-09-27 02:00 NZST -> 03:00 NZDT: 01:00-04:00 lasts 2 h.
    pytest.param(NIGHT_AKL, utc(2026, 9, 26, 0), utc(2026, 9, 27, 0), 2 * H, id="auckland-gap-night"),
]


@pytest.mark.parametrize("calendar, start, end, seconds", ELAPSED)
def test_elapsed(calendar, start, end, seconds):
    assert calendar.elapsed(start, end) == timedelta(seconds=seconds)


ADD = [
    # The last closing time of 2026 (Thu 31 Dec 17:00 Berlin = 16:00Z): a due time landing
    # exactly on it is that closing time, not the next opening (Fri 1 Jan 2027 09:00).
    pytest.param(OFFICE, local("Europe/Berlin", 2026, 12, 31, 16), timedelta(hours=1),
                 utc(2026, 12, 31, 16), id="due-at-last-closing-of-year"),
    pytest.param(OFFICE, local("Europe/Berlin", 2026, 12, 31, 16), timedelta(hours=1) - S,
                 utc(2026, 12, 31, 15, 59, 59), id="due-1s-before-last-closing"),
    # 1 s past it: the next open second, 1 Jan 2027 09:00:01 Berlin (08:00:01Z).
    pytest.param(OFFICE, local("Europe/Berlin", 2026, 12, 31, 16), timedelta(hours=1) + S,
                 utc(2027, 1, 1, 8, 0, 1), id="due-1s-after-last-closing"),
    # A whole year's open time from its first opening ends at its last closing.
    pytest.param(OFFICE, local("Europe/Berlin", 2026, 1, 1), timedelta(hours=261 * 8),
                 utc(2026, 12, 31, 16), id="whole-year-ends-at-last-closing"),
    # Shanghai: 1 h from local New Year's midnight is 01:00 local (17:00Z on Dec 31).
    pytest.param(DAY_SHANGHAI, utc(2026, 12, 31, 16), timedelta(hours=1), utc(2026, 12, 31, 17),
                 id="shanghai-add-in-new-year-hours"),
    # Open only 00:00-02:00 Shanghai: 1 h from 01:00 local Dec 31 is 02:00 local Dec 31 exactly
    # (the closing, 18:00Z on Dec 30); 1 h 1 s is 00:00:01 local Jan 1 2027 (16:00:01Z on Dec 31).
    pytest.param(EARLY_SHANGHAI, utc(2026, 12, 30, 17), timedelta(hours=1), utc(2026, 12, 30, 18), id="early-due-at-closing"),
    pytest.param(EARLY_SHANGHAI, utc(2026, 12, 30, 17), timedelta(hours=1, seconds=1), utc(2026, 12, 31, 16, 0, 1),
                 id="early-over-new-year"),
    # Auckland: 3 h from 23:00 local Dec 31 (10:00Z) is 02:00 local Jan 1 (13:00Z).
    pytest.param(DAY_AUCKLAND, utc(2026, 12, 31, 10), timedelta(hours=3), utc(2026, 12, 31, 13), id="auckland-add-over-new-year"),
    # In the gap: the only open time on 2026-03-29 is 01:30Z-02:00Z. From midnight, 30 min lands
    # on 02:00Z; 30 min 1 s on the next day's 02:30 CEST + 1 s (00:30:01Z on 03-30).
    pytest.param(GAP_BERLIN, utc(2026, 3, 29, 0), timedelta(minutes=30), utc(2026, 3, 29, 2), id="gap-add-to-closing"),
    pytest.param(GAP_BERLIN, utc(2026, 3, 29, 0), timedelta(minutes=30, seconds=1), utc(2026, 3, 30, 0, 30, 1), id="gap-add-past"),
    pytest.param(NIGHT_NY, utc(2026, 11, 1, 5), timedelta(hours=4), utc(2026, 11, 1, 9), id="ny-fold-add"),
    # Zero business time: the first open instant at or after the start.
    pytest.param(OFFICE, utc(2026, 12, 31, 16), timedelta(0), utc(2027, 1, 1, 8), id="zero-at-last-closing"),
]


@pytest.mark.parametrize("calendar, start, duration, expected", ADD)
def test_add(calendar, start, duration, expected):
    due = calendar.add(start, duration)
    assert due == expected and due.tzinfo is UTC
    assert calendar.elapsed(start, due) == duration


OPEN = [
    # (calendar, instant, is_open, next_open): an opening instant is open, a closing one is not.
    pytest.param(OFFICE, utc(2026, 6, 1, 7), True, utc(2026, 6, 1, 7), id="at-opening"),
    pytest.param(OFFICE, utc(2026, 6, 1, 6, 59, 59), False, utc(2026, 6, 1, 7), id="1s-before-opening"),
    pytest.param(OFFICE, utc(2026, 6, 1, 14, 59, 59), True, utc(2026, 6, 1, 14, 59, 59), id="1s-before-closing"),
    pytest.param(OFFICE, utc(2026, 6, 1, 15), False, utc(2026, 6, 2, 7), id="at-closing"),
    pytest.param(OFFICE, utc(2026, 12, 31, 16), False, utc(2027, 1, 1, 8), id="at-last-closing-of-year"),
    pytest.param(OFFICE, utc(2026, 12, 31, 15, 59, 59), True, utc(2026, 12, 31, 15, 59, 59), id="1s-before-last-closing"),
    pytest.param(DAY_SHANGHAI, utc(2026, 12, 31, 16), True, utc(2026, 12, 31, 16), id="shanghai-new-year-instant"),
    pytest.param(EARLY_SHANGHAI, utc(2026, 12, 31, 15, 59, 59), False, utc(2026, 12, 31, 16), id="shanghai-1s-before-new-year"),
    pytest.param(GAP_BERLIN, utc(2026, 3, 29, 1, 29, 59), False, utc(2026, 3, 29, 1, 30), id="gap-before-shifted-opening"),
    pytest.param(GAP_BERLIN, utc(2026, 3, 29, 1, 30), True, utc(2026, 3, 29, 1, 30), id="gap-shifted-opening"),
]


@pytest.mark.parametrize("calendar, at, is_open, next_open", OPEN)
def test_is_open_and_next_open(calendar, at, is_open, next_open):
    assert calendar.is_open(at) is is_open
    assert calendar.next_open(at) == next_open


# ---- the 20-year "never open" limit ---------------------------------------------------------
# No weekly hours, one special day: open time exists only that day. Searching from 2026, the
# years 2027.. are scanned; 19 empty years (2027-2045) then an open one (2046) is found; 20 empty
# years (2027-2046) raise before 2047 is looked at.

def _one_day(day: date) -> Calendar:
    return Calendar(CalendarSpec("UTC", weekly=((),) * 7, special_days=((day, ((9 * H, 10 * H),)),)))


def test_open_day_after_19_empty_years_is_found():
    calendar = _one_day(date(2046, 6, 1))
    assert calendar.next_open(utc(2026, 6, 1)) == utc(2046, 6, 1, 9)
    assert calendar.add(utc(2026, 6, 1), timedelta(hours=1)) == utc(2046, 6, 1, 10)


def test_open_day_after_20_empty_years_is_never_open():
    calendar = _one_day(date(2047, 6, 1))
    with pytest.raises(CalendarNeverOpen, match="from 2027 to 2046"):
        calendar.next_open(utc(2026, 6, 1))
    with pytest.raises(CalendarNeverOpen):
        calendar.add(utc(2026, 6, 1), timedelta(hours=1))


def test_open_years_reset_the_count():
    # Open one hour in 2030 and one in 2050: after 2030 the count of empty years starts again at
    # 0, so 2031-2049 is 19 empty years and 2050 is found (2 h from 2026 end at 2050-01-02 01:00).
    calendar = Calendar(CalendarSpec("UTC", weekly=((),) * 7, special_days=(
        (date(2030, 1, 2), ((0, H),)), (date(2050, 1, 2), ((0, H),)))))
    assert calendar.add(utc(2026, 1, 1), timedelta(hours=2)) == utc(2050, 1, 2, 1)
    assert calendar.elapsed(utc(2026, 1, 1), utc(2051, 1, 1)) == timedelta(hours=2)


def test_never_open_within_a_year_is_zero_not_an_error():
    calendar = Calendar(CalendarSpec("UTC", weekly=((),) * 7))
    assert calendar.elapsed(utc(2026, 1, 1), utc(2030, 1, 1)) == timedelta(0)
    assert calendar.is_open(utc(2026, 1, 1)) is False


def test_always_open_shorthand():
    calendar = Calendar(CalendarSpec.twenty_four_seven("Asia/Shanghai"))
    assert calendar.add(utc(2026, 12, 31, 15), timedelta(hours=3)) == utc(2026, 12, 31, 18)
    assert calendar.elapsed(utc(2026, 12, 31, 15), utc(2026, 12, 31, 18)) == timedelta(hours=3)
    assert calendar.add(utc(2026, 12, 31, 15), timedelta(0)) == utc(2026, 12, 31, 15)
    assert calendar.is_open(utc(2026, 3, 29, 1)) and calendar.next_open(utc(2026, 3, 29, 1)) == utc(2026, 3, 29, 1)


def test_negative_duration_and_naive_instants_raise():
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(utc(2026, 6, 1), -S)
    with pytest.raises(ValueError, match="aware"):
        OFFICE.elapsed(datetime(2026, 6, 1), utc(2026, 6, 2))


# ---- which hours a local date has (_calendar_days) -------------------------------------------
NINE_FIVE = ((9 * H, 17 * H),)
TEN_TWO = ((10 * H, 14 * H),)

DAYS = [
    # (spec, date, hours): first match wins: special day, closed date, make-up day, weekday.
    # A special day beats an explicit holiday on the same date.
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()), holiday_dates=frozenset({date(2026, 6, 1)}),
                              special_days=((date(2026, 6, 1), TEN_TWO),)), date(2026, 6, 1), TEN_TWO, id="special-beats-holiday"),
    # An empty special day closes a weekday.
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()), special_days=((date(2026, 6, 1), ()),)),
                 date(2026, 6, 1), (), id="special-closes"),
    # The special day applies to that date only: the next Monday has its weekly hours.
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()), special_days=((date(2026, 6, 1), ()),)),
                 date(2026, 6, 8), NINE_FIVE, id="special-one-date-only"),
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()), recurring_holidays=frozenset({(6, 1)})),
                 date(2031, 6, 2), NINE_FIVE, id="recurring-not-next-day"),
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()), recurring_holidays=frozenset({(6, 2)})),
                 date(2031, 6, 2), (), id="recurring-any-year"),
    # China, 2026-01-04 (Sunday) is a make-up working day: it takes the hours of the first
    # weekday with hours, Monday first -- here Monday is closed, so Tuesday's 10-14.
    pytest.param(CalendarSpec("Asia/Shanghai", weekly=((), TEN_TWO, NINE_FIVE, NINE_FIVE, NINE_FIVE, (), ()),
                              holiday_country="CN"), date(2026, 1, 4), TEN_TWO, id="cn-makeup-first-weekday-with-hours"),
    # 2026-01-02 (Friday) is a CN day off (substituted): closed.
    pytest.param(CalendarSpec("Asia/Shanghai", weekly=(NINE_FIVE,) * 5 + ((), ()), holiday_country="CN"),
                 date(2026, 1, 2), (), id="cn-day-off"),
    # A holiday beats a make-up day? Not applicable: they never coincide; a plain Sunday in CN is closed.
    pytest.param(CalendarSpec("Asia/Shanghai", weekly=(NINE_FIVE,) * 5 + ((), ()), holiday_country="CN"),
                 date(2026, 1, 11), (), id="cn-plain-sunday"),
    # A subdivision's holiday: Cesar Chavez Day (2026-03-31, Tuesday) closes California only.
    pytest.param(CalendarSpec("America/Los_Angeles", weekly=(NINE_FIVE,) * 5 + ((), ()), holiday_country="US",
                              holiday_subdivision="CA"), date(2026, 3, 31), (), id="us-ca-subdivision-holiday"),
    pytest.param(CalendarSpec("America/New_York", weekly=(NINE_FIVE,) * 5 + ((), ()), holiday_country="US"),
                 date(2026, 3, 31), NINE_FIVE, id="us-without-subdivision-open"),
    # Without a country, a country's holiday (1 January) is an ordinary Friday.
    pytest.param(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ())), date(2027, 1, 1), NINE_FIVE, id="no-country"),
]


@pytest.mark.parametrize("spec, day, expected", DAYS)
def test_hours_on(spec, day, expected):
    assert DaySchedule(spec).hours_on(day) == expected


def test_year_lists_every_date_with_its_hours():
    days = list(DaySchedule(CalendarSpec("UTC", weekly=(NINE_FIVE,) * 5 + ((), ()))).year(2028))
    assert len(days) == 366 and days[0] == (date(2028, 1, 1), ()) and days[-1][0] == date(2028, 12, 31)
    assert days[2] == (date(2028, 1, 3), NINE_FIVE)  # Monday 3 January


BAD_SPECS = [
    # (weekly, special_days, message): the checks on hours, at their boundaries.
    pytest.param(((),) * 6, (), "7 entries", id="six-days"),
    pytest.param(((),) * 8, (), "7 entries", id="eight-days"),
    pytest.param((((-1, 10),),) + ((),) * 6, (), "weekly\\[0\\]", id="negative-start"),
    pytest.param(((), ((10, 86401),)) + ((),) * 5, (), "weekly\\[1\\]", id="end-past-midnight"),
    pytest.param((((10, 10),),) + ((),) * 6, (), "start < end", id="empty-interval"),
    pytest.param((((0, 10), (5, 20)),) + ((),) * 6, (), "overlap", id="overlapping"),
    pytest.param((((20, 30), (0, 10)),) + ((),) * 6, (), "sorted", id="unsorted"),
    pytest.param((((0.0, 10),),) + ((),) * 6, (), "start < end", id="not-int"),
    pytest.param(((),) * 7, ((date(2026, 6, 1), ((5, 3),)),), "special day 2026-06-01", id="bad-special-day"),
]


@pytest.mark.parametrize("weekly, special, message", BAD_SPECS)
def test_bad_specs_are_refused(weekly, special, message):
    with pytest.raises(ValueError, match=message):
        DaySchedule(CalendarSpec("UTC", weekly=weekly, special_days=special))


GOOD_EDGES = [
    # The widest legal hours and touching intervals are accepted.
    pytest.param((((0, 86400),),) + ((),) * 6, id="whole-day"),
    pytest.param((((0, 10), (10, 20)),) + ((),) * 6, id="touching"),
]


@pytest.mark.parametrize("weekly", GOOD_EDGES)
def test_edge_specs_are_accepted(weekly):
    schedule = DaySchedule(CalendarSpec("UTC", weekly=weekly))
    assert schedule.hours_on(date(2026, 6, 1)) == weekly[0]  # a Monday


def test_touching_intervals_count_once():
    calendar = Calendar(CalendarSpec("UTC", weekly=(((0, 10 * H), (10 * H, 20 * H)),) * 7))
    assert calendar.elapsed(utc(2026, 6, 1), utc(2026, 6, 2)) == timedelta(hours=20)
    assert calendar.add(utc(2026, 6, 1, 9), timedelta(hours=2)) == utc(2026, 6, 1, 11)


def test_epoch_microseconds():
    # 2026-01-01T00:00Z is 1,767,225,600 s after the Unix epoch.
    assert to_us(utc(1970, 1, 1)) == 0 and from_us(0) == utc(1970, 1, 1)
    assert to_us(utc(2026, 1, 1)) == 1_767_225_600_000_000
    assert from_us(1_767_225_600_000_001) == utc(2026, 1, 1, 0, 0, 0, 1)
    # The same instant written in another zone is the same number.
    assert to_us(local("Asia/Shanghai", 2026, 1, 1, 8)) == 1_767_225_600_000_000
    # Office hours on epoch microseconds: Thu 31 Dec 2026 16:00 Berlin (15:00Z) + 1 h = 16:00Z.
    start = to_us(utc(2026, 12, 31, 15))
    assert OFFICE.add_us(start, H * 1_000_000) == to_us(utc(2026, 12, 31, 16))
    assert OFFICE.elapsed_us(start, to_us(utc(2027, 1, 1, 9))) == 2 * H * 1_000_000  # 1 h + 09:00-10:00 Fri


def test_twenty_four_seven_spec_says_what_it_is():
    spec = CalendarSpec.twenty_four_seven()
    assert (spec.timezone, spec.always_open, spec.weekly) == ("UTC", True, (((0, 86400),),) * 7)
