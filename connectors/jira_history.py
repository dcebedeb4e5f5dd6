"""Jira REST issue JSON (fields + changelog histories + comments) -> the `TicketEvent`s the
webhook path would have made of the same changes, with the same dedup keys:

    jira:{issue_id}:created
    jira:{issue_id}:changelog:{history.id}:{field}     (one per item, as in a webhook changelog)
    jira:{issue_id}:comment:{comment.id}

The REST API shows only today's `fields`, but each webhook carried the fields as they were at
its moment, and the engine applies those facts in order. So the facts of each event are rebuilt
by rewinding the changelog from today's fields: the facts after history *i* are today's facts
with every later history undone (`fromString` put back). A status's category comes from
`categories` (status name -> category key, from GET /rest/api/2/status), else it stays unknown,
exactly as in a webhook whose status changed.

The per-item and per-comment events are made by the webhook parser's own functions, so the two
paths cannot drift apart.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from connectors.errors import MalformedPayload
from connectors.jira import (Issue, changelog_events, comment_event, facts_from_fields, field_values,
                             is_kept_field, parse_jira_time, person_from_json)
from processors.events import EventKind, Person, TicketEvent


def issue_events(issue: Mapping[str, Any], histories: Iterable[Mapping[str, Any]],
                 comments: Iterable[Mapping[str, Any]],
                 categories: Mapping[str, str] | None = None) -> list[TicketEvent]:
    """All lifecycle events of one issue, from its REST JSON, histories and comments."""
    key, fields = issue.get("key"), issue.get("fields")
    if not isinstance(key, str) or not key or not isinstance(fields, dict):
        raise MalformedPayload("issue has no key or fields")
    issue_id = str(issue.get("id") or key)
    categories = categories or {}
    histories = sorted(histories, key=lambda h: (parse_jira_time(h.get("created")), _order(h.get("id"))))
    people = _people(fields, histories, comments)

    facts = facts_from_fields(fields) | ({"issue_id": issue_id} if issue.get("id") else {})
    after: list[dict[str, Any]] = [{}] * len(histories)  # facts right after history i
    for i in range(len(histories) - 1, -1, -1):
        after[i] = dict(facts)
        facts = _rewind(facts, histories[i].get("items") or [], categories, people)
    created_facts = facts

    events: list[TicketEvent] = []
    created = fields.get("created")
    if created is not None:
        actor = person_from_json(fields.get("creator")) or person_from_json(fields.get("reporter"))
        events.append(TicketEvent(ticket=key, kind=EventKind.CREATED, at=parse_jira_time(created),
                                  dedup_key=f"jira:{issue_id}:created", actor=actor,
                                  facts=created_facts))
    times = [parse_jira_time(h.get("created")) for h in histories]
    for history, at, snapshot in zip(histories, times, after):
        changelog = {"id": history.get("id"), "items": history.get("items") or []}
        events += changelog_events(Issue(key, issue_id, fields, snapshot), changelog, at,
                                   person_from_json(history.get("author"), "history.author"))
    for comment in comments:
        at = parse_jira_time(comment.get("created"))
        done = [i for i, t in enumerate(times) if t <= at]
        snapshot = after[done[-1]] if done else created_facts
        events.append(comment_event(Issue(key, issue_id, fields, snapshot), comment, None, None))
    return events


def _order(history_id: Any) -> int:
    text = str(history_id or "")
    return int(text) if text.isdigit() else 0


def _people(fields: Mapping[str, Any], histories: list[Mapping[str, Any]],
            comments: Iterable[Mapping[str, Any]]) -> dict[str, Person]:
    """Every user the issue shows, by account id and by username: to name a past assignee."""
    objects = [fields.get(role) for role in ("reporter", "assignee", "creator")]
    objects += [h.get("author") for h in histories] + [c.get("author") for c in comments]
    people: dict[str, Person] = {}
    for obj in objects:
        person = person_from_json(obj) if isinstance(obj, dict) else None
        if person is not None:
            for ident in (person.account_id, person.name, obj.get("key")):
                if ident:
                    people.setdefault(ident, person)
    return people


def _rewind(facts: dict[str, Any], items: list[Mapping[str, Any]], categories: Mapping[str, str],
            people: Mapping[str, Person]) -> dict[str, Any]:
    """The facts before a history whose items led to `facts`."""
    before = dict(facts)
    for item in items:
        if is_kept_field(item.get("fieldId")) and item.get("fieldtype") not in (None, "jira"):
            old_text = item.get("fromString")
            kept = dict(before.get("fields") or {})
            kept[item["fieldId"]] = field_values(old_text.split(",") if old_text else None)
            before["fields"] = {k: v for k, v in kept.items() if v is not None}
            continue
        if item.get("fieldtype") not in (None, "jira"):
            continue
        field, old, new, old_id = (item.get("field"), item.get("fromString"), item.get("toString"),
                                   item.get("from"))
        if field == "status":
            before["status"] = old
            before.pop("status_category", None)
            if old in categories:
                before["status_category"] = categories[old]
        elif field in ("resolution", "priority", "summary", "issuetype"):
            before[field] = old
        elif field == "assignee":
            before["assignee"] = people.get(str(old_id or "")) or _someone(old_id, old, facts)
        elif field == "labels":
            before["labels"] = tuple((old or "").split())
        elif field == "Component":
            names = [n for n in before.get("components", ()) if n != new]
            before["components"] = tuple(names + ([old] if old and old not in names else []))
    return before


def _someone(ident: Any, display_name: str | None, facts: Mapping[str, Any]) -> Person | None:
    if not ident and not display_name:
        return None
    reporter = facts.get("reporter")
    cloud = reporter is None or getattr(reporter, "account_id", None) is not None
    ident = str(ident) if ident else None
    return Person(account_id=ident if cloud else None, name=None if cloud else ident,
                  display_name=display_name)
