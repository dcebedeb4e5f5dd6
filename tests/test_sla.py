"""The clock engine, table-driven: events in, clocks out, `now` an argument."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from processors.events import EventKind, Person, TicketEvent
from processors.rules import parse_rules
from processors.sla import evaluate, ticket_json

RULES = parse_rules(
    """
version: 1
calendars:
  office:                       # Berlin office hours with a lunch break
    timezone: Europe/Berlin
    hours:
      mon-fri: ["09:00-12:00", "13:00-17:00"]
    holidays:
      dates: ["2026-01-06"]
  always: 24x7
vendors:
  acme:
    name: ACME
    match: {assignees: [alice@acme.example], projects: [ACME]}
  globex:
    match: {components: [Network]}
policies:
  - name: urgent
    match: {projects: [OPS], priorities: [Highest, High]}
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 30m, warn_at: [50%, 80%]}
      resolution: {target: 4h, warn_at: [75%]}
  - name: standard
    calendar: office
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 2h}
      resolution: {target: 8h}
""",
    path="test-rules.yaml",
)

REPORTER = Person(account_id="r-1", display_name="Rita Reporter", email="rita@customer.example")
AGENT = Person(account_id="a-1", display_name="Alice Agent", email="alice@acme.example")


def t(text: str) -> datetime:
    """Local Berlin wall time in January (UTC+1) written as 'MM-DD HH:MM[:SS]' or an ISO instant."""
    if "T" in text:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    date, clock = text.split()
    if clock.count(":") == 1:
        clock += ":00"
    return datetime.fromisoformat(f"2026-{date}T{clock}+01:00").astimezone(timezone.utc)


_counter = iter(range(1, 10**9))


def created(at: str, priority: str = "Medium", project: str = "OPS", status: str = "Open", **facts) -> TicketEvent:
    base = {
        "project": project, "priority": priority, "status": status, "status_category": "new",
        "issuetype": "Incident", "summary": "Printer on fire", "reporter": REPORTER,
        "assignee": None, "resolution": None, "labels": (), "components": (),
    }
    base.update(facts)
    return TicketEvent("OPS-1", EventKind.CREATED, t(at), "created", actor=REPORTER, facts=base)


def comment(at: str, who: Person = AGENT, public: bool = True) -> TicketEvent:
    return TicketEvent("OPS-1", EventKind.COMMENTED, t(at), f"c{next(_counter)}", actor=who, public=public)


def status(at: str, frm: str, to: str, category: str | None = "indeterminate", who: Person = AGENT) -> TicketEvent:
    facts = {"status": to} | ({"status_category": category} if category else {})
    return TicketEvent("OPS-1", EventKind.STATUS_CHANGED, t(at), f"s{next(_counter)}", actor=who,
                       from_value=frm, to_value=to, facts=facts)


def resolved(at: str) -> list[TicketEvent]:
    return [
        TicketEvent("OPS-1", EventKind.RESOLVED, t(at), f"r{next(_counter)}", actor=AGENT,
                    to_value="Done", facts={"resolution": "Done"}),
        status(at, "In Progress", "Done", "done"),
    ]


def reopened(at: str) -> list[TicketEvent]:
    return [
        TicketEvent("OPS-1", EventKind.REOPENED, t(at), f"o{next(_counter)}", actor=REPORTER,
                    from_value="Done", facts={"resolution": None}),
        status(at, "Done", "Reopened", "indeterminate", who=REPORTER),
    ]


def priority(at: str, frm: str, to: str) -> TicketEvent:
    return TicketEvent("OPS-1", EventKind.PRIORITY_CHANGED, t(at), f"p{next(_counter)}", actor=AGENT,
                       from_value=frm, to_value=to, facts={"priority": to})


def slack(at: str, who: Person) -> TicketEvent:
    return TicketEvent("OPS-1", EventKind.SLACK_RESPONSE, t(at), f"sl{next(_counter)}", actor=who, source="slack")


def flat(*items) -> list[TicketEvent]:
    out: list[TicketEvent] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out


def clocks(events, now: str) -> dict[tuple[str, int], dict]:
    state = evaluate(events, RULES, t(now))
    assert state is not None
    return {(c["metric"], c["cycle"]): c for c in ticket_json(state)["clocks"]}


# Each case: events, now, metric+cycle, expected subset of the clock JSON.
CASES = [
    pytest.param(
        [created("01-05 10:00", "High")], "01-05 10:20", ("first_response", 1),
        {"state": "running", "elapsed_seconds": 1200, "remaining_seconds": 600, "target_seconds": 1800,
         "due_at": "2026-01-05T09:30:00Z", "breached": False, "policy": "urgent", "calendar": "always"},
        id="24x7-running"),
    pytest.param(
        [created("01-05 10:00", "High"), comment("01-05 10:10")], "01-05 11:00", ("first_response", 1),
        {"state": "stopped", "elapsed_seconds": 600, "stopped_at": "2026-01-05T09:10:00Z", "breached": False},
        id="agent-comment-stops-first-response"),
    pytest.param(
        [created("01-05 10:00", "High"), comment("01-05 10:10", who=REPORTER)], "01-05 10:20", ("first_response", 1),
        {"state": "running", "elapsed_seconds": 1200}, id="reporter-comment-does-not-count"),
    pytest.param(
        [created("01-05 10:00", "High"), comment("01-05 10:10", public=False)], "01-05 10:20", ("first_response", 1),
        {"state": "running"}, id="internal-comment-does-not-count"),
    pytest.param(
        [created("01-05 10:00", "High"), status("01-05 10:05", "Open", "In Progress")], "01-05 10:20",
        ("first_response", 1), {"state": "stopped", "elapsed_seconds": 300}, id="agent-status-change-stops"),
    pytest.param(
        [created("01-05 10:00", "High"), status("01-05 10:05", "Open", "Cancelled request", who=REPORTER)],
        "01-05 10:20", ("first_response", 1), {"state": "running"}, id="reporter-status-change-does-not-count"),
    pytest.param(
        [created("01-05 10:00", "High"), slack("01-05 10:07", AGENT)], "01-05 10:20", ("first_response", 1),
        {"state": "stopped", "elapsed_seconds": 420}, id="slack-reply-counts"),
    pytest.param(
        [created("01-05 10:00", "High"), slack("01-05 10:07", REPORTER)], "01-05 10:20", ("first_response", 1),
        {"state": "running"}, id="slack-reply-by-reporter-does-not-count"),
    pytest.param(
        [created("01-05 10:00", "High")], "01-05 11:00", ("first_response", 1),
        {"state": "running", "breached": True, "breached_at": "2026-01-05T09:30:00Z",
         "remaining_seconds": -1800, "elapsed_seconds": 3600}, id="breach-running"),
    pytest.param(
        [created("01-05 10:00", "High"), comment("01-05 10:45")], "01-05 12:00", ("first_response", 1),
        {"state": "stopped", "breached": True, "breached_at": "2026-01-05T09:30:00Z", "elapsed_seconds": 2700},
        id="late-response-is-breach"),
    pytest.param(
        [created("01-05 10:00", "High"), comment("01-05 10:30")], "01-05 12:00", ("first_response", 1),
        {"state": "stopped", "breached": False, "breached_at": None, "remaining_seconds": 0},
        id="response-exactly-at-due-is-met"),
    # Office calendar (Berlin, Mon-Fri 09-12 + 13-17, 2026-01-06 holiday).
    pytest.param(
        [created("01-03 14:00")], "01-05 09:30", ("first_response", 1),
        {"state": "running", "started_at": "2026-01-03T13:00:00Z", "elapsed_seconds": 1800,
         "due_at": "2026-01-05T10:00:00Z"}, id="created-on-saturday-starts-monday"),
    pytest.param(
        [created("01-05 15:00")], "01-05 16:00", ("first_response", 1),
        {"due_at": "2026-01-05T16:00:00Z"}, id="due-exactly-at-closing"),
    pytest.param(
        [created("01-05 11:00")], "01-05 11:30", ("first_response", 1),
        {"due_at": "2026-01-05T13:00:00Z"}, id="due-across-lunch"),
    pytest.param(
        [created("01-05 16:00")], "01-05 16:30", ("first_response", 1),
        {"due_at": "2026-01-07T09:00:00Z"}, id="due-skips-holiday"),
    pytest.param(
        [created("01-05 16:00")], "01-05 16:30", ("resolution", 1),
        {"due_at": "2026-01-07T16:00:00Z"}, id="resolution-8h-over-holiday-ends-at-closing"),
    pytest.param(
        [created("01-02 16:00"), status("01-02 16:30", "Open", "Waiting for customer"),
         status("01-05 10:00", "Waiting for customer", "In Progress")], "01-05 10:30", ("resolution", 1),
        {"state": "running", "elapsed_seconds": 3600, "paused_seconds": 5400,
         "due_at": "2026-01-07T09:30:00Z"}, id="pause-across-weekend-loses-only-open-time"),
    pytest.param(
        [created("01-05 10:00"), status("01-05 10:30", "Open", "Waiting for customer")], "01-05 15:00",
        ("resolution", 1),
        {"state": "paused", "elapsed_seconds": 1800, "due_at": None, "remaining_seconds": 27000},
        id="paused-has-no-due"),
    pytest.param(
        [created("01-05 10:00", "High"), *resolved("01-05 11:00"), *reopened("01-05 12:00")], "01-05 12:30",
        ("resolution", 1), {"state": "stopped", "elapsed_seconds": 3600, "breached": False}, id="reopen-closes-cycle-1"),
    pytest.param(
        [created("01-05 10:00", "High"), *resolved("01-05 11:00"), *reopened("01-05 12:00")], "01-05 12:30",
        ("resolution", 2),
        {"state": "running", "elapsed_seconds": 1800, "started_at": "2026-01-05T11:00:00Z",
         "due_at": "2026-01-05T15:00:00Z"}, id="reopen-starts-cycle-2"),
    pytest.param(
        [created("01-05 10:00", "High"), *resolved("01-05 11:00"), *reopened("01-05 12:00")], "01-05 12:30",
        ("first_response", 1), {"state": "stopped", "stopped_at": "2026-01-05T10:00:00Z"},
        id="resolution-counts-as-first-response"),
    pytest.param(
        [created("01-05 10:00", "Medium"), priority("01-05 11:00", "Medium", "High")], "01-05 11:10",
        ("resolution", 1),
        {"policy": "urgent", "target_seconds": 4 * 3600, "elapsed_seconds": 4200,
         "due_at": "2026-01-05T13:00:00Z"}, id="priority-raised-keeps-elapsed-new-target"),
    pytest.param(
        [created("01-05 10:00", "Medium"), priority("01-05 11:00", "Medium", "High")], "01-05 11:10",
        ("first_response", 1),
        {"policy": "urgent", "breached": True, "breached_at": "2026-01-05T09:30:00Z"},
        id="priority-raised-after-new-target-passed-is-breached"),
    pytest.param(
        [created("01-05 10:00", "High"), priority("01-05 10:10", "High", "Low")], "01-05 10:20",
        ("first_response", 1),
        {"policy": "standard", "target_seconds": 7200, "elapsed_seconds": 1200, "calendar": "office"},
        id="priority-lowered-switches-calendar"),
    pytest.param(
        [created("01-05 10:00", "High")], "01-05 10:05", ("first_response", 1),
        {"warnings": [{"percent": 50.0, "at": "2026-01-05T09:15:00Z"}, {"percent": 80.0, "at": "2026-01-05T09:24:00Z"}]},
        id="warning-instants"),
    pytest.param(
        [created("01-05 10:00", "High", status="To Do", status_category=None),
         status("01-05 10:20", "To Do", "Closed", None)], "01-05 11:00", ("resolution", 1),
        {"state": "stopped", "elapsed_seconds": 1200}, id="server-payload-done-by-status-name"),
]


@pytest.mark.parametrize("events,now,which,expected", CASES)
def test_clock(events, now, which, expected):
    clock = clocks(events, now)[which]
    assert {k: clock[k] for k in expected} == expected


def test_ticket_facts_and_vendor():
    events = [created("01-05 10:00", "High"),
              TicketEvent("OPS-1", EventKind.ASSIGNEE_CHANGED, t("01-05 10:01"), "as1", actor=AGENT,
                          to_value="Alice Agent", facts={"assignee": AGENT})]
    state = ticket_json(evaluate(events, RULES, t("01-05 10:02")))
    assert (state["key"], state["policy"], state["vendor"], state["status"]) == ("OPS-1", "urgent", "acme", "Open")
    assert (state["assignee"], state["reporter"]) == ("Alice Agent", "Rita Reporter")
    assert [(c["metric"], c["cycle"], c["vendor"]) for c in state["clocks"]] == [
        ("first_response", 1, "acme"), ("resolution", 1, "acme")]


def test_no_created_event_means_nothing_to_judge():
    assert evaluate([comment("01-05 10:10")], RULES, t("01-05 11:00")) is None


def test_events_after_now_are_ignored():
    events = [created("01-05 10:00", "High"), comment("01-05 10:40")]
    assert clocks(events, "01-05 10:20")[("first_response", 1)]["state"] == "running"
    assert evaluate(events, RULES, t("01-05 09:00")) is None


def test_deleted_ticket_has_no_clocks():
    events = [created("01-05 10:00", "High"),
              TicketEvent("OPS-1", EventKind.DELETED, t("01-05 10:30"), "del", actor=AGENT)]
    state = evaluate(events, RULES, t("01-05 11:00"))
    assert state.deleted and state.clocks == ()


def test_next_warning_at_moves_with_now():
    events = [created("01-05 10:00", "High")]
    fr = {c.metric: c for c in evaluate(events, RULES, t("01-05 10:05")).clocks}["first_response"]
    assert fr.next_warning_at == t("01-05 10:15")
    fr = {c.metric: c for c in evaluate(events, RULES, t("01-05 10:20")).clocks}["first_response"]
    assert fr.next_warning_at == t("01-05 10:24")


LIFE = flat(
    created("01-02 16:00", "Medium"), comment("01-02 16:05", who=REPORTER),
    status("01-02 16:30", "Open", "Waiting for customer"), comment("01-03 11:00", who=REPORTER),
    status("01-05 10:00", "Waiting for customer", "In Progress"), priority("01-05 11:00", "Medium", "High"),
    *resolved("01-05 13:00"), *reopened("01-07 09:30"), comment("01-07 10:00"), *resolved("01-07 15:00"),
)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=3))
def test_order_and_duplicates_do_not_matter(rnd: random.Random, copies: int):
    now = t("01-08 12:00")
    expected = ticket_json(evaluate(LIFE, RULES, now))
    delivered = LIFE + [rnd.choice(LIFE) for _ in range(copies * 5)]
    rnd.shuffle(delivered)
    assert ticket_json(evaluate(delivered, RULES, now)) == expected


def test_full_life_story():
    state = ticket_json(evaluate(LIFE, RULES, t("01-08 12:00")))
    got = {(c["metric"], c["cycle"]): (c["state"], c["elapsed_seconds"], c["breached"]) for c in state["clocks"]}
    # first response: the agent's move to "Waiting for customer" at Fri 16:30 is the response: 30 min
    # on the office calendar, exactly the 30m target of the final (urgent) policy, so met.
    # resolution cycle 1: Fri 16:00-16:30 counted (30m), paused until Mon 10:00, counted Mon 10:00-11:00
    # on the office calendar (1h), then 24x7 from 11:00 to 13:00 (2h) = 3h30m of a 4h target.
    # cycle 2: reopened Wed 09:30, resolved Wed 15:00 on 24x7 = 5h30m > 4h: breached.
    assert got == {
        ("first_response", 1): ("stopped", 1800, False),
        ("resolution", 1): ("stopped", 12600, False),
        ("resolution", 2): ("stopped", 19800, True),
    }
