"""Jira Cloud webhook payloads for generated tickets, in the wire shapes of
tests/fixtures/jira/*.json (issue_created, issue_updated with a changelog, comment_created).

    issue = DemoIssue("NET-12", created_at, reporter, summary=..., project_name=..., priority=...)
    issue.created(); issue.commented(at, agent); issue.transition(at, "In Progress", agent)
    issue.resolved(at, agent); issue.reopened(at, reporter)

Compact on purpose: only what `slawatch demo` sends. The full builder used by the tests is
tests/jira_payloads.py; test_demo checks that both give the same events for the same story.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

SITE = "https://demo.atlassian.net"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CATEGORIES = {"new": ("2", "blue-gray", "To Do"), "indeterminate": ("4", "yellow", "In Progress"),
              "done": ("3", "green", "Done")}
STATUS_CATEGORY = {"To Do": "new", "Done": "done"}  # every other status: indeterminate
STATUS_IDS = {"To Do": "10000", "In Progress": "3", "Reopened": "4", "Done": "10001",
              "Waiting for customer": "10003"}
PRIORITY_IDS = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}


def jira_time(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}{at:%z}"


def epoch_ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True)
class DemoUser:
    display_name: str
    account_id: str
    email: str | None = None
    account_type: str = "atlassian"

    def wire(self) -> dict[str, Any]:
        return {"self": f"{SITE}/rest/api/2/user?accountId={self.account_id}", "accountId": self.account_id,
                **({"emailAddress": self.email} if self.email else {}),
                "displayName": self.display_name, "active": True, "timeZone": "UTC",
                "accountType": self.account_type}


def demo_user(display_name: str, email: str | None = None, customer: bool = False) -> DemoUser:
    account_id = f"{zlib.crc32(display_name.encode()):08x}{len(display_name):04x}demo"
    return DemoUser(display_name, account_id, email, "customer" if customer else "atlassian")


@dataclass
class DemoIssue:
    key: str
    created_at: datetime
    reporter: DemoUser
    summary: str
    project_name: str
    priority: str = "Medium"
    issuetype: str = "Service Request"
    status: str = "To Do"
    assignee: DemoUser | None = None
    components: tuple[str, ...] = ()
    resolution: str | None = None
    updated_at: datetime | None = None
    _ids: list[int] = field(default_factory=lambda: [0])

    @property
    def issue_id(self) -> str:
        project, number = self.key.rsplit("-", 1)
        return str(10000 + zlib.crc32(project.encode()) % 900 * 100000 + int(number))

    def _next_id(self) -> str:
        self._ids[0] += 1
        return f"{self.issue_id}{self._ids[0]:03d}"

    def created(self) -> dict[str, Any]:
        self.updated_at = self.created_at
        return {"timestamp": epoch_ms(self.created_at), "webhookEvent": "jira:issue_created",
                "issue_event_type_name": "issue_created", "user": self.reporter.wire(),
                "issue": self._issue()}

    def commented(self, at: datetime, author: DemoUser, body: str, public: bool = True) -> dict[str, Any]:
        self.updated_at = at
        comment_id = self._next_id()
        comment = {"self": f"{SITE}/rest/api/2/issue/{self.issue_id}/comment/{comment_id}", "id": comment_id,
                   "author": author.wire(), "body": body, "updateAuthor": author.wire(),
                   "created": jira_time(at), "updated": jira_time(at), "jsdPublic": public}
        return {"timestamp": epoch_ms(at), "webhookEvent": "comment_created", "comment": comment,
                "issue": self._issue(trimmed=True)}

    def assigned(self, at: datetime, assignee: DemoUser, actor: DemoUser) -> dict[str, Any]:
        old, self.assignee = self.assignee, assignee
        item = _item("assignee", old and old.account_id, old and old.display_name,
                     assignee.account_id, assignee.display_name)
        return self._updated(at, actor, "issue_assigned", [item])

    def transition(self, at: datetime, to: str, actor: DemoUser) -> dict[str, Any]:
        item = _item("status", STATUS_IDS.get(self.status), self.status, STATUS_IDS.get(to), to)
        self.status = to
        return self._updated(at, actor, "issue_generic", [item])

    def resolved(self, at: datetime, actor: DemoUser) -> dict[str, Any]:
        items = [_item("resolution", None, None, "10000", "Done"),
                 _item("status", STATUS_IDS.get(self.status), self.status, STATUS_IDS["Done"], "Done")]
        self.status, self.resolution = "Done", "Done"
        return self._updated(at, actor, "issue_resolved", items)

    def reopened(self, at: datetime, actor: DemoUser) -> dict[str, Any]:
        items = [_item("resolution", "10000", self.resolution or "Done", None, None),
                 _item("status", STATUS_IDS["Done"], self.status, STATUS_IDS["Reopened"], "Reopened")]
        self.status, self.resolution = "Reopened", None
        return self._updated(at, actor, "issue_reopened", items)

    def _updated(self, at: datetime, actor: DemoUser, type_name: str, items: list[dict]) -> dict[str, Any]:
        self.updated_at = at
        return {"timestamp": epoch_ms(at), "webhookEvent": "jira:issue_updated",
                "issue_event_type_name": type_name, "user": actor.wire(), "issue": self._issue(),
                "changelog": {"id": self._next_id(), "items": items}}

    def _issue(self, trimmed: bool = False) -> dict[str, Any]:
        project = self.key.rsplit("-", 1)[0]
        category = STATUS_CATEGORY.get(self.status, "indeterminate")
        cat_id, color, cat_name = CATEGORIES[category]
        status = {"self": f"{SITE}/rest/api/2/status/{STATUS_IDS.get(self.status, '1')}",
                  "name": self.status, "id": STATUS_IDS.get(self.status, "1"),
                  "statusCategory": {"self": f"{SITE}/rest/api/2/statuscategory/{cat_id}", "id": int(cat_id),
                                     "key": category, "colorName": color, "name": cat_name}}
        fields: dict[str, Any] = {
            "summary": self.summary,
            "issuetype": {"id": "10006", "name": self.issuetype, "subtask": False},
            "project": {"id": str(10000 + zlib.crc32(project.encode()) % 900), "key": project,
                        "name": self.project_name, "projectTypeKey": "service_desk"},
            "assignee": self.assignee.wire() if self.assignee else None,
            "priority": {"name": self.priority, "id": PRIORITY_IDS.get(self.priority, "3")},
            "status": status}
        if not trimmed:
            fields.update({
                "created": jira_time(self.created_at), "updated": jira_time(self.updated_at or self.created_at),
                "resolution": {"id": "10000", "name": self.resolution} if self.resolution else None,
                "labels": [], "components": [{"id": str(zlib.crc32(c.encode()) % 900 + 10100), "name": c}
                                             for c in self.components],
                "reporter": self.reporter.wire(), "creator": self.reporter.wire(),
                "description": "Generated by slawatch demo."})
        return {"id": self.issue_id, "self": f"{SITE}/rest/api/2/issue/{self.issue_id}", "key": self.key,
                "fields": fields}


def _item(name: str, old_id: str | None, old: str | None, new_id: str | None, new: str | None) -> dict[str, Any]:
    return {"field": name, "fieldtype": "jira", "fieldId": name, "from": old_id, "fromString": old,
            "to": new_id, "toString": new}
