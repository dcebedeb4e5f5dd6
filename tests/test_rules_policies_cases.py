"""rules.yaml `vendors`, `policies`, `targets` and `jira.done_statuses` (processors/rules_policies.py),
as tables: a small YAML text, what the reader returns and the exact problems, (line, col, message).
Positions: a value's first character; an empty value sits just after its ':'; a problem about a
key (unknown, missing, an empty match), at the key."""
from __future__ import annotations

from datetime import timedelta

import pytest

from processors import rules_policies as rp
from processors.rules_types import DEFAULT_TARGETS, FieldMatch, Match, MetricRule, Policy, Vendor
from tests.rules_cases_helpers import section

H = timedelta(hours=1)
F = frozenset
CHANNEL_HINT = "or a channel id like C024BE91L"
USER_HINT = "managers are Slack member ids like U024BE7LH (Slack: profile, ⋮, Copy member ID)"
VENDOR_MATCH = "assignees, components, labels, projects, reporters, fields"
SYSTEM = "fixVersions, versions, environment, duedate, security, creator, parent"


def vendors(text):
    return section(rp.read_vendors, text, "vendors")


# ---- vendors -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, problems", [
    ("vendors:\n", (), []),
    ("vendors: {}\n", (), []),
    ("vendors: [a]\n", (), [(1, 10, "vendors must be a mapping of 'key: value' lines, not a list")]),
    # The least a vendor needs: a match; its name is then its id.
    ("vendors:\n  acme:\n    match: {assignees: [Alice]}\n",
     (Vendor(id="acme", name="acme", match=Match(assignees=F({"alice"}))),), []),
    # Every key: values casefolded where matching is (match, staff), kept as written elsewhere.
    ("vendors:\n  acme:\n    name: Acme Ltd\n    match: {projects: OPS, labels: [Ext, ernal]}\n"
     "    channel: '#acme'\n    managers: [U024BE7LH, W12345678]\n    staff: [Bob, CAROL]\n    locale: zh-CN\n",
     (Vendor(id="acme", name="Acme Ltd", match=Match(projects=F({"ops"}), labels=F({"ext", "ernal"})),
             channel="#acme", managers=("U024BE7LH", "W12345678"), staff=F({"bob", "carol"}),
             locale="zh_CN"),), []),
    # Vendors keep the file's order; one with a mistake is still kept (the others are unharmed).
    ("vendors:\n  b: {match: {labels: [x]}}\n  a: {match: {labels: [y]}, channel: 'no way'}\n",
     (Vendor(id="b", name="b", match=Match(labels=F({"x"}))), Vendor(id="a", name="a", match=Match(labels=F({"y"})))),
     [(3, 38, f"bad Slack channel 'no way': write it like \"#acme-sla\" {CHANNEL_HINT}")]),
    ("vendors:\n  acme:\n", (), [(2, 8, "vendor 'acme' has no value; give it 'key: value' lines")]),
    ("vendors:\n  acme: {name: A}\n", (Vendor(id="acme", name="A", match=Match()),),
     [(2, 3, "vendor 'acme' is missing 'match'")]),
    ("vendors:\n  acme: {match: {}}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 10, f"the match of vendor 'acme' is empty; give at least one of {VENDOR_MATCH}")]),
    ("vendors:\n  acme:\n    match:\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(3, 5, f"the match of vendor 'acme' is empty; give at least one of {VENDOR_MATCH}")]),
    # A match with a mistake is dropped whole (not half-read), and is not also "empty".
    ("vendors:\n  acme: {match: {project: [X], labels: [y]}}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 18, "unknown key 'project' in the match of vendor 'acme'; did you mean 'projects'?")]),
    ("vendors:\n  acme: {match: [a]}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 17, "the match of vendor 'acme' must be a mapping of 'key: value' lines, not a list")]),
    ("vendors:\n  acme: {match: 'x'}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 17, "the match of vendor 'acme' must be a mapping of 'key: value' lines, not 'x'")]),
    ("vendors:\n  acme: {match: {labels: }}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 25, "match.labels of vendor 'acme' has no value; write a list like [A, B], or [] for none")]),
    ("vendors:\n  acme: {match: {labels: [a, [b]]}}\n", (Vendor(id="acme", name="acme", match=Match()),),
     [(2, 30, "an entry of match.labels of vendor 'acme' must be text, not a list")]),
    ("vendors:\n  acme: {name: '', match: {labels: [x]}}\n",
     (Vendor(id="acme", name="acme", match=Match(labels=F({"x"}))),),
     [(2, 16, "the name of vendor 'acme' is empty")]),
    ("vendors:\n  acme: {match: {labels: [x]}, nmae: A}\n",
     (Vendor(id="acme", name="acme", match=Match(labels=F({"x"}))),),
     [(2, 32, "unknown key 'nmae' in vendor 'acme'; did you mean 'name'?")]),
    ("vendors:\n  acme: {match: {labels: [x]}, channel: }\n",
     (Vendor(id="acme", name="acme", match=Match(labels=F({"x"}))),),
     [(2, 40, 'the channel of vendor \'acme\' is empty; put it in quotes, like channel: "#acme-sla" '
              '(an unquoted # starts a comment)')]),
    ("vendors:\n  acme: {match: {labels: [x]}, locale: fr}\n",  # a bad locale: the default, en
     (Vendor(id="acme", name="acme", match=Match(labels=F({"x"})), locale="en"),),
     [(2, 40, "Slawatch has no translation for locale 'fr'; it speaks en, zh_CN")]),
], ids=["none", "empty", "list", "least", "all-keys", "order", "no-body", "no-match", "empty-match",
        "match-no-value", "match-unknown-key", "match-list", "match-text", "match-key-no-value",
        "match-nested-list", "empty-name", "unknown-key", "empty-channel", "bad-locale"])
def test_vendors(text, expected, problems):
    assert vendors(text) == (expected, problems)


@pytest.mark.parametrize("managers, kept, bad", [
    ("U024BE7LH", ("U024BE7LH",), []),  # one id alone is a list of one
    ("[U12345678]", ("U12345678",), []),  # 8 characters after the U: the fewest
    ("[U1234567]", ("U1234567",), [(0, "U1234567")]),  # 7: one too few
    ("[W12345678, u12345678]", ("W12345678", "u12345678"), [(1, "u12345678")]),  # lower case is no id
    ("[X12345678]", ("X12345678",), [(0, "X12345678")]),
    ("[]", (), []),
], ids=["alone", "shortest", "too-short", "lower-case", "other-letter", "none"])
def test_vendor_managers(managers, kept, bad):
    text = f"vendors:\n  acme:\n    match: {{labels: [x]}}\n    managers: {managers}\n"
    (vendor,), problems = vendors(text)
    assert vendor.managers == kept
    # The entries of "    managers: [" start at col 16, each id 9 characters and ", " apart;
    # one id without brackets starts at col 15.
    col = (lambda i: 16 + 11 * i) if managers.startswith("[") else (lambda i: 15)
    assert problems == [(4, col(i), f"bad Slack user id '{user}': {USER_HINT}") for i, user in bad]


@pytest.mark.parametrize("channel, ok", [
    ("'#a'", True),  # one character after the #
    (f"'#{'x' * 80}'", True),  # 80: the most
    (f"'#{'x' * 81}'", False),  # 81: one too many
    ("'#'", False),  # nothing after the #
    ("'#Sla'", False),  # capitals are not in Slack channel names
    ("'#a.b'", False), ("'#a,b'", False), ("'#a b'", False), ("'#a#b'", False),
    ("sla", False),  # no #
    ("C12345678", True),  # a channel id: C or G and 8 or more capitals or digits
    ("G024BE91L", True),
    ("C1234567", False),  # 7: one too few
    ("D024BE91L", False),  # a direct message, not a channel
    ("'C024be91L'", False),
], ids=["one", "eighty", "eighty-one", "hash-only", "capital", "dot", "comma", "space", "two-hashes",
        "no-hash", "id-8", "id-g", "id-7", "id-d", "id-lower"])
def test_read_channel(channel, ok):
    text = f"c: {channel}\n"
    got, problems = section(lambda ck, v: rp.read_channel(ck, ("c",), v, "the channel"), text, "c")
    shown = channel.strip("'")
    assert got == (shown if ok else None)
    assert problems == ([] if ok else [(1, 4, f"bad Slack channel '{shown}': write it like \"#acme-sla\" {CHANNEL_HINT}")])


@pytest.mark.parametrize("text, problems", [
    # Alice by her match, then by another vendor's staff list: reported at the second, by name.
    ("vendors:\n  a: {match: {assignees: [Alice]}}\n  b: {match: {labels: [x]}, staff: [bob, ALICE]}\n",
     [(3, 42, "'ALICE' is staff of vendor 'a' and of vendor 'b'; a person can be staff of one vendor "
              "only (give one of them a staff list without it)")]),
    # Alice in a's match only, b's staff list (without her) wins over b's own assignees.
    ("vendors:\n  a: {match: {assignees: [Alice]}}\n  b: {match: {assignees: [Alice]}, staff: [bob]}\n", []),
    # Both by their matches; one text alone stands for a list of one (at the value itself).
    ("vendors:\n  a: {match: {assignees: alice}}\n  b: {match: {assignees: ' Alice '}}\n",
     [(3, 26, "' Alice ' is staff of vendor 'a' and of vendor 'b'; a person can be staff of one vendor "
              "only (give one of them a staff list without it)")]),
    # Twice in the same vendor is no conflict.
    ("vendors:\n  a: {match: {assignees: [al]}, staff: [al, AL]}\n", []),
    # A vendor whose match is a mistake (a list, a text), or whose staff has no value, has no staff
    # to compare: only the mistake is reported.
    ("vendors:\n  a: {match: [al]}\n  b: {match: {assignees: [al]}}\n",
     [(2, 14, "the match of vendor 'a' must be a mapping of 'key: value' lines, not a list")]),
    ("vendors:\n  a: {match: al}\n  b: {match: {assignees: [al]}}\n",
     [(2, 14, "the match of vendor 'a' must be a mapping of 'key: value' lines, not 'al'")]),
    ("vendors:\n  a: {match: {labels: [x]}, staff: }\n  b: {match: {assignees: [none]}}\n",
     [(2, 35, "the staff of vendor 'a' has no value; write a list like [A, B], or [] for none")]),
    ("vendors:\n  a: {match: {labels: [x]}}\n  b: {match: {assignees: [none]}}\n", []),
], ids=["match-then-staff", "staff-list-wins", "single-texts", "same-vendor", "match-list",
        "match-text", "staff-no-value", "no-assignees"])
def test_a_person_is_staff_of_one_vendor(text, problems):
    assert vendors(text)[1] == problems


@pytest.mark.parametrize("staff, expected, problems", [
    ("[Bob]", F({"bob"}), []),
    ("[]", F(), [(4, 12, "the staff of vendor 'acme' is empty; list the people (account id, username, email "
                         "or display name), or leave staff out to use match.assignees")]),
    ("", F(), [(4, 11, "the staff of vendor 'acme' has no value; write a list like [A, B], or [] for none")]),
], ids=["one", "empty-list", "no-value"])
def test_vendor_staff(staff, expected, problems):
    text = f"vendors:\n  acme:\n    match: {{labels: [x]}}\n    staff: {staff}".rstrip() + "\n"
    (vendor,), found = vendors(text)
    assert (vendor.staff, found) == (expected, problems)


@pytest.mark.parametrize("fields, expected, problems", [
    # An id stands for itself; a name for no id until Jira's names are known.
    ("{customfield_10010: [Gold], Customer: [Big Co]}",
     (FieldMatch("customfield_10010", F({"gold"}), ("customfield_10010",)), FieldMatch("Customer", F({"big co"}))), []),
    ("{duedate: x}", (FieldMatch("duedate", F({"x"}), ("duedate",)),), []),  # a kept system field by id
    ("{' Customer ': [a]}", (FieldMatch("Customer", F({"a"})),), []),  # the name is trimmed
    ("{customfield_: [a]}", None,
     [(3, 22, f"bad field 'customfield_' in match.fields of vendor 'acme': write a custom field's id like "
              f"customfield_10010 (Jira: Settings, Issues, Custom fields, the id in the field's address), "
              f"the field's name as Jira shows it (like Customer), or one of {SYSTEM}")]),
    ("{'  ': [a]}", None,
     [(3, 22, f"bad field '  ' in match.fields of vendor 'acme': write a custom field's id like "
              f"customfield_10010 (Jira: Settings, Issues, Custom fields, the id in the field's address), "
              f"the field's name as Jira shows it (like Customer), or one of {SYSTEM}")]),
    ("{customfield_: [a], Customer: []}", None,  # each field is read, also after a bad one
     [(3, 22, f"bad field 'customfield_' in match.fields of vendor 'acme': write a custom field's id like "
              f"customfield_10010 (Jira: Settings, Issues, Custom fields, the id in the field's address), "
              f"the field's name as Jira shows it (like Customer), or one of {SYSTEM}"),
      (3, 51, "match.fields.Customer of vendor 'acme' is empty; list the values that fit, like [Gold]")]),
    ("{Customer: []}", None,
     [(3, 32, "match.fields.Customer of vendor 'acme' is empty; list the values that fit, like [Gold]")]),
    ("{Customer: }", None,
     [(3, 31, "match.fields.Customer of vendor 'acme' has no value; write a list like [A, B], or [] for none")]),
    ("[a]", None, [(3, 21, "match.fields of vendor 'acme' must be a mapping of 'key: value' lines, not a list")]),
], ids=["id-and-name", "system-field", "trimmed", "bad-id", "blank", "bad-then-empty", "empty-list", "no-value", "list"])
def test_vendor_match_fields(fields, expected, problems):
    text = f"vendors:\n  acme:\n    match: {{fields: {fields}}}\n"
    (vendor,), found = vendors(text)
    assert found == problems
    assert vendor.match == (Match(fields=expected) if expected is not None else Match())


# ---- policies ------------------------------------------------------------------------------

def policies(text, calendars=("always",)):
    return section(rp.read_policies, text, "policies", list(calendars))


RES = {"resolution": MetricRule(8 * H)}


def policy(name="p", match=Match(), calendar="always", pause=F(), metrics=RES, measure="ticket"):
    return Policy(name=name, match=match, calendar=calendar, pause_statuses=pause, metrics=metrics,
                  measure=measure)


BODY = "calendar: always, metrics: {resolution: 8h}"


@pytest.mark.parametrize("text, expected, problems", [
    ("policies:\n", (), [(1, 1, "policies is empty; add at least one policy")]),  # at the key
    ("policies: []\n", (), [(1, 11, "policies is empty; add at least one policy")]),  # at the []
    ("policies: {a: 1}\n", (), [(1, 11, "policies must be a list of policies, each starting with '- name:'")]),
    (f"policies:\n  - {{name: p, {BODY}}}\n", (policy(),), []),
    # Every key.
    ("policies:\n  - name: p\n    match: {projects: [OPS], priorities: High}\n    calendar: always\n"
     "    pause_statuses: [Waiting, ON HOLD]\n    metrics:\n      first_response: {target: 1h, warn_at: [50%, 0.25]}\n"
     "      resolution: 8h\n      next_response: 2h\n      periodic_update: {target: 1d}\n    measure: handoff\n",
     (policy(match=Match(projects=F({"ops"}), priorities=F({"high"})), pause=F({"waiting", "on hold"}),
             metrics={"first_response": MetricRule(H, (0.25, 0.5)), "resolution": MetricRule(8 * H),
                      "next_response": MetricRule(2 * H), "periodic_update": MetricRule(24 * H)},
             measure="handoff"),), []),
    # A catch-all above another policy: the one below can never apply.
    (f"policies:\n  - {{name: all, {BODY}}}\n  - {{name: late, {BODY}}}\n", (policy("all"), policy("late")),
     [(3, 12, "policy 'late' can never apply: policy 'all' above it matches every ticket")]),
    # A catch-all last is fine; a match that is a mistake makes no catch-all.
    (f"policies:\n  - {{name: a, match: {{labels: [x]}}, {BODY}}}\n  - {{name: b, {BODY}}}\n",
     (policy("a", Match(labels=F({"x"}))), policy("b")), []),
    (f"policies:\n  - {{name: a, match: {{lables: [x]}}, {BODY}}}\n  - {{name: b, {BODY}}}\n", (policy("a"), policy("b")),
     [(2, 23, "unknown key 'lables' in the match of policy 'a'; did you mean 'labels'?")]),
    # The same name twice: reported at the second, naming the first's line.
    (f"policies:\n  - {{name: p, match: {{labels: [x]}}, {BODY}}}\n  - {{name: p, match: {{labels: [y]}}, {BODY}}}\n",
     (policy(match=Match(labels=F({"x"}))), policy(match=Match(labels=F({"y"})))),
     [(3, 12, "policy name 'p' is used twice (first on line 2)")]),
    # Not a mapping: no policy; numbered from 1.
    (f"policies:\n  - {{name: a, match: {{labels: [x]}}, {BODY}}}\n  - just text\n",
     (policy("a", Match(labels=F({"x"}))),),
     [(3, 5, "policy #2 must be a mapping of 'key: value' lines, not 'just text'")]),
    (f"policies:\n  - just text\n  - {{name: b, {BODY}}}\n", (policy("b"),),  # the ones after it are read
     [(2, 5, "policy #1 must be a mapping of 'key: value' lines, not 'just text'")]),
    # Without a name: called by its number, and named so.
    ("policies:\n  - {calendar: always, metrics: {resolution: 8h}}\n", (policy("#1"),),
     [(2, 5, "policy #1 is missing 'name'")]),
    ("policies:\n  - {name: '', calendar: always, metrics: {resolution: 8h}}\n", (policy("#1"),),
     [(2, 12, "a policy name is empty")]),
    ("policies:\n  - {name: p}\n", (policy(calendar="", metrics={}),),
     [(2, 5, "policy 'p' is missing 'calendar'"), (2, 5, "policy 'p' is missing 'metrics'")]),
    ("policies:\n  - {name: p, calendar: office, metrics: {resolution: 8h}}\n", (policy(calendar="office"),),
     [(2, 25, "policy 'p' uses calendar 'office', which is not defined; calendars: always")]),
    ("policies:\n  - {name: p, clendar: always, metrics: {resolution: 8h}}\n", (policy(calendar=""),),
     [(2, 5, "policy 'p' is missing 'calendar'"),
      (2, 15, "unknown key 'clendar' in policy 'p'; did you mean 'calendar'?")]),
], ids=["no-value", "empty-list", "mapping", "least", "all-keys", "catch-all-first", "catch-all-last",
        "bad-match-no-catch-all", "name-twice", "not-a-mapping", "not-a-mapping-first", "no-name", "empty-name", "only-name",
        "unknown-calendar", "unknown-key"])
def test_policies(text, expected, problems):
    got, found = policies(text)
    assert found == problems
    assert [(p.name, p.match, p.calendar, p.pause_statuses, dict(p.metrics), p.measure) for p in got] == \
        [(p.name, p.match, p.calendar, p.pause_statuses, dict(p.metrics), p.measure) for p in expected]


def test_policy_calendar_when_none_is_defined():
    _, found = policies(f"policies:\n  - {{name: p, {BODY}}}\n", calendars=())
    assert found == [(2, 25, "policy 'p' uses calendar 'always', which is not defined; no calendars are defined")]


def test_policy_metrics_are_read_only():
    (got,), _ = policies(f"policies:\n  - {{name: p, {BODY}}}\n")
    with pytest.raises(TypeError):
        got.metrics["resolution"] = MetricRule(H)  # a mapping proxy


@pytest.mark.parametrize("measure, expected, message", [
    ("ticket", "ticket", None), ("handoff", "handoff", None),
    ("handof", "ticket", "bad measure 'handof' for policy 'p': did you mean 'handoff'? write ticket (clocks from "
                         "the ticket's creation) or handoff (clocks from each hand-off to a vendor)"),
    ("zzz", "ticket", "bad measure 'zzz' for policy 'p': write ticket (clocks from the ticket's creation) or "
                      "handoff (clocks from each hand-off to a vendor)"),
    ("''", "ticket", "the measure of policy 'p' is empty"),
], ids=["ticket", "handoff", "typo", "junk", "empty"])
def test_policy_measure(measure, expected, message):
    (got,), found = policies(f"policies:\n  - {{name: p, {BODY}, measure: {measure}}}\n")
    assert got.measure == expected
    # "  - {name: p, calendar: always, metrics: {resolution: 8h}, measure: " is 68 characters.
    assert found == ([(2, 69, message)] if message else [])


@pytest.mark.parametrize("metrics, expected, problems", [
    ("{resolution: 90s}", {"resolution": MetricRule(timedelta(seconds=90))}, []),
    ("{resolution: {target: 4h}}", {"resolution": MetricRule(4 * H)}, []),
    # warn_at: a percentage or a fraction; sorted; 1% and 99% are the edges.
    ("{resolution: {target: 4h, warn_at: [99%, 1%, 0.5]}}", {"resolution": MetricRule(4 * H, (0.01, 0.5, 0.99))}, []),
    ("{resolution: {target: 4h, warn_at: 75 %}}", {"resolution": MetricRule(4 * H, (0.75,))}, []),
    ("{resolution: {target: 4h, warn_at: []}}", {"resolution": MetricRule(4 * H)}, []),
    ("{resolution: {target: 4h, warn_at: [0%]}}", {},
     [(4, 50, "warn_at 0% must be more than 0% and less than 100% of the target")]),
    ("{resolution: {target: 4h, warn_at: [100%]}}", {},
     [(4, 50, "warn_at 100% must be more than 0% and less than 100% of the target")]),
    ("{resolution: {target: 4h, warn_at: 1.0}}", {},
     [(4, 49, "warn_at 1.0 must be more than 0% and less than 100% of the target")]),
    ("{resolution: {target: 4h, warn_at: [50%, 0.5]}}", {}, [(4, 55, "warn_at 0.5 is given twice")]),
    ("{resolution: {target: 4h, warn_at: [80]}}", {},
     [(4, 50, "bad warn_at '80': write a percentage of the target like 80%")]),
    ("{resolution: {target: 4h, warn_at: [[80%]]}}", {},
     [(4, 50, "bad warn_at: write a percentage of the target like 80%")]),
    ("{resolution: {target: 4h, warn_at: }}", {},
     [(4, 48, "bad warn_at: write a percentage of the target like 80%")]),
    ("{resolution: {target: 4h, warn_at: [x, 50%, y]}}", {},  # each bad one, the good ones not
     [(4, 50, "bad warn_at 'x': write a percentage of the target like 80%"),
      (4, 58, "bad warn_at 'y': write a percentage of the target like 80%")]),
    ("{resolution: 8}", {}, [(4, 27, "bad duration '8': needs a unit; write it like 90s, 30m, 4h, 1h30m or 2d")]),
    ("{resolution: {target: [8h]}}", {}, [(4, 36, "bad duration: write it like 90s, 30m, 4h, 1h30m or 2d")]),
    ("{resolution: {warn_at: [50%]}}", {}, [(4, 15, "metric 'resolution' of policy 'p' is missing 'target'")]),
    ("{resolution: }", {},
     [(4, 26, "metric 'resolution' of policy 'p' has no value; give it 'key: value' lines")]),
    ("{resolution: [8h]}", {},
     [(4, 27, "metric 'resolution' of policy 'p' must be a mapping of 'key: value' lines, not a list")]),
    ("{resolution: {target: 8h, warn: [50%]}}", {"resolution": MetricRule(8 * H)},
     [(4, 40, "unknown key 'warn' in metric 'resolution' of policy 'p'; did you mean 'warn_at'?")]),
    ("{resolutoin: 8h, first_response: 1h}", {"first_response": MetricRule(H)},
     [(4, 15, "'resolutoin' is not a metric; did you mean 'resolution'?")]),
    ("{csat: 8h}", {},
     [(4, 15, "'csat' is not a metric; metrics are first_response, resolution, next_response, periodic_update")]),
    ("[resolution]", {}, [(4, 14, "the metrics of policy 'p' must be a mapping of 'key: value' lines, not a list")]),
], ids=["shorthand", "target", "warn-at-edges", "warn-at-alone", "warn-at-empty", "warn-at-0", "warn-at-100",
        "warn-at-1.0", "warn-at-twice", "warn-at-no-percent", "warn-at-list", "warn-at-no-value",
        "warn-at-some-bad", "no-unit", "target-list", "no-target", "no-value", "list", "unknown-key",
        "typo-metric", "not-a-metric", "metrics-list"])
def test_policy_metrics(metrics, expected, problems):
    # The metrics mapping starts on line 4 at col 14 ("    metrics: " is 13 characters).
    text = f"policies:\n  - name: p\n    calendar: always\n    metrics: {metrics}\n"
    (got,), found = policies(text)
    assert (dict(got.metrics), found) == (expected, problems)


# ---- targets and jira.done_statuses ----------------------------------------------------------

def targets(text):
    got, found = section(rp.read_targets, text, "targets")
    return dict(got), found


@pytest.mark.parametrize("text, changed, problems", [
    ("targets:\n", {}, []),
    ("targets: {}\n", {}, []),
    # Percentages and fractions, the edges 0% and 100% included.
    ("targets: {first_response: 90%, resolution: 0.5, csat: 0%, communication: 100%}\n",
     {"first_response": 0.9, "resolution": 0.5, "csat": 0.0, "communication": 1.0}, []),
    ("targets: {next_response: 1.0, periodic_update: 0.0}\n", {"next_response": 1.0, "periodic_update": 0.0}, []),
    ("targets: {resolution: 100.5%}\n", {},
     [(1, 23, "bad target '100.5%' for resolution: write a percentage from 0% to 100%, like 85%")]),
    ("targets: {resolution: 1.5}\n", {},
     [(1, 23, "bad target '1.5' for resolution: write a percentage from 0% to 100%, like 85%")]),
    ("targets: {resolution: 85}\n", {},
     [(1, 23, "bad target '85' for resolution: write a percentage from 0% to 100%, like 85%")]),
    ("targets: {resolution: }\n", {},
     [(1, 22, "bad target for resolution: write a percentage from 0% to 100%, like 85%")]),
    ("targets: {resolution: [85%]}\n", {},
     [(1, 23, "bad target for resolution: write a percentage from 0% to 100%, like 85%")]),
    ("targets: {resolutoin: 85%, csat: 50%}\n", {"csat": 0.5},  # the keys after it are read
     [(1, 11, "unknown key 'resolutoin' in targets; did you mean 'resolution'?")]),
    ("targets: 85%\n", {}, [(1, 10, "targets must be a mapping of 'key: value' lines, not '85%'")]),
], ids=["none", "empty", "all", "communication-metrics", "above-100", "fraction-above-1", "no-percent",
        "no-value", "list", "unknown-key", "scalar"])
def test_targets(text, changed, problems):
    assert targets(text) == ({**DEFAULT_TARGETS, **changed}, problems)


@pytest.mark.parametrize("text, expected, problems", [
    ("other: 1\n", F({"done", "closed", "resolved"}), []),  # the defaults
    ("jira:\n", F({"done", "closed", "resolved"}), []),
    ("jira: {done_statuses: [Shipped, WONTFIX]}\n", F({"shipped", "wontfix"}), []),
    ("jira: {done_statuses: Shipped}\n", F({"shipped"}), []),
    ("jira: {done_statuses: []}\n", F(),
     [(1, 23, "jira.done_statuses is empty; list the status names that mean done, like [Done, Closed]")]),
    ("jira: {done_statuses: }\n", F(),
     [(1, 22, "jira.done_statuses has no value; write a list like [A, B], or [] for none")]),
    ("jira: {done_status: [x]}\n", F({"done", "closed", "resolved"}),
     [(1, 8, "unknown key 'done_status' in jira; did you mean 'done_statuses'?")]),
    ("jira: [x]\n", F({"done", "closed", "resolved"}),
     [(1, 7, "jira must be a mapping of 'key: value' lines, not a list")]),
], ids=["no-jira", "jira-empty", "list", "one", "empty-list", "no-value", "unknown-key", "jira-list"])
def test_done_statuses(text, expected, problems):
    assert section(rp.read_done_statuses, text, "jira") == (expected, problems)


@pytest.mark.parametrize("raw, expected, problem", [
    ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4), None),
    ("'  2h '", 2 * H, None),  # the source text is trimmed
    ("{a: 1}", None, "bad duration: write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("", None, "bad duration: write it like 90s, 30m, 4h, 1h30m or 2d"),
    ("2x", None, "bad duration '2x': write it like 90s, 30m, 4h, 1h30m or 2d"),
], ids=["all-units", "trimmed", "mapping", "no-value", "junk"])
def test_read_duration(raw, expected, problem):
    got, found = section(lambda ck, v: rp.read_duration(ck, ("d",), v), f"d: {raw}".rstrip() + "\n", "d")
    assert got == expected
    assert found == ([(1, 4 if raw else 3, problem)] if problem else [])
