"""Effective-dated rules in the store: the `rule_pins` table and `slawatch rules apply`.

    pins = load_pins(executor)                      # [RulePinRow ...], oldest created_before first
    schedule = load_schedule(executor, current)     # RuleSchedule: current + the pinned versions, parsed
    spans = load_spans(executor, current_version)   # who judges which creation instants (reports)
    applied = apply_rules(db, path, new, created_before, now)   # or ApplyError; see below

`apply_rules` pins the version in the rules file at `path` for the tickets created before
`created_before`, then replaces the file with NEW's content (a temporary file in the same
directory, then `os.replace`), so running services pick NEW up through their usual reload and
read the pins with it. All or nothing: the temporary file is written before the pin is stored,
and if the file cannot be replaced afterwards the pin is deleted again. The pin is committed
before the file changes, so a service that sees NEW always finds the pin.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from processors.events import format_instant
from processors.rule_schedule import Pin, RuleSchedule, RuleSpan, spans
from processors.rules import Rules, RulesError, load_rules, parse_rules
from store.db import Database
from store.models import RulePin, RuleVersion

log = logging.getLogger(__name__)

PINS, RULE_VERSIONS = RulePin.__table__, RuleVersion.__table__
Executor = Session | Connection


class ApplyError(Exception):
    """`rules apply` did not happen (nothing was changed, unless the message says otherwise)."""


@dataclass(frozen=True)
class RulePinRow:
    created_before: datetime
    version: str
    replaced_by: str
    path: str
    applied_at: datetime


@dataclass(frozen=True)
class Applied:
    changed: bool  # False: NEW is the version in force already
    pinned: str  # the version kept for older tickets
    new: str
    created_before: datetime
    path: str


def _conn(executor: Executor) -> Connection:
    return executor.connection() if isinstance(executor, Session) else executor


def load_pins(executor: Executor) -> list[RulePinRow]:
    p = PINS.c
    query = select(p.created_before, p.version, p.replaced_by, p.path, p.applied_at).order_by(p.created_before)
    return [RulePinRow(*row) for row in _conn(executor).execute(query)]


def load_spans(executor: Executor, current_version: str) -> tuple[RuleSpan, ...]:
    return spans([(pin.created_before, pin.version) for pin in load_pins(executor)], current_version)


def load_texts(executor: Executor, versions: set[str]) -> dict[str, tuple[str, str]]:
    """{version: (text, path)} of stored rules versions."""
    if not versions:
        return {}
    r = RULE_VERSIONS.c
    rows = _conn(executor).execute(select(r.version, r.text, r.path).where(r.version.in_(sorted(versions))))
    return {version: (text_, path) for version, text_, path in rows}


def load_schedule(executor: Executor, current: Rules,
                  parse: Callable[[str, str, str], Rules | None] | None = None) -> RuleSchedule:
    """The current rules with the stored pins. `parse(version, text, path)` turns a pinned text
    into Rules (None: it does not parse any more, and the pin is left out); by default
    `parse_rules`, errors logged."""
    parse = parse or _parse
    pins = load_pins(executor)
    texts = load_texts(executor, {pin.version for pin in pins} - {current.version})
    built = []
    for pin in pins:
        rules = current if pin.version == current.version else parse(pin.version, *texts[pin.version])
        if rules is not None:
            built.append(Pin(pin.created_before, rules))
    return RuleSchedule(current, tuple(built))


def _parse(version: str, text_: str, path: str) -> Rules | None:
    try:
        return parse_rules(text_, path)
    except RulesError as exc:
        log.error("pinned rules version %s no longer parses; its tickets are judged by the next "
                  "version:\n%s", version[:12], exc)
        return None


# ---- rules apply -------------------------------------------------------------------------------

@functools.cache
def _remember(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dml(RULE_VERSIONS).on_conflict_do_nothing(index_elements=["version"])


def _add_pin(session: Session, created_before: datetime, pinned: Rules, new: Rules, path: str,
             now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # two applies at once: one waits (SQLite: BEGIN IMMEDIATE does it)
        session.execute(text("LOCK TABLE rule_pins IN SHARE ROW EXCLUSIVE MODE"))
    latest = session.scalar(select(PINS.c.created_before).order_by(PINS.c.created_before.desc()).limit(1))
    if latest is not None and latest >= created_before:
        raise ApplyError(f"the rules are pinned for tickets created before {format_instant(latest)} "
                         f"already; --from must be later than that")
    for rules in (pinned, new):
        session.execute(_remember(dialect), {"version": rules.version, "text": rules.text, "path": path,
                                             "loaded_at": now, "first_seen_at": now})
    session.execute(insert(PINS).values(created_before=created_before, version=pinned.version,
                                        replaced_by=new.version, path=path, applied_at=now))


def _content_version(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _temp_copy(path: str, data: bytes) -> str:
    """`data` in a new file beside `path`, with `path`'s permissions, flushed to disk."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, os.stat(path).st_mode & 0o7777)
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def apply_rules(db: Database, path: str, new: Rules, created_before: datetime, now: datetime) -> Applied:
    """Pin the rules in the file at `path` for tickets created before `created_before` and put
    `new` in the file (see the module docstring); ApplyError says why it did not happen."""
    target = os.path.realpath(path)  # a symlinked rules file: replace the file it points to
    try:
        current = load_rules(target)
    except RulesError as exc:
        raise ApplyError(f"{path} does not hold valid rules, so there is no version in force to pin; "
                         f"fix or restore it first:\n{exc}") from None
    if new.version == current.version:
        return Applied(False, current.version, new.version, created_before, path)
    try:
        temp = _temp_copy(target, new.text.encode("utf-8"))
    except OSError as exc:
        raise ApplyError(f"cannot write {path}: {exc.strerror}; nothing was changed") from None
    try:
        db.write(lambda session: _add_pin(session, created_before, current, new, path, now))
    except (ApplyError, SQLAlchemyError) as exc:
        os.unlink(temp)
        if isinstance(exc, ApplyError):
            raise
        raise ApplyError(f"cannot store the pin in {db.display_url()}: {exc.orig or exc}; "
                         f"nothing was changed") from None
    try:
        if _content_version(target) != current.version:
            raise ApplyError(f"{path} changed while the rules were being applied")
        os.replace(temp, target)
    except (ApplyError, OSError) as exc:
        _undo(db, temp, created_before, path, exc)
    return Applied(True, current.version, new.version, created_before, path)


def _undo(db: Database, temp: str, created_before: datetime, path: str, cause: Exception) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass
    why = str(cause) if isinstance(cause, ApplyError) else f"cannot replace {path}: {cause.strerror}"
    try:
        db.write(lambda session: session.execute(delete(PINS).where(PINS.c.created_before == created_before)))
    except SQLAlchemyError as exc:
        raise ApplyError(f"{why}; the file was not changed, but the pin for tickets created before "
                         f"{format_instant(created_before)} could not be removed from the database "
                         f"({exc.orig or exc}): delete that row of rule_pins") from None
    raise ApplyError(f"{why}; nothing was changed")
