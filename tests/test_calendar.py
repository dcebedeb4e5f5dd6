"""Business-time calendars: exact instants and durations, worked out by hand.

Weekdays used below: 2026-06-01 Mon, 2026-06-05 Fri, 2026-06-06 Sat, 2026-12-24 Thu,
2026-12-30 Wed, 2027-01-01 Fri, 2027-12-24 Fri, 2026-05-14 Thu, 2024-01-01 Mon.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from processors.calendar import Calendar, CalendarNeverOpen, CalendarSpec

H = 3600
UTC = timezone.utc
WEEKEND = ((), ())


def _at(zone: str):
    tz = ZoneInfo(zone)
    return lambda *fields: datetime(*fields, tzinfo=tz)


berlin, shanghai = _at("Europe/Berlin"), _at("Asia/Shanghai")


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def hours(*pairs) -> tuple:
    return tuple((start * H, end * H) for start, end in pairs)


OFFICE = Calendar(CalendarSpec("Europe/Berlin", weekly=(hours((9, 17)),) * 5 + WEEKEND))
LUNCH = Calendar(CalendarSpec("Europe/Berlin", weekly=(hours((9, 12), (13, 18)),) * 5 + WEEKEND))
EVENING_UTC = Calendar(CalendarSpec("UTC", weekly=(hours((20, 24)),) * 5 + WEEKEND))
ALL_DAY_BERLIN = Calendar(CalendarSpec("Europe/Berlin", weekly=(hours((0, 24)),) * 7))
NIGHT_BERLIN = Calendar(CalendarSpec("Europe/Berlin", weekly=(hours((1, 4)),) * 7))
GAP_BERLIN = Calendar(CalendarSpec("Europe/Berlin", weekly=(hours((2, 3)),) * 7))
# On 2026-03-29, 02:30 does not exist; fold=0 reads it as 03:30 CEST, so the two intervals
# overlap once converted and are joined: open 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC).
SPLIT_BERLIN = Calendar(CalendarSpec("Europe/Berlin", weekly=(((H, 9000), (3 * H, 4 * H)),) * 7))
ALL_DAY_NY = Calendar(CalendarSpec("America/New_York", weekly=(hours((0, 24)),) * 7))
NIGHT_NY = Calendar(CalendarSpec("America/New_York", weekly=(hours((1, 4)),) * 7))
HOLIDAYS = Calendar(CalendarSpec(
    "Europe/Berlin", weekly=(hours((9, 17)),) * 5 + WEEKEND,
    holiday_dates=frozenset({date(2026, 5, 14)}), recurring_holidays=frozenset({(12, 24), (12, 31)}),
))
SPECIAL = Calendar(CalendarSpec(
    "Europe/Berlin", weekly=(hours((9, 17)),) * 5 + WEEKEND,
    recurring_holidays=frozenset({(12, 24)}),  # the special day below wins over it in 2026
    special_days=(
        (date(2026, 12, 24), hours((9, 13))),  # half day
        (date(2026, 6, 1), ()),  # closed Monday
        (date(2026, 6, 6), hours((10, 14))),  # make-up Saturday
    ),
))
CHINA = Calendar(CalendarSpec(
    "Asia/Shanghai", weekly=(hours((9, 12), (13, 18)),) * 5 + WEEKEND, holiday_country="CN",
))
ALWAYS = Calendar(CalendarSpec.twenty_four_seven("Europe/Berlin"))
NEVER = Calendar(CalendarSpec("UTC", weekly=((),) * 7))
ONE_DAY_ONLY = Calendar(CalendarSpec(
    "UTC", weekly=((),) * 7, special_days=((date(2026, 6, 6), hours((10, 14))),),
))

ELAPSED = [
    # start outside hours, plain office
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), berlin(2026, 6, 2, 15, 30), timedelta(hours=5, minutes=30), id="same-day"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 6), berlin(2026, 6, 2, 10), timedelta(hours=1), id="start-before-opening"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 19), berlin(2026, 6, 3, 11), timedelta(hours=2), id="start-after-closing"),
    pytest.param(OFFICE, berlin(2026, 6, 6, 12), berlin(2026, 6, 8, 9, 30), timedelta(minutes=30), id="start-on-weekend"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 12), berlin(2026, 6, 2, 11), timedelta(0), id="end-before-start"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 12), berlin(2026, 6, 2, 12), timedelta(0), id="empty-span"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 10, 0, 0, 1), berlin(2026, 6, 2, 10, 0, 0, 3), timedelta(microseconds=2), id="microseconds"),
    pytest.param(OFFICE, utc(2026, 6, 2, 7), berlin(2026, 6, 2, 10), timedelta(hours=1), id="mixed-offsets"),
    pytest.param(OFFICE, berlin(2026, 6, 1, 9), berlin(2026, 6, 22, 9), timedelta(hours=120), id="three-weeks"),
    pytest.param(OFFICE, berlin(2026, 12, 30, 16), berlin(2027, 1, 4, 10), timedelta(hours=18), id="over-new-year"),
    pytest.param(OFFICE, berlin(2024, 1, 1), berlin(2027, 1, 1), timedelta(hours=784 * 8), id="three-years"),
    # lunch break
    pytest.param(LUNCH, berlin(2026, 6, 2, 11), berlin(2026, 6, 2, 14), timedelta(hours=2), id="lunch-across"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 12, 15), berlin(2026, 6, 2, 12, 45), timedelta(0), id="lunch-inside"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 12, 30), berlin(2026, 6, 2, 13, 30), timedelta(minutes=30), id="lunch-start-inside"),
    pytest.param(LUNCH, berlin(2026, 6, 1, 9), berlin(2026, 6, 8, 9), timedelta(hours=40), id="lunch-week"),
    # 24:00 end
    pytest.param(EVENING_UTC, utc(2026, 6, 1, 22), utc(2026, 6, 2, 2), timedelta(hours=2), id="until-midnight"),
    pytest.param(EVENING_UTC, utc(2026, 6, 5, 23), utc(2026, 6, 8, 21), timedelta(hours=2), id="until-midnight-weekend"),
    # DST, Europe/Berlin
    pytest.param(ALL_DAY_BERLIN, berlin(2026, 3, 28), berlin(2026, 3, 30), timedelta(hours=47), id="berlin-all-day-spring-two-days"),
    pytest.param(ALL_DAY_BERLIN, berlin(2026, 3, 29), berlin(2026, 3, 30), timedelta(hours=23), id="berlin-all-day-spring"),
    pytest.param(ALL_DAY_BERLIN, berlin(2026, 10, 25), berlin(2026, 10, 26), timedelta(hours=25), id="berlin-all-day-fall"),
    pytest.param(ALL_DAY_BERLIN, berlin(2026, 1, 1), berlin(2027, 1, 1), timedelta(days=365), id="berlin-all-day-year"),
    pytest.param(NIGHT_BERLIN, utc(2026, 3, 27, 12), utc(2026, 3, 28, 12), timedelta(hours=3), id="berlin-night-normal"),
    pytest.param(NIGHT_BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), timedelta(hours=2), id="berlin-night-spring"),
    pytest.param(NIGHT_BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12), timedelta(hours=4), id="berlin-night-fall"),
    pytest.param(GAP_BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12), timedelta(hours=1), id="berlin-interval-in-gap-dropped"),
    pytest.param(SPLIT_BERLIN, utc(2026, 3, 27, 12), utc(2026, 3, 28, 12), timedelta(hours=2, minutes=30), id="berlin-split-normal"),
    pytest.param(SPLIT_BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12), timedelta(hours=2), id="berlin-split-spring-joined"),
    # DST, America/New_York
    pytest.param(ALL_DAY_NY, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), timedelta(hours=23), id="ny-all-day-spring"),
    pytest.param(ALL_DAY_NY, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), timedelta(hours=25), id="ny-all-day-fall"),
    pytest.param(NIGHT_NY, utc(2026, 3, 7, 12), utc(2026, 3, 8, 12), timedelta(hours=2), id="ny-night-spring"),
    pytest.param(NIGHT_NY, utc(2026, 10, 31, 12), utc(2026, 11, 1, 12), timedelta(hours=4), id="ny-night-fall"),
    # holidays from explicit and recurring dates
    pytest.param(HOLIDAYS, berlin(2026, 5, 13, 9), berlin(2026, 5, 15, 9), timedelta(hours=8), id="explicit-holiday"),
    pytest.param(HOLIDAYS, berlin(2026, 12, 23, 9), berlin(2026, 12, 28, 9), timedelta(hours=16), id="recurring-holiday-2026"),
    pytest.param(HOLIDAYS, berlin(2027, 12, 23, 9), berlin(2027, 12, 27, 9), timedelta(hours=8), id="recurring-holiday-2027"),
    # special days
    pytest.param(SPECIAL, berlin(2026, 12, 24), berlin(2026, 12, 25), timedelta(hours=4), id="special-half-day"),
    pytest.param(SPECIAL, berlin(2027, 12, 24), berlin(2027, 12, 25), timedelta(0), id="special-only-that-year"),
    pytest.param(SPECIAL, berlin(2026, 6, 1), berlin(2026, 6, 2), timedelta(0), id="special-closed-day"),
    pytest.param(SPECIAL, berlin(2026, 6, 6), berlin(2026, 6, 7), timedelta(hours=4), id="special-makeup-saturday"),
    # China: National Day week closed, make-up Sunday 09-20 and Saturday 10-10, Mid-Autumn 09-25
    pytest.param(CHINA, shanghai(2026, 9, 30, 9), shanghai(2026, 10, 8, 9), timedelta(hours=8), id="cn-national-day"),
    pytest.param(CHINA, shanghai(2026, 9, 19), shanghai(2026, 9, 21), timedelta(hours=8), id="cn-makeup-sunday"),
    pytest.param(CHINA, shanghai(2026, 10, 9), shanghai(2026, 10, 12), timedelta(hours=16), id="cn-makeup-saturday"),
    pytest.param(CHINA, shanghai(2026, 9, 21, 9), shanghai(2026, 9, 28, 9), timedelta(hours=32), id="cn-mid-autumn"),
    # 24x7 and never open
    pytest.param(ALWAYS, berlin(2026, 3, 29), berlin(2026, 3, 30), timedelta(hours=23), id="always-open"),
    pytest.param(NEVER, utc(2026, 1, 1), utc(2027, 1, 1), timedelta(0), id="never-open"),
]

ADD = [
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), timedelta(hours=3), berlin(2026, 6, 2, 13), id="same-day"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), timedelta(hours=7), berlin(2026, 6, 2, 17), id="due-exactly-at-closing"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), timedelta(hours=7, microseconds=1), berlin(2026, 6, 3, 9, 0, 0, 1), id="one-us-past-closing"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 6), timedelta(hours=2), berlin(2026, 6, 2, 11), id="start-before-opening"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 18), timedelta(hours=1), berlin(2026, 6, 3, 10), id="start-after-closing"),
    pytest.param(OFFICE, berlin(2026, 6, 6, 10), timedelta(hours=8), berlin(2026, 6, 8, 17), id="start-on-weekend"),
    pytest.param(OFFICE, berlin(2026, 6, 5, 16), timedelta(hours=2), berlin(2026, 6, 8, 10), id="over-weekend"),
    pytest.param(OFFICE, berlin(2026, 6, 1, 9), timedelta(hours=120), berlin(2026, 6, 19, 17), id="three-weeks"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), timedelta(0), berlin(2026, 6, 2, 10), id="zero-when-open"),
    pytest.param(OFFICE, berlin(2026, 6, 6, 10), timedelta(0), berlin(2026, 6, 8, 9), id="zero-on-weekend"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 17), timedelta(0), berlin(2026, 6, 3, 9), id="zero-at-closing"),
    pytest.param(OFFICE, berlin(2026, 12, 30, 16), timedelta(hours=18), berlin(2027, 1, 4, 10), id="over-new-year"),
    pytest.param(OFFICE, berlin(2024, 1, 1), timedelta(hours=784 * 8), berlin(2026, 12, 31, 17), id="three-years"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 11), timedelta(hours=1), berlin(2026, 6, 2, 12), id="lunch-due-at-break"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 11), timedelta(hours=1, seconds=1), berlin(2026, 6, 2, 13, 0, 1), id="lunch-skipped"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 12, 30), timedelta(minutes=30), berlin(2026, 6, 2, 13, 30), id="lunch-start-inside"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 12, 30), timedelta(0), berlin(2026, 6, 2, 13), id="lunch-zero"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 17), timedelta(hours=2), berlin(2026, 6, 3, 10), id="lunch-next-day"),
    pytest.param(EVENING_UTC, utc(2026, 6, 1, 22), timedelta(hours=2), utc(2026, 6, 2), id="due-at-midnight"),
    pytest.param(EVENING_UTC, utc(2026, 6, 1, 22), timedelta(hours=2, seconds=1), utc(2026, 6, 2, 20, 0, 1), id="past-midnight"),
    pytest.param(ALL_DAY_BERLIN, utc(2026, 3, 28, 23), timedelta(hours=23), utc(2026, 3, 29, 22), id="berlin-all-day-spring"),
    pytest.param(ALL_DAY_BERLIN, utc(2026, 3, 28, 23), timedelta(hours=2), utc(2026, 3, 29, 1), id="berlin-all-day-spring-gap"),
    pytest.param(ALL_DAY_BERLIN, utc(2026, 10, 24, 22), timedelta(hours=25), utc(2026, 10, 25, 23), id="berlin-all-day-fall"),
    pytest.param(ALL_DAY_BERLIN, utc(2026, 10, 24, 22), timedelta(hours=3), utc(2026, 10, 25, 1), id="berlin-all-day-fall-repeat"),
    pytest.param(NIGHT_BERLIN, utc(2026, 3, 29), timedelta(hours=2), utc(2026, 3, 29, 2), id="berlin-night-spring"),
    pytest.param(NIGHT_BERLIN, utc(2026, 3, 29), timedelta(hours=2, seconds=1), utc(2026, 3, 29, 23, 0, 1), id="berlin-night-spring-next"),
    pytest.param(NIGHT_BERLIN, utc(2026, 10, 24, 23), timedelta(hours=4), utc(2026, 10, 25, 3), id="berlin-night-fall"),
    pytest.param(NIGHT_BERLIN, utc(2026, 10, 24, 23), timedelta(hours=3), utc(2026, 10, 25, 2), id="berlin-night-fall-repeat"),
    pytest.param(ALL_DAY_NY, utc(2026, 3, 8, 5), timedelta(hours=23), utc(2026, 3, 9, 4), id="ny-all-day-spring"),
    pytest.param(ALL_DAY_NY, utc(2026, 11, 1, 4), timedelta(hours=25), utc(2026, 11, 2, 5), id="ny-all-day-fall"),
    pytest.param(NIGHT_NY, utc(2026, 3, 8, 6), timedelta(minutes=150), utc(2026, 3, 9, 5, 30), id="ny-night-spring"),
    pytest.param(NIGHT_NY, utc(2026, 11, 1, 5), timedelta(hours=4), utc(2026, 11, 1, 9), id="ny-night-fall"),
    pytest.param(HOLIDAYS, berlin(2026, 5, 13, 16), timedelta(hours=2), berlin(2026, 5, 15, 10), id="explicit-holiday"),
    pytest.param(HOLIDAYS, berlin(2026, 12, 30, 16), timedelta(hours=2), berlin(2027, 1, 1, 10), id="recurring-holiday"),
    pytest.param(SPECIAL, berlin(2026, 6, 5, 16), timedelta(hours=2), berlin(2026, 6, 6, 11), id="special-makeup-saturday"),
    pytest.param(SPECIAL, berlin(2026, 12, 24, 12), timedelta(hours=2), berlin(2026, 12, 25, 10), id="special-half-day"),
    pytest.param(SPECIAL, berlin(2026, 5, 29, 16), timedelta(hours=2), berlin(2026, 6, 2, 10), id="special-closed-day"),
    pytest.param(CHINA, shanghai(2026, 9, 30, 17), timedelta(hours=2), shanghai(2026, 10, 8, 10), id="cn-national-day"),
    pytest.param(CHINA, shanghai(2026, 9, 18, 17), timedelta(hours=3), shanghai(2026, 9, 20, 11), id="cn-makeup-sunday"),
    pytest.param(CHINA, shanghai(2026, 10, 9, 17, 30), timedelta(hours=4), shanghai(2026, 10, 10, 13, 30), id="cn-makeup-saturday"),
    pytest.param(ALWAYS, berlin(2026, 3, 29), timedelta(hours=23), berlin(2026, 3, 30), id="always-open"),
    pytest.param(ALWAYS, berlin(2026, 3, 29), timedelta(0), berlin(2026, 3, 29), id="always-open-zero"),
    pytest.param(ONE_DAY_ONLY, utc(2026, 1, 1), timedelta(hours=1), utc(2026, 6, 6, 11), id="one-open-day"),
]


@pytest.mark.parametrize("cal, start, end, expected", ELAPSED)
def test_elapsed(cal, start, end, expected):
    assert cal.elapsed(start, end) == expected


@pytest.mark.parametrize("cal, start, duration, expected", ADD)
def test_add(cal, start, duration, expected):
    due_at = cal.add(start, duration)
    assert due_at == expected
    assert due_at.tzinfo is UTC


@pytest.mark.parametrize("cal, start, duration, expected", ADD)
def test_add_and_elapsed_agree(cal, start, duration, expected):
    assert cal.elapsed(start, expected) == duration


OPEN = [
    pytest.param(OFFICE, berlin(2026, 6, 2, 9), True, berlin(2026, 6, 2, 9), id="at-opening"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 8, 59, 59, 999999), False, berlin(2026, 6, 2, 9), id="just-before-opening"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 10), True, berlin(2026, 6, 2, 10), id="inside"),
    pytest.param(OFFICE, berlin(2026, 6, 2, 17), False, berlin(2026, 6, 3, 9), id="at-closing"),
    pytest.param(OFFICE, berlin(2026, 6, 5, 17), False, berlin(2026, 6, 8, 9), id="friday-evening"),
    pytest.param(LUNCH, berlin(2026, 6, 2, 12), False, berlin(2026, 6, 2, 13), id="lunch"),
    pytest.param(EVENING_UTC, utc(2026, 6, 2), False, utc(2026, 6, 2, 20), id="after-midnight-close"),
    pytest.param(ALL_DAY_BERLIN, utc(2026, 12, 31, 23), True, utc(2026, 12, 31, 23), id="all-day-new-year"),
    pytest.param(CHINA, shanghai(2026, 9, 30, 18), False, shanghai(2026, 10, 8, 9), id="cn-before-national-day"),
    pytest.param(CHINA, shanghai(2026, 10, 10, 10), True, shanghai(2026, 10, 10, 10), id="cn-makeup-saturday"),
    pytest.param(ALWAYS, berlin(2026, 6, 6, 3), True, berlin(2026, 6, 6, 3), id="always-open"),
]


@pytest.mark.parametrize("cal, at, is_open, next_open", OPEN)
def test_is_open_and_next_open(cal, at, is_open, next_open):
    assert cal.is_open(at) is is_open
    assert cal.next_open(at) == next_open
    assert cal.next_open(at).tzinfo is UTC


NAIVE = datetime(2026, 6, 2, 10)
AWARE = berlin(2026, 6, 2, 10)

INVALID_CALLS = [
    pytest.param(lambda: OFFICE.add(AWARE, timedelta(seconds=-1)), id="negative-duration"),
    pytest.param(lambda: ALWAYS.add(AWARE, timedelta(microseconds=-1)), id="negative-duration-24x7"),
    pytest.param(lambda: OFFICE.add_us(0, -1), id="negative-duration-us"),
    pytest.param(lambda: OFFICE.elapsed(NAIVE, AWARE), id="naive-start"),
    pytest.param(lambda: OFFICE.elapsed(AWARE, NAIVE), id="naive-end"),
    pytest.param(lambda: OFFICE.add(NAIVE, timedelta(hours=1)), id="naive-add"),
    pytest.param(lambda: OFFICE.is_open(NAIVE), id="naive-is-open"),
    pytest.param(lambda: OFFICE.next_open(NAIVE), id="naive-next-open"),
    pytest.param(lambda: Calendar(CalendarSpec("UTC", weekly=((),) * 6)), id="six-weekdays"),
    pytest.param(lambda: Calendar(CalendarSpec("UTC", weekly=(hours((10, 9)),) + ((),) * 6)), id="reversed-interval"),
    pytest.param(lambda: Calendar(CalendarSpec("UTC", weekly=(hours((9, 12), (11, 13)),) + ((),) * 6)), id="overlap"),
]


@pytest.mark.parametrize("call", INVALID_CALLS)
def test_invalid_calls_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


NEVER_OPEN = [
    pytest.param(lambda: NEVER.add(utc(2026, 1, 1), timedelta(hours=1)), id="add"),
    pytest.param(lambda: NEVER.add(utc(2026, 1, 1), timedelta(0)), id="add-zero"),
    pytest.param(lambda: NEVER.next_open(utc(2026, 1, 1)), id="next-open"),
    pytest.param(lambda: ONE_DAY_ONLY.add(utc(2026, 6, 6, 13), timedelta(hours=2)), id="after-last-open-day"),
]


@pytest.mark.parametrize("call", NEVER_OPEN)
def test_never_open_raises(call):
    with pytest.raises(CalendarNeverOpen):
        call()


def test_never_open_is_a_value_error():
    assert issubclass(CalendarNeverOpen, ValueError)


def test_epoch_microsecond_api_matches_datetimes():
    start_us = 1_780_390_800_000_000  # 2026-06-02 09:00 UTC = 11:00 Berlin
    assert OFFICE.elapsed_us(start_us, start_us + 4 * H * 1_000_000) == 4 * H * 1_000_000
    assert OFFICE.add_us(start_us, 6 * H * 1_000_000 + 1) == 1_780_470_000_000_001  # Wed 09:00:00.000001 Berlin
