"""Engine and session setup for SQLite and PostgreSQL, and running the Alembic migrations.

The same code serves both databases. On SQLite every connection gets WAL mode, a busy timeout
and foreign keys; transactions are begun explicitly so that a writing transaction takes the
write lock at its start (`BEGIN IMMEDIATE`) instead of failing half-way when it upgrades a read
lock, and writers to a database file queue on an exclusive `flock` first (`WriterQueue`). On
PostgreSQL (`postgresql+psycopg://`) writers serialise per ticket with row locks.

PostgreSQL connections are not pinged before every use (that was one extra round trip per
request): they are recycled after RECYCLE_SECONDS, and a write whose pooled connection turns
out dead (a restarted server) is retried once on a fresh one, so a restart costs one retried
request per pooled connection instead of a round trip on every request.

SQLite runs with `synchronous = NORMAL` (in WAL mode a power loss may lose the last commits,
never corrupt the file); SLAWATCH_SQLITE_SYNCHRONOUS=full makes every commit wait for the disk
(its cost: docs/benchmarks.md, "Webhook ingest").

A sick database gives an error within seconds, never a hang (issue 12): SQLite waits for a lock
at most BUSY_TIMEOUT_MS per attempt and `write` retries for WRITE_PATIENCE_SECONDS; PostgreSQL
connections carry PG_TIMEOUTS (connect, TCP user timeout, keepalives) and a statement_timeout,
and every statement a client-side deadline (store/deadlines.py: a network that swallows packets).
The web app answers an OperationalError with 503 and Retry-After (web/__init__.py).
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store import deadlines

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
RECYCLE_SECONDS = 1800
SYNCHRONOUS = ("normal", "full")
WRITE_PATIENCE_SECONDS = 5.0  # retries of lock conflicts stop after this: 503 + Retry-After, not a hang
STATEMENT_TIMEOUT_MS = 60_000  # PostgreSQL: no statement of the service runs longer
PG_TIMEOUTS = {  # libpq: give up on a silent server within seconds (connect, unacknowledged data, idle)
    "connect_timeout": 5, "tcp_user_timeout": 10_000,
    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 2, "keepalives_count": 3,
}
ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def make_engine(url: str, statement_timeout_ms: int | None = STATEMENT_TIMEOUT_MS) -> Engine:
    """An engine for `url`, with the SQLite pragmas and transaction handling described above;
    on PostgreSQL with PG_TIMEOUTS and `statement_timeout` (None: none, for migrations)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        synchronous = sqlite_synchronous()
        event.listen(engine, "connect", lambda connection, record: _sqlite_connect(connection, record, synchronous))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args = dict(PG_TIMEOUTS)
        if statement_timeout_ms:
            connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    engine = create_engine(url, pool_recycle=RECYCLE_SECONDS, connect_args=connect_args)
    if parsed.get_backend_name() == "postgresql" and statement_timeout_ms:
        deadlines.watch(engine, statement_timeout_ms / 1000 + deadlines.MARGIN_SECONDS)
    return engine


def sqlite_synchronous() -> str:
    """SLAWATCH_SQLITE_SYNCHRONOUS: normal (the default) or full."""
    value = os.environ.get("SLAWATCH_SQLITE_SYNCHRONOUS", "normal").strip().lower() or "normal"
    if value not in SYNCHRONOUS:
        raise ValueError(f"SLAWATCH_SQLITE_SYNCHRONOUS must be normal or full, not {value!r}")
    return value


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record, synchronous: str = "normal") -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    writing = connection.get_execution_options().get("slawatch_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def is_retryable(exc: OperationalError) -> bool:
    """A lock timeout on SQLite, or a deadlock / serialization failure on PostgreSQL."""
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES


class WriterQueue:
    """Writers to one SQLite file take turns on an exclusive `flock` of `<file>-writers.lock`
    (plus a thread lock within the process) around their transaction.

    Without it, a writer that finds the database locked sleeps in SQLite's busy handler (1, 2,
    5, 10 ... ms) however soon the lock is freed; with two gunicorn workers each holding the lock
    for a fraction of a millisecond, those sleeps cost more than the writes. A process blocked in
    `flock` wakes the moment the lock is released. A process that dies releases it too.
    """

    def __init__(self, database_path: str):
        self.path = database_path + "-writers.lock"
        self._threads = threading.RLock()
        self._depth = 0  # nested turns of one thread lock the file once
        self._fd: int | None = None
        self._pid: int | None = None

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._threads:
            fd = self._file()
            self._depth += 1
            if self._depth == 1 and fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int | None:
        """This process's lock file; None when it cannot be opened (say, the database's directory
        is missing: SQLite then reports the real problem itself)."""
        if self._pid != os.getpid():  # a forked child must not share its parent's open file (and lock)
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None
            self._pid = os.getpid()
        return self._fd

    @staticmethod
    def for_url(url: str) -> "WriterQueue | None":
        """The queue of a SQLite database file; None for PostgreSQL and in-memory SQLite."""
        parsed = make_url(url)
        path = parsed.database or ""
        if parsed.get_backend_name() != "sqlite" or path in ("", ":memory:") or path.startswith("file:"):
            return None
        return WriterQueue(os.path.abspath(path))


class Database:
    """An engine plus a reading and a writing session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        writer_engine = self.engine.execution_options(slawatch_write=True)
        self._writer = sessionmaker(writer_engine, expire_on_commit=False)
        self._queue = WriterQueue.for_url(url)

    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    def write(self, work: Callable[[Session], T], attempts: int = 3) -> T:
        """Run `work(session)` in one writing transaction and commit; retry lock conflicts, for
        at most WRITE_PATIENCE_SECONDS (then the OperationalError: a request answers 503), and
        once a connection found dead (the server restarted since it was pooled)."""
        deadline = time.monotonic() + WRITE_PATIENCE_SECONDS
        failures, reconnected = 0, False
        while True:
            try:
                with self._turn(), self._writer() as session, session.begin():
                    return work(session)
            except OperationalError as exc:
                if exc.connection_invalidated and not reconnected:
                    reconnected = True
                    log.warning("database connection lost, retrying on a new one")
                    continue
                failures += 1
                if failures == attempts or not is_retryable(exc) or time.monotonic() >= deadline:
                    raise
                log.warning("write conflict (attempt %d of %d), retrying", failures, attempts)

    def _turn(self):
        return self._queue.turn() if self._queue is not None else nullcontext()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    """The Alembic configuration of store/migrations, aimed at the database at `url`."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations in store/migrations to the database at `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def init_app(app) -> None:
    """Open the database named by SLAWATCH_DATABASE_URL (connections are made lazily)."""
    database = Database(app.config["SLAWATCH_DATABASE_URL"])
    app.extensions["slawatch.db"] = database


def get_database(app) -> Database:
    return app.extensions["slawatch.db"]
