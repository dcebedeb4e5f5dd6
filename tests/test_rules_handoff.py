"""rules.yaml for provider-owned measurement (issue #11): `vendors.<id>.staff`, `measure`, the
metrics next_response / periodic_update, and matching by `reporters` and `fields`."""
from __future__ import annotations

import pytest

from processors.events import Person
from processors.rules import parse_rules
from tests.test_rules import HEAD, STANDARD, problems

VENDORS = """\
vendors:
  acme:
    match: {assignees: [alice@acme.example], fields: {customfield_10010: [Gold]}}
    staff: [alice@acme.example, Bob Chen]
  beta:
    match: {reporters: [carol@client.example]}
"""

MISTAKES = [
    ("bad-measure", HEAD + STANDARD.replace("    calendar: office\n",
                                            "    calendar: office\n    measure: handof\n"),
     ["rules.yaml:11:14: bad measure 'handof' for policy 'standard': did you mean 'handoff'? write "
      "ticket (clocks from the ticket's creation) or handoff (clocks from each hand-off to a "
      "vendor)"]),
    ("measure-not-text", HEAD + STANDARD.replace("    calendar: office\n",
                                                 "    calendar: office\n    measure: [handoff]\n"),
     ["rules.yaml:11:14: the measure of policy 'standard' must be text, not a list"]),
    # a key that looks like a custom field's id must be one (a name is any other text: below)
    ("field-id-mistyped", HEAD + STANDARD + VENDORS.replace("customfield_10010", "customfield_1OO10"),
     ["rules.yaml:15:55: bad field 'customfield_1OO10' in match.fields of vendor 'acme': write a "
      "custom field's id like customfield_10010 (Jira: Settings, Issues, Custom fields, the id in "
      "the field's address), the field's name as Jira shows it (like Customer), or one of "
      "fixVersions, versions, environment, duedate, security, creator, parent"]),
    ("field-without-values", HEAD + STANDARD + VENDORS.replace("[Gold]", "[]"),
     ["rules.yaml:15:74: match.fields.customfield_10010 of vendor 'acme' is empty; list the "
      "values that fit, like [Gold]"]),
    ("staff-of-two-vendors", HEAD + STANDARD + VENDORS + "    staff: [dave, bob chen]\n",
     ["rules.yaml:19:19: 'bob chen' is staff of vendor 'acme' and of vendor 'beta'; a person can "
      "be staff of one vendor only (give one of them a staff list without it)"]),
    ("assignee-of-one-staff-of-other", HEAD + STANDARD + VENDORS
     + "  gamma:\n    match: {assignees: [Bob Chen]}\n",
     ["rules.yaml:20:25: 'Bob Chen' is staff of vendor 'acme' and of vendor 'gamma'; a person can "
      "be staff of one vendor only (give one of them a staff list without it)"]),
    ("empty-staff", HEAD + STANDARD + VENDORS.replace("[alice@acme.example, Bob Chen]", "[]"),
     ["rules.yaml:16:12: the staff of vendor 'acme' is empty; list the people (account id, "
      "username, email or display name), or leave staff out to use match.assignees"]),
    ("unknown-new-metric", HEAD + STANDARD + "      next_reply: 1h\n",
     ["rules.yaml:13:7: 'next_reply' is not a metric; did you mean 'next_response'?"]),
    ("bad-new-target", HEAD + STANDARD + "targets: {periodic_update: lots}\n",
     ["rules.yaml:13:28: bad target 'lots' for periodic_update: write a percentage from 0% to "
      "100%, like 85%"]),
]


@pytest.mark.parametrize("text, expected", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_admin_mistake_gets_precise_lines(text, expected, tmp_path):
    assert problems(text, tmp_path) == expected


def test_existing_files_keep_their_meaning():
    rules = parse_rules(HEAD + STANDARD)
    (policy,) = rules.policies
    assert policy.measure == "ticket"
    assert set(rules.targets) == {"first_response", "resolution", "csat", "communication"}
    assert rules.target_of("next_response") == rules.targets["communication"] == 0.80


def test_new_metrics_measure_and_targets_are_read():
    text = HEAD + STANDARD.replace("    calendar: office\n", "    calendar: office\n    measure: handoff\n") \
        + "      next_response: {target: 2h, warn_at: [50%]}\n      periodic_update: 1d\n" \
        + "targets: {next_response: 70%}\n"
    rules = parse_rules(text)
    (policy,) = rules.policies
    assert policy.measure == "handoff"
    assert policy.metrics["next_response"].target.total_seconds() == 7200
    assert policy.metrics["next_response"].warn_at == (0.5,)
    assert policy.metrics["periodic_update"].target.total_seconds() == 86400
    assert rules.target_of("next_response") == 0.70
    assert rules.target_of("periodic_update") == 0.80  # communication's


ALICE = Person(account_id="5b10", email="Alice@acme.example", display_name="Alice Liddell")
CAROL = Person(account_id="712020:c", email="carol@client.example", display_name="Carol")


@pytest.mark.parametrize("facts, vendor", [
    ({"assignee": ALICE}, "acme"),
    ({"fields": {"customfield_10010": ("gold",)}}, "acme"),
    ({"fields": {"customfield_10010": ("Silver", "GOLD")}}, "acme"),
    ({"fields": {"customfield_10010": ("Silver",)}}, None),
    ({"fields": {}}, None),
    ({"reporter": CAROL}, "beta"),
    ({"reporter": ALICE}, None),
], ids=["assignee", "field-option", "field-array-element", "other-value", "field-empty",
        "reporter", "reporter-not-listed"])
def test_vendor_matches_reporters_and_fields(facts, vendor):
    found = parse_rules(HEAD + STANDARD + VENDORS).select_vendor(facts)
    assert (found.id if found else None) == vendor


def test_policy_fields_and_reporters_all_must_fit():
    text = HEAD + STANDARD.replace(
        "  - name: standard\n",
        "  - name: gold\n    match: {reporters: [Carol], fields: {customfield_10010: [Gold]}}\n"
        "    calendar: always\n    metrics: {first_response: 1h}\n  - name: standard\n")
    rules = parse_rules(text)
    assert rules.select_policy({"reporter": CAROL, "fields": {"customfield_10010": ("Gold",)}}).name == "gold"
    assert rules.select_policy({"reporter": CAROL}).name == "standard"
    assert rules.select_policy({"reporter": ALICE, "fields": {"customfield_10010": ("Gold",)}}).name == "standard"


def test_staff_defaults_to_match_assignees():
    rules = parse_rules(HEAD + STANDARD + VENDORS
                        + "  gamma:\n    match: {assignees: [Dave Diaz], projects: [GAM]}\n")
    acme, _, gamma = rules.vendors
    assert acme.is_staff(Person(display_name="bob chen"))
    assert acme.is_staff(ALICE)
    assert gamma.is_staff(Person(account_id="U024BE7LH", display_name="Dave Diaz"))  # a Slack user
    assert not gamma.is_staff(ALICE)
    assert not gamma.is_staff(None)
