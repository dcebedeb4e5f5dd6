"""rules.yaml `governance:` (processors/rules_governance.py): the section read into exact
objects, mistakes at their PATH:LINE:COL, and who may see, acknowledge, excuse and dispute."""
from __future__ import annotations

import dataclasses

import pytest

from processors.rules import RulesError, parse_rules
from processors.rules_governance import (
    Governance, VendorPeople, may_acknowledge, may_dispute, may_excuse, seen_vendors, vendor_people,
)

BASE = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme: {match: {projects: [ACME]}, managers: ["U024BE7LH"]}
  globex: {match: {projects: [INFRA]}}
policies:
  - {name: all, calendar: always, metrics: {resolution: 8h}}
"""  # sections written after BASE start on line 9

GOVERNANCE = """\
governance:
  admins: ["U0ADMIN001"]
  approvers: [U0APPROV01, W0APPROV02]
  vendors:
    acme:
      managers: ["U0ACMEMGR1"]
      staff: ["U0AGENT001", "Li.Wei@acme.example"]
    globex: {staff: [ops@globex.example]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text)
    return [str(p) for p in caught.value.errors]


def test_the_section_gives_exact_objects():
    rules = parse_rules(BASE + GOVERNANCE)
    gov = rules.governance
    assert (gov.configured, gov.admins, gov.approvers) == (True, ("U0ADMIN001",), ("U0APPROV01", "W0APPROV02"))
    assert dict(gov.vendors) == {
        "acme": VendorPeople(managers=("U0ACMEMGR1",), staff=("U0AGENT001", "li.wei@acme.example")),
        "globex": VendorPeople(staff=("ops@globex.example",))}
    # vendors.acme.managers count as the vendor's managers too
    assert vendor_people(rules, "acme").managers == ("U024BE7LH", "U0ACMEMGR1")


def test_without_the_section_nobody_may_excuse():
    rules = parse_rules(BASE)
    assert rules.governance == Governance() and not rules.governance.configured
    assert not may_excuse(rules, "U024BE7LH")
    assert may_acknowledge(rules, "acme", "U024BE7LH")  # vendors.acme.managers still acknowledge
    assert seen_vendors(rules, "U024BE7LH") == frozenset({"acme"})


def test_an_empty_section_is_configured_with_nobody():
    assert parse_rules(BASE + "governance:\n").governance == Governance(configured=True)


def test_a_vendors_staff_field_from_the_vendors_section_is_read_when_present():
    """vendors.<id>.staff (another part of the rules) adds to governance's staff if it exists."""
    rules = parse_rules(BASE + GOVERNANCE)
    vendors = tuple(dataclasses.replace(v) for v in rules.vendors)
    object.__setattr__(vendors[1], "staff", ("Noor@Globex.example", "5b10ac8d82e05b22cc7d4ef5", "Noor Ali"))
    with_staff = dataclasses.replace(rules, vendors=vendors)
    assert vendor_people(with_staff, "globex").staff == ("ops@globex.example", "noor@globex.example")
    assert seen_vendors(with_staff, "U0NOOR0001", "noor@globex.example") == frozenset({"globex"})


@pytest.mark.parametrize("user, email, seen, ack, excuse, dispute", [
    ("U0ADMIN001", None, None, True, True, False),
    ("W0APPROV02", None, None, True, True, False),
    ("U0ACMEMGR1", None, {"acme"}, True, False, True),
    ("U024BE7LH", None, {"acme"}, True, False, True),
    ("U0AGENT001", None, {"acme"}, True, False, False),
    ("U0LIWEI001", "LI.WEI@acme.example", {"acme"}, True, False, False),
    ("U0NOBODY01", None, set(), False, False, False),
])
def test_who_may_do_what_on_an_acme_breach(user, email, seen, ack, excuse, dispute):
    rules = parse_rules(BASE + GOVERNANCE)
    assert seen_vendors(rules, user, email) == (None if seen is None else frozenset(seen))
    assert may_acknowledge(rules, "acme", user, email) is ack
    assert may_excuse(rules, user) is excuse
    assert may_dispute(rules, "acme", user, email) is dispute
    assert not may_acknowledge(rules, "globex", "U0ACMEMGR1")


MISTAKES = [
    ("not-a-mapping", "governance: [U0ADMIN001]\n",
     ["rules.yaml:9:13: governance must be a mapping of 'key: value' lines, not a list"]),
    ("unknown-key", "governance:\n  approver: [U0APPROV01]\n",
     ["rules.yaml:10:3: unknown key 'approver' in governance; did you mean 'approvers'?"]),
    ("name-not-id", "governance:\n  approvers: [john.smith]\n",
     ["rules.yaml:10:15: bad Slack user id 'john.smith' in governance.approvers: write Slack member ids "
      "like U024BE7LH (Slack: profile, ⋮, Copy member ID)"]),
    ("unknown-vendor", "governance:\n  vendors:\n    acmee: {managers: [U0ACMEMGR1]}\n",
     ["rules.yaml:11:5: unknown vendor 'acmee' in governance.vendors; did you mean 'acme'?"]),
    ("bad-staff", "governance:\n  vendors:\n    acme:\n      staff: [Li Wei]\n",
     ["rules.yaml:12:15: bad entry 'Li Wei' in governance.vendors.acme.staff: write a Slack member id "
      "like U024BE7LH or an email address like li.wei@acme.example"]),
    ("unknown-people-key", "governance:\n  vendors:\n    acme: {manager: [U0ACMEMGR1]}\n",
     ["rules.yaml:11:12: unknown key 'manager' in governance.vendors.acme; did you mean 'managers'?"]),
]


@pytest.mark.parametrize("section, expected", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_mistake_gets_precise_line(section, expected):
    assert problems(BASE + section) == expected


def test_every_unknown_vendor_is_reported_with_what_the_rules_have():
    # lines 9..12: governance:, vendors:, zzz (no vendor id is close: the ids are listed), qqq
    text = BASE + "governance:\n  vendors:\n    zzz: {staff: [a@b.example]}\n    qqq: {staff: [c@d.example]}\n"
    assert problems(text) == [
        "rules.yaml:11:5: unknown vendor 'zzz' in governance.vendors; the vendors section has: acme, globex",
        "rules.yaml:12:5: unknown vendor 'qqq' in governance.vendors; the vendors section has: acme, globex"]
    no_vendors = BASE.replace("vendors:\n  acme: {match: {projects: [ACME]}, managers: [\"U024BE7LH\"]}\n"
                              "  globex: {match: {projects: [INFRA]}}\n", "")
    assert problems(no_vendors + "governance:\n  vendors:\n    zzz: {}\n") == [
        "rules.yaml:8:5: unknown vendor 'zzz' in governance.vendors; the vendors section has: none"]


def test_people_of_a_vendor_the_rules_do_not_have_and_staff_without_an_address():
    rules = parse_rules(BASE + GOVERNANCE)
    assert vendor_people(rules, "nobody") == VendorPeople() and vendor_people(rules, None) == VendorPeople()
    # a vendors.<id>.staff entry that is an object without an email (a Jira person known by name
    # only) matches no Slack member: it is left out, the other staff stay
    person = type("Person", (), {"email": None})()
    acme = dataclasses.replace(rules.vendor("acme"), staff=frozenset({"u0staff001", "bob chen"}))
    with_object = dataclasses.replace(rules, vendors=(dataclasses.replace(acme, staff=(person, "U0STAFF001")),
                                                      rules.vendor("globex")))
    assert vendor_people(with_object, "acme").staff == ("U0AGENT001", "li.wei@acme.example", "U0STAFF001")
