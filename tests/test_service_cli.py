"""The `slawatch` command line: rules check, replay, db upgrade, and the real `serve` and
`worker` processes (signals included), on the test database."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from cli import cli
from store.db import alembic_config
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML
from tests.jira_payloads import FIXTURES

REPO = Path(__file__).resolve().parents[1]
LONGER = RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]")
BROKEN = RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: soon, warn_at: [50%]")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_rules_check_good_file(rules_path):
    result = run("rules", "check", str(rules_path))
    assert result.exit_code == 0
    assert f"{rules_path} OK" in result.stdout and "2 policies" in result.stdout


def test_rules_check_bad_file_prints_problem_lines(rules_path):
    rules_path.write_text(BROKEN, encoding="utf-8")
    result = run("rules", "check", str(rules_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{rules_path}:26:32: bad duration") and result.stdout == ""


def test_rules_check_missing_file(tmp_path):
    result = run("rules", "check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1 and result.stderr.startswith(f"{tmp_path / 'nope.yaml'}:1:1: ")


@pytest.fixture
def events_file(tmp_path) -> Path:
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(jp.load_fixture(name)) for name in ("issue_created", "comment_created")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_prints_the_tickets(rules_path, events_file):
    result = run("replay", "--rules", str(rules_path), "--events", str(events_file),
                 "--at", "2026-01-05T10:00:00+01:00")
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["at"] == "2026-01-05T09:00:00Z"
    (ticket,) = output["tickets"]
    assert ticket["key"] == "OPS-1" and ticket["clocks"][0]["state"] == "stopped"


def test_replay_bad_events_line(rules_path, events_file):
    with events_file.open("a", encoding="utf-8") as handle:
        handle.write('{"webhookEvent": "jira:issue_created"\n')
    result = run("replay", "--rules", str(rules_path), "--events", str(events_file), "--at", "2026-01-05T10:00:00Z")
    assert result.exit_code == 1 and result.stderr.startswith(f"{events_file}:3: ")


def test_replay_bad_rules(rules_path, events_file):
    rules_path.write_text(BROKEN, encoding="utf-8")
    result = run("replay", "--rules", str(rules_path), "--events", str(events_file))
    assert result.exit_code == 1 and result.stderr.startswith(f"{rules_path}:26:32: ")


def test_replay_missing_events_file(rules_path, tmp_path):
    missing = tmp_path / "none.jsonl"
    result = run("replay", "--rules", str(rules_path), "--events", str(missing))
    assert result.exit_code == 1 and result.stderr.startswith(f"{missing}: cannot read")


def test_replay_rejects_an_instant_without_zone(rules_path, events_file):
    result = run("replay", "--rules", str(rules_path), "--events", str(events_file), "--at", "2026-01-05T10:00")
    assert result.exit_code == 2 and "--at" in result.stderr


def test_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = run("db", "upgrade", env={"SLAWATCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    with create_engine(url).connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_bad_configuration_is_reported(tmp_path):
    result = run("db", "upgrade", env={"SLAWATCH_TICK_SECONDS": "often"})
    assert result.exit_code == 1 and "SLAWATCH_TICK_SECONDS" in result.stderr


# ---------------------------------------------------------------- real processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return 0, None


@pytest.fixture
def service_env(db_url, rules_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    env.update(SLAWATCH_DATABASE_URL=db_url, SLAWATCH_RULES=str(rules_path), SLAWATCH_TICK_SECONDS="3600")
    return env


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as handle:
        return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=REPO, env=env,
                                stdout=handle, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()


def test_serve_answers_webhooks_and_reloads_on_sighup(service_env, rules_path, tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    process = start(service_env, "serve", "--port", str(port), log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: (lambda r: r[1] if r[0] == 200 and r[1]["scheduler"]["last_tick_at"] else None)(
            http(f"{base}/healthz")))
        status, answer = http(f"{base}/webhooks/jira", (FIXTURES / "issue_created.json").read_bytes(),
                              {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "p1"})
        assert (status, answer) == (200, {"status": "ok", "events": 1})
        status, ticket = http(f"{base}/api/tickets/OPS-1")
        assert status == 200 and ticket["clocks"][0]["target_seconds"] == 3600
        before = rules_path.stat()
        rules_path.write_text(LONGER, encoding="utf-8")  # same size; and the same mtime below:
        os.utime(rules_path, ns=(before.st_atime_ns, before.st_mtime_ns))  # only SIGHUP can tell
        time.sleep(1.2)
        assert http(f"{base}/healthz")[1]["rules"]["version"] == health["rules"]["version"]
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: http(f"{base}/healthz")[1]["rules"]["version"] != health["rules"]["version"])
        assert http(f"{base}/api/tickets/OPS-1")[1]["clocks"][0]["target_seconds"] == 7200
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "test-webhook-secret" not in output and '"issue"' not in output


def test_serve_with_broken_rules_exits_1(service_env, rules_path, tmp_path):
    rules_path.write_text(BROKEN, encoding="utf-8")
    log = tmp_path / "serve.log"
    process = start(service_env, "serve", "--port", str(free_port()), log=log)
    assert process.wait(timeout=30) == 1
    assert f"{rules_path}:26:32: bad duration" in log.read_text()


def test_worker_ticks_and_reloads_on_sighup(service_env, db_url, rules_path, tmp_path):
    """The tick is hourly here, so only the signal can make the worker look at the file."""
    engine = create_engine(db_url)
    log = tmp_path / "worker.log"
    process = start(service_env, "worker", log=log)

    def scalar(sql: str) -> Any:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()

    try:
        wait_for(lambda: scalar("SELECT value FROM service_state WHERE key = 'scheduler.last_tick_at'"))
        assert scalar("SELECT count(*) FROM rule_versions") == 1
        rules_path.write_text(LONGER, encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: scalar("SELECT count(*) FROM rule_versions") == 2)
    finally:
        code = stop(process)
        engine.dispose()
    assert code == 0, log.read_text()


def test_flask_cli_finds_the_app_factory(service_env):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "routes"], cwd=REPO,
                            env=service_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for route in ("/webhooks/jira", "/api/tickets/<key>", "/healthz", "/metrics"):
        assert route in result.stdout
