"""Slack out: the Web API client the outbox dispatcher sends messages with.

    sender = make_sender(token, base_url)          # WebApiSender, or ConsoleSender without a token
    posted = sender.post("#acme-sla", text, blocks)            # -> Posted(channel id, ts)
    sender.post(posted.channel, reply_text, thread_ts=posted.ts)
    sender.update(posted.channel, posted.ts, text, blocks)
    sender.upload(posted.channel, "week.png", png_bytes, "Attainment", thread_ts=posted.ts)

Every failure is one of three causes, so the dispatcher knows what to do with the row:
    SlackRateLimited(retry_after)  HTTP 429 (or ok:false `ratelimited`): try again after that
    SlackTransientError            5xx, connection refused/reset, timeout, Slack's own
                                   fatal_error/internal_error/request_timeout/service_unavailable
    SlackPermanentError            any other ok:false code (channel_not_found, not_in_channel,
                                   invalid_auth, ...): retrying cannot help, mark it failed

Nothing is retried in here except one retry of a connection error of a *read*
(`ReadRetryHandler`, slack_sdk's ConnectionErrorRetryHandler for idempotent methods only): a
post, update or upload whose connection broke may have been taken by Slack, so it is never
re-sent here; the dispatcher decides after its look-up (scheduler/dispatch.py). The token is
never logged or shown.

`upload` needs a channel *id* (files.completeUploadExternal rejects names with
invalid_arguments): use the `Posted.channel` of an earlier `post`.
"""
from __future__ import annotations

import itertools
import logging
import socket
import threading
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, Callable, Mapping, Protocol
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import ConnectionErrorRetryHandler

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://slack.com/api/"
TRANSIENT_CODES = frozenset({"fatal_error", "internal_error", "request_timeout", "service_unavailable"})
RATE_LIMIT_CODES = frozenset({"ratelimited", "rate_limited"})
PERMANENT_CODES = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
    "account_inactive", "token_revoked", "missing_scope", "msg_too_long", "no_text",
    "invalid_blocks", "invalid_arguments", "too_many_attachments", "restricted_action",
    "ekm_access_denied",
})  # documentation only: every code that is neither transient nor a rate limit is permanent
NETWORK_ERRORS = (URLError, TimeoutError, socket.timeout, ConnectionError, HTTPException)
DEFAULT_RETRY_AFTER = 1.0


class SlackError(Exception):
    """Slack did not take the message. `reason` is Slack's error code or a short sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SlackRateLimited(SlackError):
    """HTTP 429: wait `retry_after` seconds (Slack's Retry-After header, 1 if absent)."""

    def __init__(self, reason: str = "ratelimited", retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class SlackPermanentError(SlackError):
    """Retrying the same request cannot succeed (bad channel, bad token, bad message)."""


class SlackTransientError(SlackError):
    """Slack or the network failed this time; the same request may succeed later."""


@dataclass(frozen=True)
class Posted:
    channel: str  # the channel id Slack answered (also when we posted to "#name")
    ts: str  # the message's ts: its id for chat.update and the thread_ts of replies


class Sender(Protocol):
    def post(self, channel: str, text: str, blocks: list[dict] | None = None,
             thread_ts: str | None = None) -> Posted: ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> Posted: ...

    def upload(self, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str | None = None, thread_ts: str | None = None) -> None: ...


# ---- classifying failures ------------------------------------------------------------------

def _header(headers: Mapping[str, Any] | None, name: str) -> Any:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, (list, tuple)) else value
    return None


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float:
    """The Retry-After header in seconds; 1 when it is missing or not a number."""
    try:
        return max(0.0, float(_header(headers, "Retry-After")))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def error_from_status(status: int, code: str | None, headers: Mapping[str, Any] | None) -> SlackError:
    """One Slack answer (HTTP status, ok:false error code, headers) -> the error by its cause."""
    if status == 429 or code in RATE_LIMIT_CODES:
        return SlackRateLimited(code or "ratelimited", retry_after_seconds(headers))
    if status >= 500 or code in TRANSIENT_CODES:
        reason = code if code in TRANSIENT_CODES else f"HTTP {status}"
        return SlackTransientError(reason)
    return SlackPermanentError(code or f"HTTP {status}")


def error_from_api(error: SlackApiError) -> SlackError:
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}
    code = data.get("error")
    return error_from_status(response.status_code, code if isinstance(code, str) else None,
                             response.headers)


def error_from_network(error: BaseException) -> SlackError:
    """A failure below HTTP (refused, reset, timeout), or an HTTP error outside the Web API
    (the file upload URL)."""
    if isinstance(error, HTTPError):
        return error_from_status(error.code, None, dict(error.headers or {}))
    cause = getattr(error, "reason", None) or error
    return SlackTransientError(f"cannot reach Slack: {type(cause).__name__}: {cause}"[:200])


def call_api(call: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a WebClient method, turning its failures into our errors by cause."""
    try:
        return call(**kwargs)
    except SlackApiError as e:
        raise error_from_api(e) from None
    except NETWORK_ERRORS as e:
        raise error_from_network(e) from None


# ---- senders -------------------------------------------------------------------------------

NOT_IDEMPOTENT = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete",
                            "files.getUploadURLExternal", "files.completeUploadExternal",
                            "files.upload", "views.open", "views.publish"})


class ReadRetryHandler(ConnectionErrorRetryHandler):
    """One retry of a connection error, for methods that change nothing in Slack (a reset after
    Slack took a chat.postMessage must not post it twice)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return method not in NOT_IDEMPOTENT and super()._can_retry(
            state=state, request=request, response=response, error=error)


class WebApiSender:
    """Posts through slack_sdk's WebClient (base_url can point at a fake Slack)."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 10) -> None:
        self.base_url = base_url
        self._client = WebClient(
            token=token, base_url=base_url, timeout=timeout,  # type: ignore[arg-type]
            retry_handlers=[ReadRetryHandler(max_retry_count=1)],
        )
        self.client = self._client  # the WebClient, for the outbox's keyed posts and look-ups

    def __repr__(self) -> str:  # never the token
        return f"WebApiSender(base_url={self.base_url!r})"

    def post(self, channel: str, text: str, blocks: list[dict] | None = None,
             thread_ts: str | None = None) -> Posted:
        response = call_api(self._client.chat_postMessage, channel=channel, text=text,
                            blocks=blocks, thread_ts=thread_ts,
                            unfurl_links=False, unfurl_media=False)
        return Posted(channel=response["channel"], ts=response["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> Posted:
        response = call_api(self._client.chat_update, channel=channel, ts=ts, text=text,
                            blocks=blocks)
        return Posted(channel=response["channel"], ts=response["ts"])

    def upload(self, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str | None = None, thread_ts: str | None = None) -> None:
        try:
            call_api(self._client.files_upload_v2, channel=channel, filename=filename,
                     content=content, title=title, initial_comment=initial_comment,
                     thread_ts=thread_ts)
        except SlackRequestError as e:  # the upload URL answered a non-200 success status
            raise SlackTransientError(f"file upload failed: {str(e)[:150]}") from None


class ConsoleSender:
    """No token: every message is one INFO log line; `ts` values still thread replies."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next_ts(self) -> str:
        with self._lock:
            return f"console.{next(self._counter):06d}"

    def _log(self, channel: str, note: str | None, text: str) -> None:
        where = channel if channel.startswith("#") else f"#{channel}"
        extra = f" [{note}]" if note else ""
        line = " ".join(text.split())
        line = line if len(line) <= 1000 else line[:999] + "…"
        log.info("slack (console) -> %s%s: %s", where, extra, line)

    def post(self, channel: str, text: str, blocks: list[dict] | None = None,
             thread_ts: str | None = None) -> Posted:
        self._log(channel, f"thread {thread_ts}" if thread_ts else None, text)
        return Posted(channel=channel, ts=self._next_ts())

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> Posted:
        self._log(channel, f"update {ts}", text)
        return Posted(channel=channel, ts=ts)

    def upload(self, channel: str, filename: str, content: bytes, title: str,
               initial_comment: str | None = None, thread_ts: str | None = None) -> None:
        note = f"thread {thread_ts}" if thread_ts else None
        comment = f" — {initial_comment}" if initial_comment else ""
        self._log(channel, note, f"file {filename} ({len(content)} bytes) {title}{comment}")


def make_sender(token: str | None, base_url: str | None = None) -> WebApiSender | ConsoleSender:
    """The Web API sender when there is a token, else the console sink."""
    if not token:
        return ConsoleSender()
    return WebApiSender(token, base_url or DEFAULT_BASE_URL)
