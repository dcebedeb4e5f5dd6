"""A fake Jira REST API: a real HTTP server on 127.0.0.1, port 0, for the real `jira.JIRA` client
(wire shapes: Jira's REST API v2/v3 reference, developer.atlassian.com, `search`, `search/jql`
and `serverInfo`).

It is fed the same webhook payloads tests post (tests/jira_payloads.py), so one story gives both
histories: `fake.feed(payload)` keeps the issue's latest fields, turns each changelog into a
REST history (`id`, `author`, `created`, `items`) and keeps the comments.

    with FakeJira() as jira:
        jira.feed(ticket.created()); jira.feed(ticket.commented(at, AGENT))
        JIRA(server=jira.url, basic_auth=(jira.user, jira.token)).search_issues("project = OPS")

Answers: /rest/api/2/serverInfo, /field, /status, /search (startAt/maxResults/total),
/search/jql (Cloud: nextPageToken), /issue/{key or id}?expand=changelog (Cloud: at most
`changelog_cap` histories, as in the search), /issue/{key}/comment
(startAt/maxResults), and, Cloud only, /issue/{key}/changelog ({startAt, maxResults, total,
isLast, values}, at most 100 a page; Data Center answers 404 there). Writes (write-back):
PUT /issue/{key or id} ({"update": {"labels": [{"add": L}]}} or fields.labels; 204, and a
`labels` history like Jira's) and POST /issue/{key}/comment (201 with the comment; by the API
user, `created` from `fake.clock()`); each attempt, also a failed one, is kept in `fake.writes`
as (method, path, body).
A tiny JQL: clauses joined by AND: `project = X`, `key = X`, `updated >= "YYYY-MM-DD HH:MM"`
(UTC); an optional ORDER BY is ignored; anything else is a JQL error (400, errorMessages).
Failures are programmed: `fake.fail("/search", 500)`, `fake.fail("/search", 429,
headers={"Retry-After": "0"}, times=2)`, `fake.fail("/comment", 503, method="POST")`, and a
wrong password gets 401.
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
_NO_ISSUE = (404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                  "errors": {}}, {})
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
    method: str | None = None  # None: any


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
        self.writes: list[tuple[str, str, Any]] = []  # (method, path, decoded body) of PUT/POST
        self.clock = lambda: datetime.now(timezone.utc)  # `created` of comments posted here
        self.custom_fields: dict[str, str] = {}  # custom field id -> name, listed by GET /field
        self._next_id = 90000
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
             body: Any = None, skip: int = 0, method: str | None = None) -> None:
        """After `skip` good answers, the next `times` requests whose path contains `path` (and
        whose method is `method`, if given) get `status`."""
        self._failures.append(_Failure(path, status, times, headers or {}, body, skip, method))

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
            name, value = match.group(1).lower(), match.group(3)
            if name == "project":
                keys = [k for k in keys if k.rsplit("-", 1)[0] == value]
            elif name == "key":
                keys = [k for k in keys if k == value]
            else:
                since = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
                keys = [k for k in keys if datetime.fromisoformat(
                    self.issues[k].raw["fields"]["updated"]) >= since]
        return keys

    def answer(self, path: str, query: dict[str, list[str]], headers: Any, method: str = "GET",
               body: Any = None) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append((path, query))
            if method != "GET":
                self.writes.append((method, path, body))
            for failure in self._failures:
                if failure.path not in path or failure.method not in (None, method):
                    continue
                if failure.skip > 0:
                    failure.skip -= 1
                elif failure.times > 0:
                    failure.times -= 1
                    return failure.status, failure.body or {"errorMessages": [f"fake failure {failure.status}"],
                                                            "errors": {}}, failure.headers
            if not self._authorised(headers.get("Authorization", "")):
                return 401, {"errorMessages": ["You are not authenticated."], "errors": {}}, {}
            if method != "GET":
                return self._write(method, path, body)
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
                          "clauseNames": [f]} for f in ("summary", "status", "priority", "updated", "created")] + [
                {"id": fid, "key": fid, "name": name, "custom": True, "orderable": True, "navigable": True,
                 "searchable": True, "clauseNames": [f"cf[{fid.rsplit('_', 1)[-1]}]", name],
                 "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
                            "customId": int(fid.rsplit("_", 1)[-1])}}
                for fid, name in self.custom_fields.items()], {}
        if api == "status":
            return 200, [_status(name, sid, self.url) for name, sid in STATUS_IDS.items()], {}
        if api in ("search", "search/jql"):
            return self._search(api, one)
        match = re.fullmatch(r"issue/([^/]+)(/comment|/changelog)?", api)
        key = self._key(match.group(1)) if match else None
        if key is None or (match.group(2) == "/changelog" and self.deployment != "Cloud"):
            return _NO_ISSUE
        start, size = int(one.get("startAt", 0)), int(one.get("maxResults", 0) or 0)
        if match.group(2) == "/comment":
            comments = self.issues[key].comments
            shown = comments[start:start + size] if size else comments[start:]
            return 200, {"startAt": start, "maxResults": len(shown), "total": len(comments),
                         "comments": copy.deepcopy(shown)}, {}
        if match.group(2) == "/changelog":
            histories = self.issues[key].histories
            size = min(size or 100, 100)
            return 200, {"self": f"{self.url}/rest/api/2/issue/{key}/changelog", "maxResults": size,
                         "startAt": start, "total": len(histories),
                         "isLast": start + size >= len(histories),
                         "values": copy.deepcopy(histories[start:start + size])}, {}
        cap = self.changelog_cap if self.deployment == "Cloud" else None  # Cloud: 100 at most
        return 200, self.issue_json(key, one.get("expand", ""), cap), {}

    def _key(self, key_or_id: str) -> str | None:
        if key_or_id in self.issues:
            return key_or_id
        return next((k for k, i in self.issues.items() if str(i.raw.get("id")) == key_or_id), None)

    # --- writes (write-back) --------------------------------------------------------------

    def _write(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        match = re.fullmatch(r"/rest/api/2/issue/([^/]+)(/comment)?", path)
        key = self._key(match.group(1)) if match else None
        if key is None:
            return _NO_ISSUE
        if method == "PUT" and not match.group(2):
            return self._update(key, body if isinstance(body, dict) else {})
        if method == "POST" and match.group(2) and isinstance(body, dict) and isinstance(body.get("body"), str):
            return 201, self._add_comment(key, body["body"]), {}
        return 400, {"errorMessages": [f"cannot {method} {path}"], "errors": {}}, {}

    def _update(self, key: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        issue = self.issues[key]
        fields = issue.raw["fields"]
        before = list(fields.get("labels") or [])
        labels = list((body.get("fields") or {}).get("labels", before))
        for operation in (body.get("update") or {}).get("labels") or []:
            if "add" in operation and operation["add"] not in labels:
                labels.append(operation["add"])
            if "remove" in operation and operation["remove"] in labels:
                labels.remove(operation["remove"])
        if labels != before:
            fields["labels"] = labels
            self._next_id += 1
            issue.histories.append({"id": str(self._next_id), "author": self._api_user(),
                                    "created": jira_time(self.clock()),
                                    "items": [{"field": "labels", "fieldtype": "jira", "from": None,
                                               "fromString": " ".join(before), "to": None,
                                               "toString": " ".join(labels)}]})
            fields["updated"] = jira_time(self.clock())
        return 204, None, {}

    def _add_comment(self, key: str, text: str) -> dict[str, Any]:
        issue = self.issues[key]
        self._next_id += 1
        at = jira_time(self.clock())
        comment = {"self": f"{self.url}/rest/api/2/issue/{issue.raw.get('id')}/comment/{self._next_id}",
                   "id": str(self._next_id), "author": self._api_user(), "body": text,
                   "updateAuthor": self._api_user(), "created": at, "updated": at, "jsdPublic": True}
        issue.comments.append(comment)
        issue.raw["fields"]["updated"] = at
        return copy.deepcopy(comment)

    def _api_user(self) -> dict[str, Any]:
        if self.deployment == "Cloud":
            return {"self": f"{self.url}/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
                    "accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": self.user,
                    "displayName": "Slawatch bot", "active": True, "timeZone": "UTC",
                    "accountType": "atlassian"}
        return {"self": f"{self.url}/rest/api/2/user?username=slawatch", "name": "slawatch",
                "key": "JIRAUSER10900", "emailAddress": self.user, "displayName": "Slawatch bot",
                "active": True, "timeZone": "UTC"}

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
                self._reply(*fake.answer(url.path, parse_qs(url.query), self.headers))

            def do_PUT(self) -> None:
                self._write("PUT")

            def do_POST(self) -> None:
                self._write("POST")

            def _write(self, method: str) -> None:
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                self._reply(*fake.answer(url.path, parse_qs(url.query), self.headers, method, body))

            def _reply(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
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
