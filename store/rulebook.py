"""The rules in force in this process, and reloading them when the file changes.

A `RuleBook` holds the last good `Rules`. `check()` looks at the file (cheaply: its stat
signature, or its content when forced) and puts a new version in force only if it parses; a
broken file leaves the last good rules in force and is remembered as `last_error` (the
`PATH:LINE:COL: message` lines), logged once per broken content. `publish()` stores every
version put in force in `rule_versions` and the last reload error in `service_state`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from processors.rules import RuleProblem, Rules, RulesError, load_rules
from store.db import Database
from store.repo import record_rule_version, set_service_state

log = logging.getLogger(__name__)

RELOAD_ERROR_KEY = "rules.reload_error"


@dataclass(frozen=True)
class ReloadError:
    at: datetime
    version: str  # sha256 of the broken content
    lines: tuple[str, ...]  # PATH:LINE:COL: message


def read_rules(path: str) -> Rules:
    """`load_rules`, with an unreadable file reported like any other rules problem."""
    try:
        return load_rules(path)
    except OSError as exc:
        raise RulesError([RuleProblem(path, 1, 1, f"cannot read rules file: {exc.strerror}")]) from exc


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _content_version(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class RuleBook:
    def __init__(self, path: str, rules: Rules, loaded_at: datetime):
        self.path = path
        self.rules = rules
        self.loaded_at = loaded_at
        self.last_error: ReloadError | None = None
        self._signature = _signature(path)
        self._lock = threading.Lock()
        self._unpublished = True  # the version in force is not yet in rule_versions
        self._error_unpublished = False
        self._last_check = time.monotonic()

    @classmethod
    def load(cls, path: str, now: datetime) -> "RuleBook":
        """Load the rules at start-up; raises RulesError if the file is not valid."""
        return cls(path, read_rules(path), now)

    def check(self, now: datetime, force: bool = False) -> bool:
        """Reload if the file changed; True if a new version came into force."""
        with self._lock:
            self._last_check = time.monotonic()
            signature = _signature(self.path)
            if signature == self._signature and not force:
                return False
            self._signature = signature
            version = _content_version(self.path)
            if version == self.rules.version:
                return self._clear_error()
            if self.last_error is not None and version == self.last_error.version:
                return False  # the same broken content: reported already
            return self._reload(now, version)

    def check_throttled(self, now: datetime, interval: float = 1.0) -> bool:
        """`check()`, at most once per `interval` seconds (for the request path)."""
        if time.monotonic() - self._last_check < interval:
            return False
        return self.check(now)

    def _reload(self, now: datetime, version: str | None) -> bool:
        try:
            rules = read_rules(self.path)
        except RulesError as exc:
            lines = tuple(str(problem) for problem in exc.errors)
            self.last_error = ReloadError(now, version or "", lines)
            self._error_unpublished = True
            log.error("rules reload failed, keeping version %s:\n%s", self.rules.version[:12], "\n".join(lines))
            return False
        changed = rules.version != self.rules.version
        self.rules, self.loaded_at = rules, now
        self._unpublished = self._unpublished or changed
        self._clear_error()
        log.info("rules version %s in force (%s)", rules.version[:12], self.path)
        return changed

    def _clear_error(self) -> bool:
        if self.last_error is not None:
            self.last_error = None
            self._error_unpublished = True
        return False

    def publish(self, db: Database, now: datetime) -> bool:
        """Store the version in force and the reload error, if not done yet; False if the
        database could not be reached (it is tried again on the next call)."""
        with self._lock:
            if not (self._unpublished or self._error_unpublished):
                return True
            rules, loaded_at, error = self.rules, self.loaded_at, self.last_error
        try:
            db.write(lambda session: _store(session, rules, loaded_at, error, now))
        except SQLAlchemyError as exc:
            log.warning("could not record the rules version: %s", type(exc).__name__)
            return False
        with self._lock:
            if self.rules is rules and self.last_error is error:
                self._unpublished = self._error_unpublished = False
        return True


def _store(session, rules: Rules, loaded_at: datetime, error: ReloadError | None, now: datetime) -> None:
    record_rule_version(session, rules.version, rules.text, rules.path, loaded_at)
    value = "\n".join(error.lines) if error else None
    set_service_state(session, RELOAD_ERROR_KEY, value, now)


def init_app(app) -> None:
    """Load the rules named by SLAWATCH_RULES; raises RulesError if they are not valid."""
    now = app.config["SLAWATCH_CLOCK"]()
    app.extensions["slawatch.rules"] = RuleBook.load(app.config["SLAWATCH_RULES"], now)


def get_rulebook(app) -> RuleBook:
    return app.extensions["slawatch.rules"]
