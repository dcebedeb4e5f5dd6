"""rules.yaml, the `calendars` section: weekly opening hours, holidays (a country and subdivision
of the `holidays` package and/or explicit dates), and special days (make-up working days, short
days). Problems are reported on the Checker of processors/rules_schema.py, like every section.

    names, specs = calendars(ck, value)   # names in file order, {name: CalendarSpec}
    weekdays_of("mon-fri") -> [0, 1, 2, 3, 4], or a message; check_zone(name) -> None or a message
"""
from __future__ import annotations

import re
import zoneinfo
from datetime import date
from functools import lru_cache
from typing import Any

import holidays

from processors.calendar import CalendarSpec, DayHours
from processors.rules_schema import Checker, Path, items, suggestion

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_KEYS = ("timezone", "hours", "holidays", "special_days")
HOLIDAY_KEYS = ("country", "subdivision", "dates", "recurring")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")
_HOURS_HINT = "write a list like ['09:00-12:00', '13:00-18:00'], 24h for the whole day, or [] for closed"


def _weekday(word: str) -> int | None:
    """The day a name or a prefix of it names, 3 letters or more: mon, thur, saturday."""
    word = word.strip().casefold()
    found = (i for i, full in enumerate(_FULL_DAYS) if full.startswith(word))
    return next(found, None) if len(word) >= 3 else None


def weekdays_of(key: str) -> list[int] | str:
    """'mon', 'monday', 'mon-fri', 'sun-thu' (wraps), 'daily' -> weekday numbers; or a message."""
    if key.strip().casefold() in ("daily", "everyday", "every day"):
        return list(range(7))
    parts = key.split("-")
    days = [_weekday(p) for p in parts]
    if len(parts) > 2 or None in days:
        bad = next((p.strip() for p, d in zip(parts, days) if d is None), key)
        close = suggestion(bad, WEEKDAYS + _FULL_DAYS) if len(parts) <= 2 else None
        hint = f"did you mean '{close}'? Use" if close else "use"
        return (f"unknown weekday '{bad}'; {hint} mon, tue, wed, thu, fri, sat, sun, "
                f"a range like mon-fri, or daily")
    first, last = days[0], days[-1]
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]  # type: ignore[operator]


def _seconds(hh: str, mm: str, *, end: bool) -> int | None:
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and (m or not end)):
        return None
    return h * 3600 + m * 60


def interval(text: str) -> tuple[int, int] | str:
    """'09:00-18:00' -> (32400, 64800) local seconds of the day; or a message."""
    found = _INTERVAL.match(text.strip())
    if not found:
        return f"bad hours '{text}': write opening hours like 09:00-18:00"
    a, b = found.group(1, 2), found.group(3, 4)
    if a == ("24", "00"):
        return f"hours '{text}' start at 24:00; 24:00 may only end an interval"
    start, stop = _seconds(*a, end=False), _seconds(*b, end=True)
    if start is None or stop is None:
        bad = ":".join(a if start is None else b)
        return f"bad time '{bad}' in '{text}': times go from 00:00 to 23:59, and 24:00 may end a day"
    if stop < start:
        return (f"hours '{text}' end before they start; for a night shift, close the day at 24:00 "
                f"and open the next at 00:00")
    if stop == start:
        return f"hours '{text}' are empty: they start and end at the same time"
    return start, stop


def day_hours(ck: Checker, path: Path, value: Any, what: str) -> DayHours | None:
    """A list of intervals, '24h', 'closed' or [] -> sorted, merged intervals."""
    if value is None or isinstance(value, dict):
        ck.report(path, f"bad hours for {what}: {_HOURS_HINT}")
        return None
    if not isinstance(value, list):
        word = ck.raw(path, value).casefold()
        if word in ("24h", "closed"):
            return ((0, 86400),) if word == "24h" else ()
    spans: list[tuple[int, int, str, Path]] = []
    for item_path, item in items(path, value):
        text = ck.text(item_path, item, f"an interval of {what}")
        parsed = interval(text) if text is not None else None
        if isinstance(parsed, str):
            ck.report(item_path, parsed)
        elif parsed is not None:
            spans.append((*parsed, text, item_path))  # type: ignore[arg-type]
    if len(spans) < len(items(path, value)):
        return None
    return _merge(ck, sorted(spans, key=lambda s: (s[0], s[1])))


def _merge(ck: Checker, spans: list[tuple[int, int, str, Path]]) -> DayHours | None:
    merged: list[tuple[int, int]] = []
    ok, latest = True, ""  # latest: the interval that reaches furthest so far
    for start, stop, text, path in spans:
        if merged and start < merged[-1][1]:
            ck.report(path, f"hours '{text}' overlap '{latest}'")
            ok = False
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1], latest = (merged[-1][0], stop), text
        else:
            merged.append((start, stop))
            latest = text
    return tuple(merged) if ok else None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_zone(name: str) -> str | None:
    """None if `name` is a known IANA time zone, else a message."""
    try:
        zoneinfo.ZoneInfo(name)
        return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = suggestion(name, _zones() | {"UTC"})
        hint = f"; did you mean '{close}'?" if close else "; use an IANA name like Europe/Berlin"
        return f"unknown time zone '{name}'{hint}"


def parse_date(text: str, *, recurring: bool = False) -> date | str:
    pattern, example = (r"\d{2}-\d{2}", "MM-DD, e.g. 12-25") if recurring else (
        r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD, e.g. 2026-10-01")
    try:
        if re.fullmatch(pattern, text):
            return date.fromisoformat(f"2000-{text}" if recurring else text)
    except ValueError:
        pass
    kind = "recurring date" if recurring else "date"
    return f"bad {kind} '{text}': write it as {example}"


def calendars(ck: Checker, value: Any) -> tuple[list[str], dict[str, CalendarSpec]]:
    """All calendar names given (valid or not) and the specs of the valid ones."""
    path: Path = ("calendars",)
    section = ck.mapping(path, value, "calendars") if value is not None else None
    if value is None or section == {}:
        ck.report(path, "calendars is empty; define at least one calendar, e.g. always: 24x7",
                  key=value is None)
    specs: dict[str, CalendarSpec] = {}
    for name, body in (section or {}).items():
        spec = _calendar(ck, (*path, name), name, body)
        if spec is not None:
            specs[name] = spec
    return list(section or {}), specs


def _calendar(ck: Checker, path: Path, name: str, body: Any) -> CalendarSpec | None:
    what = f"calendar '{name}'"
    if not isinstance(body, (dict, list)) and body is not None:
        if ck.raw(path, body).casefold() == "24x7":
            return CalendarSpec.twenty_four_seven()
        ck.report(path, f"{what} must be 24x7 or a mapping with timezone and hours")
        return None
    body = ck.mapping(path, body, what)
    if body is None:
        return None
    before = len(ck.problems)
    ck.fields(path, body, CALENDAR_KEYS, ("timezone", "hours"), what)
    zone = None
    if "timezone" in body:
        zone = ck.text((*path, "timezone"), body["timezone"], f"the timezone of {what}")
        if zone is not None and (message := check_zone(zone)):
            ck.report((*path, "timezone"), message)
    weekly = _weekly(ck, (*path, "hours"), body["hours"], what) if "hours" in body else None
    hol = _holidays(ck, (*path, "holidays"), body.get("holidays"), what) if "holidays" in body else {}
    special = _special_days(ck, (*path, "special_days"), body.get("special_days"), what)
    if len(ck.problems) > before or weekly is None or zone is None or hol is None:
        return None
    return CalendarSpec(timezone=zone, weekly=weekly, special_days=special, **hol)


def _weekly(ck: Checker, path: Path, value: Any, what: str) -> tuple[DayHours, ...] | None:
    hours = ck.mapping(path, value, f"the hours of {what}")
    if hours is None:
        return None
    week: list[DayHours] = [()] * 7
    given_by: dict[int, str] = {}
    before = len(ck.problems)
    for key, day_value in hours.items():
        days = weekdays_of(key)
        if isinstance(days, str):
            ck.report((*path, key), days, key=True)
            continue
        for d in days:
            if d in given_by:  # by another key: a key is given once (read_yaml drops a duplicate)
                ck.report((*path, key), f"{WEEKDAYS[d]} is given twice in hours (also in '{given_by[d]}')",
                          key=True)
            given_by[d] = key
        intervals = day_hours(ck, (*path, key), day_value, f"{key} in {what}")
        for d in days:
            week[d] = intervals or week[d]
    if len(ck.problems) > before:
        return None
    if not any(week):
        ck.report(path, f"{what} is never open; give opening hours for at least one day", key=True)
        return None
    return tuple(week)


def _holidays(ck: Checker, path: Path, value: Any, what: str) -> dict[str, Any] | None:
    body = ck.mapping(path, value, f"the holidays of {what}")
    if body is None:
        return None
    ck.fields(path, body, HOLIDAY_KEYS, (), f"the holidays of {what}")
    out: dict[str, Any] = {}
    countries = holidays.list_supported_countries(include_aliases=False)
    if "country" in body:
        out["holiday_country"] = _country(ck, (*path, "country"), body["country"], countries)
    if "subdivision" in body:
        out["holiday_subdivision"] = _subdivision(
            ck, (*path, "subdivision"), body["subdivision"], out.get("holiday_country"), countries)
    for key, recurring in (("dates", False), ("recurring", True)):
        texts = ck.names((*path, key), body[key], f"holidays.{key}") if key in body else None
        found = set()
        for (where, _), text in zip(items((*path, key), body.get(key)), texts or ()):
            parsed = parse_date(text, recurring=recurring)
            if isinstance(parsed, str):
                ck.report(where, parsed)
            else:
                found.add((parsed.month, parsed.day) if recurring else parsed)
        out["recurring_holidays" if recurring else "holiday_dates"] = frozenset(found)
    return out


def _country(ck: Checker, path: Path, value: Any, countries: dict[str, list[str]]) -> str | None:
    code = ck.text(path, value, "holidays.country")
    if code is None or code.upper() in countries:
        return code.upper() if code else None
    aliases = holidays.list_supported_countries(include_aliases=True)
    if code.upper() in aliases:
        alpha2 = holidays.country_holidays(code.upper()).country
        ck.report(path, f"holiday country '{code}': use the two-letter code '{alpha2}'")
    else:
        ck.report(path, f"unknown holiday country '{code}'; use a two-letter code like CN, US or DE "
                        f"(the countries of the holidays package)")
    return None


def _subdivision(ck: Checker, path: Path, value: Any, country: str | None,
                 countries: dict[str, list[str]]) -> str | None:
    sub = ck.text(path, value, "holidays.subdivision")
    if sub is None or country is None:
        if sub is not None:
            ck.report(path, "a holiday subdivision needs a valid holidays.country")
        return None
    known = {s.casefold(): s for s in countries[country]}
    if sub.casefold() in known:
        return known[sub.casefold()]
    listed = ", ".join(countries[country]) or "none"
    ck.report(path, f"unknown subdivision '{sub}' of {country}; known: {listed}")
    return None


def _special_days(ck: Checker, path: Path, value: Any, what: str) -> tuple[tuple[date, DayHours], ...]:
    if value is None:
        return ()
    body = ck.mapping(path, value, f"the special_days of {what}")
    out: list[tuple[date, DayHours]] = []
    for key, hours in (body or {}).items():
        day = parse_date(key)
        if isinstance(day, str):
            ck.report((*path, key), day, key=True)
        intervals = day_hours(ck, (*path, key), hours, f"{key} in {what}")
        if not isinstance(day, str) and intervals is not None:
            out.append((day, intervals))
    return tuple(sorted(out))
