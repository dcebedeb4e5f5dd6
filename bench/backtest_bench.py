"""`slawatch backtest` speed: N tickets' events over a year, generated straight into a SQLite file,
then the backtest of a tightened rules file against the rules in force (the repo's rules.yaml:
business-hours calendar with Chinese holidays, two policies, a vendor).

    .venv/bin/python bench/backtest_bench.py [--tickets 100000] [--db /tmp/backtest-bench.db] [--keep]
                                             [--workers 1]

The clock cache under the rules in force is generated too (as the service keeps it), so the
backtest evaluates each ticket once, under the proposed rules. Each ticket: created, an agent comment (first response), In Progress, sometimes a pause in
"Waiting for customer" and back, resolved (Done); one in ten reopened and resolved again; about
seven events a ticket. Creation times are spread over the 365 days before 2026-11-01. The file is
reused when it already holds N tickets (--keep), so generation time is not part of the timing.
Prints the generation time, the backtest wall time, tickets per second, and the summary lines.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.backtest import render  # noqa: E402
from processors.events import EventKind, Person, TicketEvent  # noqa: E402
from processors.periods import Period  # noqa: E402
from processors.rules import Rules, load_rules, parse_rules  # noqa: E402
from processors.sla import evaluate  # noqa: E402
from store.backtest import run_backtest  # noqa: E402
from store.db import Database, upgrade  # noqa: E402
from store.models import ClockRow, Event, Ticket  # noqa: E402
from store.repo import _clock_values, _ticket_values  # noqa: E402  (the rows save_ticket_state writes)

REPO = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 1, tzinfo=timezone.utc)
CUSTOMER = Person(account_id="cust-1", display_name="Maria Lopez")
AGENT = Person(account_id="agent-1", display_name="Chen Wei")


def ticket_events(n: int, rng: random.Random) -> list[TicketEvent]:
    key, issue_id = f"OPS-{n}", str(100000 + n)
    at = END - timedelta(days=365) + timedelta(seconds=rng.randrange(365 * 86400))
    facts = {"project": "OPS", "issuetype": rng.choice(["Incident", "Service Request"]),
             "priority": rng.choice(["High", "Medium", "Medium", "Low"]), "summary": f"Ticket {n}",
             "status": "To Do", "status_category": "new", "reporter": CUSTOMER,
             "components": ("Network",) if rng.random() < 0.4 else (), "labels": ()}
    events = [TicketEvent(key, EventKind.CREATED, at, f"jira:{issue_id}:created", CUSTOMER, facts=dict(facts))]
    seq = iter(range(1, 100))

    def later(hours: float) -> datetime:
        nonlocal at
        at = at + timedelta(seconds=rng.expovariate(1 / (hours * 3600)))
        return at

    def status(to: str, category: str) -> None:
        frm = facts["status"]
        facts.update(status=to, status_category=category)
        events.append(TicketEvent(key, EventKind.STATUS_CHANGED, later(6), f"jira:{issue_id}:changelog:{next(seq)}:status",
                                  AGENT, from_value=frm, to_value=to, facts=dict(facts)))

    events.append(TicketEvent(key, EventKind.COMMENTED, later(10), f"jira:{issue_id}:comment:{next(seq)}", AGENT,
                              public=True, facts=dict(facts)))
    status("In Progress", "indeterminate")
    if rng.random() < 0.3:
        status("Waiting for customer", "indeterminate")
        status("In Progress", "indeterminate")
    for cycle in range(2 if rng.random() < 0.1 else 1):
        if cycle:
            facts["resolution"] = None
            status("Reopened", "indeterminate")
        facts["resolution"] = "Done"
        status("Done", "done")
    return events


def generate(db: Database, tickets: int, rules: Rules, now: datetime, seed: int = 7) -> None:
    """Events, and the ticket rows and clock cache the service would have computed from them."""
    rng = random.Random(seed)
    with db.engine.begin() as connection:
        for start in range(1, tickets + 1, 5000):
            ticket_rows, event_rows, clock_rows = [], [], []
            for n in range(start, min(start + 5000, tickets + 1)):
                events = ticket_events(n, rng)
                state = evaluate(events, rules, now)
                ticket_rows.append({"key": state.key, **_ticket_values(state, now)})
                clock_rows += [_clock_values(state.key, c, rules.version, now) for c in state.clocks]
                event_rows += [{"ticket": e.ticket, "kind": e.kind.value, "at": e.at, "dedup_key": e.dedup_key,
                                "source": "jira", "payload": e.dumps(), "received_at": now} for e in events]
            connection.execute(insert(Ticket), ticket_rows)
            connection.execute(insert(Event), event_rows)
            connection.execute(insert(ClockRow), clock_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/backtest-bench.db")
    parser.add_argument("--keep", action="store_true", help="reuse the file if it holds N tickets")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    path, url = Path(args.db), f"sqlite:///{args.db}"
    db = None
    if path.exists():
        db = Database(url)
        with db.engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(Ticket)).scalar_one()
        if not (args.keep and count == args.tickets):
            db.dispose()
            path.unlink()
            db = None
    current = load_rules(REPO / "rules.yaml")
    text = (REPO / "rules.yaml").read_text(encoding="utf-8")
    proposed = parse_rules(text.replace("first_response: {target: 24h, warn_at: [75%]}",
                                        "first_response: {target: 8h, warn_at: [75%]}"))
    now = END + timedelta(days=30)
    if db is None:
        upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        generate(db, args.tickets, current, now)
        print(f"generated {args.tickets} tickets (events, clock cache) in {time.perf_counter() - started:.1f}s")
    window = Period("month", "year", END - timedelta(days=365), END, "UTC")
    started = time.perf_counter()
    comparison = run_backtest(db, current, proposed, window, now, workers=args.workers)
    elapsed = time.perf_counter() - started
    db.dispose()
    print(f"backtest of {comparison.tickets} tickets, {args.workers} workers: {elapsed:.1f}s, {comparison.tickets / elapsed:,.0f} tickets/s")
    print("\n".join(render(comparison, {"acme": "ACME Outsourcing"}, None, limit=3).splitlines()[:12]))


if __name__ == "__main__":
    main()
