"""Client-side deadlines for PostgreSQL statements: a database that silently drops packets gives
an error within seconds, never a hang (issue 12).

The server's `statement_timeout` cannot end a statement the server never received, and when the
packets are swallowed by something that acknowledges them (a proxy, a load balancer, a NAT box
that lost its state) libpq's TCP user timeout and keepalives see a healthy socket: the client
would wait for the answer forever. So a watchdog thread (`WATCHDOG`) knows every statement,
COMMIT and ROLLBACK in flight and, when one outlives its deadline, shuts its socket down: the
waiting thread gets an OperationalError at once (SQLAlchemy then discards the connection), and a
request answers 503 with Retry-After (web/__init__.py).

The deadline of a statement is the calling thread's budget (`limit_thread`: the web app sets
REQUEST_SECONDS for the callers that must hear quickly, webhooks and /healthz; OTHER_REQUEST_SECONDS
for the other pages) or, elsewhere (the worker), the statement timeout plus MARGIN_SECONDS: the
server cancels a slow statement first, so only a silent server meets the watchdog there.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from psycopg import pq
from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

REQUEST_SECONDS = 5.0  # Jira's webhook deliveries, Slack's requests, /healthz
OTHER_REQUEST_SECONDS = 30.0  # pages, the API and exports
MARGIN_SECONDS = 5.0  # beyond statement_timeout, for a thread without a budget
CHECK_SECONDS = 0.25  # how often the watchdog looks

_budget = threading.local()


def limit_thread(seconds: float | None) -> None:
    """Each statement this thread runs from now on may wait `seconds` for its answer (None: the
    default of its engine)."""
    _budget.seconds = seconds


class Watchdog:
    """The statements in flight on watched connections, and their deadlines; one thread for the
    process, asleep while nothing is in flight."""

    def __init__(self):
        self._armed: dict[int, tuple[float, Any]] = {}  # id(dbapi connection) -> (deadline, it)
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_connection: Any, default_seconds: float) -> None:
        seconds = getattr(_budget, "seconds", None) or default_seconds
        with self._wakeup:
            idle = not self._armed
            self._armed[id(dbapi_connection)] = (time.monotonic() + seconds, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slawatch-db-watchdog", daemon=True)
                self._thread.start()
            elif idle:
                self._wakeup.notify()

    def disarm(self, dbapi_connection: Any) -> None:
        with self._wakeup:
            self._armed.pop(id(dbapi_connection), None)

    def forget(self) -> None:
        """In a forked child (gunicorn): the thread did not come along; start afresh."""
        self._armed, self._wakeup, self._thread = {}, threading.Condition(), None

    def _run(self) -> None:
        while True:
            with self._wakeup:
                self._wakeup.wait(CHECK_SECONDS if self._armed else None)
                now = time.monotonic()
                overdue = [(key, conn) for key, (deadline, conn) in self._armed.items() if deadline <= now]
                for key, _ in overdue:
                    del self._armed[key]
            for _, conn in overdue:
                cut(conn)


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG.forget)


def cut(dbapi_connection: Any) -> None:
    """Shut the connection's socket down, if it still waits for an answer (a command in
    progress): whoever waits on it gets an error now."""
    try:
        if dbapi_connection.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
            return  # answered meanwhile (say, a COMMIT whose connection stayed checked out)
        fd = dbapi_connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception as exc:  # noqa: BLE001 - closed meanwhile: nothing waits on it any more
        log.debug("could not cut a database connection: %s", type(exc).__name__)
        return
    log.warning("database: no answer within the deadline, connection cut")


def watch(engine: Engine, default_seconds: float) -> None:
    """Give every statement, COMMIT and ROLLBACK on `engine` a deadline. (A statement that failed
    stays armed until its connection's next use or check-in: harmless, `cut` spares a connection
    that waits for nothing.)"""
    def arm(dbapi_connection: Any) -> None:
        WATCHDOG.arm(dbapi_connection, default_seconds)

    def arm_valid(connection) -> None:
        if not connection.invalidated:  # an invalidated one sends nothing more
            arm(connection.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", lambda conn, cursor, *args: arm(cursor.connection))
    event.listen(engine, "after_cursor_execute", lambda conn, cursor, *args: WATCHDOG.disarm(cursor.connection))
    event.listen(engine, "commit", arm_valid)
    event.listen(engine, "rollback", arm_valid)
    event.listen(engine, "reset", lambda dbapi_connection, record, state: arm(dbapi_connection))
    event.listen(engine, "checkin", lambda dbapi_connection, record: dbapi_connection is not None and WATCHDOG.disarm(
        dbapi_connection))
