"""Hand-off clocks and the communication metrics (issue #11, DESIGN.md "SLA semantics"), as event
tables with the clocks they must give, all run through one real `slawatch replay` process.

Each case is one ticket: a table of (time, what happened) rows turned into the Jira webhooks
Jira would send (tests/jira_payloads.py), and a table of the clocks expected at the end:
(metric, cycle, vendor, started, stopped, elapsed, ended_by, hand-off by). Times are on Monday
2026-01-05 (UTC) unless a row says Tue; tickets are judged on Tuesday at 20:00. The rules are RULES below: `acme` (staff Anna,
Andy, Alex; matched by assignee Anna or Andy, or the component Network) and `beta` (Ben); the
client's own desk (Dora) and the customer (Maria) belong to no vendor.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from processors.rules import parse_duration
from tests.jira_payloads import MARIA, JiraTicket, user

ANNA, ANDY, BEN, DORA = user("Anna Acme"), user("Andy Acme"), user("Ben Beta"), user("Dora Desk")
PEOPLE = {"anna": ANNA, "andy": ANDY, "ben": BEN, "dora": DORA, "maria": MARIA, "nobody": None}

RULES = """\
version: 1
calendars:
  always: 24x7
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}}
vendors:
  acme:
    match: {assignees: [Anna Acme, Andy Acme], components: [Network]}
    staff: [Anna Acme, Andy Acme, Alex Acme]
  beta:
    match: {assignees: [Ben Beta]}
policies:
  - name: handoff-urgent
    match: {labels: [handoff], priorities: [High]}
    measure: handoff
    calendar: office
    pause_statuses: [Waiting for customer]
    metrics: {first_response: 30m, resolution: 4h, next_response: 1h, periodic_update: 4h}
  - name: handoff
    match: {labels: [handoff]}
    measure: handoff
    calendar: always
    pause_statuses: [Waiting for customer]
    metrics: {first_response: 1h, resolution: 8h, next_response: 2h, periodic_update: 1d}
  - name: ticket
    calendar: always
    pause_statuses: [Waiting for customer]
    metrics: {first_response: 1h, resolution: 8h, next_response: 2h, periodic_update: 1d}
"""
AT = "2026-01-06T20:00:00Z"  # when every ticket is judged

# key: (ticket options, event rows, expected clocks)
# rows: (HH:MM, action, *args); actions: assign WHO BY | comment WHO [internal] | status TO BY |
#       resolve BY | reopen BY | priority TO BY
# clocks: (metric, cycle, vendor, started, stopped|None, elapsed, ended_by|None, handoff_by|None)
CASES = {
    "TRIAGE": (  # the story: the desk triages 4h, the provider answers 1h after hand-off
        {"labels": ("handoff",)},
        [("09:00", "create"), ("10:00", "comment", "dora"), ("13:00", "assign", "anna", "dora"),
         ("14:00", "comment", "anna"), ("16:00", "resolve", "anna")],
        [("first_response", 1, "acme", "13:00", "14:00", "1h", "response", "Dora Desk"),
         ("resolution", 1, "acme", "13:00", "16:00", "3h", "resolution", "Dora Desk"),
         ("periodic_update", 1, "acme", "14:00", "16:00", "2h", "resolution", "Dora Desk")]),
    "TICKETMODE": (  # the same events under `measure: ticket`: today's meaning, unchanged
        {},
        [("09:00", "create"), ("10:00", "comment", "dora"), ("13:00", "assign", "anna", "dora"),
         ("14:00", "comment", "anna"), ("16:00", "resolve", "anna")],
        [("first_response", 1, None, "09:00", "10:00", "1h", "response", None),  # vendor when it stopped
         ("resolution", 1, "acme", "09:00", "16:00", "7h", "resolution", None),
         ("periodic_update", 1, "acme", "10:00", "14:00", "4h", "response", None),
         ("periodic_update", 2, "acme", "14:00", "16:00", "2h", "resolution", None)]),
    "HANDBACK": (  # hand-off, hand-back to the desk, another vendor, back to the first
        {"labels": ("handoff",)},
        [("09:00", "create"), ("10:00", "assign", "anna", "dora"), ("10:30", "comment", "anna"),
         ("11:00", "assign", "dora", "anna"), ("12:00", "assign", "ben", "dora"),
         ("12:15", "comment", "ben"), ("13:00", "assign", "andy", "ben"),
         ("15:00", "resolve", "dora")],
        [("first_response", 1, "acme", "10:00", "10:30", "30m", "response", "Dora Desk"),
         ("first_response", 2, "beta", "12:00", "12:15", "15m", "response", "Dora Desk"),
         ("first_response", 3, "acme", "13:00", "15:00", "2h", "resolution", "Ben Beta"),
         ("resolution", 1, "acme", "10:00", "11:00", "1h", "handaway", "Dora Desk"),
         ("resolution", 2, "beta", "12:00", "13:00", "1h", "handaway", "Dora Desk"),
         ("resolution", 3, "acme", "13:00", "15:00", "2h", "resolution", "Ben Beta"),
         ("periodic_update", 1, "acme", "10:30", "11:00", "30m", "handaway", "Dora Desk"),
         ("periodic_update", 2, "beta", "12:15", "13:00", "45m", "handaway", "Dora Desk")]),
    "SAMEINSTANT": (  # hand-off and response at the same instant: a first response of zero
        {"labels": ("handoff",)},
        [("09:00", "create"), ("10:00", "assign", "anna", "dora"), ("10:00", "comment", "anna")],
        [("first_response", 1, "acme", "10:00", "10:00", "0s", "response", "Dora Desk"),
         ("resolution", 1, "acme", "10:00", None, "34h", None, "Dora Desk"),
         ("periodic_update", 1, "acme", "10:00", None, "34h", None, "Dora Desk")]),
    "PAUSED": (  # handed off while waiting for the customer: the clock starts paused
        {"labels": ("handoff",)},
        [("09:00", "create"), ("09:30", "status", "Waiting for customer", "dora"),
         ("10:00", "assign", "anna", "dora"), ("11:00", "status", "In Progress", "dora"),
         ("11:30", "comment", "anna")],
        [("first_response", 1, "acme", "10:00", "11:30", "30m", "response", "Dora Desk"),
         ("resolution", 1, "acme", "10:00", None, "33h", None, "Dora Desk"),
         ("periodic_update", 1, "acme", "11:30", None, "32h30m", None, "Dora Desk")]),
    "REPORTERFIRST": (  # the customer writes before the first response: no next_response yet
        {"labels": ("handoff",)},
        [("09:00", "create"), ("10:00", "assign", "anna", "dora"), ("10:10", "comment", "maria"),
         ("10:30", "comment", "anna"), ("11:00", "comment", "maria"), ("11:20", "comment", "maria"),
         ("11:40", "comment", "dora"), ("12:00", "comment", "andy"), ("13:00", "resolve", "andy")],
        [("first_response", 1, "acme", "10:00", "10:30", "30m", "response", "Dora Desk"),
         ("resolution", 1, "acme", "10:00", "13:00", "3h", "resolution", "Dora Desk"),
         ("next_response", 1, "acme", "11:00", "12:00", "1h", "response", "Dora Desk"),
         ("periodic_update", 1, "acme", "10:30", "12:00", "1h30m", "response", "Dora Desk"),
         ("periodic_update", 2, "acme", "12:00", "13:00", "1h", "resolution", "Dora Desk")]),
    "SAMEVENDOR": (  # created straight to the vendor (component), then assigned within it
        {"labels": ("handoff",), "components": ("Network",)},
        [("09:00", "create"), ("10:00", "assign", "anna", "dora"), ("11:00", "assign", "andy", "anna"),
         ("11:30", "comment", "andy")],
        [("first_response", 1, "acme", "09:00", "11:30", "2h30m", "response", "Maria Lopez"),
         ("resolution", 1, "acme", "09:00", None, "35h", None, "Maria Lopez"),
         ("periodic_update", 1, "acme", "11:30", None, "32h30m", None, "Maria Lopez")]),
    "STAFFREPORTER": (  # a staff member reports the ticket: her comments are the vendor's
        {"labels": ("handoff",), "components": ("Network",), "reporter": ANNA},
        [("09:00", "create"), ("09:20", "comment", "anna"), ("10:00", "comment", "anna")],
        [("first_response", 1, "acme", "09:00", "09:20", "20m", "response", "Anna Acme"),
         ("resolution", 1, "acme", "09:00", None, "35h", None, "Anna Acme"),
         ("periodic_update", 1, "acme", "09:20", "10:00", "40m", "response", "Anna Acme"),
         ("periodic_update", 2, "acme", "10:00", None, "34h", None, "Anna Acme")]),
    "POLICYCHANGE": (  # the episode starts under `handoff` (24x7), goes on under `handoff-urgent`
        {"labels": ("handoff",)},  # (office hours 09-17): elapsed is kept, the new target applies
        [("09:00", "create"), ("16:00", "assign", "anna", "dora"), ("16:30", "priority", "High", "dora"),
         ("Tue 09:30", "comment", "anna")],
        [("first_response", 1, "acme", "16:00", "Tue 09:30", "1h30m", "response", "Dora Desk"),
         ("resolution", 1, "acme", "16:00", None, "9h", None, "Dora Desk"),
         ("periodic_update", 1, "acme", "Tue 09:30", None, "7h30m", None, "Dora Desk")]),
    "REOPEN": (  # a reopen while still with the vendor begins a new episode
        {"labels": ("handoff",)},
        [("09:00", "create"), ("10:00", "assign", "anna", "dora"), ("10:15", "comment", "anna"),
         ("11:00", "resolve", "anna"), ("12:00", "reopen", "maria"), ("12:30", "comment", "anna"),
         ("13:00", "resolve", "anna")],
        [("first_response", 1, "acme", "10:00", "10:15", "15m", "response", "Dora Desk"),
         ("first_response", 2, "acme", "12:00", "12:30", "30m", "response", "Maria Lopez"),
         ("resolution", 1, "acme", "10:00", "11:00", "1h", "resolution", "Dora Desk"),
         ("resolution", 2, "acme", "12:00", "13:00", "1h", "resolution", "Maria Lopez"),
         ("periodic_update", 1, "acme", "10:15", "11:00", "45m", "resolution", "Dora Desk"),
         ("periodic_update", 2, "acme", "12:30", "13:00", "30m", "resolution", "Maria Lopez")]),
    "NOVENDOR": (  # never handed off: a hand-off policy has no clock at all
        {"labels": ("handoff",)},
        [("09:00", "create"), ("09:30", "comment", "dora"), ("10:00", "resolve", "dora")],
        []),
    "NEXTREPLY": (  # ticket measure: next reply and periodic update by anyone but the reporter
        {},
        [("09:00", "create"), ("09:30", "comment", "dora"), ("10:00", "comment", "maria"),
         ("10:20", "comment", "maria"), ("11:00", "comment", "dora", "internal"),
         ("12:30", "comment", "dora"), ("13:00", "comment", "maria"), ("14:00", "resolve", "dora")],
        [("first_response", 1, None, "09:00", "09:30", "30m", "response", None),
         ("resolution", 1, None, "09:00", "14:00", "5h", "resolution", None),
         ("next_response", 1, None, "10:00", "12:30", "2h30m", "response", None),
         ("next_response", 2, None, "13:00", "14:00", "1h", "resolution", None),
         ("periodic_update", 1, None, "09:30", "12:30", "3h", "response", None),
         ("periodic_update", 2, None, "12:30", "14:00", "1h30m", "resolution", None)]),
}


def _at(text: str) -> datetime:
    day = 5
    if text.startswith("Tue "):
        day, text = 6, text[4:]
    hour, minute = text.split(":")
    return datetime(2026, 1, day, int(hour), int(minute), tzinfo=timezone.utc)


def _iso(text: str | None) -> str | None:
    return None if text is None else _at(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(text: str) -> int:
    return int(parse_duration(text).total_seconds())  # "1h30m" as rules.yaml writes durations


def _payloads(key: str, options: dict, rows: list[tuple]) -> list[dict]:
    ticket = JiraTicket(f"{key}-1", _at(rows[0][0]), **options)
    out = []
    for when, action, *args in rows:
        at = _at(when)
        if action == "create":
            out.append(ticket.created())
        elif action == "assign":
            out.append(ticket.assigned(at, PEOPLE[args[0]], actor=PEOPLE[args[1]]))
        elif action == "comment":
            out.append(ticket.commented(at, PEOPLE[args[0]], public="internal" not in args))
        elif action == "status":
            out.append(ticket.status_changed(at, args[0], actor=PEOPLE[args[1]]))
        elif action == "resolve":
            out.append(ticket.resolved(at, actor=PEOPLE[args[0]]))
        elif action == "reopen":
            out.append(ticket.reopened(at, actor=PEOPLE[args[0]]))
        elif action == "priority":
            out.append(ticket.priority_changed(at, args[0], actor=PEOPLE[args[1]]))
        else:
            raise AssertionError(action)
    return out


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("handoff")
    (folder / "rules.yaml").write_text(RULES)
    lines = [json.dumps(p) for key, (options, rows, _) in CASES.items() for p in _payloads(key, options, rows)]
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
    command = [str(Path(sys.executable).parent / "slawatch"), "replay", "--rules", str(folder / "rules.yaml"),
               "--events", str(folder / "events.jsonl"), "--at", AT]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {ticket["key"].rsplit("-", 1)[0]: ticket for ticket in json.loads(result.stdout)["tickets"]}


@pytest.mark.parametrize("key", list(CASES))
def test_clocks_of_the_event_table(key, replayed):
    _, _, expected = CASES[key]
    ticket = replayed[key]
    got = [(c["metric"], c["cycle"], c["vendor"], c["started_at"], c["stopped_at"], c["elapsed_seconds"],
            c["ended_by"], c["handoff_by"]) for c in ticket["clocks"]]
    want = [(metric, cycle, vendor, _iso(start), _iso(stop), _seconds(elapsed), ended_by, by)
            for metric, cycle, vendor, start, stop, elapsed, ended_by, by in expected]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_hand_off_clocks_carry_the_hand_off_instant_and_the_measure(replayed):
    clocks = replayed["HANDBACK"]["clocks"]
    third = next(c for c in clocks if c["metric"] == "first_response" and c["cycle"] == 3)
    assert (third["measure"], third["handoff_at"], third["handoff_by"]) == (
        "handoff", "2026-01-05T13:00:00Z", "Ben Beta")
    assert third["policy"] == "handoff"
    ticket_clock = replayed["TICKETMODE"]["clocks"][0]
    assert (ticket_clock["measure"], ticket_clock["handoff_at"]) == ("ticket", None)


def test_a_clock_ended_by_a_hand_away_is_judged_against_its_target(replayed):
    """Beta's resolution clock ran 1h of its 8h: met; the policy change's first response ran 1h30m
    of the 30m the urgent policy gives: breached when it reached 30m, at 16:30 on Monday."""
    beta = next(c for c in replayed["HANDBACK"]["clocks"] if c["metric"] == "resolution" and c["cycle"] == 2)
    assert (beta["state"], beta["breached"], beta["ended_by"]) == ("stopped", False, "handaway")
    urgent = next(c for c in replayed["POLICYCHANGE"]["clocks"] if c["metric"] == "first_response")
    assert (urgent["policy"], urgent["target_seconds"], urgent["breached_at"]) == (
        "handoff-urgent", 1800, "2026-01-05T16:30:00Z")


def _evaluate(extra: list) -> list:
    """The engine on TRIAGE's first three rows plus `extra` events (as the connectors make them)."""
    from connectors.replay import read_events
    from processors.rules import parse_rules
    from processors.sla import evaluate

    options, rows, _ = CASES["TRIAGE"]
    events = read_events([json.dumps(p) for p in _payloads("TRIAGE", options, rows[:3])])
    state = evaluate(events + extra, parse_rules(RULES), _at("18:00"))
    return [(c.metric, c.stopped_at, c.ended_by) for c in state.clocks if c.metric == "first_response"]


def test_a_slack_answer_by_a_user_mapped_to_the_vendors_staff_is_its_first_response():
    """connectors/slack_responses.py makes the actor of a Slack answer from the Slack user (id,
    profile email and name); a staff entry naming that person matches it."""
    from processors.events import EventKind, Person, TicketEvent

    def answer(at: str, who: Person) -> TicketEvent:
        return TicketEvent("TRIAGE-1", EventKind.SLACK_RESPONSE, _at(at), f"slack:C1:{at}", actor=who,
                           source="slack")

    anna = Person(account_id="U024BE7LH", email=None, display_name="Anna Acme")
    dora = Person(account_id="U0DORA001", email=None, display_name="Dora Desk")
    assert _evaluate([answer("13:10", dora)]) == [("first_response", None, None)]
    assert _evaluate([answer("13:10", dora), answer("13:20", anna)]) == [
        ("first_response", _at("13:20"), "response")]


# The worked example of docs/rules.md ("Hand-off policies"), under the example rules.yaml: policy
# `database` (measure: handoff, calendar `support`: Asia/Shanghai, 09:00-12:00 and 13:00-18:00).
WANG, CST = user("Wang Lei"), "+08:00"
DOC_EXAMPLE = [  # (local time, action, *args)
    ("2026-03-02T09:00", "create"), ("2026-03-02T10:00", "comment", "dora"),
    ("2026-03-02T14:00", "assign", "wang", "dora"), ("2026-03-02T15:00", "comment", "wang"),
    ("2026-03-02T16:00", "comment", "maria"), ("2026-03-02T17:30", "comment", "wang"),
    ("2026-03-03T10:00", "assign", "dora", "wang"), ("2026-03-03T11:00", "assign", "wang", "dora"),
    ("2026-03-03T13:30", "resolve", "wang")]
DOC_CLOCKS = [  # (metric, cycle, started, stopped, elapsed, ended_by), times local
    ("first_response", 1, "03-02 14:00", "03-02 15:00", "1h", "response"),
    ("first_response", 2, "03-03 11:00", "03-03 13:30", "1h30m", "response"),
    ("resolution", 1, "03-02 14:00", "03-03 10:00", "5h", "handaway"),
    ("resolution", 2, "03-03 11:00", "03-03 13:30", "1h30m", "resolution"),
    ("next_response", 1, "03-02 16:00", "03-02 17:30", "1h30m", "response"),
    ("periodic_update", 1, "03-02 15:00", "03-02 17:30", "2h30m", "response"),
    ("periodic_update", 2, "03-02 17:30", "03-03 10:00", "1h30m", "handaway"),
]


def test_the_worked_example_of_docs_rules_md(tmp_path):
    people = {**PEOPLE, "wang": WANG}
    at = lambda text: datetime.fromisoformat(text + CST)  # noqa: E731
    ticket = JiraTicket("DB-7", at(DOC_EXAMPLE[0][0]), summary="Replica lag on db-03")
    payloads = []
    for when, action, *args in DOC_EXAMPLE:
        if action == "create":
            payloads.append(ticket.created())
        elif action == "comment":
            payloads.append(ticket.commented(at(when), people[args[0]]))
        elif action == "assign":
            payloads.append(ticket.assigned(at(when), people[args[0]], actor=people[args[1]]))
        else:
            payloads.append(ticket.resolved(at(when), actor=people[args[0]]))
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(p) + "\n" for p in payloads))
    rules = Path(__file__).resolve().parents[1] / "rules.yaml"
    command = [str(Path(sys.executable).parent / "slawatch"), "replay", "--rules", str(rules),
               "--events", str(tmp_path / "events.jsonl"), "--at", "2026-03-04T00:00:00Z"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    [state] = json.loads(result.stdout)["tickets"]
    assert state["policy"] == "database"

    def local(text: str | None) -> str | None:
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(
            datetime.fromisoformat("2026-03-02T00:00" + CST).tzinfo).strftime("%m-%d %H:%M")

    got = [(c["metric"], c["cycle"], local(c["started_at"]), local(c["stopped_at"]), c["elapsed_seconds"],
            c["ended_by"]) for c in state["clocks"]]
    assert got == [(m, n, a, b, _seconds(e), why) for m, n, a, b, e, why in DOC_CLOCKS]
    assert {c["vendor"] for c in state["clocks"]} == {"globex"}
    assert [c["handoff_by"] for c in state["clocks"] if c["metric"] == "first_response"] == ["Dora Desk"] * 2
