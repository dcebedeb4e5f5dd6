"""Soak: minutes of mixed, signed Jira webhooks through the real processes, with hostile payloads,
Jira's clock ahead of ours, Slack faults and `slawatch worker` killed with SIGKILL on a cadence;
then every acknowledged delivery must be stored and every expected breach posted once, on time.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 10] [--kill-every 300] [--database-url URL]

Not run in CI (issue 12). In a temporary directory it migrates a database (SQLite by default, or
--database-url, e.g. an empty PostgreSQL database), writes a rules file (24x7, first response
20 s, no warnings, digests only over 1000 alerts), starts the fake Slack of tests/fake_slack.py,
the web app under `gunicorn -w 2` and two `slawatch worker` processes (the scheduler lease passes
from a killed one to the other), and for --minutes sends --rate webhooks a second:

- a new ticket (`jira:issue_created`), stamped --skew seconds ahead of this machine's clock;
- for about 60% of the tickets an agent's comment 2-15 s later (before the target): no breach;
  the others are never answered: one breach alert each is expected, 20 s after creation;
- 1% hostile payloads from issue 12 (lone surrogates, 1900, a non-Jira or injection key, NUL
  deep in nested JSON): each must be refused with a 400 and nothing stored.

Every --kill-every seconds one worker (alternately) gets SIGKILL and is started again; every 20 s
the fake Slack fails one chat.postMessage (500, 429 with Retry-After: 1, or a connection reset
after taking the message). After the sending stops it waits for the last breaches to come due
(plus 30 s), then counts, and prints one line:

    acked=N stored=N lost=0 alerts_expected=N posted_once=N duplicates=0 late_over_5s=0

`acked` counts the 2xx answers to well-formed deliveries, `stored` those whose delivery id is in
the database; `posted_once` the expected breaches Slack received exactly once, `duplicates` extra
copies, `late_over_5s` breaches first received more than 5 s after their due instant (Jira's
stamp + 20 s). Exit 1 unless lost, duplicates and late_over_5s are 0, every expected alert was
posted once and every hostile payload refused. Results: docs/benchmarks.md, "Soak".
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from sqlalchemy import create_engine, text  # noqa: E402

from store.db import upgrade  # noqa: E402
from tests import jira_payloads as jp  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

SECRET = "soak-webhook-secret"
TARGET_SECONDS = 20
LATE_SECONDS = 5
RULES = f"""\
version: 1
calendars:
  always: 24x7
policies:
  - name: soak
    calendar: always
    metrics:
      first_response: {TARGET_SECONDS}s
      resolution: 8h
targets:
  first_response: 85%
  resolution: 95%
alerts:
  channel: "#soak"
  digest_over: 1000
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hostile_bodies(n: int, at: datetime) -> list[bytes]:
    """The payloads of issue 12 that once stopped the clocks or gave a 500."""
    ok = json.dumps(jp.created(f"SOAK-{n}", at)).encode()
    deep: object = "a\u0000b"
    for _ in range(200):
        deep = [deep]
    nested = jp.created(f"SOAK-{n}", at)
    nested["issue"]["fields"]["customfield_10099"] = deep
    return [
        ok.replace(f'"Task SOAK-{n}"'.encode(), b'"bad \\ud800 text"'),
        json.dumps(jp.created(f"SOAK-{n}", datetime(1900, 1, 1, tzinfo=timezone.utc))).encode(),
        ok.replace(f'"SOAK-{n}"'.encode(), b'"soak-x"'),
        json.dumps(jp.created(f"SOAK-{n}> <!channel> <https://evil.example|Click", at)).encode(),
        json.dumps(nested).encode(),
    ]


def post(url: str, body: bytes, delivery: str) -> int:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature": signature,
        "X-Atlassian-Webhook-Identifier": delivery})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args, self.workdir = args, workdir
        self.url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
        self.slack = FakeSlack(real_clock=True).start()  # message ts from this clock, as Slack's
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
        rules = workdir / "rules.yaml"
        rules.write_text(RULES, encoding="utf-8")
        self.env.update(SLAWATCH_DATABASE_URL=self.url, SLAWATCH_RULES=str(rules), SLAWATCH_TICK_SECONDS="1",
                        JIRA_WEBHOOK_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-soak", SLACK_API_URL=self.slack.url,
                        JIRA_URL="https://soak.atlassian.net")
        self.workers: list[subprocess.Popen | None] = [None, None]
        self.web: subprocess.Popen | None = None
        self.acked: list[str] = []
        self.refused = self.hostile = self.errors = 0
        self.due: dict[str, datetime] = {}  # expected breach key -> due instant (Jira's stamp + target)
        self.details: dict[str, dict] = {}

    def _spawn(self, *command: str, name: str) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("ab")
        return subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        upgrade(self.url)
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.web = self._spawn(gunicorn, "-w", "2", "--bind", f"127.0.0.1:{self.port}", "app:create_app()",
                               name="web")
        for i in range(2):
            self.workers[i] = self._spawn(sys.executable, "-m", "cli", "worker", name=f"worker{i}")
        deadline = time.monotonic() + 60
        while not self._answers():
            if time.monotonic() > deadline:
                raise SystemExit("the web app did not start; see " + str(self.workdir / "web.log"))
            time.sleep(0.5)

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5).close()
        except urllib.error.HTTPError:
            pass  # 503 before the first tick: it answers
        except OSError:
            return False
        return True

    def kill_worker(self, index: int) -> None:
        worker = self.workers[index]
        if worker is not None:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        self.workers[index] = self._spawn(sys.executable, "-m", "cli", "worker", name=f"worker{index}")

    def fault(self, n: int) -> None:
        kind = n % 3
        if kind == 0:
            self.slack.fail_next("chat.postMessage", status=500)
        elif kind == 1:
            self.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        else:
            self.slack.reset_after_taking("chat.postMessage")

    def send(self, body: bytes, delivery: str, hostile: bool = False) -> None:
        status = post(f"http://127.0.0.1:{self.port}/webhooks/jira", body, delivery)
        if hostile:
            self.hostile += 1
            self.refused += status == 400
        elif 200 <= status < 300:
            self.acked.append(delivery)
        else:
            self.errors += 1

    def drive(self) -> None:
        rng = random.Random(12)
        numbers, deliveries = itertools.count(1), itertools.count(1)
        answers: list[tuple[float, bytes]] = []  # (monotonic send time, body)
        end = time.monotonic() + self.args.minutes * 60
        next_kill, next_fault, faults, kills = (time.monotonic() + self.args.kill_every,
                                                 time.monotonic() + 20, itertools.count(), itertools.count())
        while time.monotonic() < end:
            started = time.monotonic()
            stamp = datetime.now(timezone.utc) + timedelta(seconds=self.args.skew)
            n = next(numbers)
            if rng.random() < 0.01:
                self.send(rng.choice(hostile_bodies(n, stamp)), f"h{next(deliveries)}", hostile=True)
            else:
                ticket = jp.JiraTicket(f"SOAK-{n}", stamp.replace(microsecond=stamp.microsecond // 1000 * 1000))
                self.send(json.dumps(ticket.created()).encode(), f"d{next(deliveries)}")
                if rng.random() < 0.6:
                    delay = rng.uniform(2, 15)
                    answer_at = ticket.created_at + timedelta(seconds=delay)
                    answers.append((started + delay, json.dumps(ticket.commented(answer_at)).encode()))
                else:
                    self.due[f"alert:SOAK-{n}:first_response:1:breach"] = ticket.created_at + timedelta(
                        seconds=TARGET_SECONDS)
            for ready in [a for a in answers if a[0] <= time.monotonic()]:
                answers.remove(ready)
                self.send(ready[1], f"d{next(deliveries)}")
            if time.monotonic() >= next_fault:
                self.fault(next(faults))
                next_fault += 20
            if time.monotonic() >= next_kill:
                self.kill_worker(next(kills) % 2)
                next_kill += self.args.kill_every
            time.sleep(max(0.0, 1 / self.args.rate - (time.monotonic() - started)))
        for _, body in answers:  # the answers still owed: sent now (stamped before the target)
            self.send(body, f"d{next(deliveries)}")

    def count(self) -> dict[str, int]:
        engine = create_engine(self.url)
        with engine.connect() as connection:
            stored_ids = set(connection.execute(text(
                "SELECT delivery_id FROM deliveries WHERE source = 'jira'")).scalars())
        engine.dispose()
        received: dict[str, list[float]] = {}  # key -> when Slack took each copy
        for call in self.slack.calls("chat.postMessage"):
            key = ((call.body.get("metadata") or {}).get("event_payload") or {}).get("key")
            if key and call.status == 200:
                received.setdefault(key, []).append(call.received_at)
        copies = Counter({key: len(received.get(key, [])) for key in self.due})
        late = {key: round(min(received[key]) - due.timestamp(), 1) for key, due in self.due.items()
                if received.get(key) and min(received[key]) > due.timestamp() + LATE_SECONDS}
        self.details = {"late_seconds": late, "copies": {k: n for k, n in copies.items() if n != 1}}
        stored = sum(1 for delivery in self.acked if delivery in stored_ids)
        return {"acked": len(self.acked), "stored": stored, "lost": len(self.acked) - stored,
                "alerts_expected": len(self.due), "posted_once": sum(1 for n in copies.values() if n == 1),
                "duplicates": sum(max(0, n - 1) for n in copies.values()), "late_over_5s": len(late)}

    def stop(self) -> None:
        for process in [self.web, *self.workers]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.slack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0, help="webhooks a second")
    parser.add_argument("--kill-every", type=float, default=300.0, help="seconds between worker kills")
    parser.add_argument("--skew", type=float, default=1.0, help="seconds Jira's clock is ahead")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slawatch-soak-") as directory:
        soak = Soak(args, Path(directory))
        try:
            soak.start()
            soak.drive()
            time.sleep(TARGET_SECONDS + 30)  # the last breaches come due and go out
            figures = soak.count()
        finally:
            soak.stop()
    print(f"minutes={args.minutes:g} rate={args.rate:g}/s kill_every={args.kill_every:g}s skew={args.skew:g}s "
          f"hostile={soak.hostile} refused_400={soak.refused} other_errors={soak.errors}")
    if any(soak.details.values()):
        print(f"late (s after due): {soak.details['late_seconds']}; not once: {soak.details['copies']}")
    print(" ".join(f"{name}={value}" for name, value in figures.items()))
    ok = (figures["lost"] == figures["duplicates"] == figures["late_over_5s"] == 0
          and figures["posted_once"] == figures["alerts_expected"] and soak.refused == soak.hostile)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
