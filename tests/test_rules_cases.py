"""Loading rules.yaml as a whole (processors/rules.py), as tables: what `load_rules` and
`parse_rules` give for small files (the Rules object, or every problem as PATH:LINE:COL: message in
line order), the file-level mistakes (unreadable, not UTF-8, empty, not a mapping, the version), and
the one-line summary."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from processors.calendar import Calendar, CalendarSpec
from processors.rules import (
    AlertsConfig, JiraWriteBack, Match, MetricRule, ReportsConfig, RulesError, SlackConfig, SurveysConfig, Vendor,
    load_rules, parse_rules, summary,
)
from processors.rules_governance import Governance, VendorPeople
from tests.test_rules_sections import BASE  # sections written after BASE start on line 8



def problems(text: str, path: str = "rules.yaml") -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, path)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.errors)
    return [str(p) for p in caught.value.errors]


# ---- a sound file --------------------------------------------------------------------------

def test_the_least_file_gives_every_default():
    rules = parse_rules(BASE)
    assert rules.version == hashlib.sha256(BASE.encode("utf-8")).hexdigest()
    assert (rules.path, rules.text) == ("rules.yaml", BASE)
    assert dict(rules.calendar_specs) == {"always": CalendarSpec.twenty_four_seven()}
    assert list(rules.calendars) == ["always"] and isinstance(rules.calendars["always"], Calendar)
    assert rules.vendors == ()
    (policy,) = rules.policies
    assert (policy.name, policy.calendar, dict(policy.metrics)) == \
        ("all", "always", {"resolution": MetricRule(timedelta(hours=8))})
    assert dict(rules.targets) == {"first_response": 0.85, "resolution": 0.95, "csat": 0.90, "communication": 0.80}
    assert rules.done_statuses == frozenset({"done", "closed", "resolved"})
    assert (rules.alerts, rules.reports, rules.slack, rules.surveys, rules.jira_write_back) == \
        (AlertsConfig(), ReportsConfig(), SlackConfig(), SurveysConfig(), JiraWriteBack())
    assert rules.governance == Governance() and not rules.governance.configured
    assert rules.locale == "en"


def test_every_section_is_read():
    text = BASE + """\
vendors:
  acme: {match: {labels: [ext]}}
targets: {resolution: 90%}
jira: {done_statuses: [Shipped], write_back: {label: sla-breached}}
alerts: {digest_over: 3}
reports: {freeze_after: 2d}
slack: {response_channels: ['#support']}
surveys: {enabled: true}
governance: {admins: [U024BE7LH], vendors: {acme: {managers: [U12345678]}}}
locale: zh_CN
x-notes: anything at all
"""
    rules = parse_rules(text, "other.yaml")
    assert rules.path == "other.yaml"
    assert rules.vendors == (Vendor(id="acme", name="acme", match=Match(labels=frozenset({"ext"}))),)
    assert rules.targets["resolution"] == 0.9
    assert rules.done_statuses == frozenset({"shipped"})
    assert rules.jira_write_back == JiraWriteBack(label="sla-breached")
    assert rules.alerts == AlertsConfig(digest_over=3)
    assert rules.reports == ReportsConfig(freeze_after=timedelta(days=2))
    assert rules.slack == SlackConfig(response_channels=("#support",))
    assert rules.surveys == SurveysConfig(enabled=True)
    assert rules.governance.configured and rules.governance.admins == ("U024BE7LH",)
    assert dict(rules.governance.vendors) == {"acme": VendorPeople(managers=("U12345678",))}
    assert rules.locale == "zh_CN"


def test_calendars_are_built_from_their_specs():
    text = BASE.replace("  always: 24x7\n", "  always: 24x7\n  office: {timezone: Asia/Shanghai, hours: {mon: 24h}}\n")
    rules = parse_rules(text)
    assert list(rules.calendars) == ["always", "office"]
    assert rules.calendar_specs["office"].timezone == "Asia/Shanghai"
    assert rules.calendars["office"].spec == rules.calendar_specs["office"]
    with pytest.raises(TypeError):
        rules.calendars["x"] = rules.calendars["always"]  # read-only


def test_the_version_hashes_the_whole_text():
    assert parse_rules(BASE).version != parse_rules(BASE + "# a comment\n").version
    assert parse_rules("# héllo\n" + BASE).version == hashlib.sha256(("# héllo\n" + BASE).encode("utf-8")).hexdigest()


@pytest.mark.parametrize("version", ["1", "'1'", '"1"', " 1 "])
def test_version_one(version):
    assert parse_rules(BASE.replace("version: 1", f"version: {version}")).version


# ---- mistakes ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("", ["rules.yaml:1:1: the file is empty; it should start with 'version: 1'"]),
    ("# nothing\n", ["rules.yaml:1:1: the file is empty; it should start with 'version: 1'"]),
    ("- a\n", ["rules.yaml:1:1: the file must be a mapping of sections (version, calendars, policies, ...), not a list"]),
    ("hello\n", ["rules.yaml:1:1: the file must be a mapping of sections (version, calendars, policies, ...), "
                 "not a single value"]),
    ("a: [\n", ["rules.yaml:2:1: YAML syntax error: expected the node content, but found '<stream end>' "
                "(while parsing a flow node started on line 2)"]),
    # Every missing section at the top; the file's own problems (a duplicate key) too.
    ("x: 1\nx: 2\n", ["rules.yaml:1:1: unknown key 'x'; expected one of: version, calendars, vendors, policies, "
                      "targets, jira, alerts, reports, slack, surveys, governance, locale",
                      "rules.yaml:1:1: the file is missing 'version'", "rules.yaml:1:1: the file is missing 'calendars'",
                      "rules.yaml:1:1: the file is missing 'policies'",
                      "rules.yaml:2:1: duplicate key 'x' (first given on line 1)"]),
    (BASE.replace("version: 1", "version: 2"),
     ["rules.yaml:1:10: unsupported rules version 2; this Slawatch reads version 1"]),
    (BASE.replace("version: 1", "version: 1.0"),
     ["rules.yaml:1:10: unsupported rules version 1.0; this Slawatch reads version 1"]),
    (BASE.replace("version: 1", "version:"), ["rules.yaml:1:9: version must be 1"]),
    (BASE.replace("version: 1", "version: [1]"), ["rules.yaml:1:10: version must be 1"]),
    (BASE.replace("version: 1", "version: {a: 1}"), ["rules.yaml:1:10: version must be 1"]),
    (BASE.replace("version: 1", "version: ''"), ["rules.yaml:1:10: version must be 1"]),
    # A bad version does not hide the other problems.
    (BASE.replace("version: 1", "version: 2") + "polices: []\n",
     ["rules.yaml:1:10: unsupported rules version 2; this Slawatch reads version 1",
      "rules.yaml:8:1: unknown key 'polices'; did you mean 'policies'?"]),
    # No calendars: the policy's calendar is unknown too.
    ("version: 1\npolicies: [{name: a, calendar: c, metrics: {resolution: 1h}}]\n",
     ["rules.yaml:1:1: the file is missing 'calendars'",
      "rules.yaml:2:32: policy 'a' uses calendar 'c', which is not defined; no calendars are defined"]),
    ("version: 1\ncalendars: {c: 24x7}\n", ["rules.yaml:1:1: the file is missing 'policies'"]),
    # The governance knows the vendors of the file.
    (BASE + "governance: {vendors: {acme: {managers: [U12345678]}}}\n",
     ["rules.yaml:8:24: unknown vendor 'acme' in governance.vendors; the vendors section has: none"]),
    (BASE + "locale: fr\n", ["rules.yaml:8:9: Slawatch has no translation for locale 'fr'; it speaks en, zh_CN"]),
    (BASE + "x-: 1\nx-y: {a: 1}\n", None),  # x-…: ignored
    (BASE + "locale:\n", None),  # no value: en
    (BASE + "surveys: {enabled: !!bool 1}\n", ["rules.yaml:8:20: surveys.enabled must be true or false"]),
], ids=["empty", "comment-only", "list", "scalar", "syntax", "nothing-known", "version-2", "version-1.0",
        "version-empty", "version-list", "version-mapping", "version-blank", "version-and-more", "no-calendars",
        "no-policies", "governance-vendor", "locale", "x-keys", "locale-no-value", "bad-bool-tag"])
def test_file_mistakes(text, expected):
    if expected is None:
        assert parse_rules(text).locale == "en"
    else:
        assert problems(text) == expected


def test_each_section_reports_into_one_list():
    text = BASE + ("vendors: {acme: {match: {labels: []}}}\ntargets: {csat: 2}\njira: {done_statuses: []}\n"
                   "alerts: {digest_over: 0}\nreports: {freeze_after: x}\nslack: {response_channels: [x]}\n"
                   "surveys: {enabled: 1}\n")
    assert problems(text, "r.yaml") == [
        "r.yaml:8:18: the match of vendor 'acme' is empty; give at least one of assignees, components, labels, "
        "projects, reporters, fields",
        "r.yaml:9:17: bad target '2' for csat: write a percentage from 0% to 100%, like 85%",
        "r.yaml:10:23: jira.done_statuses is empty; list the status names that mean done, like [Done, Closed]",
        "r.yaml:11:23: bad digest_over '0': write a whole number of alerts, 1 or more, like 5",
        "r.yaml:12:25: bad duration 'x': write it like 90s, 30m, 4h, 1h30m or 2d",
        "r.yaml:13:29: bad Slack channel 'x': write it like \"#acme-support\" or a channel id like C024BE91L",
        "r.yaml:14:20: surveys.enabled must be true or false",
    ]


def test_a_vendor_whose_match_is_not_a_mapping_is_a_problem_not_a_crash():
    assert problems(BASE + "vendors:\n  acme:\n    match: [a]\n  globex: {match: x}\n") == [
        "rules.yaml:10:12: the match of vendor 'acme' must be a mapping of 'key: value' lines, not a list",
        "rules.yaml:11:19: the match of vendor 'globex' must be a mapping of 'key: value' lines, not 'x'",
    ]


# ---- files ---------------------------------------------------------------------------------

def test_load_rules_reads_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_bytes(("# café\n" + BASE).encode("utf-8"))
    rules = load_rules(path)
    assert rules.path == str(path)
    assert parse_rules(BASE, path).path == str(path)  # a Path is kept as text
    assert rules.text == "# café\n" + BASE
    assert load_rules(str(path)).version == rules.version


@pytest.mark.parametrize("data, line, col", [
    (b"\xff" + BASE.encode(), 1, 1),  # the first byte
    (b"version: 1\xff\n", 1, 11),
    (b"version: 1\n\xff", 2, 1),  # just after a line break
    (b"\n\xff", 2, 1),  # just after a line break that is the first byte
    (b"version: 1\ncalendars: caf\xe9\n", 2, 15),
])
def test_not_utf8(tmp_path, data, line, col):
    path = tmp_path / "rules.yaml"
    path.write_bytes(data)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}:{line}:{col}: the file is not UTF-8 text"
    assert caught.value.errors[0].path == str(path)


def test_unreadable(tmp_path):
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{tmp_path}/missing.yaml:1:1: cannot read the file: No such file or directory"
    assert caught.value.errors[0].path == f"{tmp_path}/missing.yaml"  # the path as text, not a Path
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path)
    assert str(caught.value) == f"{tmp_path}:1:1: cannot read the file: Is a directory"


def test_a_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("a: b: c\n", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value) == (f"{path}:1:5: unexpected ':' here; put text that contains ': ' in quotes, "
                                 f"or check the indentation")


# ---- summary -------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, counts", [
    ("", "1 calendar, 0 vendors, 1 policy"),
    ("  office: 24x7\nvendors:\n  a: {match: {labels: [x]}}\n", "2 calendars, 1 vendor, 1 policy"),
    ("vendors:\n  a: {match: {labels: [x]}}\n  b: {match: {labels: [y]}}\n", "1 calendar, 2 vendors, 1 policy"),
])
def test_summary(extra, counts):
    text = BASE.replace("  always: 24x7\n", "  always: 24x7\n" + extra) if extra.startswith("  ") else BASE + extra
    rules = parse_rules(text)
    assert summary(rules) == f"rules.yaml OK: version {rules.version[:12]}, {counts}"


def test_summary_counts_policies():
    # The catch-all last: a policy below it could never apply.
    rules = parse_rules(BASE.replace("  - name: all\n", "  - {name: ops, match: {projects: [OPS]}, calendar: always, "
                                                        "metrics: {resolution: 1h}}\n  - name: all\n"))
    assert summary(rules).endswith(", 1 calendar, 0 vendors, 2 policies")
