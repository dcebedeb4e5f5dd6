"""rules.yaml: the example loads into the expected objects, and admin mistakes get precise lines."""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from processors.events import Person
from processors.rules import (
    Match, RulesError, format_duration, load_rules, parse_duration, parse_rules, summary,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
H = 3600
LUNCH_DAY = ((9 * H, 12 * H), (13 * H, 18 * H))


def problems(text: str, tmp_path: Path) -> list[str]:
    """The error lines `slawatch rules check` would print for `text` saved as rules.yaml."""
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    return [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.errors]


# ---- the example an admin copies -----------------------------------------------------------

def test_example_rules_yaml_loads_with_expected_objects():
    rules = load_rules(ROOT / "rules.yaml")

    assert rules.version == hashlib.sha256((ROOT / "rules.yaml").read_bytes()).hexdigest()
    assert summary(rules) == f"{ROOT / 'rules.yaml'} OK: version {rules.version[:12]}, " \
                             f"2 calendars, 2 vendors, 3 policies"
    support = rules.calendar_specs["support"]
    assert support.timezone == "Asia/Shanghai"
    assert support.weekly == (LUNCH_DAY,) * 5 + ((), ())
    assert support.holiday_country == "CN"
    assert support.holiday_dates == {date(2026, 10, 9)}
    assert support.recurring_holidays == {(12, 31)}
    assert support.special_days == (
        (date(2026, 9, 27), ((9 * H, 18 * H),)),
        (date(2026, 12, 24), ((9 * H, 12 * H),)),
        (date(2026, 12, 28), ()),
    )
    assert rules.calendar_specs["always"].always_open
    assert rules.calendar_specs["always"].weekly == (((0, 86400),),) * 7
    assert set(rules.calendars) == {"support", "always"}

    urgent, database, standard = rules.policies
    assert (urgent.measure, database.measure, standard.measure) == ("ticket", "handoff", "ticket")
    assert set(database.metrics) == {"first_response", "resolution", "next_response", "periodic_update"}
    assert (urgent.name, urgent.calendar, standard.name, standard.calendar) == \
        ("urgent", "always", "standard", "support")
    assert urgent.match == Match(projects=frozenset({"ops"}), issuetypes=frozenset({"incident"}),
                                 priorities=frozenset({"highest", "high"}))
    assert urgent.pause_statuses == {"waiting for customer"}
    assert urgent.metrics["first_response"].target == timedelta(minutes=30)
    assert urgent.metrics["first_response"].warn_at == (0.5, 0.8)
    assert urgent.metrics["resolution"].target == timedelta(hours=4)
    assert urgent.metrics["resolution"].warn_at == (0.75,)
    assert standard.match.is_empty()
    assert standard.metrics["resolution"].target == timedelta(hours=27)

    acme, globex = rules.vendors
    assert globex.staff == {"wang lei", "dba-team@globex.example", "li na"}
    assert (acme.id, acme.name, acme.channel, acme.managers) == \
        ("acme", "ACME Outsourcing", "#acme-sla", ("U024BE7LH",))
    assert acme.match.assignees == {"alice@acme.example", "bob chen"}
    assert dict(rules.targets) == {"first_response": 0.85, "resolution": 0.95, "csat": 0.90,
                                   "communication": 0.80}
    assert rules.done_statuses == {"done", "closed", "resolved"}


def test_rules_are_immutable():
    rules = load_rules(ROOT / "rules.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.policies[0].name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.targets["csat"] = 0.1  # type: ignore[index]
    with pytest.raises(TypeError):
        rules.policies[0].metrics["resolution"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        rules.calendar_specs["x"] = None  # type: ignore[index]
    assert isinstance(rules.policies, tuple) and isinstance(rules.vendors, tuple)


def test_features_beyond_the_example():
    rules = load_rules(FIXTURES / "features.yaml")

    specs = rules.calendar_specs
    assert specs["middle_east"].weekly == ((((8 * H, 16 * H),),) * 4 + ((), (), ((8 * H, 16 * H),)))
    assert specs["berlin"].weekly == (((9 * H, 17 * H),),) + (((0, 86400),),) * 4 + ((), ())
    assert (specs["berlin"].holiday_country, specs["berlin"].holiday_subdivision) == ("DE", "BY")
    assert specs["berlin"].recurring_holidays == {(12, 24), (2, 29)}
    assert specs["berlin"].special_days == ((date(2026, 12, 31), ((9 * H, 13 * H),)),)
    assert specs["oslo"].holiday_country == "NO"
    assert specs["oslo"].weekly == (((0, 86400),),) * 7 and not specs["oslo"].always_open
    vip, rest = rules.policies
    assert vip.metrics["first_response"].target == timedelta(hours=8)  # from the anchor
    assert vip.metrics["resolution"].target == timedelta(days=1, hours=2, minutes=30, seconds=15)
    assert vip.metrics["resolution"].warn_at == (0.25, 0.5, 0.9)
    assert dict(rest.metrics) == {}
    assert rules.vendors[0].name == "beta" and rules.vendors[0].match.labels == {"beta"}
    assert dict(rules.targets) == {"first_response": 0.85, "resolution": 0.95, "csat": 0.75,
                                   "communication": 0.80}


def test_parse_rules_hashes_the_text_and_keeps_it():
    text = "version: 1\ncalendars: {a: 24x7}\npolicies: [{name: p, calendar: a, metrics: {}}]\n"
    rules = parse_rules(text)
    assert (rules.path, rules.text) == ("rules.yaml", text)
    assert rules.version == hashlib.sha256(text.encode()).hexdigest()
    assert rules.done_statuses == {"done", "closed", "resolved"}


# ---- durations -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("4h", 4 * H), ("1h30m", 5400), ("2d", 2 * 86400),
    ("27h", 27 * H), ("1d2h30m15s", 86400 + 2 * H + 1815), ("1h 30m", 5400), ("0s", 0),
    ("100h", 100 * H),
], ids=lambda v: str(v))
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text, message", [
    ("4 hours", "bad duration '4 hours': write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("90", "bad duration '90': needs a unit; write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("1.5", "bad duration '1.5': needs a unit; write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("1.5h", "bad duration '1.5h': write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("30m1h", "bad duration '30m1h': write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("-1h", "bad duration '-1h': write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("1w", "bad duration '1w': write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("", "bad duration '': write it like 90s, 30m, 4h, 1h30m or 2d"),
], ids=["words", "bare-number", "bare-decimal", "decimal", "wrong-order", "negative", "weeks",
        "empty"])
def test_parse_duration_rejects(text, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (90, "1m30s"), (5400, "1h30m"), (27 * H, "1d3h"), (2 * 86400, "2d"),
    (-1800, "-30m"), (86400 + 2 * H + 1815, "1d2h30m15s"),
], ids=lambda v: str(v))
def test_format_duration(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text
    assert seconds < 0 or parse_duration(text) == timedelta(seconds=seconds)


# ---- admin mistakes ------------------------------------------------------------------------

HEAD = """\
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon-fri: ["09:00-17:00"]
  always: 24x7
"""
STANDARD = """\
policies:
  - name: standard
    calendar: office
    metrics:
      first_response: {target: 4h}
"""


def office(extra: str) -> str:
    """HEAD with `extra` lines (line 7 on) added to the `office` calendar."""
    return HEAD.replace("  always: 24x7\n", extra + "  always: 24x7\n")


MISTAKES = [
    ("yaml-syntax", HEAD + STANDARD + "targets: {csat: 90%\n",
     ["rules.yaml:14:1: '{' on line 13 is not closed with '}'"]),
    ("yaml-bad-character", HEAD + STANDARD + "    pause_statuses: [@waiting]\n",
     ["rules.yaml:13:22: '@' cannot start a value; put the text in quotes"]),
    ("bad-indentation", HEAD + "policies:\n  - name: standard\n   calendar: office\n",
     ["rules.yaml:10:4: bad indentation: this line is not aligned with the lines above it at the "
      "same level"]),
    ("unclosed-quote", HEAD + 'policies:\n  - name: "standard\n',
     ["rules.yaml:10:1: a quote opened on line 9 is not closed"]),
    ("tab-indentation", HEAD + STANDARD.replace("    calendar", "\tcalendar"),
     ["rules.yaml:10:1: a tab character; YAML is indented with spaces only"]),
    ("duplicate-key", HEAD + STANDARD + "      first_response: {target: 8h}\n",
     ["rules.yaml:13:7: duplicate key 'first_response' (first given on line 12)"]),
    ("unknown-top-level-key", HEAD + STANDARD.replace("policies:", "polices:"),
     ["rules.yaml:1:1: the file is missing 'policies'",
      "rules.yaml:8:1: unknown key 'polices'; did you mean 'policies'?"]),
    ("unknown-key-in-policy", HEAD + STANDARD + "    pause_status: [Waiting]\n",
     ["rules.yaml:13:5: unknown key 'pause_status' in policy 'standard'; "
      "did you mean 'pause_statuses'?"]),
    ("unknown-key-no-suggestion", HEAD + STANDARD + "    owner: bob\n",
     ["rules.yaml:13:5: unknown key 'owner' in policy 'standard'; expected one of: name, match, "
      "calendar, pause_statuses, metrics, measure"]),
    ("unknown-match-key", HEAD + STANDARD + "    match: {priority: [High]}\n",
     ["rules.yaml:13:13: unknown key 'priority' in the match of policy 'standard'; "
      "did you mean 'priorities'?"]),
    ("unknown-metric", HEAD + STANDARD + "      resoltion: {target: 8h}\n",
     ["rules.yaml:13:7: 'resoltion' is not a metric; did you mean 'resolution'?"]),
    ("unknown-calendar", HEAD + STANDARD.replace("calendar: office", "calendar: ofice"),
     ["rules.yaml:10:15: policy 'standard' uses calendar 'ofice', which is not defined; "
      "calendars: office, always"]),
    ("hours-end-before-start", HEAD.replace('"09:00-17:00"', '"18:00-09:00"') + STANDARD,
     ["rules.yaml:6:17: hours '18:00-09:00' end before they start; for a night shift, close the "
      "day at 24:00 and open the next at 00:00"]),
    ("overlapping-intervals", HEAD.replace('"09:00-17:00"', '"09:00-13:00", "12:00-17:00"')
     + STANDARD,
     ["rules.yaml:6:32: hours '12:00-17:00' overlap '09:00-13:00'"]),
    ("bad-time", HEAD.replace('"09:00-17:00"', '"09:00-25:00"') + STANDARD,
     ["rules.yaml:6:17: bad time '25:00' in '09:00-25:00': times go from 00:00 to 23:59, and "
      "24:00 may end a day"]),
    ("start-at-24", HEAD.replace('"09:00-17:00"', '"24:00-24:00"') + STANDARD,
     ["rules.yaml:6:17: hours '24:00-24:00' start at 24:00; 24:00 may only end an interval"]),
    ("not-an-interval", HEAD.replace('"09:00-17:00"', '"9am-5pm"') + STANDARD,
     ["rules.yaml:6:17: bad hours '9am-5pm': write opening hours like 09:00-18:00"]),
    ("bad-zone", HEAD.replace("Europe/Berlin", "Europe/Berln") + STANDARD,
     ["rules.yaml:4:15: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"]),
    ("bad-zone-no-suggestion", HEAD.replace("Europe/Berlin", "Mars/Olympus") + STANDARD,
     ["rules.yaml:4:15: unknown time zone 'Mars/Olympus'; use an IANA name like Europe/Berlin"]),
    ("bad-duration", HEAD + STANDARD.replace("4h", "4 hours"),
     ["rules.yaml:12:32: bad duration '4 hours': write it like 90s, 30m, 4h, 1h30m or 2d"]),
    ("duration-without-unit", HEAD + STANDARD.replace("4h", "240"),
     ["rules.yaml:12:32: bad duration '240': needs a unit; write it like 90s, 30m, 4h, 1h30m "
      "or 2d"]),
    ("warn-at-over-100", HEAD + STANDARD.replace("4h}", "4h, warn_at: [50%, 120%]}"),
     ["rules.yaml:12:51: warn_at 120% must be more than 0% and less than 100% of the target"]),
    ("warn-at-twice", HEAD + STANDARD.replace("4h}", "4h, warn_at: [50%, 0.5]}"),
     ["rules.yaml:12:51: warn_at 0.5 is given twice"]),
    ("warn-at-bare-number", HEAD + STANDARD.replace("4h}", "4h, warn_at: [80]}"),
     ["rules.yaml:12:46: bad warn_at '80': write a percentage of the target like 80%"]),
    ("unknown-weekday", HEAD.replace("mon-fri", "mnday") + STANDARD,
     ["rules.yaml:6:7: unknown weekday 'mnday'; did you mean 'monday'? Use mon, tue, wed, thu, "
      "fri, sat, sun, a range like mon-fri, or daily"]),
    ("weekday-twice", HEAD.replace('      mon-fri: ["09:00-17:00"]\n',
                                   '      mon-fri: ["09:00-17:00"]\n      fri: ["09:00-12:00"]\n')
     + STANDARD,
     ["rules.yaml:7:7: fri is given twice in hours (also in 'mon-fri')"]),
    ("never-open", HEAD.replace('mon-fri: ["09:00-17:00"]', "mon-fri: []") + STANDARD,
     ["rules.yaml:5:5: calendar 'office' is never open; give opening hours for at least one day"]),
    ("bad-calendar-shorthand", HEAD.replace("24x7", "24x5") + STANDARD,
     ["rules.yaml:7:11: calendar 'always' must be 24x7 or a mapping with timezone and hours"]),
    ("missing-timezone", HEAD.replace("    timezone: Europe/Berlin\n", "") + STANDARD,
     ["rules.yaml:3:3: calendar 'office' is missing 'timezone'"]),
    ("unknown-holiday-country", office("    holidays: {country: XX}\n") + STANDARD,
     ["rules.yaml:7:25: unknown holiday country 'XX'; use a two-letter code like CN, US or DE "
      "(the countries of the holidays package)"]),
    ("three-letter-country", office("    holidays: {country: DEU}\n") + STANDARD,
     ["rules.yaml:7:25: holiday country 'DEU': use the two-letter code 'DE'"]),
    ("unknown-subdivision", office("    holidays: {country: AT, subdivision: XY}\n") + STANDARD,
     ["rules.yaml:7:42: unknown subdivision 'XY' of AT; known: 1, 2, 3, 4, 5, 6, 7, 8, 9"]),
    ("bad-date", office('    holidays: {dates: ["2026-10-01", 2026-13-01]}\n') + STANDARD,
     ["rules.yaml:7:38: bad date '2026-13-01': write it as YYYY-MM-DD, e.g. 2026-10-01"]),
    ("bad-special-day", office('    special_days: {"2026-02-30": []}\n') + STANDARD,
     ["rules.yaml:7:20: bad date '2026-02-30': write it as YYYY-MM-DD, e.g. 2026-10-01"]),
    ("bad-recurring-date", office('    holidays: {recurring: ["12/25"]}\n') + STANDARD,
     ["rules.yaml:7:28: bad recurring date '12/25': write it as MM-DD, e.g. 12-25"]),
    ("missing-target", HEAD + STANDARD.replace("{target: 4h}", "{warn_at: [50%]}"),
     ["rules.yaml:12:7: metric 'first_response' of policy 'standard' is missing 'target'"]),
    ("empty-policies", HEAD + "policies: []\n",
     ["rules.yaml:8:11: policies is empty; add at least one policy"]),
    ("policy-without-calendar", HEAD + "policies:\n  - name: p\n    metrics: {}\n",
     ["rules.yaml:9:5: policy 'p' is missing 'calendar'"]),
    ("unreachable-policy", HEAD + STANDARD + "  - name: urgent\n    match: {priorities: [High]}\n"
     "    calendar: always\n    metrics: {}\n",
     ["rules.yaml:13:11: policy 'urgent' can never apply: policy 'standard' above it matches "
      "every ticket"]),
    ("duplicate-policy-name", HEAD + STANDARD.replace("  - name", "  - match: {labels: [x]}\n"
                                                      "    name") + STANDARD.removeprefix("policies:\n"),
     ["rules.yaml:14:11: policy name 'standard' is used twice (first on line 10)"]),
    ("wrong-version", HEAD.replace("version: 1", "version: 2") + STANDARD + "targets: {resolution: high}\n",
     ["rules.yaml:1:10: unsupported rules version 2; this Slawatch reads version 1",  # and the rest too
      "rules.yaml:13:23: bad target 'high' for resolution: write a percentage from 0% to 100%, like 85%"]),
    ("version-not-a-number", HEAD.replace("version: 1", "version: [1]") + STANDARD,
     ["rules.yaml:1:10: version must be 1"]),
    ("value-left-empty", HEAD.replace("timezone: Europe/Berlin", "timezone:") + STANDARD,
     ["rules.yaml:4:14: the timezone of calendar 'office' has no value"]),
    ("missing-version", HEAD.replace("version: 1\n", "") + STANDARD,
     ["rules.yaml:1:1: the file is missing 'version'"]),
    ("bad-slack-user-id", HEAD + STANDARD + "vendors:\n  acme:\n    match: {projects: [ACME]}\n"
     "    managers: [U024BE7LH, john.smith]\n",
     ["rules.yaml:16:27: bad Slack user id 'john.smith': managers are Slack member ids like "
      "U024BE7LH (Slack: profile, ⋮, Copy member ID)"]),
    ("unquoted-channel", HEAD + STANDARD + "vendors:\n  acme:\n    match: {projects: [ACME]}\n"
     "    channel: #acme-sla\n",
     ['rules.yaml:16:13: the channel of vendor \'acme\' is empty; put it in quotes, like channel: '
      '"#acme-sla" (an unquoted # starts a comment)']),
    ("bad-channel", HEAD + STANDARD + "vendors:\n  acme:\n    match: {projects: [ACME]}\n"
     "    channel: ACME SLA\n",
     ['rules.yaml:16:14: bad Slack channel \'ACME SLA\': write it like "#acme-sla" or a channel '
      'id like C024BE91L']),
    ("vendor-empty-match", HEAD + STANDARD + "vendors:\n  acme:\n    match: {projects: []}\n",
     ["rules.yaml:15:5: the match of vendor 'acme' is empty; give at least one of assignees, "
      "components, labels, projects, reporters, fields"]),
    ("bad-target", HEAD + STANDARD + "targets: {csat: 110%, resolution: high}\n",
     ["rules.yaml:13:17: bad target '110%' for csat: write a percentage from 0% to 100%, like 85%",
      "rules.yaml:13:35: bad target 'high' for resolution: write a percentage from 0% to 100%, "
      "like 85%"]),
    ("list-instead-of-mapping", HEAD + "policies:\n  - [standard, office]\n",
     ["rules.yaml:9:5: policy #1 must be a mapping of 'key: value' lines, not a list"]),
    ("empty-file", "# nothing yet\n",
     ["rules.yaml:1:1: the file is empty; it should start with 'version: 1'"]),
    ("top-level-list", "- version: 1\n",
     ["rules.yaml:1:1: the file must be a mapping of sections (version, calendars, policies, ...), "
      "not a list"]),
    ("two-documents", HEAD + STANDARD + "---\nversion: 1\n",
     ["rules.yaml:13:1: only one YAML document is allowed; remove the '---' line"]),
]


@pytest.mark.parametrize("text, expected", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_admin_mistake_gets_precise_lines(text, expected, tmp_path):
    assert problems(text, tmp_path) == expected


def test_many_mistakes_are_all_reported_in_line_order():
    with pytest.raises(RulesError) as caught:
        load_rules(FIXTURES / "many_mistakes.yaml")
    path = FIXTURES / "many_mistakes.yaml"
    assert str(caught.value).splitlines() == [f"{path}:{line}" for line in [
        "5:15: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?",
        "7:32: hours '11:00-18:00' overlap '09:00-12:00'",
        "8:13: hours '18:00-09:00' end before they start; for a night shift, close the day at "
        "24:00 and open the next at 00:00",
        "10:16: unknown holiday country 'XX'; use a two-letter code like CN, US or DE (the "
        "countries of the holidays package)",
        "15:13: the channel of vendor 'acme' is empty; put it in quotes, like channel: "
        "\"#acme-sla\" (an unquoted # starts a comment)",
        "16:16: bad Slack user id 'john': managers are Slack member ids like U024BE7LH (Slack: "
        "profile, ⋮, Copy member ID)",
        "20:15: policy 'urgent' uses calendar 'suport', which is not defined; calendars: support, "
        "always",
        "22:7: 'resoltion' is not a metric; did you mean 'resolution'?",
        "23:32: bad duration '4 hours': write it like 90s, 30m, 4h, 1h30m or 2d",
        "23:51: warn_at 120% must be more than 0% and less than 100% of the target",
        "27:7: metric 'resolution' of policy 'standard' is missing 'target'",
        "28:11: policy 'late' can never apply: policy 'standard' above it matches every ticket",
        "31:1: unknown key 'targts'; did you mean 'targets'?",
    ]]


def test_tab_fixture():
    with pytest.raises(RulesError) as caught:
        load_rules(FIXTURES / "tabs.yaml")
    (problem,) = caught.value.errors
    assert (problem.line, problem.col) == (3, 1)
    assert problem.message == "a tab character; YAML is indented with spaces only"


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{tmp_path}/missing.yaml:1:1: cannot read the file: " \
                                f"No such file or directory"
    (tmp_path / "latin1.yaml").write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "latin1.yaml")
    assert str(caught.value) == f"{tmp_path}/latin1.yaml:2:6: the file is not UTF-8 text"


def test_no_pydantic_or_python_jargon_in_messages():
    with pytest.raises(RulesError) as caught:
        load_rules(FIXTURES / "many_mistakes.yaml")
    for jargon in ("Value error", "Input should", "validation error", "NoneType", "Traceback"):
        assert jargon not in str(caught.value)


# ---- selecting a policy and a vendor -------------------------------------------------------

ALICE = Person(account_id="5b10a2844c20165700ede21g", email="alice@acme.example",
               display_name="Alice Liddell")


@pytest.mark.parametrize("facts, policy", [
    ({"project": "OPS", "issuetype": "Incident", "priority": "High"}, "urgent"),
    ({"project": "ops", "issuetype": "INCIDENT", "priority": "highest"}, "urgent"),
    ({"project": "OPS", "issuetype": "Incident", "priority": "Low"}, "standard"),
    ({"project": "OPS", "issuetype": "Task", "priority": "High"}, "standard"),
    ({"project": "HELP", "issuetype": "Incident", "priority": "High"}, "standard"),
    ({}, "standard"),
], ids=["exact", "casefolded", "other-priority", "other-type", "other-project", "no-facts"])
def test_select_policy_first_match_with_all_criteria(facts, policy):
    assert load_rules(ROOT / "rules.yaml").select_policy(facts).name == policy


@pytest.mark.parametrize("facts, vendor", [
    ({"project": "ACME"}, "acme"),
    ({"project": "HELP", "labels": ["x", "ACME"]}, "acme"),
    ({"project": "HELP", "components": ["network"]}, "acme"),
    ({"project": "HELP", "assignee": ALICE}, "acme"),
    ({"project": "HELP", "assignee": Person(display_name="BOB CHEN")}, "acme"),
    ({"project": "HELP", "assignee": Person(display_name="Bob")}, None),
    ({"project": "HELP", "labels": [], "components": None, "assignee": None}, None),
], ids=["project", "label", "component", "assignee-email", "assignee-name-casefolded",
        "other-assignee", "nothing"])
def test_select_vendor_any_criterion(facts, vendor):
    found = load_rules(ROOT / "rules.yaml").select_vendor(facts)
    assert (found.id if found else None) == vendor


def test_no_policy_applies_without_catch_all():
    rules = parse_rules(HEAD + STANDARD.replace("  - name: standard\n",
                                                "  - name: standard\n    match: {projects: [A]}\n"))
    assert rules.select_policy({"project": "B"}) is None
    assert rules.select_policy({"project": "a"}).name == "standard"


def test_match_lists_are_casefolded():
    rules = parse_rules(HEAD + STANDARD.replace(
        "  - name: standard\n",
        "  - name: standard\n    match: {projects: [OPS], issuetypes: [Service Request],"
        " priorities: [High], labels: [VIP], components: [Straße], assignees: [Alice@X.com]}\n"
        "    pause_statuses: [Waiting For Customer]\n"))
    (policy,) = rules.policies
    assert policy.match == Match(projects=frozenset({"ops"}),
                                 issuetypes=frozenset({"service request"}),
                                 priorities=frozenset({"high"}), labels=frozenset({"vip"}),
                                 components=frozenset({"strasse"}),
                                 assignees=frozenset({"alice@x.com"}))
    assert policy.pause_statuses == {"waiting for customer"}


# ---- purity --------------------------------------------------------------------------------

def test_processors_stay_pure():
    code = ("import sys, processors.rules, processors.rules_schema; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'requests', 'urllib3', 'slack_sdk', 'jira')"
            " if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
