"""Write-back to Jira: on a breach, a label and/or a comment on the issue (rules.yaml
`jira.write_back`, off by default), sent from the outbox like every Slack message.

    writer = JiraWriter(lambda: connect(JIRA_URL, JIRA_USER, JIRA_API_TOKEN, max_retries=0,
                                        check=False))
    done = writer.deliver(row.kind, row.ticket, row.key, row.text, look_up=unknown)
    # -> Delivered(reference, found), or JiraRateLimited / JiraTransientError / JiraPermanentError

Outbox rows (planned in scheduler/planning.py from processors/alerts.py's `Plan.jira`): channel
`jira`, kind `jira_label` (text: the label) or `jira_comment` (text: the comment), key
`jira:{ticket}:{metric}:{cycle}:label|comment`. scheduler/dispatch.py routes them here.

- label: read the issue's labels; when the label is missing, `issue.update(update={"labels":
  [{"add": label}]})` (PUT /rest/api/2/issue/{key}, 204). Adding a label is idempotent, so a
  repeated attempt is harmless.
- comment: `add_comment` (POST /rest/api/2/issue/{key}/comment, 201) with the text and a last
  line `(slawatch ref: <outbox key>)`. When an earlier attempt's outcome is unknown (a row left
  in `sending` by a dispatcher that died, or a 5xx / time-out that may have reached Jira), the
  issue's comments are read first (`look_up=True`) and a comment with that line counts as the
  delivery: never a second comment. The same line tells the webhook parser
  (connectors/jira.py, WRITE_BACK_MARK) that the comment is ours: it never counts as a response.

Errors by cause: 429 → JiraRateLimited (Retry-After); 5xx, time-outs, connection errors →
JiraTransientError (the dispatcher backs off); 400/401/403/404 and other answers →
JiraPermanentError (the row fails, its reason shows on /healthz). Reasons never include request
headers (credentials): see jira_backfill.describe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import requests
from jira import JIRA, JIRAError

from connectors.jira import WRITE_BACK_MARK
from connectors.jira_backfill import BackfillError, describe

CHANNEL = "jira"  # the outbox channel of write-back rows (a Slack channel is "#name" or an id)
KINDS = ("jira_label", "jira_comment")
NOT_CONFIGURED = ("Jira write-back is on (rules.yaml jira.write_back) but JIRA_URL and "
                  "JIRA_API_TOKEN are not set: nothing was written to Jira")
DEFAULT_RETRY_AFTER = 10.0  # seconds, when a 429 has no Retry-After
COMMENT_PAGE = 100
MAX_COMMENT_PAGES = 50


class JiraWriteError(Exception):
    """Jira did not take the write. `reason` is one line, safe for logs and /healthz."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JiraRateLimited(JiraWriteError):
    """HTTP 429: wait `retry_after` seconds (Jira's Retry-After header)."""

    def __init__(self, reason: str, retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class JiraTransientError(JiraWriteError):
    """Jira or the network failed this time; the write may even have happened."""


class JiraPermanentError(JiraWriteError):
    """Retrying cannot succeed (credentials, permissions, no such issue, field not editable)."""


def comment_body(text: str, key: str) -> str:
    """The comment as posted: the text, then the line naming the outbox key."""
    return f"{text}\n{WRITE_BACK_MARK}{key})"


def is_jira_row(kind: str) -> bool:
    """Is an outbox row of this kind a write-back (sent here, not to Slack)?"""
    return kind in KINDS


@dataclass(frozen=True)
class Delivered:
    reference: str  # recorded on the outbox row: "label", "comment:<id>"
    found: bool  # an earlier attempt's comment, found instead of posting again


class WriteHeld(Exception):
    """The dispatcher may not write now (its heartbeat went stale during the look-up): the row is
    given back untried, another dispatcher may take it over."""


class JiraWriter:
    """Sends write-back rows with a `jira.JIRA` client made (once) by `connect`; give the client
    max_retries=0, so that 429s come back here and the dispatcher honours Retry-After."""

    def __init__(self, connect: Callable[[], JIRA]):
        self._connect = connect
        self._client: JIRA | None = None

    def deliver(self, kind: str, ticket: str | None, key: str, text: str, *,
                look_up: bool = False, may_write: Callable[[], bool] | None = None) -> Delivered:
        """Write one row (`look_up`: first look for an earlier attempt's comment; `may_write`,
        asked after the look-up and before the comment: False raises WriteHeld, nothing written)."""
        if not ticket:
            raise JiraPermanentError(f"{key} names no Jira issue")
        try:
            client = self._client_once()
            if kind == "jira_label":
                return Delivered(add_label(client, ticket, text), found=False)
            if kind == "jira_comment":
                found = find_comment(client, ticket, key) if look_up else None
                if found is not None:
                    return Delivered(found, found=True)
                if may_write is not None and not may_write():
                    raise WriteHeld()
                return Delivered(post_comment(client, ticket, key, text), found=False)
        except JIRAError as exc:
            raise classify(exc) from None
        except requests.RequestException as exc:
            raise JiraTransientError(describe(exc)) from None
        raise JiraPermanentError(f"unknown write-back kind {kind!r}")

    def _client_once(self) -> JIRA:
        if self._client is None:
            try:
                self._client = self._connect()
            except BackfillError as exc:
                raise JiraPermanentError(str(exc)) from None
        return self._client


def add_label(client: JIRA, ticket: str, label: str) -> str:
    """Add `label` unless the issue has it already (then no write at all)."""
    issue = client.issue(ticket, fields="labels")
    if label in (issue.raw.get("fields") or {}).get("labels") or []:
        return "label"
    issue.update(update={"labels": [{"add": label}]})
    return "label"


def post_comment(client: JIRA, ticket: str, key: str, text: str) -> str:
    """Comment `text` with the line naming `key`; "comment:<id>"."""
    comment = client.add_comment(ticket, comment_body(text, key))
    return f"comment:{comment.raw.get('id')}"


def find_comment(client: JIRA, ticket: str, key: str) -> str | None:
    """The comment an earlier attempt posted for `key`, if the issue has it ("comment:<id>")."""
    mark = f"{WRITE_BACK_MARK}{key})"
    start = 0
    for _ in range(MAX_COMMENT_PAGES):
        page = client.comments(ticket, start_at=start, max_results=COMMENT_PAGE)
        for comment in page:
            body = comment.raw.get("body")
            if isinstance(body, str) and mark in body:
                return f"comment:{comment.raw.get('id')}"
        if len(page) < COMMENT_PAGE:
            return None
        start += len(page)
    raise JiraTransientError(f"look-up of {key} incomplete after {MAX_COMMENT_PAGES} pages of comments")


def classify(exc: JIRAError) -> JiraWriteError:
    """A JIRAError -> the write error of its cause."""
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status == 429:
        wait = _retry_after(response)
        return JiraRateLimited(f"Jira rate limit (429): retry after {wait:g}s", wait)
    if status is None or status >= 500:
        return JiraTransientError(describe(exc))
    if status == 404:
        return JiraPermanentError("Jira has no such issue, or the API user may not see it (404)")
    if status == 400:
        detail = describe(exc).partition(": ")[2]
        return JiraPermanentError(f"Jira rejected the change (400): {detail or 'bad request'}")
    return JiraPermanentError(describe(exc))


def _retry_after(response: object) -> float:
    headers = getattr(response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("Retry-After")))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
