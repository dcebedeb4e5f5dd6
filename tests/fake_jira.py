"""A fake Jira REST API: a real HTTP server on 127.0.0.1, port 0, for the real `jira.JIRA` client
(wire shapes: /work/shared/reference/wire-formats.md §5).

It is fed the same webhook payloads tests post (tests/jira_payloads.py), so one story gives both
histories: `fake.feed(payload)` keeps the issue's latest fields, turns each changelog into a
REST history (`id`, `author`, `created`, `items`) and keeps the comments.

    with FakeJira() as jira:
        jira.feed(ticket.created()); jira.feed(ticket.commented(at, AGENT))
        JIRA(server=jira.url, basic_auth=(jira.user, jira.token)).search_issues("project = OPS")

Answers: /rest/api/2/serverInfo, /field, /status, /search (startAt/maxResults/total),
/search/jql (Cloud: nextPageToken), /issue/{key}?expand=changelog, /issue/{key}/comment.
A tiny JQL: clauses joined by AND: `project = X`, `key = X`, `updated >= "YYYY-MM-DD HH:MM"`
(UTC); an optional ORDER BY is ignored; anything else is a JQL error (400, errorMessages).
Failures are programmed: `fake.fail("/search", 500)`, `fake.fail("/search", 429,
headers={"Retry-After": "0"}, times=2)`, and a wrong password gets 401.
"""
from __future__ import annotations

import base64
import copy
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.jira_payloads import CATEGORIES, STATUS_IDS, jira_time

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_CLAUSE = re.compile(r'^\s*(project|key|updated)\s*(=|>=)\s*"?([^"]*?)"?\s*$', re.I)
_STATUS_CATEGORY = {"To Do": "new", "Open": "new", "Waiting for support": "new", "Done": "done",
                    "Resolved": "done", "Closed": "done"}


@dataclass
class _Failure:
    path: str
    status: int
    times: int
    headers: dict[str, str]
    body: Any
    skip: int = 0


@dataclass
class _Issue:
    raw: dict[str, Any]
    histories: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeJira:
    def __init__(self, user: str = "bot@acme.example", token: str = "api-token-123",
                 deployment: str = "Server", changelog_cap: int = 100):
        self.user, self.token, self.deployment = user, token, deployment
        self.changelog_cap = changelog_cap  # the search shows at most this many histories
        self.issues: dict[str, _Issue] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeJira:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the story ------------------------------------------------------------------------

    def feed(self, payload: dict[str, Any]) -> None:
        """Let Jira know of a change a webhook reports (whether or not the webhook arrives)."""
        event = payload.get("webhookEvent")
        issue_json = payload.get("issue") or {}
        key = issue_json.get("key")
        if event == "jira:issue_deleted":
            self.issues.pop(key, None)
            return
        at = _EPOCH + timedelta(milliseconds=payload["timestamp"])
        issue = self.issues.setdefault(key, _Issue(copy.deepcopy(issue_json)))
        issue.raw["fields"].update(copy.deepcopy(issue_json.get("fields") or {}))
        issue.raw["fields"].pop("comment", None)
        if payload.get("changelog"):
            history = {"id": payload["changelog"]["id"], "author": payload.get("user"),
                       "created": jira_time(at), "items": copy.deepcopy(payload["changelog"]["items"])}
            issue.histories.append(history)
        comment = payload.get("comment")
        if comment and event in ("comment_created", "jira:issue_updated"):
            issue.comments = [c for c in issue.comments if c["id"] != comment["id"]] + [copy.deepcopy(comment)]
        elif comment and event == "comment_updated":
            issue.comments = [copy.deepcopy(comment) if c["id"] == comment["id"] else c for c in issue.comments]
        if event != "jira:issue_created":
            issue.raw["fields"]["updated"] = jira_time(at)

    def fail(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
             body: Any = None, skip: int = 0) -> None:
        """After `skip` good answers, the next `times` requests whose path contains `path` get
        `status`."""
        self._failures.append(_Failure(path, status, times, headers or {}, body, skip))

    def searches(self) -> list[dict[str, list[str]]]:
        return [query for path, query in self.requests if path.startswith("/rest/api/2/search")]

    # --- answers --------------------------------------------------------------------------

    def issue_json(self, key: str, expand: str = "", cap: int | None = None) -> dict[str, Any]:
        issue = self.issues[key]
        raw = copy.deepcopy(issue.raw)
        raw["fields"]["comment"] = {"comments": copy.deepcopy(issue.comments), "maxResults": len(issue.comments),
                                    "total": len(issue.comments), "startAt": 0}
        raw["expand"] = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
        if "changelog" in expand:
            shown = issue.histories[:cap] if cap is not None else issue.histories
            raw["changelog"] = {"startAt": 0, "maxResults": len(shown), "total": len(issue.histories),
                                "histories": copy.deepcopy(shown)}
        return raw

    def matching(self, jql: str) -> list[str] | None:
        """Keys the JQL finds, in key order; None for a JQL error."""
        jql = re.split(r"\border\s+by\b", jql, flags=re.I)[0]
        keys = sorted(self.issues, key=lambda k: (k.rsplit("-", 1)[0], int(k.rsplit("-", 1)[1])))
        for clause in filter(str.strip, re.split(r"\s+AND\s+", jql, flags=re.I)):
            match = _CLAUSE.match(clause)
            if match is None:
                return None
            name, _op, value = match.group(1).lower(), match.group(2), match.group(3)
            if name == "project":
                keys = [k for k in keys if k.rsplit("-", 1)[0] == value]
            elif name == "key":
                keys = [k for k in keys if k == value]
            else:
                since = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
                keys = [k for k in keys if datetime.fromisoformat(
                    self.issues[k].raw["fields"]["updated"]) >= since]
        return keys

    def answer(self, path: str, query: dict[str, list[str]], headers: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append((path, query))
            for failure in self._failures:
                if failure.path in path and failure.skip > 0:
                    failure.skip -= 1
                elif failure.path in path and failure.times > 0:
                    failure.times -= 1
                    return failure.status, failure.body or {"errorMessages": [f"fake failure {failure.status}"],
                                                            "errors": {}}, failure.headers
            if not self._authorised(headers.get("Authorization", "")):
                return 401, {"errorMessages": ["You are not authenticated."], "errors": {}}, {}
            return self._route(path, query)

    def _authorised(self, header: str) -> bool:
        basic = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return header in (basic, f"Bearer {self.token}")

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        one = {k: v[-1] for k, v in query.items()}
        api = path.removeprefix("/rest/api/2/")
        if api == "serverInfo":
            return 200, {"baseUrl": self.url, "version": "9.12.0", "versionNumbers": [9, 12, 0],
                         "deploymentType": self.deployment, "buildNumber": 9120000,
                         "serverTitle": "Fake Jira"}, {}
        if api == "field":
            return 200, [{"id": f, "name": f.title(), "custom": False, "navigable": True, "searchable": True,
                          "clauseNames": [f]} for f in ("summary", "status", "priority", "updated", "created")], {}
        if api == "status":
            return 200, [_status(name, sid, self.url) for name, sid in STATUS_IDS.items()], {}
        if api in ("search", "search/jql"):
            return self._search(api, one)
        match = re.fullmatch(r"issue/([^/]+)(/comment)?", api)
        if match and match.group(1) in self.issues:
            key = match.group(1)
            if match.group(2):
                comments = self.issues[key].comments
                return 200, {"startAt": 0, "maxResults": len(comments), "total": len(comments),
                             "comments": copy.deepcopy(comments)}, {}
            return 200, self.issue_json(key, one.get("expand", "")), {}
        return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                     "errors": {}}, {}

    def _search(self, api: str, one: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        keys = self.matching(one.get("jql", ""))
        if keys is None:
            return 400, {"errorMessages": [f"Error in the JQL Query: The query {one.get('jql', '')!r} "
                                           "could not be parsed."], "errors": {}}, {}
        size = int(one.get("maxResults", 50))
        start = int(one.get("nextPageToken") or 0) if api == "search/jql" else int(one.get("startAt", 0))
        page = [self.issue_json(k, one.get("expand", ""), self.changelog_cap) for k in keys[start:start + size]]
        if api == "search/jql":
            more = start + size < len(keys)
            return 200, {"issues": page, "isLast": not more,
                         **({"nextPageToken": str(start + size)} if more else {})}, {}
        return 200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(keys),
                     "issues": page}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                status, body, headers = fake.answer(url.path, parse_qs(url.query), self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _status(name: str, status_id: str, site: str) -> dict[str, Any]:
    key = _STATUS_CATEGORY.get(name, "indeterminate")
    cat_id, color, cat_name = CATEGORIES[key]
    return {"self": f"{site}/rest/api/2/status/{status_id}", "description": "", "name": name, "id": status_id,
            "iconUrl": f"{site}/images/icons/statuses/generic.png",
            "statusCategory": {"self": f"{site}/rest/api/2/statuscategory/{cat_id}", "id": cat_id,
                               "key": key, "colorName": color, "name": cat_name}}
