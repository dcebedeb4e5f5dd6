"""Open tickets for bench/scheduler_bench.py, written straight into the store, fast.

The real path (webhook -> events -> recompute) costs about a millisecond a ticket; a million
would take a quarter of an hour. Instead, TEMPLATES distinct open tickets are built from real
Jira webhook bodies (tests/jira_payloads.py, parsed by connectors/jira.py) and evaluated once
each by the engine, through the same row builders the recompute uses (store/repo.py); then
every generated ticket copies one template's rows (tickets, events, clocks) under its own key
and Jira issue id. `check_sample` recomputes a sample of tickets from their stored events with
the worker's own function and compares the clock rows: a copy is what the real path would
have stored.

Each ticket is open: created in the last SPREAD, 30% answered by an agent (first response
stopped), 10% waiting for the customer (paused), the rest untouched. Every template is
evaluated at its last event plus one second, as the worker's recompute would have, and its
`plan_at` is where a worker that planned every tick up to the generation instant left it
(`processors.alerts.next_look` at that instant).
"""
from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from connectors.jira import parse_webhook  # noqa: E402
from processors.alerts import next_look  # noqa: E402
from processors.rules import Rules  # noqa: E402
from processors.sla import evaluate  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import ClockRow, Event, Ticket  # noqa: E402
from store.alerting import clock_view  # noqa: E402
from store.recompute import recompute_ticket  # noqa: E402
from store.repo import _clock_values, _event_row, _ticket_values, lock_ticket  # noqa: E402
from tests.jira_payloads import JiraTicket, user  # noqa: E402

TEMPLATES = 20_000
SPREAD = timedelta(days=3)
CHUNK = 5_000
PLACEHOLDER = 999_999_999
AGENT = user("Chen Wei")
CUSTOMER = user("Customer 1", email="customer1@client.example", account_type="customer")
# (project, issue type, priority, weight): OPS Incident High is `urgent`, ACME the vendor acme
KINDS = [("OPS", "Incident", "High", 1), ("OPS", "Service Request", "Medium", 4),
         ("ACME", "Task", "Medium", 4), ("SD", "Service Request", "Medium", 1)]


@dataclass
class Template:
    project: str
    issue_id: str
    ticket: dict
    events: list[dict]
    clocks: list[dict]


def _bodies(project: str, issuetype: str, priority: str, created: datetime, now: datetime,
            rng: random.Random) -> list[dict]:
    t = JiraTicket(f"{project}-{PLACEHOLDER}", created, reporter=CUSTOMER, issuetype=issuetype,
                   priority=priority, status="To Do")
    out, at, roll = [t.created()], created, rng.random()
    if roll < 0.4:
        at = min(now, at + timedelta(minutes=rng.uniform(5, 240)))
        out.append(t.commented(at, AGENT, body="Hello, we are looking into it."))
        out.append(t.status_changed(at + timedelta(seconds=1), "In Progress", actor=AGENT))
    if roll < 0.1:
        out.append(t.status_changed(at + timedelta(seconds=2), "Waiting for customer", actor=AGENT))
    return out


def make_templates(rules: Rules, now: datetime, count: int, seed: int = 20260105) -> list[Template]:
    rng, out = random.Random(seed), []
    while len(out) < count:
        project, issuetype, priority, _ = rng.choices(KINDS, [k[3] for k in KINDS])[0]
        created = now - timedelta(seconds=rng.uniform(0, SPREAD.total_seconds()))
        events = [e for body in _bodies(project, issuetype, priority, created, now, rng)
                  for e in parse_webhook(body) if e.at <= now]
        at = min(now, max(e.at for e in events) + timedelta(seconds=1))
        state = evaluate(events, rules, at)
        if state is None or not state.clocks:
            continue
        ticket = _ticket_values(state, at)
        clocks = [_clock_values(state.key, c, rules.version, at) for c in state.clocks]
        for clock in clocks:
            view = clock_view(ClockRow(**clock), Ticket(key=state.key, **ticket))
            clock["plan_at"] = next_look(view, rules, now)
        out.append(Template(project, str(state.facts.get("issue_id")), ticket,
                            [_event_row(e, at) for e in events], clocks))
    return out


def _copy(template: Template, number: int) -> tuple[dict, list[dict], list[dict]]:
    old_key = f"{template.project}-{PLACEHOLDER}"
    key, issue_id = f"{template.project}-{number}", str(10_000_000_000 + number)

    def swap(text: str) -> str:
        return text.replace(old_key, key).replace(template.issue_id, issue_id)

    ticket = {**template.ticket, "key": key, "issue_id": issue_id,
              "summary": swap(template.ticket["summary"] or "")}
    events = [{**e, "ticket": key, "dedup_key": swap(e["dedup_key"]), "payload": swap(e["payload"])}
              for e in template.events]
    clocks = [{**c, "ticket": key} for c in template.clocks]
    return ticket, events, clocks


def generate(db: Database, templates: list[Template], tickets: int) -> None:
    """Write `tickets` open tickets, copies of the templates in turn, CHUNK per transaction."""
    for start in range(0, tickets, CHUNK):
        rows: tuple[list, list, list] = ([], [], [])
        for number in range(start + 1, min(tickets, start + CHUNK) + 1):
            ticket, events, clocks = _copy(templates[number % len(templates)], number)
            rows[0].append(ticket)
            rows[1].extend(events)
            rows[2].extend(clocks)

        def write(session, rows=rows) -> None:
            connection = session.connection()
            for table, batch in zip((Ticket.__table__, Event.__table__, ClockRow.__table__), rows):
                connection.execute(insert(table), batch)
        db.write(write)


def _stored_clocks(session, key: str) -> list[dict]:
    rows = session.execute(select(ClockRow.__table__).where(ClockRow.ticket == key)
                           .order_by(ClockRow.metric, ClockRow.cycle)).mappings().all()
    return [{k: v for k, v in row.items() if k not in ("id", "plan_at")} for row in rows]


def check_sample(db: Database, rules: Rules, tickets: int, templates: list[Template],
                 sample: int = 50, seed: int = 7) -> int:
    """Recompute `sample` generated tickets from their events, at the instant their template was
    evaluated, and compare every clock column; raises on a difference. Rolled back."""
    rng = random.Random(seed)
    numbers = sorted(rng.sample(range(1, tickets + 1), min(sample, tickets)))
    with db.reading() as session:
        for number in numbers:
            template = templates[number % len(templates)]
            key = f"{template.project}-{number}"
            before = _stored_clocks(session, key)
            lock_ticket(session, key)
            recompute_ticket(session, key, rules, template.clocks[0]["computed_at"])
            after = _stored_clocks(session, key)
            if before != after:
                raise AssertionError(f"{key}: generated clocks differ from a recompute:\n"
                                     f"{json.dumps(before, default=str)}\n{json.dumps(after, default=str)}")
        session.rollback()
    return len(numbers)
