"""The typed rules (processors/rules_types.py), as tables: durations at the unit edges both ways,
fractions, the documented defaults, which policy and vendor a ticket's facts select, staff, field
matches by id and by name, and the problem text PATH:LINE:COL: message."""
from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

import pytest

from processors.events import Person
from processors.rules_types import (
    DEFAULT_TARGETS, RULES_VERSION, AlertsConfig, FieldMatch, JiraWriteBack, Match, MetricRule, Policy,
    QuarterlyReport, ReportsConfig, RuleProblem, Rules, RulesError, SlackConfig, SurveysConfig, Vendor, WeeklyReport,
    _fraction, bind_field_names, field_names, format_duration, is_field_id, parse_duration, unknown_field_names,
)

F = frozenset
HINT = "write it like 90s, 30m, 4h, 1h30m or 2d"
ALICE = Person(account_id="acc-1", name="alice", email="alice@example.com", display_name="Alice L")
BOB = Person(display_name="Bob")


# ---- durations -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("0s", 0), ("1s", 1), ("59s", 59), ("60s", 60), ("90s", 90),
    ("1m", 60), ("59m", 3540), ("60m", 3600),
    ("1h", 3600), ("23h", 82800), ("24h", 86400), ("25h", 90000),
    ("1d", 86400), ("2d", 172800),
    ("1h30m", 5400), ("1d2h3m4s", 86400 + 7200 + 180 + 4), ("1d 2h 3m 4s", 93784),
    ("  4h  ", 14400), (" 1m1s", 61), (45 * 60, None),  # a number (the YAML value) is text first: no unit
])
def test_parse_duration(text, seconds):
    if seconds is None:
        with pytest.raises(ValueError, match=r"^bad duration '2700': needs a unit; "):
            parse_duration(text)
    else:
        assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text, message", [
    ("", f"bad duration '': {HINT}"),
    ("   ", f"bad duration '': {HINT}"),
    ("90", f"bad duration '90': needs a unit; {HINT}"),
    ("1.5", f"bad duration '1.5': needs a unit; {HINT}"),
    ("1.5h", f"bad duration '1.5h': {HINT}"),
    ("1m1h", f"bad duration '1m1h': {HINT}"),  # units out of order
    ("1w", f"bad duration '1w': {HINT}"),
    ("-1h", f"bad duration '-1h': {HINT}"),
    ("h", f"bad duration 'h': {HINT}"),
    ("1H", f"bad duration '1H': {HINT}"),
])
def test_parse_duration_rejects(text, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (1, "1s"), (59, "59s"), (60, "1m"), (61, "1m1s"), (3599, "59m59s"), (3600, "1h"),
    (3660, "1h1m"), (86399, "23h59m59s"), (86400, "1d"), (86401, "1d1s"), (90061, "1d1h1m1s"),
    (5400, "1h30m"), (-5400, "-1h30m"), (-1, "-1s"), (1.9, "1s"),  # whole seconds, toward zero
])
def test_format_duration(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("raw, value, expected", [
    ("85%", "85%", 0.85), ("85 %", "85 %", 0.85), ("0%", "0%", 0.0), ("100%", "100%", 1.0),
    ("12.5%", "12.5%", 0.125), ("0.85", 0.85, 0.85), ("1.0", 1.0, 1.0),
    ("85", 85, None),  # a whole number is neither a percentage nor a fraction
    ("x%", "x%", None), ("%", "%", None), ("-5%", "-5%", None),
])
def test_fraction(raw, value, expected):
    assert _fraction(raw, value) == expected


# ---- problems ------------------------------------------------------------------------------

def test_problem_text():
    first, second = RuleProblem("r.yaml", 3, 7, "bad"), RuleProblem("r.yaml", 10, 1, "worse")
    assert str(first) == "r.yaml:3:7: bad"
    error = RulesError([first, second])
    assert error.errors == [first, second]
    assert str(error) == "r.yaml:3:7: bad\nr.yaml:10:1: worse"


# ---- defaults ------------------------------------------------------------------------------

def test_documented_defaults():
    assert RULES_VERSION == 1
    assert AlertsConfig() == AlertsConfig(channel=None, escalation_channel=None, escalate_after=None, digest_over=5)
    assert WeeklyReport() == WeeklyReport(channel=None, day=0, time=(9, 0), timezone="UTC")
    assert QuarterlyReport() == QuarterlyReport(channel=None, day=0, time=(9, 0), timezone="UTC")
    assert ReportsConfig().freeze_after == timedelta(days=7)
    assert SlackConfig().response_channels == ()
    assert SurveysConfig().expire_after == timedelta(days=14)
    assert (SurveysConfig().enabled, SurveysConfig().form_url) == (False, None)
    assert JiraWriteBack() == JiraWriteBack(label=None, comment=False)
    assert MetricRule(timedelta(hours=1)).warn_at == ()
    rules = rules_with()
    assert rules.done_statuses == F({"done", "closed", "resolved"})
    assert (rules.locale, rules.alerts, rules.reports, rules.jira_write_back) == \
        ("en", AlertsConfig(), ReportsConfig(), JiraWriteBack())


# ---- matching ------------------------------------------------------------------------------

@pytest.mark.parametrize("key, is_id", [
    ("customfield_10010", True), ("customfield_1", True), ("customfield_", False), ("customfield_10x", False),
    ("Customfield_10010", False), ("fixVersions", True), ("parent", True), ("duedate", True),
    ("Customer", False), ("fixversions", False),
])
def test_is_field_id(key, is_id):
    assert is_field_id(key) is is_id
    assert FieldMatch(key, F()).is_name is not is_id


@pytest.mark.parametrize("entry, fields, fits", [
    (FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)), {"customfield_1": ["GOLD"]}, True),
    (FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)), {"customfield_1": ["Silver", "Gold"]}, True),
    (FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)), {"customfield_1": ["Silver"]}, False),
    (FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)), {"customfield_1": None}, False),
    (FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)), {"customfield_2": ["Gold"]}, False),
    (FieldMatch("Customer", F({"big co"})), {"customfield_7": ["Big Co"]}, False),  # a name not bound yet
    (FieldMatch("Customer", F({"big co"}), ("customfield_7", "customfield_8")), {"customfield_8": ["Big Co"]}, True),
])
def test_field_match_fits(entry, fields, fits):
    assert entry.fits(fields) is fits


FACTS = {"project": "OPS", "issuetype": "Bug", "priority": "High", "labels": ["Ext", "x"],
         "components": ["Api"], "assignee": ALICE, "reporter": BOB,
         "fields": {"customfield_1": ["Gold"]}}


@pytest.mark.parametrize("match, all_of, any_of", [
    (Match(), True, False),  # empty: every ticket for a policy, none for a vendor
    (Match(projects=F({"ops"})), True, True), (Match(projects=F({"dev"})), False, False),
    (Match(issuetypes=F({"bug"})), True, True), (Match(issuetypes=F({"task"})), False, False),
    (Match(priorities=F({"high"})), True, True), (Match(priorities=F({"low"})), False, False),
    (Match(labels=F({"ext"})), True, True), (Match(labels=F({"int"})), False, False),
    (Match(components=F({"api"})), True, True), (Match(components=F({"ui"})), False, False),
    (Match(assignees=F({"alice@example.com"})), True, True), (Match(assignees=F({"bob"})), False, False),
    (Match(reporters=F({"bob"})), True, True), (Match(reporters=F({"alice l"})), False, False),
    (Match(fields=(FieldMatch("customfield_1", F({"gold"}), ("customfield_1",)),)), True, True),
    (Match(fields=(FieldMatch("customfield_1", F({"lead"}), ("customfield_1",)),)), False, False),
    # Two criteria, one holding: not all of them, but one of them.
    (Match(projects=F({"ops"}), labels=F({"int"})), False, True),
    (Match(projects=F({"dev"}), labels=F({"ext"})), False, True),
    (Match(projects=F({"ops"}), labels=F({"ext"})), True, True),
])
def test_match(match, all_of, any_of):
    assert (match.all_of(FACTS), match.any_of(FACTS)) == (all_of, any_of)
    assert match.is_empty() is (match == Match())


@pytest.mark.parametrize("facts, expected", [
    ({}, (True, False)),
    ({"project": None, "labels": None, "assignee": None, "fields": None}, (True, False)),
])
def test_match_of_a_ticket_with_nothing(facts, expected):
    # No project, labels or people: only an empty match (policy semantics) holds.
    full = Match(projects=F({"ops"}), labels=F({"x"}), components=F({"a"}), assignees=F({"a"}), reporters=F({"a"}),
                 issuetypes=F({"bug"}), priorities=F({"high"}),
                 fields=(FieldMatch("customfield_1", F({"x"}), ("customfield_1",)),))
    assert (full.all_of(facts), full.any_of(facts)) == (False, False)
    assert (Match().all_of(facts), Match().any_of(facts)) == expected
    assert Match(projects=F({""})).all_of(facts)  # a missing project is the empty text


def test_a_person_must_be_a_person():
    # A plain text is not a Person: it matches no assignee or reporter criterion.
    assert not Match(assignees=F({"alice"})).any_of({"assignee": "alice"})
    assert not Match(reporters=F({"alice"})).any_of({"reporter": "alice"})


@pytest.mark.parametrize("vendor, person, staff", [
    (Vendor("a", "A", Match(assignees=F({"alice"}))), ALICE, True),  # no staff list: match.assignees
    (Vendor("a", "A", Match(assignees=F({"alice"}))), BOB, False),
    (Vendor("a", "A", Match(assignees=F({"alice"})), staff=F({"bob"})), BOB, True),  # the staff list wins
    (Vendor("a", "A", Match(assignees=F({"alice"})), staff=F({"bob"})), ALICE, False),
    (Vendor("a", "A", Match(assignees=F({"alice"}))), None, False),
])
def test_vendor_staff(vendor, person, staff):
    assert vendor.is_staff(person) is staff


def rules_with(vendors=(), policies=(), targets=None, locale="en"):
    return Rules(version="v", path="r.yaml", text="", calendars={}, calendar_specs={}, vendors=tuple(vendors),
                 policies=tuple(policies), targets=MappingProxyType(targets or dict(DEFAULT_TARGETS)), locale=locale)


def policy(name, match):
    return Policy(name=name, match=match, calendar="c", pause_statuses=F(), metrics={})


ACME = Vendor("acme", "Acme", Match(projects=F({"ops"})), locale="zh_CN")
GLOBEX = Vendor("globex", "Globex", Match(labels=F({"x"})))


@pytest.mark.parametrize("facts, policy_name, vendor_id", [
    (FACTS, "ops", "acme"),  # both vendors match: the first one wins
    ({**FACTS, "project": "DEV"}, "all", "globex"),
    ({"project": "DEV"}, "all", None),
])
def test_select(facts, policy_name, vendor_id):
    rules = rules_with([ACME, GLOBEX], [policy("ops", Match(projects=F({"ops"}))), policy("all", Match())])
    assert rules.select_policy(facts).name == policy_name
    assert (rules.select_vendor(facts) or Vendor("-", "-", Match())).id == (vendor_id or "-")


def test_no_policy_selected():
    rules = rules_with([], [policy("ops", Match(projects=F({"ops"})))])
    assert rules.select_policy({"project": "DEV"}) is None


@pytest.mark.parametrize("vendor_id, locale", [("acme", "zh_CN"), ("globex", "en"), (None, "en"), ("gone", "en")])
def test_locale_for(vendor_id, locale):
    rules = rules_with([ACME, GLOBEX])
    assert rules.locale_for(vendor_id) == locale
    assert rules.vendor(vendor_id) == {"acme": ACME, "globex": GLOBEX}.get(vendor_id)


@pytest.mark.parametrize("targets, metric, expected", [
    ({"resolution": 0.9}, "resolution", 0.9),
    ({"communication": 0.7}, "next_response", 0.7),  # the new metrics follow communication's
    ({"communication": 0.7, "next_response": 0.6}, "next_response", 0.6),
    ({"resolution": 0.9}, "periodic_update", 0.80),  # no communication given: 80%
])
def test_target_of(targets, metric, expected):
    assert rules_with(targets=targets).target_of(metric) == expected


# ---- field names ---------------------------------------------------------------------------

CUSTOMER = FieldMatch("Customer", F({"big co"}))
TIER = FieldMatch("Tier", F({"gold"}))
BY_ID = FieldMatch("customfield_1", F({"x"}), ("customfield_1",))


def test_field_names_and_unknown_ones():
    rules = rules_with([Vendor("v", "V", Match(fields=(TIER, BY_ID)))], [policy("p", Match(fields=(CUSTOMER,)))])
    assert field_names(rules) == F({"tier", "customer"})  # casefolded, names only
    assert unknown_field_names(rules) == ("Customer", "Tier")  # sorted, as written
    bound = bind_field_names(rules, {"customer": ("customfield_9",)})
    assert bound.policies[0].match.fields == (FieldMatch("Customer", F({"big co"}), ("customfield_9",)),)
    assert bound.vendors[0].match.fields == (TIER, BY_ID)  # Tier has no id yet; an id stays itself
    assert unknown_field_names(bound) == ("Tier",)
    assert bound.policies[0].name == "p" and bound.vendors[0].id == "v"


def test_binding_changes_only_what_it_must():
    by_id_only = rules_with([Vendor("v", "V", Match(fields=(BY_ID,)))])
    assert bind_field_names(by_id_only, {"customer": ("customfield_9",)}) is by_id_only  # no names at all
    rules = rules_with([Vendor("v", "V", Match(fields=(TIER,)))], [policy("p", Match(fields=(CUSTOMER,)))])
    assert bind_field_names(rules, {}) is rules  # nothing known: nothing changes, not even a copy
    once = bind_field_names(rules, {"tier": ("customfield_2",)})
    assert once.policies[0] is rules.policies[0]  # the policy's names stand for nothing yet: kept
    assert once.vendors[0].match.fields == (FieldMatch("Tier", F({"gold"}), ("customfield_2",)),)
    assert bind_field_names(once, {"tier": ("customfield_2",)}) is once  # bound the same again
    # Names Jira no longer gives stand for nothing again.
    again = bind_field_names(once, {})
    assert again.vendors[0].match.fields == (TIER,)


@pytest.mark.parametrize("write_back, enabled", [
    (JiraWriteBack(), False),  # nothing to write: off
    (JiraWriteBack(label="x"), True), (JiraWriteBack(comment=True), True), (JiraWriteBack(label="x", comment=True), True),
    (JiraWriteBack(label=""), True),  # a label given (rules_sections never gives an empty one) is not None
])
def test_jira_write_back_enabled(write_back, enabled):
    assert write_back.enabled is enabled
