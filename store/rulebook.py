"""The rules in force in this process, and reloading them when the file changes.

A `RuleBook` holds the last good `Rules`; at start-up with a broken file, the last good version
stored in `rule_versions` (`load_or_last_good`: a restarted gunicorn worker or `slawatch worker`
runs on, reports the error, and picks up the file once fixed). `check()` looks at the file (cheaply: its stat
signature, or its content when forced) and puts a new version in force only if it parses; a
broken file leaves the last good rules in force and is remembered as `last_error` (the
`PATH:LINE:COL: message` lines), logged once per broken content. `publish()` stores every
version put in force in `rule_versions` and the last reload error in `service_state`.

`schedule` is what judges tickets: the rules in force plus the pins of effective-dated rules
(`slawatch rules apply NEW --from DATE`, store/rule_pins.py), each pinned version parsed once.
`publish()` (re)reads the pins when a new version came into force, and every
PINS_REFRESH_SECONDS; until then `schedule` stays the previous one as a whole, so a ticket is
never judged by new rules without the pins that came with them.

A `match.fields` entry may name a field ("Customer") instead of giving its id: every version in
force is bound to the ids Jira gives that name (store/jira_fields.py), read at start and, when
the rules name fields, again with the pins, so a name Slawatch learns works within
PINS_REFRESH_SECONDS. A name not known yet fits no ticket and is listed on /healthz.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from processors.events import format_instant
from processors.rule_schedule import RuleSchedule
from processors.rules import Rules, RulesError, bind_field_names, field_names, load_rules, parse_rules
from store.db import Database, get_database
from store.jira_fields import ids_by_name
from store.pending import mark_unsettled
from store.models import RuleVersion
from store.repo import record_rule_version, set_service_state
from store.rule_pins import load_schedule

log = logging.getLogger(__name__)

RELOAD_ERROR_KEY = "rules.reload_error"
PINS_REFRESH_SECONDS = 30.0  # how often publish() looks for pins another process added


@dataclass(frozen=True)
class ReloadError:
    at: datetime
    version: str  # sha256 of the broken content
    lines: tuple[str, ...]  # PATH:LINE:COL: message


read_rules = load_rules  # the rules file's problems, an unreadable file included, as RulesError


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def content_version(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class RuleBook:
    def __init__(self, path: str, rules: Rules, loaded_at: datetime,
                 field_ids: dict[str, tuple[str, ...]] | None = None):
        self.path = path
        self.field_ids = field_ids or {}  # casefolded field name -> Jira field ids
        self.rules = rules = bind_field_names(rules, self.field_ids)
        self.loaded_at = loaded_at
        self.last_error: ReloadError | None = None
        self._signature = _signature(path)
        self._lock = threading.Lock()
        self._unpublished = True  # the version in force is not yet in rule_versions
        self._error_unpublished = False
        self._last_check = time.monotonic()
        self.schedule = RuleSchedule(rules)  # pins unknown until the first publish()
        self._pins_read_at: float | None = None  # monotonic
        self._parsed: dict[str, Rules | None] = {}  # pinned version -> its rules (None: no longer parses)

    @classmethod
    def load(cls, path: str, now: datetime) -> "RuleBook":
        """Load the rules at start-up; raises RulesError if the file is not valid."""
        return cls(path, read_rules(path), now)

    @classmethod
    def load_or_last_good(cls, path: str, now: datetime, db: Database) -> "RuleBook":
        """Load the rules at start-up; if the file is not valid, run on the last good version
        stored in `rule_versions` (the file's error reported as a reload error, the file
        picked up once fixed). Raises RulesError only when no stored version parses either:
        a first start with a broken file."""
        try:
            rules = read_rules(path)
        except RulesError as exc:
            stored = last_good_rules(db, path)
            if stored is None:
                raise
            book = cls(path, stored, now, _field_ids(db, stored))
            lines = tuple(str(problem) for problem in exc.errors)
            book.last_error, book._error_unpublished = ReloadError(now, content_version(path) or "", lines), True
            log.error("rules file not valid; running on the last good version %s from the database:\n%s",
                      stored.version[:12], "\n".join(lines))
            return book
        return cls(path, rules, now, _field_ids(db, rules))

    def check(self, now: datetime, force: bool = False) -> bool:
        """Reload if the file changed; True if a new version came into force."""
        with self._lock:
            self._last_check = time.monotonic()
            signature = _signature(self.path)
            if signature == self._signature and not force:
                return False
            self._signature = signature
            version = content_version(self.path)
            if version == self.rules.version:
                return self._clear_error()
            if self.last_error is not None and (version or "") == self.last_error.version:
                return False  # the same broken content (or the same missing file): reported already
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
        self.rules, self.loaded_at = bind_field_names(rules, self.field_ids), now
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
        """Store the version in force and the reload error, if not done yet, and read the pins
        when due; False if the database could not be reached (tried again on the next call)."""
        with self._lock:
            store = self._unpublished or self._error_unpublished
            pins = self._pins_due()
            if not (store or pins):
                return True
            rules, loaded_at, error = self.rules, self.loaded_at, self.last_error
        try:
            if pins and self._names_used(rules):
                bound = self._rebind(ids_by_name(db), rules)
                if bound is not rules:  # a name now stands for other fields: re-judge open tickets
                    count = db.write(lambda session: mark_unsettled(session, now))
                    log.info("Jira field names bound anew (%s); %d tickets marked for a recompute",
                             ", ".join(sorted(self.field_ids)), count)
                rules = bound
            if store:
                db.write(lambda session: _store(session, rules, loaded_at, error, now))
            if pins:
                with db.reading() as session:
                    schedule = load_schedule(session, rules, self._parse_pinned)
        except SQLAlchemyError as exc:
            log.warning("could not record the rules version or read the pins: %s", type(exc).__name__)
            with self._lock:
                if pins:  # the periodic look waits for the next interval (a new version does not)
                    self._pins_read_at = time.monotonic()
            return False
        with self._lock:
            if store and self.rules is rules and self.last_error is error:
                self._unpublished = self._error_unpublished = False
            if pins and self.rules is rules:
                self._set_schedule(schedule)
        return True

    def _names_used(self, rules: Rules) -> bool:
        return bool(field_names(rules)) or any(r is not None and field_names(r) for r in self._parsed.values())

    def _rebind(self, field_ids: dict[str, tuple[str, ...]], rules: Rules) -> Rules:
        """Bind the rules in force (and, from now on, the pinned versions) to new field ids."""
        with self._lock:
            if field_ids == self.field_ids or self.rules is not rules:
                return rules
            self.field_ids, self._parsed = field_ids, {}
            self.rules = bind_field_names(rules, field_ids)
            return self.rules

    def _pins_due(self) -> bool:
        return (self.schedule.current is not self.rules or self._pins_read_at is None
                or time.monotonic() - self._pins_read_at >= PINS_REFRESH_SECONDS)

    def _set_schedule(self, schedule: RuleSchedule) -> None:
        self._pins_read_at = time.monotonic()
        if describe(schedule) != describe(self.schedule):
            log.info("rules schedule: %s", describe(schedule))
        self.schedule = schedule

    def _parse_pinned(self, version: str, text: str, path: str) -> Rules | None:
        """A pinned version's rules, parsed once per version (None: it no longer parses)."""
        if version not in self._parsed:
            try:
                self._parsed[version] = bind_field_names(parse_rules(text, path), self.field_ids)
            except RulesError as exc:
                log.error("pinned rules version %s no longer parses; its tickets are judged by "
                          "the next version:\n%s", version[:12], exc)
                self._parsed[version] = None
        return self._parsed[version]


def _field_ids(db: Database, rules: Rules) -> dict[str, tuple[str, ...]]:
    """The field ids of the names Jira gives, when the rules name fields; {} if it cannot be read."""
    if not field_names(rules):
        return {}
    try:
        return ids_by_name(db)
    except SQLAlchemyError as exc:
        log.warning("could not read the Jira field names: %s", type(exc).__name__)
        return {}


def describe(schedule: RuleSchedule) -> str:
    """One line: `3f2a9c1b0d4e before 2026-03-01T00:00:00Z, 9b8c7d6e5f4a after`."""
    parts = [f"{pin.rules.version[:12]} before {format_instant(pin.created_before)}" for pin in schedule.pins]
    return ", ".join([*parts, f"{schedule.current.version[:12]} {'after' if parts else 'for every ticket'}"])


def _store(session, rules: Rules, loaded_at: datetime, error: ReloadError | None, now: datetime) -> None:
    record_rule_version(session, rules.version, rules.text, rules.path, loaded_at)
    value = "\n".join(error.lines) if error else None
    set_service_state(session, RELOAD_ERROR_KEY, value, now)


def last_good_rules(db: Database, path: str) -> Rules | None:
    """The rules version last put in force, from `rule_versions`; None if there is none (or the
    database cannot tell, or it no longer parses)."""
    try:
        with db.reading() as session:
            text = session.execute(select(RuleVersion.text).order_by(RuleVersion.loaded_at.desc())
                                   .limit(1)).scalar_one_or_none()
    except SQLAlchemyError as exc:
        log.warning("could not read the last good rules from the database: %s", type(exc).__name__)
        return None
    if text is None:
        return None
    try:
        return parse_rules(text, path)
    except RulesError:
        return None


def init_app(app) -> None:
    """Load the rules named by SLAWATCH_RULES, or the last good version stored (see
    `RuleBook.load_or_last_good`); raises RulesError if neither is valid."""
    now = app.config["SLAWATCH_CLOCK"]()
    app.extensions["slawatch.rules"] = RuleBook.load_or_last_good(
        app.config["SLAWATCH_RULES"], now, get_database(app))


def get_rulebook(app) -> RuleBook:
    return app.extensions["slawatch.rules"]
