"""The worker's tick against N open tickets: steady tick, first tick after a restart, peak RSS, drain.

    .venv/bin/python bench/scheduler_bench.py --tickets 100000 [--database URL] [--ticks 20]

Generates N open tickets straight into a fresh store (bench/clock_data.py: copies of 20,000
engine-evaluated templates, checked on a sample against the worker's recompute), as a worker
that had planned everything up to the generation instant `T` would have left them: service
state `alerts.last_planned_at` = T, the report jobs recorded as run, the stale-clock check done
under these rules at T. Then a fresh process — the
worker restarting after `--downtime` seconds (default 60) — runs the real tick
(scheduler/ticker.py `Ticker.tick`, every step, as the leader, no Slack sender) with a clock it
moves by hand:

- first tick: at T + downtime (plans what fell due while the worker was down), then the counting
  job (the dashboard figures and the frozen periods, its own thread in the running worker);
- steady ticks: `--ticks` more, one simulated second apart; the median is `steady_tick_ms`;
- drain: `--drain` tickets (default 5,000 or N) each given an agent's public comment as a webhook
  would (`--drain-kind mark`: only marked, nothing new to judge, as after a rules change), then
  recomputed with the worker's function (store/pending.py), tickets per second of wall-clock
  time and per CPU-second of the worker (steadier on a shared machine); then one more
  tick (the one that plans the recomputed clocks), printed as `after_drain_tick_ms`.

Peak RSS is that worker process's (getrusage), generation excluded. On PostgreSQL the generated
database is ANALYZEd, as autovacuum would (this machine's server runs without autovacuum). Without --database the store
is a SQLite file in a temporary directory; with a PostgreSQL URL the database must exist and be
empty (it is migrated). Prints the per-step times of the first and a steady tick, then, as its
last line: `tickets=N steady_tick_ms=X first_tick_ms=Y peak_rss_mb=Z drain_tickets_per_s=W`.
Results: docs/benchmarks.md, "Scheduler tick at scale".
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from processors.events import format_instant, parse_instant  # noqa: E402
from scheduler import cron  # noqa: E402
from scheduler.planning import LAST_PLANNED_KEY  # noqa: E402
from processors.rule_schedule import as_schedule  # noqa: E402
from store.db import Database, upgrade  # noqa: E402
from store.recompute import CHECKED_KEY, schedule_mark  # noqa: E402
from store.repo import set_service_state  # noqa: E402
from store.rulebook import RuleBook  # noqa: E402

RULES = REPO / "rules.yaml"


def prepare(url: str, tickets: int) -> datetime:
    """Migrate, generate, check; returns the generation instant T."""
    sys.path.insert(0, str(REPO / "bench"))
    import clock_data

    upgrade(url)
    db, now = Database(url), datetime.now(timezone.utc).replace(microsecond=0)
    rules = RuleBook.load(str(RULES), now).rules
    began = time.perf_counter()
    templates = clock_data.make_templates(rules, now, min(tickets, clock_data.TEMPLATES))
    built = time.perf_counter()
    clock_data.generate(db, templates, tickets)
    written = time.perf_counter()
    checked = clock_data.check_sample(db, rules, tickets, templates)
    print(f"generated {tickets:,} open tickets: {len(templates):,} templates evaluated in "
          f"{built - began:.1f} s, rows written in {written - built:.1f} s "
          f"({tickets / (written - built):,.0f} tickets/s); {checked} sampled tickets recomputed: "
          "identical clocks", flush=True)

    def state(session) -> None:
        set_service_state(session, LAST_PLANNED_KEY, format_instant(now), now)
        set_service_state(session, CHECKED_KEY, schedule_mark(as_schedule(rules)), now)
        for name, instant, _ in cron.jobs(rules, now + timedelta(days=1)):
            set_service_state(session, f"reports.{name}.last_instant", format_instant(instant), now)
    db.write(state)
    if db.dialect == "postgresql":  # what autovacuum does to a real database after such a load:
        with db.engine.connect() as connection:  # without statistics, `ticket IN (...)` reads whole tables
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    db.dispose()
    return now


def timed_steps(ticker, times: dict[str, float]) -> None:
    def wrap(name, step):
        def run(now):
            began = time.perf_counter()
            try:
                step(now)
            finally:
                times[name] = (time.perf_counter() - began) * 1000
        return run
    ticker.steps = [(name, wrap(name, step)) for name, step in ticker.steps]
    ticker.background_steps = [(name, wrap(name, step)) for name, step in ticker.background_steps]


def tick(ticker, times: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The tick as the started scheduler runs it (the counting steps are their own job: below)."""
    times.clear()
    began = time.perf_counter()
    failed = ticker.tick(background=False)
    if failed:
        raise SystemExit(f"tick steps failed: {failed}")
    return (time.perf_counter() - began) * 1000, dict(times)


def background(ticker, times: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The counting job (the dashboard's figures, the frozen periods' watch), in its own thread
    when the scheduler runs: it delays no tick."""
    times.clear()
    began = time.perf_counter()
    failed = ticker.background_tick()
    if failed:
        raise SystemExit(f"counting steps failed: {failed}")
    return (time.perf_counter() - began) * 1000, dict(times)


def worker(url: str, start: datetime, ticks: int, drain: int, drain_kind: str = "comment") -> dict:
    """The measuring process: the restarted worker."""
    from processors.events import EventKind, Person, TicketEvent
    from scheduler.ticker import Ticker
    from store.ingest import store_delivery
    from store.pending import mark_pending, recompute_pending
    from store.models import Ticket
    from sqlalchemy import func, select

    db = Database(url)
    clock = {"now": start}
    rulebook = RuleBook.load(str(RULES), start)
    ticker = Ticker(db, rulebook, 1.0, lambda: clock["now"], worker_id="bench")
    times: dict[str, float] = {}
    timed_steps(ticker, times)
    first_ms, first_steps = tick(ticker, times)
    counting_ms, counting_steps = background(ticker, times)
    steady = []
    for _ in range(ticks):
        clock["now"] += timedelta(seconds=1)
        steady.append(tick(ticker, times))
    with db.reading() as session:  # a sample by Jira id (bench/clock_data.py numbers them), not a list of all keys
        total = session.scalar(select(func.count()).select_from(Ticket))
        numbers = random.Random(3).sample(range(1, total + 1), min(drain, total))
        marked = [key for start in range(0, len(numbers), 500) for key in session.scalars(
            select(Ticket.key).where(Ticket.issue_id.in_([str(10_000_000_000 + n) for n in numbers[start:start + 500]])))]
    clock["now"] += timedelta(seconds=1)
    if drain_kind == "mark":  # what a rules change or a replayed delivery does: nothing new to judge
        db.write(lambda session: mark_pending(session, marked, clock["now"]))
    else:  # what webhooks do: each ticket gets an event, here an agent's public comment
        agent = Person(account_id="bench-agent-1", display_name="Bench Agent")
        for start in range(0, len(marked), 500):
            events = [TicketEvent(key, EventKind.COMMENTED, clock["now"], f"bench:{key}:comment:1", actor=agent)
                      for key in marked[start:start + 500]]
            store_delivery(db, "jira", f"bench-drain-{start}", events, clock["now"])
    began, cpu, done = time.perf_counter(), time.process_time(), 0
    while count := recompute_pending(db, rulebook.schedule, clock["now"]):
        done += count
    drain_s, drain_cpu = time.perf_counter() - began, time.process_time() - cpu
    clock["now"] += timedelta(seconds=1)
    after_ms, after_steps = tick(ticker, times)
    median = statistics.median(ms for ms, _ in steady)
    typical = min(steady, key=lambda item: abs(item[0] - median))[1]
    return {"first_tick_ms": first_ms, "first_steps": first_steps, "counting_ms": counting_ms,
            "counting_steps": counting_steps, "steady_tick_ms": median,
            "steady_max_ms": max(ms for ms, _ in steady), "steady_steps": typical,
            "drained": done, "drain_tickets_per_s": done / drain_s if drain_s else 0.0,
            "drain_per_cpu_s": done / drain_cpu if drain_cpu else 0.0,
            "after_drain_tick_ms": after_ms, "after_drain_steps": after_steps,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def steps_line(steps: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:.1f}" for name, ms in steps.items() if ms >= 0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--database", help="a PostgreSQL URL (an empty database); default: a temporary SQLite file")
    parser.add_argument("--ticks", type=int, default=20, help="steady ticks, one simulated second apart")
    parser.add_argument("--downtime", type=int, default=60, help="seconds the worker was down before the first tick")
    parser.add_argument("--drain", type=int, default=5_000, help="tickets marked for the drain")
    parser.add_argument("--drain-kind", choices=("comment", "mark"), default="comment",
                        help="comment: each drained ticket got an agent's comment (webhooks); "
                             "mark: marked with nothing new (a rules change)")
    parser.add_argument("--worker", nargs=2, metavar=("URL", "START"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, start = args.worker
        print(json.dumps(worker(url, parse_instant(start), args.ticks, args.drain, args.drain_kind)))
        return 0
    with tempfile.TemporaryDirectory(prefix="scheduler-bench-") as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        now = prepare(url, args.tickets)
        start = now + timedelta(seconds=args.downtime)
        out = subprocess.run([sys.executable, __file__, "--worker", url, format_instant(start),
                              "--ticks", str(args.ticks), "--drain", str(args.drain),
                              "--drain-kind", args.drain_kind],
                             capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr[-5000:])
        return 1
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"first tick ({args.downtime} s after the last planning): {r['first_tick_ms']:.0f} ms: "
          f"{steps_line(r['first_steps'])}")
    print(f"counting job after it (its own thread; every SLAWATCH_FIGURES_SECONDS): {r['counting_ms']:.0f} ms: "
          f"{steps_line(r['counting_steps'])}")
    print(f"steady tick: median {r['steady_tick_ms']:.1f} ms, max {r['steady_max_ms']:.1f} ms of "
          f"{args.ticks}; a median one: {steps_line(r['steady_steps'])}")
    print(f"drain: {r['drained']:,} tickets at {r['drain_tickets_per_s']:,.0f} tickets/s "
          f"({r['drain_per_cpu_s']:,.0f} per CPU-second of the worker); the tick after it: "
          f"{r['after_drain_tick_ms']:.0f} ms: {steps_line(r['after_drain_steps'])}")
    print(f"tickets={args.tickets} steady_tick_ms={r['steady_tick_ms']:.1f} first_tick_ms={r['first_tick_ms']:.0f} "
          f"peak_rss_mb={r['peak_rss_mb']:.0f} drain_tickets_per_s={r['drain_tickets_per_s']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
