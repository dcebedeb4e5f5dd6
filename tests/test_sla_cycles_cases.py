"""Hand-off clocks and the communication metrics (processors/sla_cycles.py, through `evaluate`) at
their boundaries, as tables: each row is a ticket's events, the instant it is judged at, and every
clock expected, worked out by hand (the comment says how). Only the public surface is used
(`evaluate`, `ticket_json`), so the rows hold whatever the engine's insides become.

Times are UTC on Monday 2026-01-05 ("10:00", "10:00:01"). Every calendar is 24x7, so a clock's
elapsed time is its wall-clock time less its pauses. Rules (RULES): vendor `acme` (matched by
assignee Anna; staff Anna and Andy), vendor `beta` (matched by assignee Ben; no staff list, so
its staff is Ben); policy `handoff` (label handoff, `measure: handoff`) and the catch-all
`ticket` (`measure: ticket`), both with all four metrics and the pause status "Waiting for
customer". Maria reports every ticket; Dora is the client's own desk (no vendor).

A clock row: (metric, cycle, vendor, started, stopped, elapsed, ended_by, hand-off), where
hand-off is "HH:MM who" (the episode's start and who made the hand-off; "HH:MM" alone when nobody
is named) or None (ticket measure).
"""
from __future__ import annotations

from datetime import datetime
from itertools import count

import pytest

from processors.events import EventKind, Person, TicketEvent
from processors.rules import parse_duration, parse_rules
from processors.sla import evaluate, ticket_json

RULES = parse_rules(
    """
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    match: {assignees: [anna@acme.example]}
    staff: [anna@acme.example, andy@acme.example]
  beta:
    match: {assignees: [ben@beta.example]}
policies:
  - name: handoff
    match: {labels: [handoff]}
    measure: handoff
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics: {first_response: 1h, resolution: 8h, next_response: 2h, periodic_update: 4h}
  - name: ticket
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics: {first_response: 1h, resolution: 8h, next_response: 2h, periodic_update: 4h}
""",
    path="sla-cycles-cases.yaml",
)

# Only a hand-off policy, without the communication metrics: the engine must still keep the
# instant-by-instant record the episodes are made from.
HANDOFF_ONLY = parse_rules(
    """
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    match: {assignees: [anna@acme.example]}
    staff: [anna@acme.example, andy@acme.example]
policies:
  - name: handoff
    measure: handoff
    calendar: always
    metrics: {first_response: 1h, resolution: 8h}
""",
    path="sla-cycles-handoff-only.yaml",
)

MARIA = Person(account_id="m-1", display_name="Maria", email="maria@client.example")  # reporter
DORA = Person(account_id="d-1", display_name="Dora", email="dora@client.example")  # desk, no vendor
ANNA = Person(account_id="a-1", display_name="Anna", email="anna@acme.example")  # acme
ANDY = Person(account_id="a-2", display_name="Andy", email="andy@acme.example")  # acme staff
BEN = Person(account_id="b-1", display_name="Ben", email="ben@beta.example")  # beta
_ids = count(1)


def t(text: str) -> datetime:
    """'HH:MM[:SS]' on Monday 2026-01-05, UTC."""
    text += ":00" if text.count(":") == 1 else ""
    return datetime.fromisoformat(f"2026-01-05T{text}+00:00")


def ev(kind: EventKind, at: str, who: Person | None, **fields) -> TicketEvent:
    return TicketEvent("OPS-1", kind, t(at), f"e{next(_ids)}", actor=who, **fields)


def created(at: str = "09:00", handoff: bool = True, **facts) -> TicketEvent:
    base = {"project": "OPS", "priority": "Medium", "status": "Open", "status_category": "new",
            "issuetype": "Incident", "summary": "Replica lag", "reporter": MARIA, "assignee": None,
            "resolution": None, "labels": ("handoff",) if handoff else (), "components": ()}
    return ev(EventKind.CREATED, at, MARIA, facts=base | facts)


def comment(at: str, who: Person | None, public: bool = True) -> TicketEvent:
    return ev(EventKind.COMMENTED, at, who, public=public)


def assign(at: str, to: Person | None, by: Person | None) -> TicketEvent:
    return ev(EventKind.ASSIGNEE_CHANGED, at, by, facts={"assignee": to})


def status(at: str, to: str, by: Person) -> TicketEvent:
    return ev(EventKind.STATUS_CHANGED, at, by, to_value=to,
              facts={"status": to, "status_category": "indeterminate"})


def resolve(at: str, by: Person) -> TicketEvent:
    return ev(EventKind.RESOLVED, at, by, to_value="Done",
              facts={"resolution": "Done", "status": "Done", "status_category": "done"})


def reopen(at: str, by: Person) -> TicketEvent:
    return ev(EventKind.REOPENED, at, by, to_value="Reopened",
              facts={"resolution": None, "status": "Reopened", "status_category": "indeterminate"})


def slack(at: str, who: Person) -> TicketEvent:
    return ev(EventKind.SLACK_RESPONSE, at, who, source="slack")


def _seconds(text: str) -> int:
    return int(parse_duration(text).total_seconds())  # "1h30m" as rules.yaml writes durations


def _iso(text: str | None) -> str | None:
    return None if text is None else t(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def clocks(events: list[TicketEvent], now: str, rules=RULES) -> list[tuple]:
    state = evaluate(events, rules, t(now))
    assert state is not None
    return [(c["metric"], c["cycle"], c["vendor"], c["started_at"], c["stopped_at"], c["elapsed_seconds"],
             c["ended_by"], c["handoff_at"], c["handoff_by"]) for c in ticket_json(state)["clocks"]]


def want(rows: list[tuple]) -> list[tuple]:
    out = []
    for metric, cycle, vendor, start, stop, elapsed, ended_by, handoff in rows:
        at, _, by = (handoff or "").partition(" ")
        at, by = at or None, by or None
        out.append((metric, cycle, vendor, _iso(start), _iso(stop), _seconds(elapsed), ended_by, _iso(at), by))
    return out


FR, RES, NR, PU = "first_response", "resolution", "next_response", "periodic_update"

# (id, events, now, expected clocks in the engine's order: metric by metric, cycles in time order)
CASES = [
    # -- hand-off episodes ------------------------------------------------------------------
    # Handed to Anna at 10:00 by Dora: the episode's clocks start then, not at creation (09:00).
    # Anna answers 10:30 (first response 30m, starts an update cycle); Maria writes 11:00 after
    # that first response (a reply cycle starts); Anna's 11:30 comment stops both cycles and starts
    # the next update cycle, which the 12:00 resolution stops (as it stops the episode: 2h).
    ("episode", [created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA), comment("11:00", MARIA),
                 comment("11:30", ANNA), resolve("12:00", ANNA)], "18:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", "12:00", "2h", "resolution", "10:00 Dora"),
      (NR, 1, "acme", "11:00", "11:30", "30m", "response", "10:00 Dora"),
      (PU, 1, "acme", "10:30", "11:30", "1h", "response", "10:00 Dora"),
      (PU, 2, "acme", "11:30", "12:00", "30m", "resolution", "10:00 Dora")]),
    # The hand-off and Anna's comment at one instant: a first response of 0 s, and the update
    # cycle starts at the hand-off instant itself. The hand-off is Dora's (the assignment), not
    # Anna's, although Anna's comment comes first among the events of 10:00.
    ("same-instant", [created(), comment("10:00", ANNA), assign("10:00", ANNA, DORA)], "12:00",
     [(FR, 1, "acme", "10:00", "10:00", "0s", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "2h", None, "10:00 Dora"),
      (PU, 1, "acme", "10:00", None, "2h", None, "10:00 Dora")]),
    # An assignment without an actor (e.g. an automation): the hand-off is credited to the other
    # event of that instant that has one, Andy's comment (also acme's first response, 0 s).
    ("handoff-by-other-event", [created(), comment("10:00", ANDY), assign("10:00", ANNA, None)], "11:00",
     [(FR, 1, "acme", "10:00", "10:00", "0s", "response", "10:00 Andy"),
      (RES, 1, "acme", "10:00", None, "1h", None, "10:00 Andy"),
      (PU, 1, "acme", "10:00", None, "1h", None, "10:00 Andy")]),
    # No event of the hand-off instant has an actor: nobody is named.
    ("handoff-by-nobody", [created(), assign("10:00", ANNA, None)], "11:00",
     [(FR, 1, "acme", "10:00", None, "1h", None, "10:00"),
      (RES, 1, "acme", "10:00", None, "1h", None, "10:00")]),
    # Created straight to the vendor: the creation is the hand-off, by the reporter.
    ("created-to-vendor", [created(assignee=ANNA), comment("09:45", ANNA)], "10:00",
     [(FR, 1, "acme", "09:00", "09:45", "45m", "response", "09:00 Maria"),
      (RES, 1, "acme", "09:00", None, "1h", None, "09:00 Maria"),
      (PU, 1, "acme", "09:45", None, "15m", None, "09:00 Maria")]),
    # An assignment stamped a minute before the creation (clock skew): the episode begins at the
    # creation, 09:00, not at 08:59.
    ("assigned-before-creation", [assign("08:59", ANNA, DORA), created(assignee=ANNA),
                                  comment("09:30", ANNA)], "10:00",
     [(FR, 1, "acme", "09:00", "09:30", "30m", "response", "09:00 Dora"),
      (RES, 1, "acme", "09:00", None, "1h", None, "09:00 Dora"),
      (PU, 1, "acme", "09:30", None, "30m", None, "09:00 Dora")]),
    # Anna's first answer comes at the very instant the ticket is handed to Ben: it is acme's
    # first response (the hand-away instant belongs to the episode), 2h; Ben's episode starts
    # then, unanswered 1h later. Anna's comment at the hand-away instant starts no update cycle
    # (the episode is over) and, not being Ben's staff, none for beta.
    ("response-at-handaway", [created(), assign("10:00", ANNA, DORA), comment("12:00", ANNA),
                              assign("12:00", BEN, DORA)], "13:00",
     [(FR, 1, "acme", "10:00", "12:00", "2h", "response", "10:00 Dora"),
      (FR, 2, "beta", "12:00", None, "1h", None, "12:00 Dora"),
      (RES, 1, "acme", "10:00", "12:00", "2h", "handaway", "10:00 Dora"),
      (RES, 2, "beta", "12:00", None, "1h", None, "12:00 Dora")]),
    # Cycles running at the hand-away instant, which Anna answers at that instant: they end by
    # her response (a reply of 1h, an update of 1h30m), not by the hand-away, and none starts.
    ("cycles-answered-at-handaway", [created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA),
                                     comment("11:00", MARIA), comment("12:00", ANNA),
                                     assign("12:00", BEN, DORA)], "13:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (FR, 2, "beta", "12:00", None, "1h", None, "12:00 Dora"),
      (RES, 1, "acme", "10:00", "12:00", "2h", "handaway", "10:00 Dora"),
      (RES, 2, "beta", "12:00", None, "1h", None, "12:00 Dora"),
      (NR, 1, "acme", "11:00", "12:00", "1h", "response", "10:00 Dora"),
      (PU, 1, "acme", "10:30", "12:00", "1h30m", "response", "10:00 Dora")]),
    # Handed back to the desk at 12:00 while Maria writes at that instant: the running cycles end
    # by the hand-away (Maria is no answer), and her comment starts no reply (the episode is over).
    ("cycles-ended-by-handaway", [created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA),
                                  comment("11:00", MARIA), comment("12:00", MARIA),
                                  assign("12:00", DORA, DORA)], "13:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", "12:00", "2h", "handaway", "10:00 Dora"),
      (NR, 1, "acme", "11:00", "12:00", "1h", "handaway", "10:00 Dora"),
      (PU, 1, "acme", "10:30", "12:00", "1h30m", "handaway", "10:00 Dora")]),
    # Acme to beta: beta's window begins at 11:00 (the moments before it are skipped, the later
    # ones still looked at): Ben's 11:30 answer is beta's first response and starts its update
    # cycle; the hand-off to beta is Anna's.
    ("second-episode", [created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA),
                        assign("11:00", BEN, ANNA), comment("11:30", BEN)], "12:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (FR, 2, "beta", "11:00", "11:30", "30m", "response", "11:00 Anna"),
      (RES, 1, "acme", "10:00", "11:00", "1h", "handaway", "10:00 Dora"),
      (RES, 2, "beta", "11:00", None, "1h", None, "11:00 Anna"),
      (PU, 1, "acme", "10:30", "11:00", "30m", "handaway", "10:00 Dora"),
      (PU, 2, "beta", "11:30", None, "30m", None, "11:00 Anna")]),
    # Resolved while with acme, reopened (by Maria) while still with acme: a new episode, credited
    # to the reopen's actor (a reopen is no assignment: the instant's first actor).
    ("reopen-with-vendor", [created(), assign("10:00", ANNA, DORA), comment("10:15", ANNA),
                            resolve("11:00", ANNA), reopen("12:00", MARIA), comment("12:30", ANNA)], "13:00",
     [(FR, 1, "acme", "10:00", "10:15", "15m", "response", "10:00 Dora"),
      (FR, 2, "acme", "12:00", "12:30", "30m", "response", "12:00 Maria"),
      (RES, 1, "acme", "10:00", "11:00", "1h", "resolution", "10:00 Dora"),
      (RES, 2, "acme", "12:00", None, "1h", None, "12:00 Maria"),
      (PU, 1, "acme", "10:15", "11:00", "45m", "resolution", "10:00 Dora"),
      (PU, 2, "acme", "12:30", None, "30m", None, "12:00 Maria")]),
    # Assigned to Anna while resolved: no episode (nothing to do); the reopen at 12:00 hands it
    # over, so the episode begins then.
    ("assigned-while-resolved", [created(), resolve("10:00", DORA), assign("11:00", ANNA, DORA),
                                 reopen("12:00", MARIA)], "13:00",
     [(FR, 1, "acme", "12:00", None, "1h", None, "12:00 Maria"),
      (RES, 1, "acme", "12:00", None, "1h", None, "12:00 Maria")]),
    # Assigned and resolved at one instant: no episode, no clock.
    ("assigned-and-resolved", [created(), assign("10:00", ANNA, DORA), resolve("10:00", DORA)], "11:00", []),
    # Never handed to a vendor: a hand-off policy has no clock at all.
    ("never-handed-off", [created(), comment("09:30", DORA), comment("09:40", MARIA)], "11:00", []),
    # -- what is a staff answer ---------------------------------------------------------------
    # Anna's internal comment (10:20) is no response; Andy's status change (10:40) is one, 40m,
    # but no comment, so it starts no update cycle; Maria's 11:00 comment, after it, starts a
    # reply cycle, unanswered at 12:00 (1h).
    ("internal-then-status", [created(), assign("10:00", ANNA, DORA), comment("10:20", ANNA, public=False),
                              status("10:40", "In Progress", ANDY), comment("11:00", MARIA)], "12:00",
     [(FR, 1, "acme", "10:00", "10:40", "40m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "2h", None, "10:00 Dora"),
      (NR, 1, "acme", "11:00", None, "1h", None, "10:00 Dora")]),
    # Maria writes at the very instant of the first response (Anna's status change): a reply
    # cycle starts then (the first response is at or before it).
    ("reporter-at-first-response", [created(), assign("10:00", ANNA, DORA), comment("10:40", MARIA),
                                    status("10:40", "In Progress", ANNA)], "12:00",
     [(FR, 1, "acme", "10:00", "10:40", "40m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "2h", None, "10:00 Dora"),
      (NR, 1, "acme", "10:40", None, "1h20m", None, "10:00 Dora")]),
    # A second before the first response, Maria's comment starts nothing (no reply is owed before
    # the first response); at 10:40 Anna's status change answers, but nothing runs.
    ("reporter-before-first-response", [created(), assign("10:00", ANNA, DORA), comment("10:39:59", MARIA),
                                        status("10:40", "In Progress", ANNA)], "12:00",
     [(FR, 1, "acme", "10:00", "10:40", "40m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "2h", None, "10:00 Dora")]),
    # Slack answers: Dora's (not acme staff) is none, Andy's (staff) is the first response; a
    # Slack answer is no comment, so no update cycle starts.
    ("slack-answers", [created(), assign("10:00", ANNA, DORA), slack("10:10", DORA), slack("10:20", ANDY)],
     "11:00",
     [(FR, 1, "acme", "10:00", "10:20", "20m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "1h", None, "10:00 Dora")]),
    # Dora (the desk: neither acme's staff nor the reporter) comments after the first response:
    # she owes acme no reply and gives no update.
    ("desk-comment", [created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA), comment("11:00", DORA)],
     "12:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "2h", None, "10:00 Dora"),
      (PU, 1, "acme", "10:30", None, "1h30m", None, "10:00 Dora")]),
    # Maria writes twice before an answer: the reply cycle starts at the first (11:00) and is not
    # restarted at 11:20; Dora's comment (11:40) does not answer it; Andy's (12:00) does, and
    # also stops the update cycle Anna started at 10:30 and starts the next one.
    ("reply-not-restarted", [created(), assign("10:00", ANNA, DORA), comment("10:10", MARIA),
                             comment("10:30", ANNA), comment("11:00", MARIA), comment("11:20", MARIA),
                             comment("11:40", DORA), comment("12:00", ANDY)], "13:00",
     [(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
      (RES, 1, "acme", "10:00", None, "3h", None, "10:00 Dora"),
      (NR, 1, "acme", "11:00", "12:00", "1h", "response", "10:00 Dora"),
      (PU, 1, "acme", "10:30", "12:00", "1h30m", "response", "10:00 Dora"),
      (PU, 2, "acme", "12:00", None, "1h", None, "10:00 Dora")]),
    # -- ticket measure: the whole ticket is one window, anyone but the reporter answers --------
    # Dora answers 09:30 (first response, update cycle); Maria 10:00 (reply cycle); the 11:00
    # resolution stops both; Maria's reopen (no comment) starts nothing; her 12:10 comment starts
    # a reply cycle (the first response was long ago), Dora's 12:30 answer stops it and starts an
    # update cycle, running at 13:00. No vendor: the ticket has no assignee.
    ("ticket-reopened", [created(handoff=False), comment("09:30", DORA), comment("10:00", MARIA),
                         resolve("11:00", DORA), reopen("12:00", MARIA), comment("12:10", MARIA),
                         comment("12:30", DORA)], "13:00",
     [(FR, 1, None, "09:00", "09:30", "30m", "response", None),
      (RES, 1, None, "09:00", "11:00", "2h", "resolution", None),
      (RES, 2, None, "12:00", None, "1h", None, None),
      (NR, 1, None, "10:00", "11:00", "1h", "resolution", None),
      (NR, 2, None, "12:10", "12:30", "20m", "response", None),
      (PU, 1, None, "09:30", "11:00", "1h30m", "resolution", None),
      (PU, 2, None, "12:30", None, "30m", None, None)]),
    # Resolved (by the reporter) before anyone answered: the first response clock ends by the
    # resolution, 1h, as the resolution clock does.
    ("ticket-resolved-unanswered", [created(handoff=False), resolve("10:00", MARIA)], "11:00",
     [(FR, 1, None, "09:00", "10:00", "1h", "resolution", None),
      (RES, 1, None, "09:00", "10:00", "1h", "resolution", None)]),
    # Nobody has answered yet: Maria's comment starts no reply cycle (no first response).
    ("ticket-no-response-yet", [created(handoff=False), comment("09:10", MARIA)], "10:00",
     [(FR, 1, None, "09:00", None, "1h", None, None),
      (RES, 1, None, "09:00", None, "1h", None, None)]),
    # A comment whose author is unknown is an answer (as for the first response): 09:20 is the
    # first response and starts an update cycle; Maria's 09:10 comment came before it.
    ("ticket-unknown-author", [created(handoff=False), comment("09:10", MARIA), comment("09:20", None)],
     "10:00",
     [(FR, 1, None, "09:00", "09:20", "20m", "response", None),
      (RES, 1, None, "09:00", None, "1h", None, None),
      (PU, 1, None, "09:20", None, "40m", None, None)]),
    # Dora moves the ticket out of Open at 10:00 (a first response) while Maria writes: a reply
    # cycle starts at 10:00. A status change is no comment: no update cycle.
    ("ticket-reporter-at-first-response", [created(handoff=False), comment("10:00", MARIA),
                                           status("10:00", "In Progress", DORA)], "11:00",
     [(FR, 1, None, "09:00", "10:00", "1h", "response", None),
      (RES, 1, None, "09:00", None, "2h", None, None),
      (NR, 1, None, "10:00", None, "1h", None, None)]),
    # A ticket without a reporter: everyone's comment is an answer, no reply is ever owed.
    ("ticket-no-reporter", [created(handoff=False, reporter=None), comment("09:10", MARIA)], "10:00",
     [(FR, 1, None, "09:00", "09:10", "10m", "response", None),
      (RES, 1, None, "09:00", None, "1h", None, None),
      (PU, 1, None, "09:10", None, "50m", None, None)]),
    # Waiting for the customer pauses an update cycle (no business time counts): 10:00-10:30
    # counted, paused 10:30-11:00, counted 11:00-11:30 = 1h of the 1h30m.
    ("ticket-update-paused", [created(handoff=False), comment("10:00", DORA),
                              status("10:30", "Waiting for customer", DORA), status("11:00", "In Progress", DORA)],
     "11:30",
     [(FR, 1, None, "09:00", "10:00", "1h", "response", None),
      (RES, 1, None, "09:00", None, "2h", None, None),
      (PU, 1, None, "10:00", None, "1h", None, None)]),
]


@pytest.mark.parametrize("events, now, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_clocks(events, now, expected):
    assert clocks(events, now) == want(expected)


def test_a_handoff_policy_without_communication_metrics_still_finds_its_episodes():
    """The only policy measures hand-offs and has no next_response / periodic_update: Anna's
    episode from 10:00 still gives its two clocks (answered 10:30: 30m; running at 11:00: 1h)."""
    got = clocks([created(), assign("10:00", ANNA, DORA), comment("10:30", ANNA)], "11:00", HANDOFF_ONLY)
    assert got == want([(FR, 1, "acme", "10:00", "10:30", "30m", "response", "10:00 Dora"),
                        (RES, 1, "acme", "10:00", None, "1h", None, "10:00 Dora")])
