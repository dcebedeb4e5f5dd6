"""What the store can hold: the checks every webhook passes before anything is written.

Whatever Slawatch acknowledges must be storable and recomputable, or one delivery would stop the
worker's recompute of every ticket marked after it (issue 12). So, at the door:

- `clean_json(payload)`: NUL characters are dropped from every string (PostgreSQL text cannot hold
  them; no Jira field needs one), a lone surrogate (`"\\ud800"` in the JSON) is refused (it
  cannot be encoded as UTF-8), and so is nesting deeper than MAX_DEPTH. Iterative: no payload can
  exhaust Python's recursion limit.
- `check_events(events)`: issue keys are Jira keys (`ISSUE_KEY`), and instants lie in
  [EARLIEST, LATEST): before 1970 the elapsed seconds of a clock overflow the integer columns of
  PostgreSQL, and near year 9999 a due time cannot be computed.

Each refusal is a `MalformedPayload` whose reason names what was wrong, never the value.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable

from connectors.errors import MalformedPayload
from processors.events import TicketEvent

ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]+-[0-9]+")
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
MAX_DEPTH = 64  # Jira's payloads nest about 8 deep
MAX_KEY_LENGTH = 255


def is_issue_key(text: Any) -> bool:
    return isinstance(text, str) and len(text) <= MAX_KEY_LENGTH and ISSUE_KEY.fullmatch(text) is not None


def encodable(text: str) -> bool:
    """True if `text` can be stored as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_text(text: str) -> str:
    if not encodable(text):
        raise MalformedPayload("a string holds a lone surrogate (not encodable as UTF-8)")
    return text.replace("\x00", "") if "\x00" in text else text


def clean_json(payload: Any) -> Any:
    """`payload` with NUL dropped from every string and key; MalformedPayload for a lone
    surrogate anywhere or nesting deeper than MAX_DEPTH."""
    if isinstance(payload, str):
        return _clean_text(payload)
    root: list[Any] = [payload]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]  # (container, index or key, depth)
    while stack:
        parent, slot, depth = stack.pop()
        value = parent[slot]
        if isinstance(value, str):
            parent[slot] = _clean_text(value)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise MalformedPayload(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            value = {_clean_text(key): item for key, item in value.items()}
            parent[slot] = value
            stack.extend((value, key, depth + 1) for key in value)
        else:
            stack.extend((value, index, depth + 1) for index in range(len(value)))
    return root[0]


def check_instant(at: datetime, where: str) -> None:
    if not EARLIEST <= at < LATEST:
        raise MalformedPayload(f"{where} is outside {EARLIEST.year}..{LATEST.year - 1}")


def check_events(events: Iterable[TicketEvent]) -> None:
    """MalformedPayload unless every event names a Jira issue key and lies in the sane range."""
    for event in events:
        if not is_issue_key(event.ticket):
            raise MalformedPayload("issue.key is not a Jira issue key (PROJECT-123)")
        check_instant(event.at, f"the time of a {event.kind.value} event")
