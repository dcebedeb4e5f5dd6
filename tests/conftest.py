"""Fixtures for the service tests: a real, migrated database per test, a rules file, the app.

Databases: a fresh SQLite file per test by default. When SLAWATCH_TEST_DATABASE_URL is set (a
PostgreSQL URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) every test gets its own
fresh PostgreSQL database instead: the migrations run once per session into a template
database, and each test's database is `CREATE DATABASE ... TEMPLATE` of it, dropped afterwards.
Either way the schema comes from the Alembic migrations, never from `create_all`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from store.db import upgrade
from store.readiness import reason

PG_ENV = "SLAWATCH_TEST_DATABASE_URL"
PG_NEEDS = ("the PostgreSQL test run needs the database named in the URL to exist and its user to "
            "have the CREATEDB right (each test gets its own database)")
TABLES = ("tickets", "events", "deliveries", "clocks", "rule_versions", "service_state")
WEBHOOK_SECRET = "test-webhook-secret"

RULES_YAML = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match:
      components: [Network]
      projects: [ACME]
  globex:
    match:
      projects: [INFRA]
policies:
  - name: urgent
    match:
      priorities: [Highest, High]
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 30m, warn_at: [50%]}
      resolution: {target: 4h, warn_at: [75%]}
  - name: standard
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 1h, warn_at: [50%]}
      resolution: {target: 8h, warn_at: [75%]}
targets:
  first_response: 85%
  resolution: 95%
"""


class Clock:
    """`now` for the app under test: fixed, and moved only by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _pg_url(base: str, database: str) -> str:
    return make_url(base).set(database=database).render_as_string(hide_password=False)


class PostgresDatabases:
    """One migrated template database per session; a copy of it per test."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        self.template = f"slawatch_tmpl_{uuid.uuid4().hex[:10]}"
        try:
            self._run(f'CREATE DATABASE "{self.template}"')
        except SQLAlchemyError as exc:
            self.admin.dispose()
            pytest.exit(f"{PG_ENV}={make_url(base_url).render_as_string(hide_password=True)}: {PG_NEEDS} "
                        f"({reason(exc)})", returncode=3)
        upgrade(_pg_url(base_url, self.template))

    def _run(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def create(self) -> str:
        name = f"slawatch_t_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory) -> Iterator[PostgresDatabases | Path]:
    base = os.environ.get(PG_ENV)
    if base:
        databases = PostgresDatabases(base)
        yield databases
        databases.close()
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    yield path


@pytest.fixture
def make_db_url(_database_template, tmp_path) -> Iterator[Callable[[], str]]:
    """Make another fresh, migrated database; returns its URL."""
    created: list[str] = []

    def make() -> str:
        if isinstance(_database_template, Path):
            path = tmp_path / f"slawatch-{len(created)}.db"
            shutil.copyfile(_database_template, path)
            created.append(str(path))
            return f"sqlite:///{path}"
        name = _database_template.create()
        created.append(name)
        return _pg_url(_database_template.base_url, name)

    yield make
    if not isinstance(_database_template, Path):
        for name in created:
            _database_template.drop(name)


@pytest.fixture
def db_url(make_db_url) -> str:
    return make_db_url()


@pytest.fixture
def dialect(db_url) -> str:
    return make_url(db_url).get_backend_name()


@pytest.fixture
def rules_path(tmp_path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc))


@pytest.fixture
def make_app(rules_path, clock) -> Iterator[Callable[..., Any]]:
    """create_app with test settings; keyword arguments override them."""
    from app import create_app
    from store.db import get_database

    apps = []

    def make(db_url: str, **overrides: Any):
        config = {
            "SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path),
            "SLAWATCH_CLOCK": clock, "SLAWATCH_SCHEDULER_EXPECTED": False,
            "SLAWATCH_TICK_SECONDS": 30, "SLAWATCH_MAX_BODY_BYTES": 1024 * 1024,
            "JIRA_WEBHOOK_SECRET": None, "JIRA_URL": None, "SLACK_BOT_TOKEN": None,
            "SLACK_SIGNING_SECRET": None,
        }
        app = create_app({**config, **overrides})
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        get_database(app).dispose()


@pytest.fixture
def app(make_app, db_url):
    return make_app(db_url)


@pytest.fixture
def client(app):
    return app.test_client()


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")


def recompute_marked(app) -> None:
    """What the worker does within a second of a stored webhook: recompute the tickets it marked
    (the real scheduler step, `Ticker.recompute_pending`, until none is due: a step is bounded
    in time)."""
    from scheduler import get_ticker
    from store.db import get_database
    from store.pending import backlog

    ticker = get_ticker(app)
    while True:
        ticker.recompute_pending(ticker.clock())
        with get_database(app).reading() as session:
            if not backlog(session, ticker.clock()).tickets:
                return


@pytest.fixture
def post_jira(client) -> Callable[..., Any]:
    """POST a payload (dict or raw bytes) to /webhooks/jira the way Jira does; after a 2xx, the
    worker's recompute runs (`recompute_marked`), so the stored clocks are current."""

    def post(payload: Any, delivery: str | None = None, secret: str | None = None,
             headers: dict[str, str] | None = None, using=None):
        body = body_of(payload)
        sent = {"Content-Type": "application/json; charset=UTF-8"}
        if delivery is not None:
            sent["X-Atlassian-Webhook-Identifier"] = delivery
        if secret is not None:
            sent["X-Hub-Signature"] = sign(body, secret)
        sent.update(headers or {})
        sender = using or client
        response = sender.post("/webhooks/jira", data=body, headers=sent)
        if response.status_code < 300:
            recompute_marked(sender.application)
        return response

    return post


def table_rows(app, table: str, exclude: tuple[str, ...] = ("id",)) -> list[tuple]:
    """Every row of `table` without the surrogate key, sorted: for comparing two databases."""
    from store.db import get_database

    with get_database(app).engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table}"))
        columns = [c for c in result.keys() if c not in exclude]
        rows = [tuple(row._mapping[c] for c in columns) for row in result]
    return sorted(rows, key=repr)


def row_counts(app) -> dict[str, int]:
    from store.db import get_database

    with get_database(app).engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
