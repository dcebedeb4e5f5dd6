"""The names Jira shows for its field ids, for `match.fields` written by name ("Customer",
"Request type"): a webhook's issue carries custom fields by id only, so a name in rules.yaml
stands for the ids Jira gives that name (processors.rules.bind_field_names).

Learnt from two sources, the later one winning:
- every Jira webhook whose changelog changes a kept field (`items[].field` and `items[].fieldId`:
  web/webhooks.py after the delivery is stored; a process remembers what it wrote and writes a
  pair again only when it is new to it);
- GET /rest/api/2/field (the jira client's `fields()`), at every `slawatch backfill` and every
  reconcile run when Jira REST is configured (connectors/jira_backfill.py).

    learn(db, {"customfield_10010": "Customer"}, now)
    ids_by_name(db) -> {"customer": ("customfield_10010",)}     (names casefolded)
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.db import Database
from store.models import JiraField

_known: dict[str, dict[str, str]] = {}  # database url -> {id: name} this process wrote or read
_known_lock = threading.Lock()


def new_pairs(db: Database, names: Mapping[str, str]) -> dict[str, str]:
    """The (id, name) pairs of `names` this process has not stored in (or read from) `db` yet."""
    with _known_lock:
        known = _known.get(str(db.url), {})
        return {field_id: name for field_id, name in names.items() if known.get(field_id) != name}


def learn(db: Database, names: Mapping[str, str], now: datetime) -> int:
    """Store the pairs that are new to this process; returns how many were written."""
    fresh = new_pairs(db, names)
    if fresh:
        db.write(lambda session: record(session, fresh, now))
        _remember(db, fresh)
    return len(fresh)


def record(session: Session, names: Mapping[str, str], now: datetime) -> None:
    rows = [{"id": field_id[:255], "name": name[:255], "updated_at": now} for field_id, name in names.items()]
    if rows:
        dml = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = dml(JiraField)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["id"], set_={"name": stmt.excluded.name, "updated_at": stmt.excluded.updated_at}), rows)


def ids_by_name(db: Database) -> dict[str, tuple[str, ...]]:
    """Casefolded field name -> the ids Jira gives it (sorted; two fields may share a name)."""
    with db.reading() as session:
        pairs = dict(session.execute(select(JiraField.id, JiraField.name).order_by(JiraField.id)).all())
    _remember(db, pairs)
    found: dict[str, list[str]] = {}
    for field_id, name in pairs.items():
        found.setdefault(name.casefold(), []).append(field_id)
    return {name: tuple(ids) for name, ids in found.items()}


def _remember(db: Database, names: Mapping[str, str]) -> None:
    with _known_lock:
        _known.setdefault(str(db.url), {}).update(names)


__all__ = ["ids_by_name", "learn", "new_pairs", "record"]
