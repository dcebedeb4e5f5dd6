"""rules.yaml `calendars` (processors/rules_calendars.py), as tables: weekday keys, opening-hour
intervals at the edges of the day, hours of a day (merged, overlapping), time zones, dates, and whole
calendars, with the exact problems (line, col, message) of each mistake. Positions: a value's first
character; an empty value sits just after its ':'; a problem about a key, at the key."""
from __future__ import annotations

from datetime import date

import pytest

from processors import rules_calendars as rc
from processors.calendar import CalendarSpec
from tests.rules_cases_helpers import section

H = 3600
WEEKDAY_HINT = "mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or daily"
HOURS_HINT = "write a list like ['09:00-12:00', '13:00-18:00'], 24h for the whole day, or [] for closed"
NINE_TO_SIX = ((9 * H, 18 * H),)
WORKWEEK = (NINE_TO_SIX,) * 5 + ((), ())


# ---- weekdays ------------------------------------------------------------------------------

@pytest.mark.parametrize("key, expected", [
    ("mon", [0]), ("Sun", [6]), (" tue ", [1]),  # casefolded, trimmed
    ("monday", [0]), ("thur", [3]), ("tues", [1]), ("SATURDAY", [5]),  # a full name or a prefix of one
    ("daily", list(range(7))), ("DAILY", list(range(7))), ("everyday", list(range(7))), ("every day", list(range(7))),
    ("mon-fri", [0, 1, 2, 3, 4]), ("fri-mon", [4, 5, 6, 0]), ("sun-thu", [6, 0, 1, 2, 3]),  # ranges wrap
    ("mon-mon", [0]), ("tue-mon", [1, 2, 3, 4, 5, 6, 0]), ("monday - wed", [0, 1, 2]),
    # Mistakes: the bad part named, the closest day suggested when there is one.
    ("mo", f"unknown weekday 'mo'; did you mean 'mon'? Use {WEEKDAY_HINT}"),  # two letters are too few
    ("mnday", f"unknown weekday 'mnday'; did you mean 'monday'? Use {WEEKDAY_HINT}"),
    ("mon-frx", f"unknown weekday 'frx'; did you mean 'fri'? Use {WEEKDAY_HINT}"),
    ("xyz", f"unknown weekday 'xyz'; use {WEEKDAY_HINT}"),
    ("saturdays", f"unknown weekday 'saturdays'; did you mean 'saturday'? Use {WEEKDAY_HINT}"),
    ("mon-", f"unknown weekday ''; use {WEEKDAY_HINT}"),
    # Three parts: the whole key is named, without a suggestion.
    ("mon-tue-wed", f"unknown weekday 'mon-tue-wed'; use {WEEKDAY_HINT}"),
    ("mon-tue-xx", f"unknown weekday 'xx'; use {WEEKDAY_HINT}"),
    ("mon-tue-wedd", f"unknown weekday 'wedd'; use {WEEKDAY_HINT}"),  # close to wed, but not a range: no hint
])
def test_weekdays_of(key, expected):
    assert rc.weekdays_of(key) == expected


# ---- intervals -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("09:00-18:00", (9 * H, 18 * H)),
    (" 9:00 - 18:00 ", (9 * H, 18 * H)),  # one-digit hour, spaces
    ("09:00–18:00", (9 * H, 18 * H)),  # an en dash
    ("00:00-24:00", (0, 24 * H)),  # the whole day
    ("23:59-24:00", (24 * H - 60, 24 * H)),  # the last minute
    ("00:00-00:01", (0, 60)),  # the first minute
    ("09:59-10:00", (9 * H + 59 * 60, 10 * H)),
    ("24:00-24:00", "hours '24:00-24:00' start at 24:00; 24:00 may only end an interval"),
    ("09:00-24:01", "bad time '24:01' in '09:00-24:01': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("24:30-24:40", "bad time '24:30' in '24:30-24:40': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("25:00-26:00", "bad time '25:00' in '25:00-26:00': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("09:00-25:00", "bad time '25:00' in '09:00-25:00': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("09:60-10:00", "bad time '09:60' in '09:60-10:00': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("09:00-09:60", "bad time '09:60' in '09:00-09:60': times go from 00:00 to 23:59, and 24:00 may end a day"),
    ("18:00-09:00", "hours '18:00-09:00' end before they start; for a night shift, close the day at 24:00 "
                    "and open the next at 00:00"),
    ("09:01-09:00", "hours '09:01-09:00' end before they start; for a night shift, close the day at 24:00 "
                    "and open the next at 00:00"),  # a minute before the start
    ("09:00-09:00", "hours '09:00-09:00' are empty: they start and end at the same time"),
    ("09:00-09:01", (9 * H, 9 * H + 60)),  # a minute after the start
    ("9-5", "bad hours '9-5': write opening hours like 09:00-18:00"),
    ("09:00-18:00-20:00", "bad hours '09:00-18:00-20:00': write opening hours like 09:00-18:00"),
])
def test_interval(text, expected):
    assert rc.interval(text) == expected


# ---- the hours of one day ------------------------------------------------------------------

def day(raw):
    return section(lambda ck, v: rc.day_hours(ck, ("h",), v, "mon"), f"h: {raw}".rstrip() + "\n", "h")


@pytest.mark.parametrize("raw, expected, problems", [
    ("24h", ((0, 24 * H),), []), ("24H", ((0, 24 * H),), []),
    ("closed", (), []), ("Closed", (), []), ("[]", (), []),
    ("09:00-18:00", NINE_TO_SIX, []),  # one interval alone
    ("[13:00-18:00, 09:00-12:00]", ((9 * H, 12 * H), (13 * H, 18 * H)), []),  # sorted
    ("[09:00-12:00, 12:00-13:00]", ((9 * H, 13 * H),), []),  # touching: joined
    ("[09:00-18:00, 10:00-11:00]", None, [(1, 18, "hours '10:00-11:00' overlap '09:00-18:00'")]),
    ("[09:00-12:00, 11:59-13:00]", None, [(1, 18, "hours '11:59-13:00' overlap '09:00-12:00'")]),
    # Each overlap names the interval reaching furthest so far.
    ("[09:00-10:00, 09:00-12:00, 11:00-13:00]", None,
     [(1, 18, "hours '09:00-12:00' overlap '09:00-10:00'"), (1, 31, "hours '11:00-13:00' overlap '09:00-12:00'")]),
    # Sorted by start, then by end (not as written: 9:30 ends before 10:00).
    ("[09:00-10:00, 09:00-9:30]", None, [(1, 5, "hours '09:00-10:00' overlap '09:00-9:30'")]),
    ("[09:00-12:00, 10:00-12:00, 11:00-13:00]", None,  # 10-12 ends with 9-12, not after it: 9-12 stays
     [(1, 18, "hours '10:00-12:00' overlap '09:00-12:00'"), (1, 31, "hours '11:00-13:00' overlap '09:00-12:00'")]),
    ("[09:00-18:00, 10:00-11:00, 12:00-13:00]", None,
     [(1, 18, "hours '10:00-11:00' overlap '09:00-18:00'"), (1, 31, "hours '12:00-13:00' overlap '09:00-18:00'")]),
    ("[x, 09:00-10:00]", None, [(1, 5, "bad hours 'x': write opening hours like 09:00-18:00")]),
    ("[09:00-10:00, ]", ((9 * H, 10 * H),), []),  # a trailing comma adds nothing
    ("[09:00-10:00, null]", None, [(1, 18, "an interval of mon has no value")]),
    ("", None, [(1, 3, f"bad hours for mon: {HOURS_HINT}")]),
    ("{a: 1}", None, [(1, 4, f"bad hours for mon: {HOURS_HINT}")]),
    ("sometimes", None, [(1, 4, "bad hours 'sometimes': write opening hours like 09:00-18:00")]),
], ids=["24h", "24H", "closed", "Closed", "empty-list", "one", "sorted", "touching", "inside", "one-minute-over",
        "furthest", "by-end", "same-end", "several", "bad", "trailing-comma", "null", "no-value", "mapping", "word"])
def test_day_hours(raw, expected, problems):
    assert day(raw) == (expected, problems)


# ---- zones and dates -----------------------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("UTC", None), ("Europe/Berlin", None), ("Asia/Shanghai", None),
    ("Europe/Berln", "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"),
    ("utc", "unknown time zone 'utc'; did you mean 'UTC'?"),
    ("Nowhere/Xyz", "unknown time zone 'Nowhere/Xyz'; use an IANA name like Europe/Berlin"),
    ("../x", "unknown time zone '../x'; use an IANA name like Europe/Berlin"),  # not a key at all
])
def test_check_zone(name, message):
    assert rc.check_zone(name) == message


@pytest.mark.parametrize("text, recurring, expected", [
    ("2026-10-01", False, date(2026, 10, 1)),
    ("2028-02-29", False, date(2028, 2, 29)),  # a leap day
    ("2026-02-29", False, "bad date '2026-02-29': write it as YYYY-MM-DD, e.g. 2026-10-01"),
    ("2026-1-01", False, "bad date '2026-1-01': write it as YYYY-MM-DD, e.g. 2026-10-01"),
    ("12-25", False, "bad date '12-25': write it as YYYY-MM-DD, e.g. 2026-10-01"),
    ("12-25", True, date(2000, 12, 25)),
    ("02-29", True, date(2000, 2, 29)),  # every leap day
    ("13-01", True, "bad recurring date '13-01': write it as MM-DD, e.g. 12-25"),
    ("2026-12-25", True, "bad recurring date '2026-12-25': write it as MM-DD, e.g. 12-25"),
])
def test_parse_date(text, recurring, expected):
    assert rc.parse_date(text, recurring=recurring) == expected


# ---- whole calendars -----------------------------------------------------------------------

def calendars(text):
    return section(rc.calendars, text, "calendars")


OFFICE = "calendars:\n  office:\n    timezone: Europe/Berlin\n    hours: {mon-fri: 09:00-18:00}\n"
OFFICE_SPEC = CalendarSpec(timezone="Europe/Berlin", weekly=WORKWEEK)
EMPTY = "calendars is empty; define at least one calendar, e.g. always: 24x7"


@pytest.mark.parametrize("text, expected, problems", [
    ("calendars:\n", ([], {}), [(1, 1, EMPTY)]),  # no value: at the key
    ("other: 1\n", ([], {}), [(1, 1, EMPTY)]),  # no section at all: the top of the file
    ("calendars: {}\n", ([], {}), [(1, 12, EMPTY)]),  # an empty mapping: at the {}
    ("calendars: [a]\n", ([], {}), [(1, 12, "calendars must be a mapping of 'key: value' lines, not a list")]),
    ("calendars: {always: 24x7}\n", (["always"], {"always": CalendarSpec.twenty_four_seven()}), []),
    ("calendars: {always: 24X7}\n", (["always"], {"always": CalendarSpec.twenty_four_seven()}), []),
    ("calendars: {always: 24/7}\n", (["always"], {}),
     [(1, 21, "calendar 'always' must be 24x7 or a mapping with timezone and hours")]),
    ("calendars: {office: }\n", (["office"], {}), [(1, 20, "calendar 'office' has no value; give it 'key: value' lines")]),
    ("calendars: {office: [a]}\n", (["office"], {}),
     [(1, 21, "calendar 'office' must be a mapping of 'key: value' lines, not a list")]),
    (OFFICE, (["office"], {"office": OFFICE_SPEC}), []),
    # Names in file order, also of the calendars with mistakes; only the sound ones get a spec.
    ("calendars:\n  z: 24x7\n  b: {timezone: UTC}\n  a: 24x7\n", (["z", "b", "a"],
     {"z": CalendarSpec.twenty_four_seven(), "a": CalendarSpec.twenty_four_seven()}),
     [(3, 3, "calendar 'b' is missing 'hours'")]),
    ("calendars:\n  office: {hours: {mon: 24h}}\n", (["office"], {}), [(2, 3, "calendar 'office' is missing 'timezone'")]),
    ("calendars:\n  office: {timezone: UTC, hours: {mon: 24h}, holiday: x}\n", (["office"], {}),
     [(2, 46, "unknown key 'holiday' in calendar 'office'; did you mean 'holidays'?")]),
    ("calendars:\n  office: {timezone: Europe/Berln, hours: {mon: 24h}}\n", (["office"], {}),
     [(2, 22, "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?")]),
    ("calendars:\n  office: {timezone: , hours: {mon: 24h}}\n", (["office"], {}),
     [(2, 21, "the timezone of calendar 'office' has no value")]),
], ids=["no-value", "absent", "empty", "list", "24x7", "24X7", "24/7", "office-no-value", "office-list", "office",
        "order", "no-timezone", "unknown-key", "bad-zone", "empty-zone"])
def test_calendars(text, expected, problems):
    assert calendars(text) == (expected, problems)


@pytest.mark.parametrize("hours, weekly, problems", [
    ("{mon-fri: 09:00-18:00}", WORKWEEK, []),
    ("{daily: 24h}", ((((0, 24 * H),),) * 7), []),
    ("{mon: [09:00-12:00, 13:00-18:00], sun: 10:00-14:00}",
     (((9 * H, 12 * H), (13 * H, 18 * H)), (), (), (), (), (), ((10 * H, 14 * H),)), []),
    ("{mon-fri: 09:00-18:00, sat: closed}", WORKWEEK, []),
    # A day given twice, by two keys: at the second key, naming the first. A day never open: at hours.
    ("{mon-fri: 09:00-18:00, fri: 24h}", None, [(4, 35, "fri is given twice in hours (also in 'mon-fri')")]),
    ("{Mon: 24h, mon: 24h}", None, [(4, 23, "mon is given twice in hours (also in 'Mon')")]),
    ("{mon-fri: closed}", None, [(4, 5, "calendar 'office' is never open; give opening hours for at least one day")]),
    ("{}", None, [(4, 5, "calendar 'office' is never open; give opening hours for at least one day")]),
    ("{mnday: 24h}", None, [(4, 13, f"unknown weekday 'mnday'; did you mean 'monday'? Use {WEEKDAY_HINT}")]),
    ("{mon: 24h, tue: 9-5}", None, [(4, 28, "bad hours '9-5': write opening hours like 09:00-18:00")]),
    ("{mnday: 24h, tue: 9-5}", None,  # the keys after a bad one are read
     [(4, 13, f"unknown weekday 'mnday'; did you mean 'monday'? Use {WEEKDAY_HINT}"),
      (4, 30, "bad hours '9-5': write opening hours like 09:00-18:00")]),
    ("[mon]", None, [(4, 12, "the hours of calendar 'office' must be a mapping of 'key: value' lines, not a list")]),
], ids=["workweek", "daily", "per-day", "closed-day", "twice", "twice-by-case", "never-open", "empty",
        "bad-day", "bad-hours", "bad-day-then-more", "list"])
def test_calendar_hours(hours, weekly, problems):
    text = f"calendars:\n  office:\n    timezone: UTC\n    hours: {hours}\n"
    names, specs = (got := calendars(text))[0]
    assert got[1] == problems
    assert specs == ({"office": CalendarSpec(timezone="UTC", weekly=weekly)} if weekly else {})


@pytest.mark.parametrize("holidays, fields, problems", [
    ("{country: de}", {"holiday_country": "DE"}, []),  # upper-cased
    ("{country: US, subdivision: ca}", {"holiday_country": "US", "holiday_subdivision": "CA"}, []),
    ("{country: DE, subdivision: augsburg}", {"holiday_country": "DE", "holiday_subdivision": "Augsburg"}, []),
    ("{dates: [2026-10-01, 2026-10-02], recurring: 12-25}",
     {"holiday_dates": frozenset({date(2026, 10, 1), date(2026, 10, 2)}), "recurring_holidays": frozenset({(12, 25)})}, []),
    ("{dates: [], recurring: []}", {}, []),
    ("{country: DEU}", None, [(5, 25, "holiday country 'DEU': use the two-letter code 'DE'")]),
    ("{country: XX}", None, [(5, 25, "unknown holiday country 'XX'; use a two-letter code like CN, US or DE "
                                     "(the countries of the holidays package)")]),
    ("{country: }", None, [(5, 24, "holidays.country has no value")]),
    ("{subdivision: BY}", None, [(5, 29, "a holiday subdivision needs a valid holidays.country")]),
    ("{country: XX, subdivision: BY}", None,
     [(5, 25, "unknown holiday country 'XX'; use a two-letter code like CN, US or DE (the countries of the "
              "holidays package)"), (5, 42, "a holiday subdivision needs a valid holidays.country")]),
    ("{country: DE, subdivision: }", None, [(5, 41, "holidays.subdivision has no value")]),
    ("{country: DE, subdivision: XY}", None,
     [(5, 42, "unknown subdivision 'XY' of DE; known: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, "
              "ST, TH, Augsburg")]),
    ("{country: CN, subdivision: XY}", None, [(5, 42, "unknown subdivision 'XY' of CN; known: none")]),
    ("{dates: [2026-10-01, 2026-13-01], recurring: [12-25, 12-32]}", None,
     [(5, 36, "bad date '2026-13-01': write it as YYYY-MM-DD, e.g. 2026-10-01"),
      (5, 68, "bad recurring date '12-32': write it as MM-DD, e.g. 12-25")]),
    ("{dates: }", None, [(5, 22, "holidays.dates has no value; write a list like [A, B], or [] for none")]),
    ("{countries: DE}", None, [(5, 16, "unknown key 'countries' in the holidays of calendar 'office'; did you mean "
                                       "'country'?")]),
    ("", None, [(5, 14, "the holidays of calendar 'office' has no value; give it 'key: value' lines")]),
], ids=["country", "subdivision", "subdivision-name", "dates", "empty-lists", "alias", "unknown-country",
        "country-no-value", "subdivision-alone", "subdivision-bad-country", "subdivision-no-value",
        "unknown-subdivision", "no-subdivisions", "bad-dates", "dates-no-value", "unknown-key", "no-value"])
def test_calendar_holidays(holidays, fields, problems):
    text = f"calendars:\n  office:\n    timezone: UTC\n    hours: {{mon: 24h}}\n    holidays: {holidays}".rstrip() + "\n"
    (_, specs), found = calendars(text)
    assert found == problems
    base = {"holiday_dates": frozenset(), "recurring_holidays": frozenset()}
    assert specs == ({"office": CalendarSpec(timezone="UTC", weekly=(((0, 24 * H),),) + ((),) * 6,
                                             **{**base, **fields})} if fields is not None else {})


@pytest.mark.parametrize("special, days, problems", [
    ("{2026-10-10: 09:00-12:00, 2026-10-01: closed}",
     ((date(2026, 10, 1), ()), (date(2026, 10, 10), ((9 * H, 12 * H),))), []),  # sorted by date
    ("", (), []),  # no value: none
    ("{}", (), []),
    ("{2026-13-01: closed}", None, [(5, 20, "bad date '2026-13-01': write it as YYYY-MM-DD, e.g. 2026-10-01")]),
    ("{2026-10-01: 9-5}", None, [(5, 32, "bad hours '9-5': write opening hours like 09:00-18:00")]),
    ("{2026-13-01: 9-5}", None, [(5, 20, "bad date '2026-13-01': write it as YYYY-MM-DD, e.g. 2026-10-01"),
                                 (5, 32, "bad hours '9-5': write opening hours like 09:00-18:00")]),
    ("{2026-13-01: closed, 2026-10-01: closed}", None,  # only the good date is kept (then dropped: a problem)
     [(5, 20, "bad date '2026-13-01': write it as YYYY-MM-DD, e.g. 2026-10-01")]),
    ("[2026-10-01]", None,
     [(5, 19, "the special_days of calendar 'office' must be a mapping of 'key: value' lines, not a list")]),
], ids=["two", "no-value", "empty", "bad-date", "bad-hours", "both-bad", "bad-and-good", "list"])
def test_calendar_special_days(special, days, problems):
    text = f"calendars:\n  office:\n    timezone: UTC\n    hours: {{mon: 24h}}\n    special_days: {special}".rstrip() + "\n"
    (_, specs), found = calendars(text)
    assert found == problems
    assert specs == ({"office": CalendarSpec(timezone="UTC", weekly=(((0, 24 * H),),) + ((),) * 6,
                                             special_days=days)} if days is not None else {})
