"""Recomputing a ticket (processors.sla.evaluate) with the communication metrics and hand-off
clocks, against today's two metrics, on the same tickets.

    .venv/bin/python bench/handoff_bench.py [--tickets N] [--events E] [--repeat R] [--seed S] [--store]

Every ticket is a random but realistic life of E events (comments by the reporter, the desk and
two vendors' staff, internal notes, assignments back and forth, pauses, resolutions, reopens) on
a business calendar with a lunch break. Three rules files judge the same tickets:
    baseline  measure: ticket, first_response + resolution          (what Slawatch did before)
    ticket+4  measure: ticket, + next_response + periodic_update
    handoff+4 measure: handoff, the four metrics
Each of R rounds times (time.process_time: CPU time, less disturbed by other processes) evaluating all tickets under each setup in turn; the
figures are the best time per ticket and the median over the rounds of the ratio to the baseline
of the same round (the machine is shared: a round's ratio is steadier than separate bests).
With --store the same is done for what the service does to recompute a ticket
(store.recompute.recompute_ticket on a SQLite file in a temporary folder: load the ticket's
events, evaluate, replace its clock rows), the events stored once through store.ingest. The issue's bar: no more than 1.5x.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from processors.events import EventKind, Person, TicketEvent  # noqa: E402
from processors.rules import parse_rules  # noqa: E402
from processors.sla import evaluate  # noqa: E402

RULES = """\
version: 1
calendars:
  office: {{timezone: Europe/Berlin, hours: {{mon-fri: ["09:00-12:00", "13:00-18:00"]}}}}
vendors:
  acme: {{match: {{assignees: [anna, andy]}}}}
  beta: {{match: {{assignees: [ben]}}}}
policies:
  - name: p
    measure: {measure}
    calendar: office
    pause_statuses: [Waiting for customer]
    metrics: {{{metrics}}}
"""
TWO = "first_response: 4h, resolution: 2d"
FOUR = TWO + ", next_response: 4h, periodic_update: 1d"
PEOPLE = {n: Person(account_id=n, display_name=n.title()) for n in ("maria", "dora", "anna", "andy", "ben")}
START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def ticket(key: str, count: int, rng: random.Random) -> list[TicketEvent]:
    facts = {"project": "OPS", "status": "To Do", "status_category": "new", "resolution": None,
             "reporter": PEOPLE["maria"], "assignee": None}
    at = START + timedelta(minutes=rng.randrange(0, 7 * 1440))
    events = [TicketEvent(key, EventKind.CREATED, at, f"{key}:c", PEOPLE["maria"], facts=dict(facts))]
    for n in range(count - 1):
        at += timedelta(minutes=rng.randrange(1, 240))
        roll, actor, kind, public = rng.random(), PEOPLE[rng.choice(list(PEOPLE))], EventKind.COMMENTED, True
        if roll < 0.15:
            kind, facts["assignee"] = EventKind.ASSIGNEE_CHANGED, rng.choice(
                [None, PEOPLE["anna"], PEOPLE["andy"], PEOPLE["ben"]])
        elif roll < 0.25:
            kind = EventKind.STATUS_CHANGED
            facts.update(status=rng.choice(["Waiting for customer", "In Progress"]), status_category="indeterminate")
        elif roll < 0.30:
            kind = EventKind.RESOLVED if not facts["resolution"] else EventKind.REOPENED
            done = kind is EventKind.RESOLVED
            facts.update(status="Done" if done else "Reopened", status_category="done" if done else "indeterminate",
                         resolution="Done" if done else None)
        else:
            public = rng.random() < 0.85
        events.append(TicketEvent(key, kind, at, f"{key}:{n}", actor, facts=dict(facts), public=public,
                                  to_value=facts["status"]))
    return events


def run(rules, tickets, now) -> float:
    started = time.process_time()
    for events in tickets:
        evaluate(events, rules, now)
    return time.process_time() - started


def rounds(rules: dict, tickets, now, repeat: int) -> dict[str, list[float]]:
    """Seconds per setup and round; the setups take turns in every round, so a busy moment of
    the (shared) machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in rules}
    for _ in range(repeat):
        for name, r in rules.items():
            times[name].append(run(r, tickets, now))
    return times


def stored(tickets, rules) -> tuple:
    """A migrated SQLite file holding the tickets' events; (database, keys)."""
    import tempfile

    from store.db import Database, upgrade
    from store.ingest import ingest_delivery

    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    db = Database(url)
    now = max(e.at for events in tickets for e in events) + timedelta(days=1)
    for events in tickets:
        ingest_delivery(db, "jira", events[0].ticket, events, rules, now)
    return db, [events[0].ticket for events in tickets]


def store_rounds(db, keys, rules: dict, now, repeat: int) -> dict[str, list[float]]:
    from store.recompute import recompute_ticket

    def one(r) -> float:
        started = time.process_time()
        for key in keys:
            db.write(lambda session: recompute_ticket(session, key, r, now))
        return time.process_time() - started

    times: dict[str, list[float]] = {name: [] for name in rules}
    for _ in range(repeat):
        for name, r in rules.items():
            times[name].append(one(r))
    return times


def report(times: dict[str, list[float]], clocks: dict[str, int], count: int) -> None:
    for name, seconds in times.items():
        ratios = sorted(t / b for t, b in zip(seconds, times["baseline"]))
        print(f"{name:<10} {min(seconds) / count * 1e6:8.1f} us/ticket (best)  "
              f"{clocks[name] / count:5.1f} clocks/ticket  {statistics.median(ratios):5.2f}x baseline "
              f"(median of the rounds' ratios; {ratios[0]:.2f}-{ratios[-1]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--store", action="store_true", help="also time the service's recompute of a ticket")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tickets = [ticket(f"OPS-{n}", args.events, rng) for n in range(1, args.tickets + 1)]
    now = max(e.at for events in tickets for e in events) + timedelta(days=1)
    setups = {"baseline": ("ticket", TWO), "ticket+4": ("ticket", FOUR), "handoff+4": ("handoff", FOUR)}
    rules = {name: parse_rules(RULES.format(measure=m, metrics=x)) for name, (m, x) in setups.items()}
    clocks = {name: sum(len(evaluate(t, r, now).clocks) for t in tickets) for name, r in rules.items()}
    print(f"python {platform.python_version()}, {platform.machine()}; {args.tickets} tickets x "
          f"{args.events} events, best of {args.repeat}")
    report(rounds(rules, tickets, now, args.repeat), clocks, len(tickets))
    if args.store:
        db, keys = stored(tickets, rules["baseline"])
        print("store.recompute.recompute_ticket (SQLite): load events, evaluate, write clocks")
        report(store_rounds(db, keys, rules, now, args.repeat), clocks, len(tickets))
        db.dispose()


if __name__ == "__main__":
    main()
