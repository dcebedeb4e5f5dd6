"""The first hour of a new install: every command that cannot start says why in one line and how
to fix it, exits non-zero, and leaves nothing behind; wrong database URLs, ports and rules paths;
the migration log stays out of the way; a Jira that does not answer is reported at once."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli import cli
from scheduler import get_ticker
from store.db import alembic_config
from tests import jira_payloads as jp

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str | None] | None = None):
    base = {name: None for name in os.environ if name.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    return CliRunner().invoke(cli, list(args), env={**base, **(env or {})}, catch_exceptions=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("args", [
    ["serve", "--port", "0"], ["worker"], ["report", "weekly"], ["rules", "pins"],
    ["backfill", "--jql", "project = OPS"], ["db", "upgrade"],
])
def test_an_unreachable_postgresql_is_one_line_and_exit_1(args, rules_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/slawatch"
    result = run(*args, env={"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(rules_path)})
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert line.startswith(f"cannot connect to the database {url}: ") or \
        line.startswith(f"cannot migrate the database {url}: "), line
    assert "refused" in line.lower()


def _unmigrated(make_db_url) -> str:
    url = make_db_url()
    command.downgrade(alembic_config(url), "base")
    return url


def test_a_database_never_migrated_names_the_fix(make_db_url, rules_path, dialect):
    url = _unmigrated(make_db_url)
    commands = [["report", "weekly"], ["rules", "pins"], ["backtest", "--rules", str(rules_path)]]
    if dialect == "postgresql":  # an embedded SQLite file is migrated by serve and worker themselves
        commands += [["serve", "--port", "0"], ["worker"]]
    for args in commands:
        result = run(*args, env={"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(rules_path)})
        assert result.exit_code == 1, args
        assert one_line(result.stderr).endswith("has no Slawatch tables yet: run `slawatch db upgrade`")
    assert run("db", "upgrade", env={"SLAWATCH_DATABASE_URL": url}).exit_code == 0
    result = run("report", "weekly", env={"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(rules_path)})
    assert result.exit_code == 0, result.stderr


def test_a_missing_sqlite_file_is_not_created_by_a_reading_command(tmp_path, rules_path):
    path = tmp_path / "none.db"
    result = run("report", "weekly", env={"SLAWATCH_DATABASE_URL": f"sqlite:///{path}",
                                          "SLAWATCH_RULES": str(rules_path)})
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"the SQLite file {path} does not exist: run `slawatch db upgrade`"
    assert not path.exists()


@pytest.mark.parametrize("url, expected", [
    ("mysql://slawatch@db/slawatch", "configuration: SLAWATCH_DATABASE_URL: mysql://slawatch@db/slawatch "
                                     "is a mysql database; Slawatch runs on PostgreSQL or SQLite only"),
    ("slawatch.db", "configuration: SLAWATCH_DATABASE_URL 'slawatch.db' is not a database URL; "
                    "for a SQLite file write sqlite:///slawatch.db"),
    ("sqlite:///no/such/folder/slawatch.db", "configuration: SLAWATCH_DATABASE_URL: the folder "
                                             "{cwd}/no/such/folder of the SQLite file does not exist"),
])
@pytest.mark.parametrize("args", [["serve"], ["db", "upgrade"], ["worker"]])
def test_a_wrong_database_url_is_one_line(url, expected, args, rules_path, tmp_path, monkeypatch):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    result = run(*args, env={"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(rules_path)})
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith(expected.format(cwd=tmp_path / "cwd"))
    assert os.listdir(".") == []


def test_postgres_scheme_is_read_as_psycopg(make_db_url, dialect, rules_path):
    if dialect != "postgresql":
        url = "postgres://postgres@127.0.0.1:1/x"  # the spelling is accepted; the server is not there
        result = run("db", "upgrade", env={"SLAWATCH_DATABASE_URL": url})
        assert one_line(result.stderr).startswith(
            "cannot connect to the database postgresql+psycopg://postgres@127.0.0.1:1/x: ")
        return
    url = make_db_url().replace("postgresql+psycopg://", "postgres://")
    result = run("db", "upgrade", env={"SLAWATCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    assert "postgresql+psycopg://" in result.stdout and "is up to date" in result.stdout


def test_a_missing_rules_file_names_the_setting_and_leaves_no_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("serve")
    assert result.exit_code == 1
    assert one_line(result.stderr) == ("rules.yaml:1:1: cannot read the file: No such file or "
                                       "directory (set SLAWATCH_RULES to your rules file)")
    assert os.listdir(".") == []


def test_a_port_out_of_range_is_refused():
    result = run("serve", "--port", "99999")
    assert result.exit_code == 2 and "'--port': 99999 is not in the range 0<=x<=65535" in result.stderr


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"slawatch, version {version('slawatch')}\n"


def test_seed_needs_demo():
    result = run("serve", "--seed", "3")
    assert result.exit_code == 2 and "--seed needs --demo" in result.stderr


def test_backfill_against_an_unreachable_jira_fails_without_retrying(db_url, rules_path):
    jira_url = f"http://127.0.0.1:{closed_port()}"
    result = run("backfill", "--jql", "project = OPS", env={
        "SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path),
        "JIRA_URL": jira_url, "JIRA_API_TOKEN": "token"})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"backfill: cannot reach Jira at {jira_url} (ConnectionError): check JIRA_URL")
    assert "will retry" not in result.stderr


def _slawatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_commands_do_not_print_the_migration_log(tmp_path):
    quiet = _slawatch("db", "upgrade", env={"SLAWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith(f"database sqlite:///{tmp_path / 'a.db'} migrated from empty to ")
    loud = _slawatch("--log-level", "DEBUG", "db", "upgrade",
                     env={"SLAWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    assert loud.returncode == 0 and "alembic.runtime.migration: Running upgrade" in loud.stderr


def test_alerts_without_a_channel_are_logged_once_not_every_tick(make_app, db_url, clock, caplog):
    app = make_app(db_url)  # the test rules have no channels at all; the key is used by no other test
    # (the "told once" memory is per process)
    start = clock.now
    answer = app.test_client().post("/webhooks/jira", json=jp.created("NOCHAN-77", start, priority="High"))
    assert answer.status_code == 200
    caplog.set_level(logging.WARNING, logger="scheduler.planning")
    for minutes in (31, 32, 33):
        clock.now = start + timedelta(minutes=minutes)
        get_ticker(app).tick()
    told = [r.getMessage() for r in caplog.records if "have no channel" in r.getMessage()]
    assert len(told) == 1 and "alert:NOCHAN-77:first_response:1:breach" in told[0]


@pytest.mark.slow
@pytest.mark.parametrize("locale", [None, "zh_CN"])
def test_serve_demo_takes_a_seed(tmp_path, locale):
    """`serve --demo --seed 11` (and `--locale zh_CN`: the Chinese demo's cast and rules)."""
    from tests.test_service_cli import free_port, stop, wait_for

    port, log = free_port(), tmp_path / "serve.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    env = {**clean, "SLAWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "SLAWATCH_TICK_SECONDS": "3600"}
    with log.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--demo", "--seed", "11",
                                    "--port", str(port), *(["--locale", locale] if locale else [])],
                                   cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "listening on" in log.read_text(), seconds=120)
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert f"demo history in sqlite:///{tmp_path / 'demo.db'}" in output and "tickets" in output
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as connection:
        seeds = connection.execute(text("SELECT DISTINCT substr(delivery_id, 1, 8) FROM deliveries")).scalars()
        assert sorted(seeds) == ["demo-11-"]
        vendors = connection.execute(text("SELECT DISTINCT vendor FROM tickets WHERE vendor IS NOT NULL")).scalars()
        assert sorted(vendors) == ["acme", "globex", "initech"]
    engine.dispose()
    assert ("demo_rules_zh_CN.yaml" in output) == (locale == "zh_CN")


def test_serve_takes_a_locale_only_with_the_demo():
    result = CliRunner().invoke(cli, ["serve", "--locale", "zh_CN"])
    assert result.exit_code == 2 and "--locale needs --demo" in result.stderr


# ---------------------------------------------------------------- the PostgreSQL test run


def pytest_on(url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_first_hour.py::test_backfill_against_an_unreachable_jira_fails_without_retrying"],
                          cwd=REPO, env={**env, "SLAWATCH_TEST_DATABASE_URL": url},
                          capture_output=True, text=True, timeout=300)


def test_the_postgresql_run_says_what_it_needs(dialect, db_url):
    from tests.conftest import PG_NEEDS

    urls = [f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"]
    if dialect == "postgresql":  # a server that answers, a database that is not there
        urls.append(db_url.rsplit("/", 1)[0] + "/slawatch_no_such_database")
    for url in urls:
        finished = pytest_on(url)
        assert finished.returncode == 3, finished.stdout + finished.stderr
        assert f"SLAWATCH_TEST_DATABASE_URL={url}: {PG_NEEDS}" in finished.stdout + finished.stderr


def test_an_install_without_matplotlib_reports_without_charts(db_url, rules_path):
    """scripts/run installs no `charts` extra: the HTML report then has its tables only."""
    blocked = ("import sys; sys.modules['matplotlib'] = None; from cli import main; "
               "sys.argv = ['slawatch', 'report', 'weekly', '--format', 'html']; main()")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    env = {**clean, "SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}
    without = subprocess.run([sys.executable, "-c", blocked], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)
    assert without.returncode == 0, without.stderr
    assert "<h1>Weekly SLA summary" in without.stdout and "<img" not in without.stdout
    assert without.stderr == ("no charts in this report: matplotlib is not installed "
                              "(pip install 'slawatch[charts]')\n")
    with_charts = _slawatch("report", "weekly", "--format", "html", env=env)
    assert with_charts.returncode == 0 and "<img" in with_charts.stdout
