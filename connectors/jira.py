"""Jira webhooks in: verify the signature, parse the JSON body into `TicketEvent`s.

    verify_signature(secret, body, request.headers.get("X-Hub-Signature"))  # or InvalidSignature
    events = parse_webhook(json_body)                                       # or MalformedPayload

One handler per `webhookEvent` in `HANDLERS` (a new event type is one handler here plus a fixture
in tests/fixtures/jira/). Event types not in the table give no events. Changes are read from
`changelog.items[].field`, never from `issue_event_type_name`, which differs between Jira Cloud
and Server. Every event carries the facts `issue.fields` shows (see processors/events.py), so
the engine learns a ticket's current facts from any event.

Dedup keys depend only on Jira's own ids, so a re-delivery, and a later backfill from the REST
API (changelog histories and comments carry the same ids), give the same keys:
    jira:{issue_id}:created    jira:{issue_id}:changelog:{changelog_id}:{field}
    jira:{issue_id}:deleted    jira:{issue_id}:comment:{comment_id}
and, for a changelog without an id, jira:{issue_id}:{field}:{epoch_ms}:{from}:{to}.
`person_from_json`, `facts_from_fields`, `parse_jira_time`, `Issue`, `changelog_events` and
`comment_event` are shared with that backfill (connectors/jira_history.py).

Nothing here logs a payload: reasons and log lines name paths and event types only.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from connectors.errors import InvalidSignature, IssueKeyMissing, MalformedPayload
from processors.events import EventKind, Person, TicketEvent
from processors.rules_types import SYSTEM_FIELDS

log = logging.getLogger(__name__)

SIGNATURE_METHODS = {"sha256": hashlib.sha256}  # what docs/operations.md documents; sha1 is refused
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)
_ISSUE_ID_IN_URL = re.compile(r"/issue/(\d+)/comment/")
WRITE_BACK_MARK = "(slawatch ref: "  # the last line of Slawatch's own comments (connectors/jira_writeback.py)


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Check `X-Hub-Signature: <method>=<hex HMAC of the raw body>`; raise InvalidSignature.

    Call it only when a secret is configured: an empty secret is a configuration error.
    """
    if not secret:
        raise ValueError("verify_signature needs a non-empty secret")
    if not header:
        raise InvalidSignature("missing X-Hub-Signature header")
    method, sep, signature = header.strip().partition("=")
    digestmod = SIGNATURE_METHODS.get(method.strip().lower())
    if not sep or digestmod is None:
        raise InvalidSignature("unsupported X-Hub-Signature method")
    expected = hmac.new(secret.encode("utf-8"), body, digestmod).hexdigest().encode("ascii")
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("signature does not match")


# --- reading the wire: every wrong type becomes a MalformedPayload naming its path ----------

def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if value is None or (isinstance(value, kind) and (kind is bool or not isinstance(value, bool))):
        return value
    raise MalformedPayload(f"{where} has the wrong type")


def _obj(parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
    return _expect(parent.get(key), dict, f"{where}.{key}" if where else key)


def _text(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    return _expect(parent.get(key), str, f"{where}.{key}" if where else key)


def _ident(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    """An id: Jira sends strings ("10000"); tolerate integers. Empty means absent."""
    value = _expect(parent.get(key), (str, int), f"{where}.{key}" if where else key)
    return str(value) if value not in (None, "") else None


def parse_jira_time(text: Any) -> datetime:
    """`2017-01-30T18:30:41.962+0100` (Jira), or ISO 8601 with `+01:00` or `Z` -> aware UTC."""
    if not isinstance(text, str):
        raise MalformedPayload("a time is not a string")
    try:
        at = datetime.fromisoformat(text.strip())
        if at.tzinfo is None:
            raise MalformedPayload("a time has no UTC offset")
        return at.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise MalformedPayload("a time is not an ISO 8601 instant") from None


def parse_epoch_ms(value: Any, where: str = "timestamp") -> datetime:
    """Jira's `timestamp`: epoch milliseconds -> aware UTC."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedPayload(f"{where} is not epoch milliseconds")
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except (ValueError, OverflowError):
        raise MalformedPayload(f"{where} is out of range") from None


def _epoch_ms(at: datetime) -> int:
    return (at - _EPOCH) // _ONE_MS


def person_from_json(obj: Any, where: str = "user") -> Person | None:
    """A Jira user object -> Person; None for null or a user object that names nobody."""
    obj = _expect(obj, dict, where)
    if obj is None:
        return None

    def text(key: str) -> str | None:
        value = obj.get(key)
        return value if isinstance(value, str) and value else None

    person = Person(account_id=text("accountId"), name=text("name") or text("key"),
                    email=text("emailAddress"), display_name=text("displayName"))
    return person if person.identifiers() else None


# fact -> (field in issue.fields, attribute of that object)
_NAMED_FIELDS = {"project": ("project", "key"), "issuetype": ("issuetype", "name"),
                 "priority": ("priority", "name"), "resolution": ("resolution", "name")}


def facts_from_fields(fields: Any, where: str = "issue.fields") -> dict[str, Any]:
    """The facts (processors.events.FACT_KEYS) that `issue.fields` shows; absent means unknown."""
    fields = _expect(fields, dict, where)
    if not fields:
        return {}
    facts: dict[str, Any] = {}
    for fact, (field, attr) in _NAMED_FIELDS.items():
        if field in fields:
            obj = _obj(fields, field, where)
            value = None if obj is None else _text(obj, attr, f"{where}.{field}")
            if obj is None or value is not None:
                facts[fact] = value
    if "summary" in fields:
        facts["summary"] = _text(fields, "summary", where)
    if "status" in fields:
        facts.update(_status_facts(_obj(fields, "status", where), f"{where}.status"))
    for role in ("reporter", "assignee"):
        if role in fields:
            facts[role] = person_from_json(fields[role], f"{where}.{role}")
    if "labels" in fields:
        labels = _expect(fields["labels"], list, f"{where}.labels") or []
        facts["labels"] = tuple(_expect(v, str, f"{where}.labels[]") for v in labels if v is not None)
    if "components" in fields:
        facts["components"] = _component_names(fields["components"], f"{where}.components")
    kept = {field_id: field_values(value) for field_id, value in fields.items() if is_kept_field(field_id)}
    if kept:  # a full snapshot of the issue (a trimmed one shows no custom field): empty ones left out
        facts["fields"] = {field_id: texts for field_id, texts in kept.items() if texts is not None}
    return facts


_USER_FORMS = ("accountId", "name", "key", "emailAddress", "displayName")
_VALUE_KEYS = ("value", "name", "key", "displayName", "accountId", "emailAddress")
_NESTED_KEYS = ("child", "requestType")  # a cascading select's second level; JSM's request type
_MAX_VALUES = 50


def is_kept_field(field_id: Any) -> bool:
    """The fields kept as facts for `fields:` matching: custom fields and a few system ones."""
    return isinstance(field_id, str) and (field_id.startswith("customfield_") or field_id in SYSTEM_FIELDS)


def changelog_field_names(payload: Any) -> dict[str, str]:
    """{field id: the name Jira shows} of the kept fields a webhook's changelog changes
    (`items[].fieldId`, `items[].field`), for `match.fields` written by name; {} for anything else."""
    changelog = payload.get("changelog") if isinstance(payload, dict) else None
    items = changelog.get("items") if isinstance(changelog, dict) else None
    names = {}
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and is_kept_field(item.get("fieldId")) and isinstance(item.get("field"), str):
            name = item["field"].strip()
            if name and len(name) <= 255 and len(item["fieldId"]) <= 255:
                names[item["fieldId"]] = name
    return names


def field_list_names(fields: Any) -> dict[str, str]:
    """{field id: name} of the kept fields in GET /rest/api/2/field's answer (the jira client's
    `fields()`); entries of another shape are left out."""
    names = {}
    for entry in fields if isinstance(fields, list) else ():
        if isinstance(entry, dict) and is_kept_field(entry.get("id")) and isinstance(entry.get("name"), str):
            if entry["name"].strip() and len(entry["name"]) <= 255 and len(entry["id"]) <= 255:
                names[entry["id"]] = entry["name"].strip()
    return names


def field_values(value: Any) -> tuple[str, ...] | None:
    """Any Jira field value -> the texts a `fields:` match compares: an option's value, a user's
    forms, a named object's name, every element of an array; None when the field is empty."""
    out: list[str] = []
    _collect(value, out, 0)
    return tuple(dict.fromkeys(out)) or None


def _collect(value: Any, out: list[str], depth: int) -> None:
    if value is None or len(out) >= _MAX_VALUES or depth > 3:
        return
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        if text and len(text) <= 255:
            out.append(text)
    elif isinstance(value, list):
        for item in value:
            _collect(item, out, depth + 1)
    elif isinstance(value, dict):
        for key in _VALUE_KEYS:
            if isinstance(value.get(key), (str, int)) and not isinstance(value.get(key), bool):
                _collect(value[key], out, depth + 1)
        for key in _NESTED_KEYS:
            _collect(value.get(key), out, depth + 1)


def _status_facts(status: dict[str, Any] | None, where: str) -> dict[str, Any]:
    if status is None:
        return {"status": None}
    name = _text(status, "name", where)
    if name is None:
        return {}
    category = _obj(status, "statusCategory", where)
    key = None if category is None else _text(category, "key", f"{where}.statusCategory")
    return {"status": name, "status_category": key} if key else {"status": name}


def _component_names(value: Any, where: str) -> tuple[str, ...]:
    names = []
    for item in _expect(value, list, where) or []:
        item = _expect(item, (dict, str), f"{where}[]")
        name = _text(item, "name", f"{where}[]") if isinstance(item, dict) else item
        if name:
            names.append(name)
    return tuple(names)


# --- the pieces every handler needs ---------------------------------------------------------

@dataclass(frozen=True)
class Issue:
    """One issue as a parser sees it: key, id, its raw `fields`, and the facts events carry."""

    key: str
    id: str  # Jira's numeric issue id (a string), else the key
    fields: dict[str, Any]
    facts: dict[str, Any]


def _issue(payload: Mapping[str, Any], event: str) -> Issue:
    issue = _obj(payload, "issue", "")
    key = None if issue is None else _text(issue, "key", "issue")
    if not key:
        raise MalformedPayload(f"{event} payload has no issue key")
    fields = _obj(issue, "fields", "issue") or {}
    issue_id = _ident(issue, "id", "issue")
    facts = facts_from_fields(fields) | ({"issue_id": issue_id} if issue_id else {})
    return Issue(key, issue_id or key, fields, facts)


def _timestamp(payload: Mapping[str, Any]) -> datetime | None:
    value = payload.get("timestamp")
    return None if value is None else parse_epoch_ms(value)


def _when(*candidates: datetime | None) -> datetime:
    for at in candidates:
        if at is not None:
            return at
    raise MalformedPayload("payload has no usable time (timestamp)")


def _field_time(fields: Mapping[str, Any], name: str) -> datetime | None:
    value = fields.get(name)
    return None if value is None else parse_jira_time(value)


def _event(issue: Issue, kind: EventKind, at: datetime, dedup_key: str, actor: Person | None,
           **extra: Any) -> TicketEvent:
    extra.setdefault("facts", issue.facts)
    return TicketEvent(ticket=issue.key, kind=kind, at=at, dedup_key=dedup_key, actor=actor, **extra)


# --- handlers -------------------------------------------------------------------------------

def parse_issue_created(payload: Mapping[str, Any]) -> list[TicketEvent]:
    issue = _issue(payload, "jira:issue_created")
    at = _when(_field_time(issue.fields, "created"), _timestamp(payload))
    actor = person_from_json(payload.get("user")) or person_from_json(
        issue.fields.get("creator"), "issue.fields.creator")
    return [_event(issue, EventKind.CREATED, at, f"jira:{issue.id}:created", actor)]


def parse_issue_deleted(payload: Mapping[str, Any]) -> list[TicketEvent]:
    issue = _issue(payload, "jira:issue_deleted")
    at = _when(_timestamp(payload), _field_time(issue.fields, "updated"))
    actor = person_from_json(payload.get("user"))
    return [_event(issue, EventKind.DELETED, at, f"jira:{issue.id}:deleted", actor)]


def parse_issue_updated(payload: Mapping[str, Any]) -> list[TicketEvent]:
    """One event per changelog item we use; a legacy (Server) comment; a bare `transition`."""
    issue = _issue(payload, "jira:issue_updated")
    at = _when(_timestamp(payload), _field_time(issue.fields, "updated"))
    actor = person_from_json(payload.get("user"))
    events = changelog_events(issue, _obj(payload, "changelog", ""), at, actor)
    comment = _obj(payload, "comment", "")
    type_name = _text(payload, "issue_event_type_name", "")
    if comment is not None and (type_name in (None, "issue_commented") or "comment" not in type_name):
        events.append(comment_event(issue, comment, at, actor))
    transition = _obj(payload, "transition", "")
    if transition and not any(e.kind is EventKind.STATUS_CHANGED for e in events):
        item = {"field": "status", "fromString": _text(transition, "from_status", "transition"),
                "toString": _text(transition, "to_status", "transition")}
        if item["toString"]:
            events.append(_item_event(issue, item, None, at, actor))
    if not events and comment is None and _no_items(payload):  # a comment edit is no update
        events = _fields_events(issue, type_name, at, actor)
    return events


def _no_items(payload: Mapping[str, Any]) -> bool:
    changelog = _obj(payload, "changelog", "")
    return not (changelog or {}).get("items")


def _fields_events(issue: Issue, type_name: str | None, at: datetime, actor: Person | None) -> list[TicketEvent]:
    """An update whose changelog has no items (Jira Cloud's `issue_assigned` sends such) still
    shows the issue's fields: an assignment from `fields.assignee`, else the facts as they are."""
    if type_name == "issue_assigned" and "assignee" in issue.facts:
        assignee = issue.facts["assignee"]
        raw = None if assignee is None else (assignee.account_id or assignee.name)
        item = {"field": "assignee", "to": raw, "toString": None if assignee is None else assignee.display_name}
        return [_item_event(issue, item, None, at, actor)]
    if set(issue.facts) - {"issue_id"}:
        return [_event(issue, EventKind.FIELDS_CHANGED, at, f"jira:{issue.id}:fields:{_epoch_ms(at)}", actor)]
    return []


def parse_comment_created(payload: Mapping[str, Any]) -> list[TicketEvent]:
    comment = _obj(payload, "comment", "")
    if comment is None:
        raise MalformedPayload("comment_created payload has no comment")
    match = _ISSUE_ID_IN_URL.search(_text(comment, "self", "comment") or "")
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str) or not issue["key"]:
        if match:
            raise IssueKeyMissing(f"comment_created payload has no issue key (only the issue id "
                                  f"{match.group(1)}, in comment.self)", match.group(1))
        raise MalformedPayload("comment_created payload has no issue key")
    issue = _issue(payload, "comment_created")
    if match and issue.id == issue.key:  # no issue.id: take it from the comment's URL
        issue = replace(issue, id=match.group(1))
    return [comment_event(issue, comment, _timestamp(payload), person_from_json(payload.get("user")))]


def _no_events(payload: Mapping[str, Any]) -> list[TicketEvent]:
    return []


HANDLERS: dict[str, Callable[[Mapping[str, Any]], list[TicketEvent]]] = {
    "jira:issue_created": parse_issue_created,
    "jira:issue_updated": parse_issue_updated,
    "jira:issue_deleted": parse_issue_deleted,
    "comment_created": parse_comment_created,
    "comment_updated": _no_events,  # an edited comment is not a new response
}


def parse_webhook(payload: Any) -> list[TicketEvent]:
    """A decoded Jira webhook body -> its events; [] for event types we do not use."""
    if not isinstance(payload, dict):
        raise MalformedPayload("body is not a JSON object")
    event = payload.get("webhookEvent")
    if event is None and isinstance(payload.get("transition"), dict) and payload["transition"]:
        event = "jira:issue_updated"  # old workflow post-function payloads have no webhookEvent
    if event is None:
        raise MalformedPayload("not a Jira webhook: no webhookEvent")
    if not isinstance(event, str):
        raise MalformedPayload("webhookEvent is not a string")
    handler = HANDLERS.get(event)
    if handler is None:
        log.debug("ignoring Jira event type %.80r", event)
        return []
    return handler(payload)


# --- changelog items and comments -----------------------------------------------------------

_FIELDS_CHANGED = {"Key", "project", "issuetype", "labels", "Component", "summary"}
_ITEM_KINDS = {"status": EventKind.STATUS_CHANGED, "assignee": EventKind.ASSIGNEE_CHANGED,
               "priority": EventKind.PRIORITY_CHANGED, "resolution": EventKind.RESOLVED,
               **{field: EventKind.FIELDS_CHANGED for field in _FIELDS_CHANGED}}


def changelog_events(issue: Issue, changelog: dict[str, Any] | None, at: datetime,
                     actor: Person | None) -> list[TicketEvent]:
    """One event per changelog item we use (webhook `changelog` or REST history), deduplicated."""
    if changelog is None:
        return []
    changelog_id = _ident(changelog, "id", "changelog")
    events: dict[str, TicketEvent] = {}  # multi-value fields (Component) give one item per value
    for item in _expect(changelog.get("items"), list, "changelog.items") or []:
        item = _expect(item, dict, "changelog.items[]")
        fieldtype = None if item is None else _text(item, "fieldtype", "changelog.items[]")
        if item is not None and (fieldtype in (None, "jira") or is_kept_field(item.get("fieldId"))):
            event = _item_event(issue, item, changelog_id, at, actor)
            if event is not None:
                events.setdefault(event.dedup_key, event)
    return list(events.values())


def _item_event(issue: Issue, item: Mapping[str, Any], changelog_id: str | None, at: datetime,
                actor: Person | None) -> TicketEvent | None:
    where = "changelog.items[]"
    field = _text(item, "field", where)
    kind = _ITEM_KINDS.get(field or "")
    if is_kept_field(item.get("fieldId")) and _text(item, "fieldtype", where) not in (None, "jira"):
        kind = EventKind.FIELDS_CHANGED  # a custom field: the issue's facts carry its new value
    if kind is None:
        return None
    before, after = _text(item, "fromString", where), _text(item, "toString", where)
    raw_from, raw_to = _ident(item, "from", where), _ident(item, "to", where)
    facts = dict(issue.facts)
    if field == "status":
        facts["status"] = after
        if issue.facts.get("status") != after:
            facts.pop("status_category", None)  # the snapshot's category is another status's
    elif field == "resolution":
        if after is None and raw_to is None:
            kind, facts["resolution"] = EventKind.REOPENED, None
        elif after is not None:
            facts["resolution"] = after
    elif field == "priority" and after is not None:
        facts["priority"] = after
    elif field == "assignee" and "assignee" not in facts and after is None and raw_to is None:
        facts["assignee"] = None
    elif field == "labels" and "labels" not in facts:
        facts["labels"] = tuple((after or "").split())
    elif field in ("summary", "issuetype") and field not in facts and after is not None:
        facts[field] = after
    if changelog_id is not None:
        key = f"jira:{issue.id}:changelog:{changelog_id}:{field}"
    else:
        key = f"jira:{issue.id}:{field}:{_epoch_ms(at)}:{raw_from or before or ''}:{raw_to or after or ''}"
    return _event(issue, kind, at, key, actor, from_value=before, to_value=after, facts=facts)


def comment_event(issue: Issue, comment: Mapping[str, Any], fallback_at: datetime | None,
                  fallback_actor: Person | None) -> TicketEvent:
    """The COMMENTED event of one comment (webhook or REST JSON); public unless restricted."""
    comment_id = _ident(comment, "id", "comment")
    if comment_id is None:
        raise MalformedPayload("comment has no id")
    at = _when(_field_time(comment, "created"), fallback_at)
    actor = person_from_json(comment.get("author"), "comment.author") or fallback_actor
    public = _expect(comment.get("jsdPublic"), bool, "comment.jsdPublic")
    # A comment restricted to a role or group (`visibility`) is as internal as jsdPublic: false;
    # Slawatch's own breach comment (write-back) is nobody's response either.
    body = comment.get("body")
    restricted = bool(comment.get("visibility")) or (isinstance(body, str) and WRITE_BACK_MARK in body)
    return _event(issue, EventKind.COMMENTED, at, f"jira:{issue.id}:comment:{comment_id}", actor,
                  public=public is not False and not restricted)
