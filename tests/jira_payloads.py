"""Realistic Jira webhook payloads for any ticket, in the exact wire shapes of
tests/fixtures/jira/*.json (Jira's webhook documentation on developer.atlassian.com, and the public
fixtures of open-source Jira integrations such as zulip's). test_jira_parser
checks that `story()` reproduces every fixture file byte for byte, so the builder cannot drift
from the recorded shapes; `python -m tests.jira_payloads` rewrites the files after a deliberate
change.

Two ways to use it:
- module functions, one payload each: `created("OPS-9", at, priority="High")`,
  `status_changed("OPS-9", at, "To Do", "In Progress")`, `commented("OPS-9", at, AGENT)`, ...
  Every payload carries the ticket's full `issue.fields`, and the parser turns those into facts,
  so pass the same facts (priority=..., reporter=...) to every call of one ticket, or
- a `JiraTicket`, which remembers its state (status, priority, assignee, comments, ...):
  `t = JiraTicket("OPS-9", at); t.created(); t.commented(at2, AGENT); t.resolved(at3, actor=AGENT)`.
Changelog, comment and worklog ids come from one counter unless given.

The fixture story (`story()`); times are Europe/Paris, +0100:

Jira Cloud, https://acme-it.atlassian.net, service-desk project OPS "IT Operations":
  OPS-1 (issue id 10042) "VPN drops every few minutes at the Lyon office", Incident, Medium,
  component Network, label vpn; reported by the customer Maria Lopez.
  2026-01-05 09:00  issue_created.json                   Maria opens it (To Do, category new)
             09:10  issue_updated__assignee.json         lead Sam Okafor assigns Chen Wei (issue_assigned)
             09:20  comment_created__internal.json       Chen: internal note (jsdPublic false)
             09:30  comment_created.json                 Chen answers Maria: the first response
             09:34  comment_updated.json                 Chen edits that answer (not an event)
             09:45  issue_updated__status.json           Chen: To Do -> In Progress
             10:15  issue_updated__priority.json         Sam: Medium -> High
             10:20  issue_updated__labels.json           Sam: labels "vpn" -> "vip vpn"
             11:25  worklog_created.json                 Chen logs 1h (ignored)
             11:30  issue_updated__resolved.json         Chen: resolution Done, In Progress -> Done (done)
  2026-01-06 08:30  issue_updated__reopened.json         Maria: resolution cleared, Done -> Reopened
  2026-01-09 17:00  issue_deleted.json                   Sam deletes the ticket
Jira Data Center, https://jira.acme.internal, 2013-style payloads (users by name/key, no
statusCategory, no jsdPublic), project INFRA "Infrastructure":
  INFRA-7 (issue id 21507) "Nightly backup fails on db-03", Bug, Major; reported by Birgit
  Wagner, assigned to John Smith.
  2026-01-05 10:15  issue_created__server.json           Birgit opens it (Open)
             10:40  issue_updated__reassigned_server.json John hands it to Anil Kumar (issue_generic)
             11:05  issue_commented__server.json         Anil comments (legacy issue_updated + comment)
"""
from __future__ import annotations

import hashlib
import itertools
import json
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from processors.events import Person

FIXTURES = Path(__file__).parent / "fixtures" / "jira"
CLOUD_SITE = "https://acme-it.atlassian.net"
SERVER_SITE = "https://jira.acme.internal"
PARIS = timezone(timedelta(hours=1))
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_next_id = itertools.count(50001).__next__

CATEGORIES = {"new": (2, "blue-gray", "To Do"), "indeterminate": (4, "yellow", "In Progress"),
              "done": (3, "green", "Done")}
STATUS_IDS = {"To Do": "10000", "Open": "1", "In Progress": "3", "Reopened": "4", "Resolved": "5",
              "Closed": "6", "Done": "10001", "Waiting for support": "10002",
              "Waiting for customer": "10003"}
_STATUS_CATEGORY = {"To Do": "new", "Open": "new", "Waiting for support": "new", "Done": "done",
                    "Resolved": "done", "Closed": "done"}
PRIORITY_IDS = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5",
                "Blocker": "1", "Critical": "2", "Major": "3", "Minor": "4", "Trivial": "5"}
ISSUETYPES = {"Epic": ("10000", "A big user story that needs to be broken down."),
              "Story": ("10001", "Functionality or a feature expressed as a user goal."),
              "Task": ("10002", "A small, distinct piece of work."),
              "Bug": ("10004", "A problem or error."),
              "Incident": ("10005", "For system outages or incidents."),
              "Service Request": ("10006", "Request help from an internal or customer service team.")}
RESOLUTION_IDS = {"Fixed": "1", "Won't Fix": "2", "Duplicate": "3", "Incomplete": "4",
                  "Cannot Reproduce": "5", "Done": "10000", "Won't Do": "10001"}


def _num(text: str, span: int = 900, base: int = 10100) -> str:
    return str(base + zlib.crc32(text.encode()) % span)


def jira_time(at: datetime) -> str:
    """Jira's own format, in the offset `at` carries: 2026-01-05T09:00:00.000+0100."""
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}{at:%z}"


def epoch_ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _instant(at: datetime | str) -> datetime:
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    if at.tzinfo is None:
        raise ValueError("payload times must be timezone-aware")
    return at


@dataclass(frozen=True)
class JiraUser:
    display_name: str
    account_id: str  # Cloud
    name: str  # Data Center username
    key: str  # Data Center user key
    email: str | None = None  # None: hidden by the Cloud privacy settings
    time_zone: str = "Europe/Paris"
    account_type: str = "atlassian"  # "customer" for service-desk customers

    def wire(self, site: str, flavour: str) -> dict[str, Any]:
        if flavour == "server":
            avatar = f"{site}/secure/useravatar?ownerId={self.key}&avatarId=10341"
            sizes = {"48x48": "", "24x24": "&size=small", "16x16": "&size=xsmall", "32x32": "&size=medium"}
            return {"self": f"{site}/rest/api/2/user?username={self.name}", "name": self.name,
                    "key": self.key, **({"emailAddress": self.email} if self.email else {}),
                    "avatarUrls": {k: avatar + v for k, v in sizes.items()},
                    "displayName": self.display_name, "active": True, "timeZone": self.time_zone}
        initials = "".join(w[0] for w in self.display_name.split()[:2]).upper()
        avatar = (f"https://secure.gravatar.com/avatar/{hashlib.md5(self.account_id.encode()).hexdigest()}"
                  f"?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net"
                  f"%2Finitials%2F{initials}-5.png")
        return {"self": f"{site}/rest/api/2/user?accountId={quote(self.account_id, safe='')}",
                "accountId": self.account_id, **({"emailAddress": self.email} if self.email else {}),
                "avatarUrls": {s: avatar for s in ("48x48", "24x24", "16x16", "32x32")},
                "displayName": self.display_name, "active": True, "timeZone": self.time_zone,
                "accountType": self.account_type}

    def person(self, flavour: str = "cloud") -> Person:
        """The Person the parser makes of this user's wire object."""
        if flavour == "server":
            return Person(name=self.name, email=self.email, display_name=self.display_name)
        return Person(account_id=self.account_id, email=self.email, display_name=self.display_name)


def user(display_name: str, **overrides: Any) -> JiraUser:
    """A user with stable made-up ids derived from the display name."""
    words = [w for w in display_name.lower().split() if w.isalnum()] or ["user"]
    made = JiraUser(display_name, account_id=hashlib.sha1(display_name.encode()).hexdigest()[:24],
                    name=(words[0][0] + words[-1]) if len(words) > 1 else words[0],
                    key=f"JIRAUSER{_num(display_name, 90000, 10000)}")
    return replace(made, **overrides)


CUSTOMER = MARIA = user("Maria Lopez", account_id="712020:3f7a1c52-9b4e-4d8a-a1c7-2e5b8f0d6c93",
                        email="maria.lopez@client.example", account_type="customer")
AGENT = CHEN = user("Chen Wei", account_id="5f8e2a1b9c3d4e6f7a8b9c0d", time_zone="Asia/Shanghai")
LEAD = SAM = user("Sam Okafor", account_id="60a7b3c2d1e4f5a6b7c8d9e0", email="sam.okafor@acme.example")
BIRGIT = user("Birgit Wagner", name="bwagner", key="JIRAUSER10017", email="birgit.wagner@acme.example",
              time_zone="Europe/Berlin")
JOHN = user("John Smith", name="jsmith", key="JIRAUSER10100", email="john.smith@acme.example",
            time_zone="Europe/Berlin")
ANIL = user("Anil Kumar", name="akumar", key="JIRAUSER10205", email="anil.kumar@vendor.example",
            time_zone="Asia/Kolkata")


def _as_user(who: JiraUser | str | None) -> JiraUser | None:
    return user(who) if isinstance(who, str) else who


@dataclass
class JiraTicket:
    """One Jira issue and its current state; each method returns the webhook Jira would send
    for that change and updates the state."""

    key: str
    created_at: datetime
    reporter: JiraUser = CUSTOMER
    priority: str = "Medium"
    issuetype: str = "Task"
    project: str | None = None  # default: the key's prefix
    project_name: str | None = None
    summary: str | None = None
    status: str = "To Do"
    status_category: str | None = None  # default: from the status name
    resolution: str | None = None
    assignee: JiraUser | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    issue_id: str | None = None  # default: derived from the key, unique per key
    project_id: str | None = None
    flavour: str = "cloud"  # or "server" (Data Center, 2013-style payloads)
    site: str | None = None
    description: str = "Please have a look."
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    category_changed_at: datetime | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.created_at = _instant(self.created_at)
        self.reporter, self.assignee = _as_user(self.reporter), _as_user(self.assignee)
        self.project = self.project or self.key.rsplit("-", 1)[0]
        self.project_name = self.project_name or self.project.title()
        self.summary = self.summary or f"{self.issuetype} {self.key}"
        self.status_category = self.status_category or _category(self.status)
        self.site = self.site or (SERVER_SITE if self.flavour == "server" else CLOUD_SITE)
        number = self.key.rsplit("-", 1)[-1]
        self.issue_id = self.issue_id or str(
            10000 + zlib.crc32(self.project.encode()) % 900 * 100000 + (int(number) if number.isdigit() else 0))
        self.project_id = self.project_id or _num(self.project)
        self.updated_at = self.updated_at or self.created_at
        self.category_changed_at = self.category_changed_at or self.created_at
        if self.resolution and self.resolved_at is None:
            self.resolved_at = self.updated_at

    # --- events ---------------------------------------------------------------------------

    def created(self, actor: JiraUser | str | None = None) -> dict[str, Any]:
        return self._envelope(self.created_at, "jira:issue_created", "issue_created",
                              _as_user(actor) or self.reporter)

    def status_changed(self, at: datetime | str, to: str, *, actor: JiraUser | str = AGENT,
                       category: str | None = None, changelog_id: str | None = None) -> dict[str, Any]:
        at = _instant(at)
        item = self._item("status", STATUS_IDS.get(self.status, _num(self.status)), self.status,
                          STATUS_IDS.get(to, _num(to)), to)
        self._set_status(at, to, category)
        return self._updated(at, actor, "issue_generic", [item], changelog_id)

    def resolved(self, at: datetime | str, *, actor: JiraUser | str = AGENT, resolution: str = "Done",
                 status: str = "Done", changelog_id: str | None = None) -> dict[str, Any]:
        at = _instant(at)
        items = [self._item("resolution", None, None, RESOLUTION_IDS.get(resolution, _num(resolution)),
                            resolution),
                 self._item("status", STATUS_IDS.get(self.status, _num(self.status)), self.status,
                            STATUS_IDS.get(status, _num(status)), status)]
        self.resolution, self.resolved_at = resolution, at
        self._set_status(at, status, "done")
        return self._updated(at, actor, "issue_resolved", items, changelog_id)

    def reopened(self, at: datetime | str, *, actor: JiraUser | str = CUSTOMER, status: str = "Reopened",
                 changelog_id: str | None = None) -> dict[str, Any]:
        at = _instant(at)
        old = self.resolution or "Done"
        items = [self._item("resolution", RESOLUTION_IDS.get(old, _num(old)), old, None, None),
                 self._item("status", STATUS_IDS.get(self.status, _num(self.status)), self.status,
                            STATUS_IDS.get(status, _num(status)), status)]
        self.resolution = self.resolved_at = None
        self._set_status(at, status, None)
        return self._updated(at, actor, "issue_reopened", items, changelog_id)

    def assigned(self, at: datetime | str, assignee: JiraUser | str | None, *,
                 actor: JiraUser | str = LEAD, changelog_id: str | None = None) -> dict[str, Any]:
        old, new = self.assignee, _as_user(assignee)
        item = self._item("assignee", self._user_id(old), old and old.display_name,
                          self._user_id(new), new and new.display_name)
        self.assignee = new
        type_name = "issue_generic" if self.flavour == "server" else "issue_assigned"
        return self._updated(_instant(at), actor, type_name, [item], changelog_id)

    def priority_changed(self, at: datetime | str, to: str, *, actor: JiraUser | str = LEAD,
                         changelog_id: str | None = None) -> dict[str, Any]:
        item = self._item("priority", PRIORITY_IDS.get(self.priority, _num(self.priority)),
                          self.priority, PRIORITY_IDS.get(to, _num(to)), to)
        self.priority = to
        return self._updated(_instant(at), actor, "issue_updated", [item], changelog_id)

    def labels_changed(self, at: datetime | str, labels: tuple[str, ...] | list[str], *,
                       actor: JiraUser | str = LEAD, changelog_id: str | None = None) -> dict[str, Any]:
        new = tuple(sorted(labels))
        item = self._item("labels", None, " ".join(self.labels), None, " ".join(new))
        self.labels = new
        return self._updated(_instant(at), actor, "issue_updated", [item], changelog_id)

    def commented(self, at: datetime | str, author: JiraUser | str = AGENT, *, public: bool = True,
                  body: str = "Thanks for the report, we are looking into it.",
                  comment_id: str | None = None) -> dict[str, Any]:
        at, author = _instant(at), _as_user(author)
        comment = self._comment(comment_id or str(_next_id()), author, body, at, at, public)
        self.comments.append(comment)
        self.updated_at = at
        if self.flavour == "server":
            return {**self._envelope(at, "jira:issue_updated", "issue_commented", author), "comment": comment}
        return {"timestamp": epoch_ms(at), "webhookEvent": "comment_created", "comment": comment,
                "issue": self._issue(trimmed=True)}

    def comment_updated(self, at: datetime | str, comment_id: str, *, body: str,
                        author: JiraUser | str = AGENT) -> dict[str, Any]:
        at, author = _instant(at), _as_user(author)
        old = next((c for c in self.comments if c["id"] == comment_id), None)
        created = datetime.fromisoformat(old["created"]) if old else at
        comment = self._comment(comment_id, author, body, created, at, old.get("jsdPublic", True) if old else True)
        self.comments = [comment if c["id"] == comment_id else c for c in self.comments]
        if self.flavour == "server":
            return {**self._envelope(at, "jira:issue_updated", "issue_comment_edited", author), "comment": comment}
        return {"timestamp": epoch_ms(at), "webhookEvent": "comment_updated", "comment": comment,
                "issue": self._issue(trimmed=True)}

    def moved(self, at: datetime | str, new_key: str, *, project_name: str | None = None,
              actor: JiraUser | str = LEAD) -> dict[str, Any]:
        """Moved to another project: Jira renames the issue (changelog items `project` and `Key`)
        and sends the issue under its new key; later payloads of this ticket use that key."""
        at = _instant(at)
        old_key, old_project_id, old_name = self.key, self.project_id, self.project_name
        self.key, self.project = new_key, new_key.rsplit("-", 1)[0]
        self.project_id, self.project_name = _num(self.project), project_name or self.project.title()
        items = [self._item("project", old_project_id, old_name, self.project_id, self.project_name),
                 self._item("Key", None, old_key, None, new_key)]
        return self._updated(at, actor, "issue_moved", items, None)

    def deleted(self, at: datetime | str, *, actor: JiraUser | str = LEAD) -> dict[str, Any]:
        return self._envelope(_instant(at), "jira:issue_deleted", "issue_deleted", _as_user(actor))

    def worklog_created(self, at: datetime | str, author: JiraUser | str = AGENT, *, seconds: int = 3600,
                        worklog_id: str | None = None) -> dict[str, Any]:
        at, author, worklog_id = _instant(at), _as_user(author), worklog_id or str(_next_id())
        who = author.wire(self.site, self.flavour)
        return {"timestamp": epoch_ms(at), "webhookEvent": "worklog_created", "worklog": {
            "self": f"{self.site}/rest/api/2/issue/{self.issue_id}/worklog/{worklog_id}",
            "author": who, "updateAuthor": who, "comment": "", "created": jira_time(at),
            "updated": jira_time(at), "started": jira_time(at - timedelta(seconds=seconds)),
            "timeSpent": _duration(seconds), "timeSpentSeconds": seconds, "id": worklog_id,
            "issueId": self.issue_id}}

    # --- wire pieces ----------------------------------------------------------------------

    def _set_status(self, at: datetime, to: str, category: str | None) -> None:
        category = category or _category(to)
        if category != self.status_category:
            self.category_changed_at = at
        self.status, self.status_category = to, category

    def _updated(self, at: datetime, actor: JiraUser | str, type_name: str, items: list[dict[str, Any]],
                 changelog_id: str | None) -> dict[str, Any]:
        self.updated_at = at
        payload = self._envelope(at, "jira:issue_updated", type_name, _as_user(actor))
        payload["changelog"] = {"id": changelog_id or str(_next_id()), "items": items}
        return payload

    def _envelope(self, at: datetime, event: str, type_name: str, actor: JiraUser | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"timestamp": epoch_ms(at), "webhookEvent": event,
                                   "issue_event_type_name": type_name}
        if actor is not None:
            payload["user"] = actor.wire(self.site, self.flavour)
        payload["issue"] = self._issue()
        return payload

    def _item(self, name: str, old_id: str | None, old: str | None, new_id: str | None,
              new: str | None) -> dict[str, Any]:
        item = {"field": name, "fieldtype": "jira", "fieldId": name, "from": old_id,
                "fromString": old, "to": new_id, "toString": new}
        if self.flavour == "server":
            del item["fieldId"]
        return item

    def _user_id(self, who: JiraUser | None) -> str | None:
        return None if who is None else who.name if self.flavour == "server" else who.account_id

    def _user(self, who: JiraUser | None) -> dict[str, Any] | None:
        return None if who is None else who.wire(self.site, self.flavour)

    def _comment(self, comment_id: str, author: JiraUser, body: str, created: datetime,
                 updated: datetime, public: bool) -> dict[str, Any]:
        comment = {"self": f"{self.site}/rest/api/2/issue/{self.issue_id}/comment/{comment_id}",
                   "id": comment_id, "author": self._user(author), "body": body,
                   "updateAuthor": self._user(author), "created": jira_time(created),
                   "updated": jira_time(updated), "jsdPublic": public}
        if self.flavour == "server":
            del comment["jsdPublic"]
        return comment

    def _issue(self, trimmed: bool = False) -> dict[str, Any]:
        site, server = self.site, self.flavour == "server"
        type_id, type_text = ISSUETYPES.get(self.issuetype, (_num(self.issuetype), ""))
        issuetype = {"self": f"{site}/rest/api/2/issuetype/{type_id}", "id": type_id,
                     "description": type_text,
                     "iconUrl": f"{site}/secure/viewavatar?size=medium&avatarId=10303&avatarType=issuetype",
                     "name": self.issuetype, "subtask": False,
                     **({} if server else {"avatarId": 10303, "hierarchyLevel": 0})}
        project = {"self": f"{site}/rest/api/2/project/{self.project_id}", "id": self.project_id,
                   "key": self.project, "name": self.project_name,
                   **({} if server else {"projectTypeKey": "service_desk", "simplified": False}),
                   "avatarUrls": {s: f"{site}/secure/projectavatar?pid={self.project_id}&avatarId=10404"
                                  for s in ("48x48", "24x24", "16x16", "32x32")}}
        priority_id = PRIORITY_IDS.get(self.priority, _num(self.priority))
        priority = {"self": f"{site}/rest/api/2/priority/{priority_id}",
                    "iconUrl": f"{site}/images/icons/priorities/{self.priority.lower()}.svg",
                    "name": self.priority, "id": priority_id}
        status_id = STATUS_IDS.get(self.status, _num(self.status))
        status = {"self": f"{site}/rest/api/2/status/{status_id}", "description": "",
                  "iconUrl": f"{site}/images/icons/statuses/generic.png", "name": self.status, "id": status_id}
        if not server:
            cat_id, color, cat_name = CATEGORIES[self.status_category]
            status["statusCategory"] = {"self": f"{site}/rest/api/2/statuscategory/{cat_id}", "id": cat_id,
                                        "key": self.status_category, "colorName": color, "name": cat_name}
        fields = {"summary": self.summary, "issuetype": issuetype, "project": project,
                  "assignee": self._user(self.assignee), "priority": priority, "status": status}
        if not trimmed:
            fields.update(self._full_fields())
        return {"id": self.issue_id, "self": f"{site}/rest/api/2/issue/{self.issue_id}", "key": self.key,
                "fields": fields}

    def _full_fields(self) -> dict[str, Any]:
        site, resolution = self.site, None
        if self.resolution:
            rid = RESOLUTION_IDS.get(self.resolution, _num(self.resolution))
            resolution = {"self": f"{site}/rest/api/2/resolution/{rid}", "id": rid,
                          "description": "Work has been completed on this issue.", "name": self.resolution}
        fields = {
            "timespent": None, "fixVersions": [], "aggregatetimespent": None, "resolution": resolution,
            "resolutiondate": jira_time(self.resolved_at) if self.resolved_at else None,
            "workratio": -1, "lastViewed": None,
            "watches": {"self": f"{site}/rest/api/2/issue/{self.key}/watchers", "watchCount": 1, "isWatching": False},
            "created": jira_time(self.created_at), "labels": list(self.labels), "versions": [],
            "issuelinks": [], "updated": jira_time(self.updated_at),
            "components": [{"self": f"{site}/rest/api/2/component/{_num(name)}", "id": _num(name), "name": name}
                           for name in self.components],
            "description": self.description, "creator": self._user(self.reporter), "subtasks": [],
            "reporter": self._user(self.reporter), "environment": None, "duedate": None,
            "progress": {"progress": 0, "total": 0},
            "votes": {"self": f"{site}/rest/api/2/issue/{self.key}/votes", "votes": 0, "hasVoted": False},
        }
        if self.flavour == "server":
            fields["timetracking"] = {}
            fields["comment"] = {"comments": list(self.comments), "maxResults": len(self.comments),
                                 "total": len(self.comments), "startAt": 0}
        else:
            fields["statuscategorychangedate"] = jira_time(self.category_changed_at)
            fields["security"] = None
            fields["customfield_10010"] = None
        return fields


def _category(status: str) -> str:
    return _STATUS_CATEGORY.get(status, "indeterminate")


def _duration(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    return " ".join(p for p in (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") if p) or "0m"


# --- one payload per call -------------------------------------------------------------------

def _ticket(key: str, at: datetime | str, ticket: dict[str, Any]) -> JiraTicket:
    return JiraTicket(key, ticket.pop("created_at", at), **ticket)


def created(key: str, at: datetime | str, *, priority: str = "Medium", project: str | None = None,
            issuetype: str = "Task", reporter: JiraUser | str = CUSTOMER, status: str = "To Do",
            **ticket: Any) -> dict[str, Any]:
    return JiraTicket(key, at, reporter=reporter, priority=priority, project=project,
                      issuetype=issuetype, status=status, **ticket).created()


def status_changed(key: str, at: datetime | str, from_: str, to: str, category: str | None = None,
                   actor: JiraUser | str = AGENT, *, changelog_id: str | None = None,
                   **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"status": from_, **ticket}).status_changed(
        at, to, actor=actor, category=category, changelog_id=changelog_id)


def commented(key: str, at: datetime | str, author: JiraUser | str = AGENT, public: bool = True, *,
              body: str = "Thanks for the report, we are looking into it.",
              comment_id: str | None = None, **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, ticket).commented(at, author, public=public, body=body, comment_id=comment_id)


def resolved(key: str, at: datetime | str, actor: JiraUser | str = AGENT, *, resolution: str = "Done",
             status: str = "Done", from_status: str = "In Progress", changelog_id: str | None = None,
             **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"status": from_status, **ticket}).resolved(
        at, actor=actor, resolution=resolution, status=status, changelog_id=changelog_id)


def reopened(key: str, at: datetime | str, actor: JiraUser | str = CUSTOMER, *, status: str = "Reopened",
             from_status: str = "Done", resolution: str = "Done", changelog_id: str | None = None,
             **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"status": from_status, "resolution": resolution, **ticket}).reopened(
        at, actor=actor, status=status, changelog_id=changelog_id)


def priority_changed(key: str, at: datetime | str, from_: str, to: str, actor: JiraUser | str = LEAD, *,
                     changelog_id: str | None = None, **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"priority": from_, **ticket}).priority_changed(
        at, to, actor=actor, changelog_id=changelog_id)


def assigned(key: str, at: datetime | str, assignee: JiraUser | str | None, actor: JiraUser | str = LEAD,
             *, from_: JiraUser | str | None = None, changelog_id: str | None = None,
             **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"assignee": from_, **ticket}).assigned(
        at, assignee, actor=actor, changelog_id=changelog_id)


def labels_changed(key: str, at: datetime | str, labels: tuple[str, ...] | list[str],
                   actor: JiraUser | str = LEAD, *, from_: tuple[str, ...] = (),
                   changelog_id: str | None = None, **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, {"labels": tuple(from_), **ticket}).labels_changed(
        at, labels, actor=actor, changelog_id=changelog_id)


def deleted(key: str, at: datetime | str, actor: JiraUser | str = LEAD, **ticket: Any) -> dict[str, Any]:
    return _ticket(key, at, ticket).deleted(at, actor=actor)


# --- the fixture story ----------------------------------------------------------------------

def _paris(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=PARIS)


def story() -> dict[str, dict[str, Any]]:
    """fixture name -> payload, in the order Jira sent them (see the module docstring)."""
    ops = JiraTicket(
        "OPS-1", _paris(5, 9, 0), reporter=MARIA, issuetype="Incident", project_name="IT Operations",
        summary="VPN drops every few minutes at the Lyon office", labels=("vpn",), components=("Network",),
        issue_id="10042", project_id="10003",
        description="Since this morning the VPN disconnects every 3 to 5 minutes for everyone in Lyon.")
    infra = JiraTicket(
        "INFRA-7", _paris(5, 10, 15), reporter=BIRGIT, priority="Major", issuetype="Bug",
        project_name="Infrastructure", summary="Nightly backup fails on db-03", status="Open",
        assignee=JOHN, issue_id="21507", project_id="10200", flavour="server",
        description="The 02:00 backup job on db-03 exits with code 12 since Saturday.")
    return {
        "issue_created": ops.created(),
        "issue_updated__assignee": ops.assigned(_paris(5, 9, 10), CHEN, actor=SAM, changelog_id="10200"),
        "comment_created__internal": ops.commented(
            _paris(5, 9, 20), CHEN, public=False, comment_id="10100",
            body="Tunnel logs show DPD timeouts on fw-lyon-01, asking the network vendor."),
        "comment_created": ops.commented(
            _paris(5, 9, 30), CHEN, comment_id="10101",
            body="Hello Maria, we can see the disconnects and are working on it."),
        "comment_updated": ops.comment_updated(
            _paris(5, 9, 34), "10101", author=CHEN,
            body="Hello Maria, we can see the disconnects on our side and are working on it."),
        "issue_updated__status": ops.status_changed(_paris(5, 9, 45), "In Progress", actor=CHEN,
                                                    changelog_id="10201"),
        "issue_updated__priority": ops.priority_changed(_paris(5, 10, 15), "High", actor=SAM,
                                                        changelog_id="10202"),
        "issue_updated__labels": ops.labels_changed(_paris(5, 10, 20), ("vpn", "vip"), actor=SAM,
                                                    changelog_id="10203"),
        "worklog_created": ops.worklog_created(_paris(5, 11, 25), CHEN, worklog_id="10300"),
        "issue_updated__resolved": ops.resolved(_paris(5, 11, 30), actor=CHEN, changelog_id="10204"),
        "issue_updated__reopened": ops.reopened(_paris(6, 8, 30), actor=MARIA, changelog_id="10205"),
        "issue_deleted": ops.deleted(_paris(9, 17, 0), actor=SAM),
        "issue_created__server": infra.created(),
        "issue_updated__reassigned_server": infra.assigned(_paris(5, 10, 40), ANIL, actor=JOHN,
                                                           changelog_id="31010"),
        "issue_commented__server": infra.commented(
            _paris(5, 11, 5), ANIL, comment_id="30512",
            body="Restarted the agent and re-ran the job by hand, it passes now. Watching tonight's run."),
    }


def fixture_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


if __name__ == "__main__":  # rewrite the fixture files from the story
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, payload in story().items():
        (FIXTURES / f"{name}.json").write_text(fixture_text(payload), encoding="utf-8")
        print(f"wrote {FIXTURES / name}.json")
