"""Webhook ingest: the real `POST /webhooks/jira` against a bare Flask endpoint, same server, same load.

    .venv/bin/python bench/ingest_bench.py [--seconds 10] [--connections 16] [--bodies 40000]
        [--database postgresql+psycopg://USER@HOST/EMPTY_DB] [--synchronous full]

Needs `wrk` (Debian: `apt-get install -y wrk`); exits 2 without it. In a temporary directory the
script writes realistic Jira webhook bodies (tests/jira_payloads.py, one JSON per line, Cloud and
Data Center tickets with interleaved lifecycles: created, assigned, comments, "Waiting for
customer" and back, priority changes, resolved, sometimes reopened and resolved again), migrates
a fresh SQLite database (`slawatch db upgrade`; with --database, that database instead, which
must be empty: PostgreSQL), then, one after the other:

- bench/bare_app.py under `gunicorn -w 2` (reads the body, answers 204),
- the real app under `gunicorn -w 2 "app:create_app()"` on that database and ./rules.yaml,

each warmed up with bodies of other tickets and then driven by wrk with the same bodies in the
same order, each with its own `X-Atlassian-Webhook-Identifier`. It prints requests per second,
p50 and p99 latency, errors, the full/bare ratio, how many requests repeated a body (a duplicate
delivery, a cheaper path), and the rows the real app stored. Exit 1 if the real app answered
anything but 2xx.

The webhook path stores the events and marks their tickets; the worker recomputes the clocks
(store/pending.py). No worker runs while wrk measures; afterwards the script drains the backlog
with the worker's own function (`store.pending.recompute_pending`, one process) and prints how
long that took, so both halves of the work are on record. Results: docs/benchmarks.md,
"Webhook ingest".
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.jira_payloads import LEAD, JiraTicket, user  # noqa: E402

WRK_THREADS = 2
GOAL = 0.70  # issue 3: the full path at 70% or more of the bare endpoint's requests per second
AGENTS = [user(name) for name in ("Chen Wei", "Priya Nair", "Tomas Ruiz", "Bob Chen", "Aiko Tanaka")]
CUSTOMERS = [user(f"Customer {n}", email=f"customer{n}@client.example", account_type="customer")
             for n in range(1, 201)]
# (project, issue type, priorities, flavour): OPS Incident High/Highest is the `urgent` policy,
# ACME and the Network component are the vendor acme, the rest is `standard`.
KINDS = [("OPS", "Incident", ("Highest", "High", "Medium"), "cloud"),
         ("OPS", "Service Request", ("High", "Medium", "Low"), "cloud"),
         ("ACME", "Task", ("Medium", "Low"), "cloud"),
         ("SD", "Service Request", ("Medium",), "cloud"),
         ("INFRA", "Bug", ("Critical", "Major", "Minor"), "server")]
KIND_WEIGHTS = [3, 3, 2, 1, 1]

LUA = r"""
-- Written by bench/ingest_bench.py. Thread i of T keeps lines i, i+T, ... of the bodies file as
-- ready-made requests and sends them in order (wrapping around: a repeat is a duplicate delivery).
local threads, made = {}, 0
function setup(thread)
  thread:set("id", made)
  made = made + 1
  table.insert(threads, thread)
end
function init(args)
  local path, prefix, every = args[1], args[2], tonumber(args[3])
  ready, sent, count = {}, 0, 0
  local line_no = 0
  for body in io.lines(path) do
    if line_no % every == id then
      count = count + 1
      ready[count] = wrk.format("POST", "/webhooks/jira", {["Content-Type"] = "application/json",
        ["X-Atlassian-Webhook-Identifier"] = prefix .. line_no}, body)
    end
    line_no = line_no + 1
  end
end
function request()
  sent = sent + 1
  return ready[(sent - 1) % count + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("bench-result %d %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
  for _, t in ipairs(threads) do
    io.write(string.format("bench-thread %d %d\n", t:get("count"), t:get("sent")))
  end
end
"""


# --- payloads -------------------------------------------------------------------------------

def lifecycle(number: int, rng: random.Random, created_at: datetime) -> list[tuple[datetime, dict]]:
    """One ticket's webhooks, in its own time order."""
    project, issuetype, priorities, flavour = rng.choices(KINDS, KIND_WEIGHTS)[0]
    server = flavour == "server"
    t = JiraTicket(f"{project}-{number}", created_at, reporter=rng.choice(CUSTOMERS), flavour=flavour,
                   issuetype=issuetype, priority=rng.choice(priorities), status="Open" if server else "To Do",
                   components=("Network",) if rng.random() < 0.1 else ())
    agent, at, out = rng.choice(AGENTS), created_at, [(created_at, t.created())]

    def add(low_minutes: float, high_minutes: float, make) -> None:
        nonlocal at
        at += timedelta(minutes=rng.uniform(low_minutes, high_minutes))
        out.append((at, make(at)))

    if rng.random() < 0.7:
        add(2, 60, lambda at: t.assigned(at, agent, actor=LEAD))
    if rng.random() < 0.3:
        add(5, 60, lambda at: t.commented(at, agent, public=False, body="Checked the logs, escalating."))
    add(5, 480, lambda at: t.commented(at, agent, body="Hello, we are looking into it and will update you."))
    add(1, 30, lambda at: t.status_changed(at, "In Progress", actor=agent))
    if rng.random() < 0.2:
        add(10, 120, lambda at: t.priority_changed(at, rng.choice(priorities), actor=LEAD))
    if rng.random() < 0.5:
        add(30, 240, lambda at: t.status_changed(at, "Waiting for customer", actor=agent))
        add(60, 2880, lambda at: t.commented(at, t.reporter, body="Here are the details you asked for."))
        add(1, 60, lambda at: t.status_changed(at, "In Progress", actor=agent))
    if rng.random() < 0.5:
        add(30, 600, lambda at: t.commented(at, agent, body="A fix is being rolled out, please stand by."))
    add(60, 2880, lambda at: t.resolved(at, actor=agent, status="Resolved" if server else "Done"))
    if rng.random() < 0.15:
        add(120, 4320, lambda at: t.reopened(at, actor=t.reporter))
        add(10, 240, lambda at: t.commented(at, agent, body="Sorry about that, looking again."))
        add(60, 1440, lambda at: t.resolved(at, actor=agent, status="Resolved" if server else "Done"))
    return out


def generate(count: int, seed: int, first_number: int, now: datetime) -> list[str]:
    """At least `count` webhook bodies of tickets created over 14 days, interleaved in time order;
    nothing later than `now` (events after now would not count yet), so late tickets stay open."""
    rng, timed, number = random.Random(seed), [], first_number
    start = now - timedelta(days=16)
    while len(timed) < count:
        created_at = start + timedelta(seconds=rng.uniform(0, 14 * 86400))
        timed.extend((at, len(timed) + i, body) for i, (at, body) in enumerate(lifecycle(number, rng, created_at))
                     if at <= now)
        number += 1
    timed.sort(key=lambda item: item[:2])
    return [json.dumps(body, separators=(",", ":")) for _, _, body in timed]


# --- servers and load -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(target: str, env: dict[str, str], log_path: Path, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Run `gunicorn -w 2 target` on a free port until the block ends; yields its base URL."""
    url = f"http://127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", url.removeprefix("http://"), *extra, target]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_healthy(proc, url, log_path)
        yield url
    finally:
        proc.terminate()  # gunicorn's graceful stop; the group is ours (start_new_session)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_healthy(proc: subprocess.Popen, url: str, log_path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                body = json.loads(answer.read())
            if body.get("database", {"ok": True})["ok"]:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    sys.exit(f"{url}/healthz did not answer 200 within {seconds:.0f} s:\n{log_path.read_text()[-3000:]}")


@dataclass
class Run:
    requests: int
    seconds: float
    socket_errors: int
    timeouts: int
    non_2xx: int
    p50_ms: float
    p99_ms: float
    repeats: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, lua: Path, bodies: Path, prefix: str, seconds: float, connections: int) -> Run:
    cmd = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(lua), url, "--", str(bodies), prefix, str(WRK_THREADS)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = next(line.split()[1:] for line in out.splitlines() if line.startswith("bench-result "))
    n, micros, connect, read, write, status, timeout, p50, p99 = map(int, result)
    slices = [tuple(map(int, line.split()[1:])) for line in out.splitlines() if line.startswith("bench-thread ")]
    return Run(n, micros / 1e6, connect + read + write, timeout, status, p50 / 1000, p99 / 1000,
               sum(max(0, sent - count) for count, sent in slices))


def measure(name: str, url: str, files: dict[str, Path], args: argparse.Namespace) -> Run:
    print(f"{name}: warming up {args.warmup} s, measuring {args.seconds} s ...", flush=True)
    wrk(url, files["lua"], files["warm"], "warm-", args.warmup, args.connections)
    return wrk(url, files["lua"], files["bodies"], "bench-", args.seconds, args.connections)


# --- report ---------------------------------------------------------------------------------

def count_rows(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return {table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("deliveries", "events", "tickets", "clocks", "pending_recompute")}
    finally:
        engine.dispose()


def drain(url: str) -> tuple[int, float]:
    """Recompute every marked ticket as `slawatch worker` would; (tickets, seconds)."""
    from processors.rules import load_rules
    from store.db import Database
    from store.pending import recompute_pending

    db, rules = Database(url), load_rules(str(REPO / "rules.yaml"))
    began, done = time.perf_counter(), 0
    while count := recompute_pending(db, rules, datetime.now(timezone.utc)):
        done += count
    db.dispose()
    return done, time.perf_counter() - began


def report(bare: Run, full: Run, rows: dict[str, int], bodies: int) -> None:
    print(f"\n{'':18}{'requests/s':>12}{'p50':>11}{'p99':>11}{'non-2xx':>9}{'sock err':>9}"
          f"{'timeouts':>9}{'requests':>10}{'repeats':>9}")
    for name, run in (("bare Flask 204", bare), ("full path", full)):
        print(f"{name:18}{run.rate:>12,.0f}{run.p50_ms:>8.1f} ms{run.p99_ms:>8.1f} ms{run.non_2xx:>9,}"
              f"{run.socket_errors:>9,}{run.timeouts:>9,}{run.requests:>10,}{run.repeats:>9,}")
    ratio = full.rate / bare.rate
    print(f"{'full / bare':18}{ratio:>12.1%}{full.p50_ms / bare.p50_ms:>10.1f}x{full.p99_ms / bare.p99_ms:>10.1f}x")
    print(f"\nrepeats: requests that re-sent a body already sent in the run ({bodies:,} distinct bodies); "
          "for the full path a repeat is a duplicate delivery")
    print("database after the run (warm-up included): " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    print(f"goal: full path >= {GOAL:.0%} of the bare endpoint's requests/s: "
          f"{'met' if ratio >= GOAL else 'NOT met'} ({ratio:.1%})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per server")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--bodies", type=int, default=40_000, help="distinct webhook bodies")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per server")
    parser.add_argument("--seed", type=int, default=20260105)
    parser.add_argument("--database", help="an EMPTY PostgreSQL database's URL; default: a fresh SQLite file")
    parser.add_argument("--synchronous", choices=("normal", "full"), default="normal",
                        help="SLAWATCH_SQLITE_SYNCHRONOUS of the real app (SQLite)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; {wrk_version}, "
          f"-t{WRK_THREADS} -c{args.connections}, on the same cores as the servers")
    try:
        with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
            return bench(Path(tmp), args)
    except KeyboardInterrupt:  # the servers are stopped by then (gunicorn's `finally`)
        print("interrupted", file=sys.stderr)
        return 130


def bench(tmp: Path, args: argparse.Namespace) -> int:
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    began = time.monotonic()
    files = {"lua": tmp / "bodies.lua", "bodies": tmp / "bodies.jsonl", "warm": tmp / "warm.jsonl"}
    bodies = generate(args.bodies, args.seed, 1, now)
    files["bodies"].write_text("\n".join(bodies) + "\n")
    files["warm"].write_text("\n".join(generate(2000, args.seed + 1, 900_000, now)) + "\n")
    files["lua"].write_text(LUA)
    print(f"{len(bodies):,} bodies (mean {sum(map(len, bodies)) // len(bodies):,} bytes) "
          f"written in {time.monotonic() - began:.1f} s")
    database = args.database or f"sqlite:///{tmp / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    env.update(SLAWATCH_DATABASE_URL=database, SLAWATCH_RULES=str(REPO / "rules.yaml"),
               SLAWATCH_SQLITE_SYNCHRONOUS=args.synchronous)
    print(f"database: {make_url(database).get_backend_name()}, synchronous={args.synchronous} (SQLite)")
    slawatch = Path(sys.executable).with_name("slawatch")
    upgrade = subprocess.run([str(slawatch), "db", "upgrade"], cwd=REPO, env=env, capture_output=True, text=True)
    if upgrade.returncode:
        sys.exit(f"slawatch db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
    with gunicorn("bare_app:app", env, tmp / "bare.log", ("--pythonpath", "bench")) as url:
        bare = measure("bare Flask 204", url, files, args)
    with gunicorn("app:create_app()", env, tmp / "full.log") as url:
        full = measure("full path", url, files, args)
    report(bare, full, count_rows(database), len(bodies))
    tickets, seconds = drain(database)
    rows = count_rows(database)
    print(f"worker recompute after the run: {tickets:,} tickets in {seconds:.1f} s ({tickets / seconds:,.0f} tickets/s, "
          f"one process; {rows['deliveries']:,} deliveries); then clocks {rows['clocks']:,}, "
          f"pending_recompute {rows['pending_recompute']:,}")
    if full.non_2xx or full.timeouts or full.socket_errors:
        print(f"FAILED: the full path answered {full.non_2xx} non-2xx, timed out {full.timeouts} times and had "
              f"{full.socket_errors} socket errors; "
              f"gunicorn log:\n{(tmp / 'full.log').read_text()[-3000:]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
