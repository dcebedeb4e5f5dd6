"""The normalized lifecycle event model every connector produces.

A `TicketEvent` is one fact about one ticket at one instant: it was created, commented on, moved
to another status, reassigned, re-prioritised, resolved, reopened, deleted, or answered from Slack.
Events carry the ticket facts their payload showed (`facts`), as far as it showed them: a key
that is present is known (its value may be None, e.g. an unassigned ticket), a key that is
absent is unknown. The SLA engine folds events in time order; it depends only on the *set* of
events, so every event has a `dedup_key` that is the same however often it is delivered.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Mapping


class EventKind(StrEnum):
    CREATED = "created"
    COMMENTED = "commented"
    STATUS_CHANGED = "status_changed"
    ASSIGNEE_CHANGED = "assignee_changed"
    PRIORITY_CHANGED = "priority_changed"
    FIELDS_CHANGED = "fields_changed"  # project, issuetype, labels, components, summary
    RESOLVED = "resolved"  # a resolution was set
    REOPENED = "reopened"  # the resolution was cleared
    DELETED = "deleted"
    SLACK_RESPONSE = "slack_response"  # a human answered about the ticket in a Slack channel


# The facts an event may carry; see the module docstring for "present means known".
FACT_KEYS = (
    "project", "issuetype", "priority", "summary", "status", "status_category", "resolution",
    "reporter", "assignee", "labels", "components",
    "fields",  # {Jira field id: texts} of custom and some system fields, the empty ones left out
)

# Order of kinds at one instant, so that sorting is total and "created" comes first.
_KIND_ORDER = {kind: i for i, kind in enumerate(EventKind)}


@dataclass(frozen=True)
class Person:
    """A Jira (or Slack) user as far as a payload identifies them."""

    account_id: str | None = None  # Cloud accountId, or Slack user id for Slack events
    name: str | None = None  # Server/DC username (`name`, else `key`)
    email: str | None = None
    display_name: str | None = None

    def identifiers(self) -> set[str]:
        return {v.casefold() for v in (self.account_id, self.name, self.email, self.display_name) if v}

    def matches(self, ident: str) -> bool:
        """True if `ident` (account id, username, email or display name) names this person."""
        return ident.casefold() in self.identifiers()

    def same_as(self, other: "Person | None") -> bool:
        """Same person if a strong identifier (account id, username, email) agrees."""
        if other is None:
            return False
        for a, b in ((self.account_id, other.account_id), (self.name, other.name)):
            if a and b:
                return a == b
        if self.email and other.email:
            return self.email.casefold() == other.email.casefold()
        if self.display_name and other.display_name:
            return self.display_name == other.display_name
        return False

    def label(self) -> str:
        return self.display_name or self.name or self.email or self.account_id or "unknown"

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Person | None":
        return None if data is None else cls(**data)


@dataclass(frozen=True)
class TicketEvent:
    ticket: str  # issue key, e.g. "OPS-1"
    kind: EventKind
    at: datetime  # aware, UTC
    dedup_key: str  # identical for every delivery of the same fact
    actor: Person | None = None
    from_value: str | None = None  # e.g. old status name, old priority, old assignee label
    to_value: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    public: bool = True  # comments: visible to the customer (Jira Service Management jsdPublic)
    source: str = "jira"

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("TicketEvent.at must be timezone-aware")
        if self.at.utcoffset():
            object.__setattr__(self, "at", self.at.astimezone(timezone.utc))

    def sort_key(self) -> tuple:
        return (self.at, _KIND_ORDER[self.kind], self.dedup_key)

    def to_json(self) -> dict[str, Any]:
        facts = {}
        for k, v in self.facts.items():
            if isinstance(v, Person):
                v = v.to_json()
            elif isinstance(v, tuple):
                v = list(v)
            facts[k] = v
        return {
            "ticket": self.ticket, "kind": self.kind.value, "at": format_instant(self.at),
            "dedup_key": self.dedup_key, "actor": self.actor.to_json() if self.actor else None,
            "from": self.from_value, "to": self.to_value, "facts": facts,
            "public": self.public, "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TicketEvent":
        facts: dict[str, Any] = {}
        for k, v in data.get("facts", {}).items():
            if k in ("reporter", "assignee"):
                v = Person.from_json(v)
            elif k in ("labels", "components") and v is not None:
                v = tuple(v)
            elif k == "fields" and v is not None:  # Jira fields for `fields:` matching
                v = {field_id: tuple(texts) for field_id, texts in v.items()}
            facts[k] = v
        return cls(
            ticket=data["ticket"], kind=EventKind(data["kind"]), at=parse_instant(data["at"]),
            dedup_key=data["dedup_key"], actor=Person.from_json(data.get("actor")),
            from_value=data.get("from"), to_value=data.get("to"), facts=facts,
            public=data.get("public", True), source=data.get("source", "jira"),
        )

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9][0-9]*")


def moved_from(event: TicketEvent) -> str | None:
    """The key the issue had before `event`, if `event` records its move to another project
    (Jira's changelog item `Key`, e.g. from OPS-5 to this ticket's NET-12); else None."""
    if event.kind is not EventKind.FIELDS_CHANGED or event.to_value != event.ticket:
        return None
    old = event.from_value
    return old if old and old != event.ticket and _ISSUE_KEY.fullmatch(old) else None


def format_instant(at: datetime | None) -> str | None:
    """UTC ISO 8601 with a `Z`, whole seconds unless there is a fraction."""
    if at is None:
        return None
    at = at.astimezone(timezone.utc)
    text = at.isoformat(timespec="microseconds" if at.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant with an offset or `Z` into an aware UTC datetime."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return at.astimezone(timezone.utc)
