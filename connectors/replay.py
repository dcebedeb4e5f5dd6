"""`slawatch replay`: judge tickets from a file of Jira webhook bodies, exactly as the service would.

The file holds one Jira webhook payload per line (JSON Lines, the bodies Jira posts). Every line is
parsed with the same parser as `POST /webhooks/jira` and every ticket evaluated with the same
engine, at one instant, so this is the admin's tool to see how a ticket is judged.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable

from connectors.errors import MalformedPayload
from connectors.jira import parse_webhook
from processors.events import TicketEvent, format_instant
from processors.rules import Rules
from processors.sla import evaluate, ticket_json


class ReplayError(Exception):
    """A line of the events file that is not a Jira webhook body: `PATH:LINE: reason`."""


def read_events(lines: Iterable[str], path: str = "-") -> list[TicketEvent]:
    events: list[TicketEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.extend(parse_webhook(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ReplayError(f"{path}:{number}: not JSON: {exc.msg} at column {exc.colno}") from None
        except MalformedPayload as exc:
            raise ReplayError(f"{path}:{number}: {exc.reason}") from None
    return events


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


def replay_file(rules: Rules, events_path: str, at: datetime) -> dict[str, Any]:
    with open(events_path, encoding="utf-8") as handle:
        return replay(rules, read_events(handle, events_path), at)

