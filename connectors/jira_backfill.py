"""Backfill from the Jira REST API, through the pycontribs `jira` client:

    client = connect(JIRA_URL, JIRA_USER, JIRA_API_TOKEN)          # or BackfillError
    result = backfill(db, client, jql, rules, now, progress=...)   # or BackfillError

Pages through `search_issues(jql, startAt, maxResults=50, expand="changelog", fields="*all")`
(Server/Data Center) or the enhanced search with `nextPageToken` (Cloud); reads per issue a
changelog or comment list the search cut short (Cloud pages GET /issue/{key}/changelog, as its
embedded changelog stops at 100 entries; Data Center: issue?expand=changelog); turns each issue into
the events the webhooks would have made (connectors/jira_history.py: same dedup keys, so nothing
is counted twice) and stores one page per transaction. After each page the cursor (where the
next page starts) is kept in service_state under `backfill.<hash of the JQL>`, so an interrupted
run continues there; a finished run clears it. Storing is idempotent anyway.

Errors become one-line `BackfillError`s: never `str(JIRAError)`, which prints request headers
(credentials). The API token is never logged.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import requests
from jira import JIRA, JIRAError

from connectors.errors import MalformedPayload
from connectors.jira import field_list_names
from connectors.jira_history import issue_events
from processors.events import TicketEvent
from processors.rule_schedule import RuleSchedule, as_schedule
from processors.rules import Rules
from store.db import Database
from store.jira_fields import ids_by_name, learn
from store.recompute import recompute_ticket
from store.repo import get_service_state, lock_ticket, record_events, set_service_state

log = logging.getLogger(__name__)

PAGE_SIZE = 50
CHANGELOG_PAGE = 100  # Cloud's maximum for GET /issue/{key}/changelog
MAX_CHANGELOG_PAGES = 1000
Progress = Callable[[int, int | None], None]  # (issues done, total if known)


class BackfillError(Exception):
    """A one-line reason the backfill stopped; the cursor is kept."""


@dataclass(frozen=True)
class BackfillResult:
    issues: int
    new_events: int
    resumed_at: int  # the startAt the run began at (0 unless resumed)


CONNECT_TIMEOUT = 5  # seconds to open a connection to Jira


def connect(url: str | None, user: str | None, token: str | None, *, max_retries: int = 3,
            timeout: float = 30, check: bool = True) -> JIRA:
    """A `jira.JIRA` client: basic auth (Cloud: e-mail + API token) when a user is given, else
    a Data Center personal access token (Bearer). `check=False`: no request yet (serverInfo)."""
    if not url:
        raise BackfillError("JIRA_URL is not set")
    if not token:
        raise BackfillError("JIRA_API_TOKEN is not set")
    auth: dict[str, Any] = {"basic_auth": (user, token)} if user else {"token_auth": token}
    timeouts = (CONNECT_TIMEOUT, timeout)  # connect, read (seconds)
    try:
        # serverInfo in one attempt, without the retries: an unreachable Jira is reported within
        # seconds; later requests retry rate limits (429) `max_retries` times
        client = JIRA(server=url, max_retries=0, timeout=timeouts, get_server_info=check, **auth)
    except requests.HTTPError as exc:
        raise BackfillError(describe(exc)) from None
    except requests.RequestException as exc:
        raise BackfillError(f"cannot reach Jira at {url} ({type(exc).__name__}): check JIRA_URL") from None
    except JIRAError as exc:
        raise BackfillError(describe(exc)) from None
    client._session.max_retries = max_retries  # the jira library has no public setter for it
    return client


def describe(exc: Exception) -> str:
    """One line for an error of the Jira client; never the request headers."""
    if isinstance(exc, requests.RequestException) and not isinstance(exc, requests.HTTPError):
        return f"cannot reach Jira ({type(exc).__name__})"
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    detail = _messages(response)
    if status == 401:
        return "Jira refused the credentials (401): check JIRA_USER and JIRA_API_TOKEN"
    if status == 403:
        return f"Jira denied access (403){': ' + detail if detail else ''}"
    if status == 429:
        after = response.headers.get("Retry-After") if response is not None else None
        wait = f", Retry-After {after}s" if after else ""
        return f"Jira rate limit (429{wait}): gave up after retrying; run the command again later"
    if status == 400:
        return f"Jira rejected the query (400): {detail or 'bad request'}"
    if status is not None:
        return f"Jira answered HTTP {status}{': ' + detail if detail else ''}"
    return f"Jira client error: {getattr(exc, 'text', None) or type(exc).__name__}"


def _messages(response: Any) -> str:
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    messages = [m for m in body.get("errorMessages") or [] if isinstance(m, str)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{k}: {v}" for k, v in errors.items()]
    return "; ".join(messages)[:300]


def cursor_key(jql: str) -> str:
    return "backfill." + hashlib.sha256(jql.encode("utf-8")).hexdigest()[:16]


def backfill(db: Database, client: JIRA, jql: str, rules: Rules | RuleSchedule, clock: Callable[[], datetime],
             *, progress: Progress | None = None, page_size: int = PAGE_SIZE,
             resume: bool = True, remember: bool = True, max_pages: int | None = None) -> BackfillResult:
    """Read every issue `jql` finds and store its events; resumes from the stored cursor.

    `remember=False` (reconcile) neither reads nor keeps a cursor."""
    key = cursor_key(jql)
    cursor = _load_cursor(db, key) if resume and remember else {}
    start_at, token = int(cursor.get("start_at", 0)), cursor.get("token")
    first, issues, new_events, pages = start_at, start_at, 0, 0
    categories = _categories(client)
    rules = _with_field_names(db, client, rules, clock())
    cloud = getattr(client, "deploymentType", None) == "Cloud"
    while True:
        page = _search(client, jql, start_at, token, page_size, cloud)
        found = [i for i in page.get("issues") or [] if isinstance(i, dict)]
        events = [e for issue in found for e in _events(client, issue, categories, cloud)]
        new_events += _store(db, events, rules, clock())
        issues += len(found)
        start_at, token = start_at + len(found), page.get("nextPageToken")
        total = page.get("total") if isinstance(page.get("total"), int) else None
        done = (not found or (token is None if cloud else
                              bool(page.get("isLast")) or (total is not None and start_at >= total)))
        if remember:
            _save_cursor(db, key, None if done else {"jql": jql, "start_at": start_at, "token": token},
                         clock())
        if progress is not None:
            progress(issues, total)
        pages += 1
        if done:
            return BackfillResult(issues=issues, new_events=new_events, resumed_at=first)
        if max_pages is not None and pages >= max_pages:
            raise BackfillError(f"stopped after {pages} pages; run again to continue at {start_at}")


def _search(client: JIRA, jql: str, start_at: int, token: str | None, page_size: int,
            cloud: bool) -> dict[str, Any]:
    try:
        if cloud:
            return client.enhanced_search_issues(jql, nextPageToken=token, maxResults=page_size,
                                                 fields="*all", expand="changelog", json_result=True)
        return client.search_issues(jql, startAt=start_at, maxResults=page_size, fields="*all",
                                    expand="changelog", json_result=True)
    except (JIRAError, requests.RequestException) as exc:
        raise BackfillError(describe(exc)) from None


def _events(client: JIRA, issue: dict[str, Any], categories: dict[str, str],
            cloud: bool = False) -> list[TicketEvent]:
    """One issue's events; fetches the changelog and comments when the search cut them short."""
    try:
        histories = _histories(client, issue, cloud)
        fields = issue.get("fields") or {}
        comment = fields.get("comment")
        if isinstance(comment, dict) and comment.get("total", 0) <= len(comment.get("comments") or []):
            comments = comment.get("comments") or []
        else:
            comments = [c.raw for c in client.comments(issue["key"])]
        return issue_events(issue, histories, comments, categories)
    except (JIRAError, requests.RequestException) as exc:
        raise BackfillError(describe(exc)) from None
    except MalformedPayload as exc:
        log.warning("skipping issue %s: %s", str(issue.get("key"))[:40], exc)
        return []


def _histories(client: JIRA, issue: dict[str, Any], cloud: bool) -> list[dict[str, Any]]:
    """The issue's whole changelog. Cut short in the search: Cloud pages it from
    GET /issue/{key}/changelog (its issue?expand=changelog stops at 100 entries too); Data
    Center, or a Cloud site that answers 404 there, gives it all in issue?expand=changelog."""
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories") or []
    if changelog.get("total", len(histories)) <= len(histories):
        return histories
    if cloud:
        paged = _changelog_pages(client, issue["key"])
        if paged is not None:
            return paged
    full = client.issue(issue["key"], expand="changelog").raw.get("changelog") or {}
    return full.get("histories") or histories


def _changelog_pages(client: JIRA, key: str) -> list[dict[str, Any]] | None:
    """Every entry of GET /rest/api/2/issue/{key}/changelog ({startAt, maxResults, total, isLast,
    values}), 100 a page; None where Jira has no such endpoint (404: Data Center)."""
    values: list[dict[str, Any]] = []
    for _ in range(MAX_CHANGELOG_PAGES):
        try:
            page = client.find("issue/{0}/changelog?startAt={1}&maxResults={2}",
                               (key, str(len(values)), str(CHANGELOG_PAGE))).raw
        except JIRAError as exc:
            if getattr(exc, "status_code", None) == 404:
                return None
            raise
        found = [v for v in page.get("values") or [] if isinstance(v, dict)]
        values += found
        total = page.get("total") if isinstance(page.get("total"), int) else None
        if not found or page.get("isLast") is True or (total is not None and len(values) >= total):
            return values
    raise BackfillError(f"the changelog of {key} has more than {len(values)} entries: not read")


def _with_field_names(db: Database, client: JIRA, rules: Rules | RuleSchedule,
                      now: datetime) -> Rules | RuleSchedule:
    """Learn the names Jira gives its fields (GET /rest/api/2/field, store/jira_fields.py) and
    bind the fields the rules name to them. A Jira that will not list its fields is only logged."""
    try:
        learn(db, field_list_names(client.fields()), now)
    except (JIRAError, requests.RequestException) as exc:
        log.warning("could not read Jira's field list: %s", describe(exc))
    schedule = as_schedule(rules)
    return schedule.bound(ids_by_name(db)) if schedule.uses_field_names() else rules


def _categories(client: JIRA) -> dict[str, str]:
    """Status name -> category key; {} if Jira will not say (the categories stay unknown)."""
    try:
        return {s.raw["name"]: s.raw["statusCategory"]["key"] for s in client.statuses()
                if isinstance(s.raw.get("statusCategory"), dict) and "name" in s.raw}
    except (JIRAError, requests.RequestException, KeyError, TypeError) as exc:
        raise BackfillError(describe(exc)) from None


def _store(db: Database, events: list[TicketEvent], rules: Rules | RuleSchedule, now: datetime) -> int:
    """One page in one transaction: new events stored, touched tickets recomputed."""
    if not events:
        return 0

    def work(session) -> int:
        stored = 0
        for key in sorted({e.ticket for e in events}):  # key order: no deadlocks
            lock_ticket(session, key)
            new = record_events(session, [e for e in events if e.ticket == key], now)
            if new:
                recompute_ticket(session, key, rules, now)
            stored += new
        return stored
    return db.write(work)


def _load_cursor(db: Database, key: str) -> dict[str, Any]:
    with db.reading() as session:
        state = get_service_state(session, key)
    try:
        return json.loads(state.value) if state is not None and state.value else {}
    except ValueError:
        return {}


def _save_cursor(db: Database, key: str, cursor: dict[str, Any] | None, now: datetime) -> None:
    value = None if cursor is None else json.dumps(cursor)
    db.write(lambda session: set_service_state(session, key, value, now))
