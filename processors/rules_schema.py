"""rules.yaml, the reading half: YAML with node positions, a checker that collects problems
pointing at nodes, and the `calendars` section (weekly hours, holidays, special days).

`processors.rules` builds the rest of the typed rules on top of this. Nothing here knows the
rules dataclasses; problems are plain (line, col, message) triples, 1-based.
"""
from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Iterable, Sequence

import holidays
import yaml

from processors.calendar import CalendarSpec, DayHours

Path = tuple[str | int, ...]
Pos = tuple[int, int]
Problem = tuple[int, int, str]

_CONSTRUCTED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null")}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_NODES = 200_000  # an alias bomb is a mistake too


class YamlSyntaxError(Exception):
    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


@dataclass
class YamlDoc:
    """Plain Python values (dict/list/str/int/float/bool/None) plus where each came from."""

    value: Any = None
    marks: dict[Path, Pos] = field(default_factory=dict)  # the value node's start
    key_marks: dict[Path, Pos] = field(default_factory=dict)  # the key node's start
    raws: dict[Path, str] = field(default_factory=dict)  # a scalar's source text
    problems: list[Problem] = field(default_factory=list)  # duplicate keys and the like


_SYNTAX_HINTS = (
    (r"found character '\\t'", "a tab character; YAML is indented with spaces only"),
    (r"expected <block end>, but found", "bad indentation: this line is not aligned with the "
                                         "lines above it at the same level"),
    (r"mapping values are not allowed here", "unexpected ':' here; put text that contains ': ' "
                                             "in quotes, or check the indentation"),
    (r"but found another document", "only one YAML document is allowed; remove the '---' line"),
    (r"found undefined alias", "an alias (*name) refers to an anchor (&name) that is not defined "
                               "above it"),
    (r"found character '(.)' that cannot start any token", "'{0}' cannot start a value; put the "
                                                           "text in quotes"),
)


_UNCLOSED = {"while parsing a flow mapping": "'{' on line {} is not closed with '}'",
             "while parsing a flow sequence": "'[' on line {} is not closed with ']'",
             "while scanning a quoted scalar": "a quote opened on line {} is not closed"}


def _syntax_message(err: yaml.MarkedYAMLError) -> str:
    problem = err.problem or "not valid YAML"
    for pattern, hint in _SYNTAX_HINTS:
        if found := re.search(pattern, problem):
            return hint.format(*found.groups())
    started = err.context_mark.line + 1 if err.context_mark is not None else None
    if err.context in _UNCLOSED and started is not None:
        return _UNCLOSED[err.context].replace("{}", str(started), 1)
    where = f" ({err.context} started on line {started})" if err.context and started else ""
    return f"YAML syntax error: {problem}{where}"


def read_yaml(text: str) -> YamlDoc:
    """Compose `text` keeping positions; raise YamlSyntaxError for text that is not YAML."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as err:  # a control character: reported before any parsing
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        raise YamlSyntaxError(line, col, f"control character #x{err.character:04x} is not "
                                         f"allowed in YAML") from None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(line, col, _syntax_message(err)) from None
    finally:
        loader.dispose()
    doc = YamlDoc()
    if root is not None:
        doc.value = _Converter(doc, loader).convert(root, ())
    return doc


class _Converter:
    def __init__(self, doc: YamlDoc, loader: yaml.SafeLoader):
        self.doc, self.loader, self.active, self.count = doc, loader, set(), 0

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        mark = (node.start_mark.line + 1, node.start_mark.column + 1)
        self.doc.marks[path] = mark
        if id(node) in self.active:
            self.doc.problems.append((*mark, "this alias refers to a node that contains it"))
            return None
        if self.count > _MAX_NODES:
            if self.count == _MAX_NODES + 1:
                self.doc.problems.append((*mark, f"the aliases expand to more than {_MAX_NODES} "
                                                 f"values"))
            return None
        if isinstance(node, yaml.ScalarNode):
            self.doc.raws[path] = node.value
            return self._scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in _CONSTRUCTED_TAGS:
            try:
                return self.loader.construct_object(node)
            except (ValueError, yaml.YAMLError):
                pass
        return node.value  # strings, and dates kept as text: the rules parse them strictly

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            kmark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                self.doc.problems.append((*kmark, "a key must be plain text, not a list or mapping"))
                continue
            key = key_node.value
            if key in out:
                self.doc.problems.append(
                    (*kmark, f"duplicate key '{key}' (first given on line {first_line[key]})"))
                continue
            first_line[key] = kmark[0]
            self.doc.key_marks[(*path, key)] = kmark
            out[key] = self.convert(value_node, (*path, key))
        for merged in merges:  # `<<: *anchor` — explicit keys win
            sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for source in sources:
                value = self.convert(source, (*path, "<<"))
                for key, item in (value.items() if isinstance(value, dict) else ()):
                    if key not in out:
                        out[key] = item
                        self._copy_marks((*path, "<<"), (*path, key))
        return out

    def _copy_marks(self, src: Path, dst: Path) -> None:
        n = len(src) + 1
        for table in (self.doc.marks, self.doc.key_marks, self.doc.raws):
            for p, v in list(table.items()):
                if p[: len(src)] == src and len(p) >= n and p[len(src)] == dst[-1]:
                    table[(*dst, *p[n:])] = v


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    by_fold = {c.casefold(): c for c in candidates}
    found = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.6)
    return by_fold[found[0]] if found else None


def items(path: Path, value: Any) -> list[tuple[Path, Any]]:
    """(path, item) of each list item; a single value stands for a list of one."""
    if isinstance(value, list):
        return [((*path, i), item) for i, item in enumerate(value)]
    return [(path, value)]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"'{value}'"


class Checker:
    """Collects problems, each pointing at the node (or the key) it is about."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.problems: list[Problem] = list(doc.problems)

    def pos(self, path: Path, *, key: bool = False) -> Pos:
        if key and path in self.doc.key_marks:
            return self.doc.key_marks[path]
        while path and path not in self.doc.marks:
            path = path[:-1]
        return self.doc.marks.get(path, (1, 1))

    def report(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append((*self.pos(path, key=key), message))

    def raw(self, path: Path, value: Any) -> str:
        return self.doc.raws.get(path, str(value)).strip()

    def mapping(self, path: Path, value: Any, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        if value is None:
            self.report(path, f"{what} has no value; give it 'key: value' lines")
        else:
            self.report(path, f"{what} must be a mapping of 'key: value' lines, not {_kind(value)}")
        return None

    def fields(self, path: Path, value: dict[str, Any], allowed: Sequence[str],
               required: Sequence[str] = (), what: str | None = None) -> None:
        """Unknown keys (with a suggestion) and missing required keys."""
        inside = f" in {what}" if what else ""
        for key in value:
            if key in allowed:
                continue
            close = suggestion(key, allowed)
            hint = f"did you mean '{close}'?" if close else "expected one of: " + ", ".join(allowed)
            self.report((*path, key), f"unknown key '{key}'{inside}; {hint}", key=True)
        for key in required:
            if key not in value:
                self.report(path, f"{what or 'the file'} is missing '{key}'", key=True)

    def text(self, path: Path, value: Any, what: str) -> str | None:
        if value is None:
            self.report(path, f"{what} has no value")
            return None
        if isinstance(value, (dict, list)):
            self.report(path, f"{what} must be text, not {_kind(value)}")
            return None
        text = self.raw(path, value)
        if not text:
            self.report(path, f"{what} is empty")
            return None
        return text

    def names(self, path: Path, value: Any, what: str) -> tuple[str, ...] | None:
        """A list of texts; one text alone is a list of one."""
        if value is None:
            self.report(path, f"{what} has no value; write a list like [A, B], or [] for none")
            return None
        texts = [self.text(where, item, f"an entry of {what}") for where, item in items(path, value)]
        return None if None in texts else tuple(texts)  # type: ignore[arg-type]

    def sorted_problems(self) -> list[Problem]:
        return sorted(dict.fromkeys(self.problems), key=lambda p: (p[0], p[1]))


# ---- calendars -----------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_KEYS = ("timezone", "hours", "holidays", "special_days")
HOLIDAY_KEYS = ("country", "subdivision", "dates", "recurring")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")
_HOURS_HINT = "write a list like ['09:00-12:00', '13:00-18:00'], 24h for the whole day, or [] for closed"


def _weekday(word: str) -> int | None:
    word = word.strip().casefold()
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    if len(word) >= 3:
        return next((i for i, full in enumerate(_FULL_DAYS) if full.startswith(word)), None)
    return None


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
            if d in given_by:
                also = f" (also in '{given_by[d]}')" if given_by[d] != key else ""
                ck.report((*path, key), f"{WEEKDAYS[d]} is given twice in hours{also}", key=True)
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
