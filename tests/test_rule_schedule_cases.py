"""Which rules versions judged the clocks a report counts (`judged_by`), in the order reports
list them: versions no longer in the schedule first, by name; then in schedule order."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from processors.events import EventKind, Person, TicketEvent
from processors.rule_schedule import Judgement, Pin, RuleSchedule, RuleSpan, judge, judge_keeping, judged_by
from processors.rules import parse_rules
from tests.conftest import RULES_YAML

T = datetime(2026, 1, 1, tzinfo=timezone.utc)
SCHEDULE = (RuleSpan("v2", None, T), RuleSpan("v1", T, None))


@pytest.mark.parametrize("versions, expected", [
    # "vb" (1 clock) and "va" (2 clocks) are in no span: first, by name (not by count).
    (["v1", "vb", "va", "va", "v2"], [("va", 2, 0), ("vb", 1, 0), ("v2", 1, 1), ("v1", 1, 1)]),
    # Unknown versions (None) are left out; the schedule's order wins over names (v2 before v1).
    (["v1", None, "v1", "v2"], [("v2", 1, 1), ("v1", 2, 1)]),
    ([None], []),
], ids=["gone-versions-by-name", "schedule-order", "unknown-only"])
def test_judged_by_order(versions, expected):
    got = judged_by(versions, SCHEDULE)
    assert [(j.version, j.clocks, len(j.spans)) for j in got] == expected


def test_a_version_back_in_force_keeps_its_first_place_and_both_spans():
    # v1, then v2, then v1 again: v1 is listed at its first place, with both of its spans.
    schedule = (RuleSpan("v1", None, T), RuleSpan("v2", T, T.replace(month=2)), RuleSpan("v1", T.replace(month=2), None))
    got = judged_by(["v2", "v1"], schedule)
    assert [(j.version, j.spans) for j in got] == [("v1", (schedule[0], schedule[2])), ("v2", (schedule[1],))]


# ---- stopped clocks keep the version that judged them (`judge_keeping`) ------------------------
# The standard policy (tests/conftest.py RULES_YAML) answers in 1h; NEW answers in 2h. The ticket
# is created at 09:00 and answered at 10:30 (90 minutes, 24x7): under OLD its first response was
# breached at 10:00, under NEW it is met. Its resolution clock is still open at noon.

OLD_RULES = parse_rules(RULES_YAML)
NEW_RULES = parse_rules(RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]"))
DAY = datetime(2026, 2, 2, tzinfo=timezone.utc)
REPORTER = Person(account_id="u-rep", display_name="Rita Reporter")
AGENT = Person(account_id="u-agent", display_name="Alan Agent")
EVENTS = [
    TicketEvent("OPS-1", EventKind.CREATED, DAY.replace(hour=9), "e1", actor=REPORTER,
                facts={"project": "OPS", "priority": "Medium", "status": "Open", "status_category": "new",
                       "reporter": REPORTER, "summary": "VPN down"}),
    TicketEvent("OPS-1", EventKind.COMMENTED, DAY.replace(hour=10, minute=30), "e2", actor=AGENT, public=True),
]
NOON = DAY.replace(hour=12)
KNOWN = {OLD_RULES.version: OLD_RULES, NEW_RULES.version: NEW_RULES}


def first_response(judgement: Judgement):
    return next(c for c in judgement.state.clocks if c.metric == "first_response")


@pytest.mark.parametrize("settled, rules_of, kept_by", [
    # stored stopped under OLD: OLD's verdict (breached at 10:00) stays, and says it is OLD's
    ({("first_response", 1): "old"}, KNOWN.get, "old"),
    # settled under the version judging now: nothing to keep, the current verdict (met)
    ({("first_response", 1): "new"}, KNOWN.get, None),
    # OLD's rules no longer known (or no longer parse): the current verdict stands
    ({("first_response", 1): "old"}, lambda version: None, None),
    # only the open resolution clock was settled (it cannot have been: nothing kept)
    ({("resolution", 1): "old"}, KNOWN.get, None),
    # settled under OLD for a cycle the ticket does not have: nothing kept
    ({("first_response", 2): "old"}, KNOWN.get, None),
    ({}, KNOWN.get, None),
], ids=["kept", "same-version", "old-unknown", "open-clock", "other-cycle", "none-settled"])
def test_judge_keeping(settled, rules_of, kept_by):
    names = {"old": OLD_RULES.version, "new": NEW_RULES.version}
    settled = {k: names[v] for k, v in settled.items()}
    judgement = judge_keeping(EVENTS, NEW_RULES, NOON, settled, rules_of)
    clock = first_response(judgement)
    assert judgement.version == NEW_RULES.version
    resolution = next(c for c in judgement.state.clocks if c.metric == "resolution")
    assert resolution.state == "running" and judgement.version_of("resolution", 1) == NEW_RULES.version
    if kept_by is None:
        assert judgement.clock_versions == {}
        assert clock == first_response(Judgement(judge(EVENTS, NEW_RULES, NOON), "", {}))
        assert clock.breached_at is None and clock.target == timedelta(hours=2)
    else:
        assert judgement.clock_versions == {("first_response", 1): names[kept_by]}
        assert judgement.version_of("first_response", 1) == names[kept_by]
        assert clock.breached_at == DAY.replace(hour=10) and clock.target == timedelta(hours=1)
        assert clock.stopped_at == DAY.replace(hour=10, minute=30)


def test_judge_keeping_a_clock_still_open_under_the_old_version_is_not_kept():
    # NOW_DONE counts "Deployed" as done, OLD_RULES does not (the event names no status category,
    # so the status name decides, processors/sla.py): the move to Deployed at 11:00 stops
    # the resolution clock now, while under OLD_RULES it would still be running. A clock the old
    # version has open cannot carry its old verdict: the current (stopped) one stands.
    now_done = parse_rules(RULES_YAML + "jira:\n  done_statuses: [Done, Deployed]\n")
    events = EVENTS + [TicketEvent("OPS-1", EventKind.STATUS_CHANGED, DAY.replace(hour=11), "e3", actor=AGENT,
                                   to_value="Deployed", facts={"status": "Deployed"})]  # no category said
    judgement = judge_keeping(events, now_done, NOON, {("resolution", 1): OLD_RULES.version}, KNOWN.get)
    resolution = next(c for c in judgement.state.clocks if c.metric == "resolution")
    assert resolution.state == "stopped" and resolution.stopped_at == DAY.replace(hour=11)
    assert judgement.clock_versions == {}
    assert judge(events, OLD_RULES, NOON).clocks[1].state == "running"  # as the comment says


def test_judge_keeping_of_no_ticket():
    # no created event: no state at all, judged by the rules in force
    judgement = judge_keeping([], NEW_RULES, NOON, {("first_response", 1): "x"}, KNOWN.get)
    assert judgement == Judgement(None, NEW_RULES.version, {})


# ---- field names bound to Jira's ids (`bound`, `uses_field_names`) -----------------------------

NAMED = parse_rules(RULES_YAML.replace("      projects: [INFRA]\n",
                                       "      projects: [INFRA]\n      fields:\n        Request type: [Network]\n"))
IDS = {"request type": ("customfield_10010",)}


def named_ids(rules) -> tuple[str, ...]:
    globex = next(v for v in rules.vendors if v.id == "globex")
    return tuple(i for entry in globex.match.fields for i in entry.ids)


def test_a_schedule_without_field_names_is_bound_to_itself():
    schedule = RuleSchedule(OLD_RULES, (Pin(DAY, OLD_RULES),))
    assert not schedule.uses_field_names()
    assert schedule.bound(IDS) is schedule


@pytest.mark.parametrize("current, pinned, names_in", [
    (NAMED, OLD_RULES, "current"),
    (OLD_RULES, NAMED, "pin"),
    (NAMED, NAMED, "both"),
])
def test_bound_binds_every_version_that_names_a_field(current, pinned, names_in):
    schedule = RuleSchedule(current, (Pin(DAY, pinned),))
    assert schedule.uses_field_names()
    bound = schedule.bound(IDS)
    assert bound is not schedule and bound.pins[0].created_before == DAY
    for before, after, named in ((current, bound.current, names_in in ("current", "both")),
                                 (pinned, bound.pins[0].rules, names_in in ("pin", "both"))):
        if named:
            assert named_ids(before) == () and named_ids(after) == ("customfield_10010",)
        else:
            assert after is before  # a version that names no field is not copied
    # bound again with the same ids: nothing changes, the same object comes back
    assert bound.bound(IDS) is bound
