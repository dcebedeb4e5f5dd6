"""`slawatch replay`: judge tickets from a file of Jira webhook bodies, exactly as the service would.

The file holds one Jira webhook payload per line (JSON Lines, the bodies Jira posts). Every line is
parsed with the same parser as `POST /webhooks/jira` and every ticket evaluated with the same
engine, at one instant, so this is the admin's tool to see how a ticket is judged.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any, Iterable

from connectors.errors import IssueKeyMissing, MalformedPayload
from connectors.jira import parse_webhook
from processors.events import TicketEvent, format_instant, moved_from
from processors.rules import Rules
from processors.sla import evaluate, ticket_json


class ReplayError(Exception):
    """A line of the events file that is not a Jira webhook body: `PATH:LINE: reason`."""


def read_events(lines: Iterable[str], path: str = "-", strict: bool = False,
                problems: list[str] | None = None) -> list[TicketEvent]:
    """The events of every line, as the service would store them: a comment that names its issue
    by id only is filed under the key that id has in the file; an issue moved to another project
    takes its history to the new key. A bad line is appended to `problems` as `PATH:LINE: reason`
    and skipped; with `strict` (or without `problems`) it raises ReplayError instead."""
    events: list[TicketEvent] = []
    keys: dict[str, str] = {}  # Jira issue id -> key, as the lines so far show it
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found = _parse_line(line, keys)
        except ReplayError as exc:
            if strict or problems is None:
                raise ReplayError(f"{path}:{number}: {exc}") from None
            problems.append(f"{path}:{number}: {exc}")
            continue
        for event in found:
            if (event.facts or {}).get("issue_id"):
                keys[str(event.facts["issue_id"])] = event.ticket
        events.extend(found)
    return _follow_moves(events)


def _parse_line(line: str, keys: dict[str, str]) -> list[TicketEvent]:
    try:
        payload = json.loads(line.rstrip("\r\n"))
        return parse_webhook(payload)
    except json.JSONDecodeError as exc:
        raise ReplayError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except IssueKeyMissing as exc:
        if exc.issue_id not in keys:
            raise ReplayError(f"{exc.reason}; no earlier line has that issue") from None
        try:
            return parse_webhook({**payload, "issue": {"id": exc.issue_id, "key": keys[exc.issue_id], "fields": {}}})
        except MalformedPayload as again:
            raise ReplayError(again.reason) from None
    except MalformedPayload as exc:
        raise ReplayError(exc.reason) from None


def _follow_moves(events: list[TicketEvent]) -> list[TicketEvent]:
    """Events of a moved issue's old key carry its new key (store/moves.py does the same)."""
    renamed: dict[str, str] = {}
    for event in events:
        old = moved_from(event)
        if old:
            renamed = {k: (event.ticket if v == old else v) for k, v in renamed.items()}
            renamed[old] = event.ticket
    return [replace(e, ticket=renamed[e.ticket]) if e.ticket in renamed else e for e in events]


def replay(rules: Rules, events: Iterable[TicketEvent], at: datetime) -> dict[str, Any]:
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for event in events:
        by_ticket[event.ticket].append(event)
    tickets = []
    for key in sorted(by_ticket):
        state = evaluate(by_ticket[key], rules, at)
        if state is not None:
            tickets.append(ticket_json(state))
    return {"rules_version": rules.version, "at": format_instant(at), "tickets": tickets}


def replay_file(rules: Rules, events_path: str, at: datetime, strict: bool = False,
                problems: list[str] | None = None) -> dict[str, Any]:
    """`replay` of the file's events; bad lines go to `problems` (see read_events)."""
    with open(events_path, encoding="utf-8") as handle:
        return replay(rules, read_events(handle, events_path, strict, problems), at)

