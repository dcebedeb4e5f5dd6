"""The clock engine at its boundaries, as tables: each row is a ticket's events, the instant it is
judged at, and the clock figures expected, worked out by hand (the comment says how). Only the
public surface is used (`evaluate`, `ticket_json`), so the rows hold whatever the engine's
insides become.

Times are Berlin wall-clock in January 2026 (UTC+1): "01-05 10:00" is Monday 5 January, 10:00
local = 09:00Z. Calendars: `always` (24x7) and `office` (Mon-Fri 09:00-17:00 Berlin).
Policies: `urgent` (priority High, 24x7, first response 30m warned at 50%, resolution 4h),
`standard` (priority Medium, office, 2h / 8h); a Low ticket matches no policy.
"""
from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

import pytest

from processors.events import EventKind, Person, TicketEvent
from processors.rules import parse_rules
from processors.sla import evaluate, ticket_json

RULES = parse_rules(
    """
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["09:00-17:00"]}
  always: 24x7
vendors:
  acme:
    match: {assignees: [alice@acme.example]}
  globex:
    match: {components: [Network]}
policies:
  - name: urgent
    match: {priorities: [High]}
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 30m, warn_at: [50%]}
      resolution: {target: 4h}
  - name: standard
    match: {priorities: [Medium]}
    calendar: office
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 2h}
      resolution: {target: 8h}
""",
    path="sla-cases.yaml",
)

REPORTER = Person(account_id="r-1", display_name="Rita Reporter", email="rita@customer.example")
ALICE = Person(account_id="a-1", display_name="Alice", email="alice@acme.example")  # vendor acme
BOB = Person(account_id="b-1", display_name="Bob", email="bob@example.org")  # no vendor
_ids = count(1)


def t(text: str) -> datetime:
    """'MM-DD HH:MM[:SS]' Berlin wall-clock in January 2026 (UTC+1), as a UTC instant."""
    day, clock = text.split()
    clock += ":00" if clock.count(":") == 1 else ""
    return datetime.fromisoformat(f"2026-{day}T{clock}+01:00").astimezone(timezone.utc)


def ev(kind: EventKind, at: str, who: Person | None = ALICE, **fields) -> TicketEvent:
    return TicketEvent("OPS-1", kind, t(at), f"e{next(_ids)}", actor=who, **fields)


def created(at: str, priority: str = "High", status: str | None = "Open", category: str | None = "new",
            **facts) -> TicketEvent:
    base = {"project": "OPS", "priority": priority, "status": status, "status_category": category,
            "issuetype": "Incident", "summary": "Printer on fire", "reporter": REPORTER,
            "assignee": None, "resolution": None, "labels": (), "components": ()}
    return ev(EventKind.CREATED, at, REPORTER, facts=base | facts)


def comment(at: str, who: Person = ALICE, public: bool = True) -> TicketEvent:
    return ev(EventKind.COMMENTED, at, who, public=public)


def status(at: str, to: str, category: str | None = "indeterminate", who: Person = ALICE) -> TicketEvent:
    facts = {"status": to} | ({"status_category": category} if category else {})
    return ev(EventKind.STATUS_CHANGED, at, who, to_value=to, facts=facts)


def bare(kind: EventKind, at: str, to: str | None = None) -> TicketEvent:
    """An event whose payload carried no facts (e.g. a Server webhook): only its kind and `to`."""
    return ev(kind, at, to_value=to)


def assign(at: str, person: Person | None) -> TicketEvent:
    return ev(EventKind.ASSIGNEE_CHANGED, at, facts={"assignee": person})


def priority(at: str, to: str) -> TicketEvent:
    return ev(EventKind.PRIORITY_CHANGED, at, to_value=to, facts={"priority": to})


def resolve(at: str) -> TicketEvent:
    return ev(EventKind.RESOLVED, at, to_value="Done", facts={"resolution": "Done"})


def judge(events: list[TicketEvent], now: str) -> dict:
    state = evaluate(events, RULES, t(now))
    assert state is not None
    return ticket_json(state)


def clock_of(events, now, which) -> dict:
    return {(c["metric"], c["cycle"]): c for c in judge(events, now)["clocks"]}[which]


FR, RES, RES2 = ("first_response", 1), ("resolution", 1), ("resolution", 2)
H = [created("01-05 10:00")]  # an urgent ticket created Monday 10:00 local (09:00Z)

CASES = [
    # -- the verdict at the due instant: urgent first response due 10:30 local = 09:30Z --------
    # 1 s before due: 1799 s of 1800 elapsed, not breached.
    pytest.param(H, "01-05 10:29:59", FR, {"breached": False, "remaining_seconds": 1, "state": "running",
                                           "due_at": "2026-01-05T09:30:00Z"}, id="running-1s-before-due"),
    # At the due instant the target is reached: breached, at due.
    pytest.param(H, "01-05 10:30:00", FR, {"breached": True, "breached_at": "2026-01-05T09:30:00Z",
                                           "remaining_seconds": 0}, id="running-at-due-is-breached"),
    pytest.param(H, "01-05 10:30:01", FR, {"breached": True, "breached_at": "2026-01-05T09:30:00Z",
                                           "remaining_seconds": -1}, id="running-1s-after-due"),
    # An answer 1 s before due, or exactly at it, is met; 1 s after is a breach (at due).
    pytest.param(H + [comment("01-05 10:29:59")], "01-05 12:00", FR,
                 {"state": "stopped", "breached": False, "elapsed_seconds": 1799,
                  "due_at": "2026-01-05T09:30:00Z"}, id="answer-1s-before-due-met"),
    pytest.param(H + [comment("01-05 10:30:00")], "01-05 12:00", FR,
                 {"state": "stopped", "breached": False, "breached_at": None, "elapsed_seconds": 1800},
                 id="answer-at-due-met"),
    pytest.param(H + [comment("01-05 10:30:01")], "01-05 12:00", FR,
                 {"state": "stopped", "breached": True, "breached_at": "2026-01-05T09:30:00Z",
                  "elapsed_seconds": 1801}, id="answer-1s-after-due-breached"),
    # A stopped clock still shows when it was (or would have been) due: 10:10 answer, due 10:30.
    pytest.param(H + [comment("01-05 10:10")], "01-05 12:00", FR,
                 {"due_at": "2026-01-05T09:30:00Z", "stopped_at": "2026-01-05T09:10:00Z"},
                 id="stopped-early-keeps-due"),
    # -- a pause at the due instant: resolution 4h is due 14:00 local = 13:00Z ------------------
    # Paused exactly at due: the 4 h were counted by then, so it is breached at 13:00Z; paused
    # clocks have no due_at.
    pytest.param(H + [status("01-05 14:00", "Waiting for customer")], "01-05 15:00", RES,
                 {"state": "paused", "breached": True, "breached_at": "2026-01-05T13:00:00Z",
                  "due_at": None, "elapsed_seconds": 14400, "paused_seconds": 3600},
                 id="paused-at-due-is-breached"),
    # Paused 1 s before due: 1 s left, not breached, however long the pause lasts.
    pytest.param(H + [status("01-05 13:59:59", "Waiting for customer")], "01-05 18:00", RES,
                 {"state": "paused", "breached": False, "remaining_seconds": 1, "due_at": None},
                 id="paused-1s-before-due-not-breached"),
    pytest.param(H + [status("01-05 14:00:01", "Waiting for customer")], "01-05 18:00", RES,
                 {"state": "paused", "breached": True, "breached_at": "2026-01-05T13:00:00Z",
                  "remaining_seconds": -1}, id="paused-1s-after-due-breached"),
    # Paused after breaching (15:00): stays breached at 13:00Z, elapsed frozen at 5 h.
    pytest.param(H + [status("01-05 15:00", "Waiting for customer")], "01-05 20:00", RES,
                 {"state": "paused", "breached": True, "breached_at": "2026-01-05T13:00:00Z",
                  "elapsed_seconds": 18000, "paused_seconds": 18000}, id="paused-after-breach"),
    # Paused 10:30-11:00 and resumed: 30 min paused, so due moves from 14:00 to 14:30 (13:30Z).
    pytest.param(H + [status("01-05 10:30", "Waiting for customer"), status("01-05 11:00", "In Progress")],
                 "01-05 11:30", RES, {"state": "running", "elapsed_seconds": 3600, "paused_seconds": 1800,
                                      "due_at": "2026-01-05T13:30:00Z"}, id="pause-and-resume"),
    # -- first response at the creation instant --------------------------------------------------
    # A comment stamped 1 s before the ticket was created is no response: still running at 10:10.
    pytest.param([created("01-05 10:00"), comment("01-05 09:59:59")], "01-05 10:10", FR,
                 {"state": "running", "elapsed_seconds": 600}, id="comment-before-creation-not-response"),
    # A comment at the very instant of creation answers it: stopped there, 0 s.
    pytest.param([created("01-05 10:00"), comment("01-05 10:00")], "01-05 10:10", FR,
                 {"state": "stopped", "elapsed_seconds": 0, "stopped_at": "2026-01-05T09:00:00Z"},
                 id="comment-at-creation-is-response"),
    pytest.param([created("01-05 10:00"), comment("01-05 10:00:01")], "01-05 10:10", FR,
                 {"state": "stopped", "elapsed_seconds": 1}, id="comment-1s-after-creation"),
    # An event at exactly `now` is applied; evaluated at creation, the clock has run 0 s.
    pytest.param(H + [comment("01-05 10:10")], "01-05 10:10", FR, {"state": "stopped", "elapsed_seconds": 600},
                 id="comment-at-now-counts"),
    pytest.param(H, "01-05 10:00", FR, {"state": "running", "elapsed_seconds": 0,
                                        "due_at": "2026-01-05T09:30:00Z"}, id="judged-at-creation"),
    # -- what is a response -----------------------------------------------------------------------
    # A move back into the initial status ("Open", whatever its case) is no response.
    pytest.param(H + [status("01-05 10:05", "OPEN", "new")], "01-05 10:10", FR,
                 {"state": "running", "elapsed_seconds": 600}, id="status-into-initial-not-response"),
    # A move to another status by an agent is one: stopped at 10:05, 300 s.
    pytest.param(H + [status("01-05 10:05", "In Progress")], "01-05 10:10", FR,
                 {"state": "stopped", "elapsed_seconds": 300}, id="status-out-of-initial-is-response"),
    # Created with no status at all: any move by an agent is a response.
    pytest.param([created("01-05 10:00", status=None, category=None), status("01-05 10:05", "Open", "new")],
                 "01-05 10:10", FR, {"state": "stopped", "elapsed_seconds": 300},
                 id="no-initial-status-any-move-responds"),
    # An assignment is not a response, even by an agent.
    pytest.param(H + [assign("01-05 10:05", ALICE)], "01-05 10:10", FR,
                 {"state": "running", "elapsed_seconds": 600}, id="assignment-not-response"),
    # A comment by someone with no identity at all (actor None) counts: not the reporter.
    pytest.param(H + [comment("01-05 10:05", who=None)], "01-05 10:10", FR,
                 {"state": "stopped", "elapsed_seconds": 300}, id="anonymous-comment-responds"),
    # -- a policy change: earlier stretches keep their own calendar -------------------------------
    # Medium (office) created 08:00, raised to High (24x7) at 10:00, judged 10:30: office time
    # 08:00-10:00 is 1 h (opens 09:00) + 30 min on 24x7 = 5400 s (not 9000 s, all on 24x7);
    # 2 h 30 min of the urgent 4 h remain from 10:30: due 13:00 local = 12:00Z.
    pytest.param([created("01-05 08:00", "Medium"), priority("01-05 10:00", "High")], "01-05 10:30", RES,
                 {"policy": "urgent", "calendar": "always", "elapsed_seconds": 5400, "target_seconds": 14400,
                  "due_at": "2026-01-05T12:00:00Z"}, id="raised-earlier-stretch-on-office"),
    # High (24x7) created 07:00, lowered to Medium (office) at 08:00, judged 10:00: 1 h on 24x7
    # + 1 h office (09-10) = 7200 s (not 3600 s, all on office).
    pytest.param([created("01-05 07:00"), priority("01-05 08:00", "Medium")], "01-05 10:00", RES,
                 {"policy": "standard", "calendar": "office", "elapsed_seconds": 7200}, id="lowered-earlier-stretch-on-24x7"),
    # The same, answered at 08:00 while still High, lowered at 08:30: the first response lies
    # wholly in the urgent stretch, so it counts on 24x7, 1 h (on office it would be 0 s: 07-08
    # is before opening).
    pytest.param([created("01-05 07:00"), comment("01-05 08:00"), priority("01-05 08:30", "Medium")],
                 "01-05 10:00", FR, {"state": "stopped", "policy": "standard", "elapsed_seconds": 3600},
                 id="answered-in-earlier-stretch-on-its-calendar"),
    # Low (no policy) created 07:00, raised to Medium at 10:00: the time with no policy counts
    # on the new policy's calendar (office): 07-10 is 1 h + 30 min = 5400 s.
    pytest.param([created("01-05 07:00", "Low"), priority("01-05 10:00", "Medium")], "01-05 10:30", RES,
                 {"policy": "standard", "elapsed_seconds": 5400, "started_at": "2026-01-05T06:00:00Z"},
                 id="no-policy-earlier-counts-on-new-calendar"),
    # -- vendor of a clock ------------------------------------------------------------------------
    # Alice (acme) resolved it at 11:00; Bob (no vendor) took it at 12:00: the stopped clock
    # keeps acme, the vendor when it stopped.
    pytest.param(H + [assign("01-05 10:10", ALICE), resolve("01-05 11:00"), assign("01-05 12:00", BOB)],
                 "01-05 13:00", RES, {"state": "stopped", "vendor": "acme"}, id="stopped-clock-vendor-at-stop"),
    # Assigned to Alice at the very instant of the resolution: the vendor at stop is acme.
    pytest.param(H + [assign("01-05 11:00", ALICE), resolve("01-05 11:00")], "01-05 13:00", RES,
                 {"state": "stopped", "vendor": "acme", "elapsed_seconds": 3600}, id="vendor-set-at-stop-instant"),
    # A running clock has today's vendor.
    pytest.param(H + [assign("01-05 10:10", BOB), assign("01-05 10:20", ALICE)], "01-05 10:25", RES,
                 {"state": "running", "vendor": "acme"}, id="running-clock-vendor-now"),
    # -- resolved by status category --------------------------------------------------------------
    # "Deployed" in category done resolves (its name is in no done list): stopped at 11:00.
    pytest.param(H + [status("01-05 11:00", "Deployed", "done")], "01-05 12:00", RES,
                 {"state": "stopped", "elapsed_seconds": 3600}, id="deployed-in-done-category"),
    # The same name in category indeterminate does not: running 2 h.
    pytest.param(H + [status("01-05 11:00", "Deployed", "indeterminate")], "01-05 12:00", RES,
                 {"state": "running", "elapsed_seconds": 7200}, id="deployed-not-done-category"),
    # Reopened by a status whose payload names no category: the stale "done" is forgotten and
    # "Reopened" is judged by name (not done), so cycle 2 runs from 12:00 (11:00Z).
    pytest.param(H + [status("01-05 11:00", "Deployed", "done"), status("01-05 12:00", "Reopened", None)],
                 "01-05 12:30", RES2, {"state": "running", "started_at": "2026-01-05T11:00:00Z",
                                       "elapsed_seconds": 1800}, id="stale-done-category-after-reopen"),
    # A resolution set resolves even while the status category says indeterminate.
    pytest.param(H + [ev(EventKind.RESOLVED, "01-05 11:00", facts={"resolution": "Fixed"})], "01-05 12:00", RES,
                 {"state": "stopped", "elapsed_seconds": 3600}, id="resolution-field-wins"),
    # -- events whose payload lacks the fact ---------------------------------------------------------
    # RESOLVED with no resolution fact and no `to`: resolved all the same ("Resolved").
    pytest.param(H + [bare(EventKind.RESOLVED, "01-05 11:00")], "01-05 12:00", RES,
                 {"state": "stopped", "elapsed_seconds": 3600}, id="bare-resolved"),
    # ... and a bare REOPENED clears it: cycle 2 from 12:00 (11:00Z).
    pytest.param(H + [bare(EventKind.RESOLVED, "01-05 11:00"), bare(EventKind.REOPENED, "01-05 12:00")],
                 "01-05 12:30", RES2, {"state": "running", "started_at": "2026-01-05T11:00:00Z"}, id="bare-reopened"),
    # A bare status change to "Done": status from `to`, the old category "new" forgotten, so
    # resolved by name at 11:00.
    pytest.param(H + [bare(EventKind.STATUS_CHANGED, "01-05 11:00", "Done")], "01-05 12:00", RES,
                 {"state": "stopped", "elapsed_seconds": 3600}, id="bare-status-done"),
    # A bare status change into the pause status pauses.
    pytest.param(H + [bare(EventKind.STATUS_CHANGED, "01-05 11:00", "Waiting for customer")], "01-05 12:00", RES,
                 {"state": "paused", "elapsed_seconds": 3600}, id="bare-status-pause"),
    # A bare priority change re-selects the policy from `to`: Medium -> standard (office).
    pytest.param(H + [bare(EventKind.PRIORITY_CHANGED, "01-05 10:10", "Medium")], "01-05 10:20", RES,
                 {"policy": "standard", "calendar": "office", "elapsed_seconds": 1200}, id="bare-priority"),
    # A status change event that carries its facts but whose `to` is empty still takes the fact.
    pytest.param(H + [ev(EventKind.STATUS_CHANGED, "01-05 11:00", facts={"status": "Done"})], "01-05 12:00",
                 RES, {"state": "stopped"}, id="status-fact-without-to"),
    # -- warnings (urgent first response warns at 50% = 15 min: 10:15 local = 09:15Z) ------------
    # Answered 1 s before, or exactly at, the warning instant: never warned.
    pytest.param(H + [comment("01-05 10:14:59")], "01-05 12:00", FR,
                 {"warnings": [{"percent": 50.0, "at": None}]}, id="stopped-before-warning"),
    pytest.param(H + [comment("01-05 10:15")], "01-05 12:00", FR,
                 {"warnings": [{"percent": 50.0, "at": None}]}, id="stopped-at-warning"),
    pytest.param(H + [comment("01-05 10:15:01")], "01-05 12:00", FR,
                 {"warnings": [{"percent": 50.0, "at": "2026-01-05T09:15:00Z"}]}, id="stopped-after-warning"),
]


@pytest.mark.parametrize("events,now,which,expected", CASES)
def test_clock(events, now, which, expected):
    clock = clock_of(events, now, which)
    assert {k: clock[k] for k in expected} == expected


def test_ticket_matching_no_policy_has_no_clocks():
    # Low matches no policy: the ticket is judged (facts, vendor) but has no clock.
    state = judge([created("01-05 10:00", "Low", assignee=ALICE)], "01-05 11:00")
    assert (state["policy"], state["vendor"], state["clocks"]) == (None, "acme", [])


def test_ticket_that_stops_matching_loses_its_clocks():
    # High at creation, lowered to Low: no policy now, so no clock is shown any more.
    state = judge(H + [priority("01-05 10:30", "Low")], "01-05 11:00")
    assert (state["policy"], state["clocks"]) == (None, [])


def test_vendor_of_ticket_and_stopped_clock_differ():
    state = judge(H + [assign("01-05 10:10", ALICE), resolve("01-05 11:00"), assign("01-05 12:00", BOB)],
                  "01-05 13:00")
    assert state["vendor"] is None  # Bob matches no vendor
    assert [c["vendor"] for c in state["clocks"]] == ["acme", "acme"]  # both stopped under Alice


def test_next_warning_at_boundaries():
    # Urgent first response: one warning at 10:15 local. Strictly after `now` only.
    def next_warning(now: str):
        state = evaluate(H, RULES, t(now))
        return {c.metric: c for c in state.clocks}["first_response"].next_warning_at

    assert next_warning("01-05 10:14:59") == t("01-05 10:15")
    assert next_warning("01-05 10:15") is None
    stopped = evaluate(H + [comment("01-05 10:05")], RULES, t("01-05 10:06"))
    assert {c.metric: c for c in stopped.clocks}["first_response"].next_warning_at is None


def test_paused_clock_warnings_and_due():
    # Resolution has no warnings in these rules; the first response pauses like any clock when
    # the reporter (not a response) moves the ticket into the pause status at 10:05.
    events = H + [status("01-05 10:05", "Waiting for customer", who=REPORTER)]
    clock = clock_of(events, "01-05 11:00", FR)
    # 5 min counted before the pause: the 15 min warning is not reached and, paused, cannot be
    # projected (None); due is unknown while paused.
    assert (clock["state"], clock["elapsed_seconds"], clock["due_at"]) == ("paused", 300, None)
    assert clock["warnings"] == [{"percent": 50.0, "at": None}]


def test_identical_instants_apply_together():
    # Created, answered and resolved at one instant: first response 0 s, resolution 0 s.
    events = [created("01-05 10:00"), comment("01-05 10:00"), resolve("01-05 10:00")]
    state = judge(events, "01-05 11:00")
    got = [(c["metric"], c["state"], c["elapsed_seconds"], c["breached"]) for c in state["clocks"]]
    assert got == [("first_response", "stopped", 0, False), ("resolution", "stopped", 0, False)]


def test_remaining_is_target_minus_elapsed():
    # Urgent first response at 10:40: 40 min of 30 min elapsed, 10 min over.
    clock = {c.metric: c for c in evaluate(H, RULES, t("01-05 10:40")).clocks}["first_response"]
    assert (clock.target.total_seconds(), clock.elapsed.total_seconds(), clock.remaining.total_seconds()) == (
        1800, 2400, -600)


ZERO = parse_rules(
    """
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["09:00-17:00"]}
  always: 24x7
policies:
  - name: urgent
    match: {priorities: [High]}
    calendar: always
    metrics: {resolution: {target: 4h}}
  - name: instant
    match: {priorities: [Lowest]}
    calendar: office
    metrics: {resolution: {target: 0s}}
""",
    path="sla-zero.yaml",
)


def test_a_new_cycle_ignores_the_stretches_before_it():
    # Sat 10 Jan: created High (24x7) 10:00, done 11:00, reopened at 12:00 and made Lowest (the
    # 0s target on the office calendar). Cycle 2 starts Sat 12:00; the stretches before it
    # (24x7) are not part of it, so a 0 s target is reached at the office's next opening, Mon
    # 12 Jan 09:00 local (08:00Z) -- not at once on 24x7 -- and at Sat 13:00 it is not breached.
    events = [created("01-10 10:00"), status("01-10 11:00", "Done", "done"),
              status("01-10 12:00", "Reopened", "indeterminate"), priority("01-10 12:00", "Lowest")]
    state = ticket_json(evaluate(events, ZERO, t("01-10 13:00")))
    clock = {(c["metric"], c["cycle"]): c for c in state["clocks"]}[RES2]
    assert (clock["policy"], clock["started_at"], clock["due_at"], clock["breached"], clock["elapsed_seconds"]) == (
        "instant", "2026-01-10T11:00:00Z", "2026-01-12T08:00:00Z", False, 0)


def test_stopped_clock_projects_its_due_time_on_the_calendar_in_force_at_stop():
    # Medium (office) created Mon 16:40, answered 16:50 (10 min), raised to High at 17:30: the
    # target becomes urgent's 30 min. Had the answered clock kept running under the policy in
    # force when it stopped (standard, office), the other 20 min would have been 16:50-17:00
    # and Tue 09:00-09:10: due Tue 09:10 local = 08:10Z (not 17:10 Mon on 24x7).
    events = [created("01-05 16:40", "Medium"), comment("01-05 16:50"), priority("01-05 17:30", "High")]
    clock = clock_of(events, "01-05 18:00", FR)
    assert (clock["policy"], clock["state"], clock["elapsed_seconds"], clock["due_at"], clock["breached"]) == (
        "urgent", "stopped", 600, "2026-01-06T08:10:00Z", False)


def test_warning_percent_is_shown_to_two_decimals():
    rules = parse_rules("""
version: 1
calendars: {always: 24x7}
policies:
  - name: p
    calendar: always
    metrics: {first_response: {target: 1h, warn_at: [12.345%]}}
""", path="sla-percent.yaml")
    # 12.345% of 1 h is 444.42 s: reached at 10:07:24.42 local (09:07:24.420000Z).
    state = ticket_json(evaluate(H, rules, t("01-05 10:00")))
    assert state["clocks"][0]["warnings"] == [{"percent": 12.35, "at": "2026-01-05T09:07:24.420000Z"}]
