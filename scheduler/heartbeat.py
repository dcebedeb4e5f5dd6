"""The heartbeat of this process's dispatcher (store/dispatchers.py): a thread that beats every
HEARTBEAT_SECONDS, and `fresh()`, which the dispatcher asks before each post.

    heartbeat = Heartbeat(db, worker_id, clock).start()
    dispatcher.alive = heartbeat.fresh      # posts only while the last good beat is recent
    heartbeat.stop()                        # on a clean stop: retire, rows left are taken over

A beat that fails (the database is unreachable or locked) is logged and tried again at the next
interval; until one succeeds `fresh()` says no, so this process posts nothing that another one,
seeing its heartbeat stop, could take over and post as well.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from store import dispatchers
from store.db import Database

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, db: Database, dispatcher_id: str, clock: Callable[[], datetime],
                 every: float = dispatchers.HEARTBEAT_SECONDS):
        self.db, self.dispatcher_id, self.clock, self.every = db, dispatcher_id, clock, every
        self._last_good: float | None = None  # time.monotonic() when the last good beat began
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        started = time.monotonic()
        try:
            dispatchers.beat(self.db, self.dispatcher_id, self.clock())
        except SQLAlchemyError as exc:
            log.warning("dispatcher heartbeat failed: %s", type(exc).__name__)
            return False
        self._last_good = started
        return True

    def fresh(self) -> bool:
        """Was the last good beat recent enough that a post started now ends before anyone can
        take this dispatcher for dead?"""
        last = self._last_good
        return last is not None and time.monotonic() - last <= dispatchers.FRESH_SECONDS

    def start(self) -> Heartbeat:
        self.beat()  # before the first tick can claim anything
        self._thread = threading.Thread(target=self._run, name="slawatch-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self.every):
            self.beat()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._last_good = None
        try:
            dispatchers.retire(self.db, self.dispatcher_id)
        except SQLAlchemyError as exc:
            log.warning("could not retire the dispatcher heartbeat: %s", type(exc).__name__)
