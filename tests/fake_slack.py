"""A fake Slack Web API: a real HTTP server on 127.0.0.1, port 0, for the real WebClient.

    def test_it(fake_slack):
        sender = WebApiSender("xoxb-test", base_url=fake_slack.url)   # url ends in "/api/"
        fake_slack.fail_next("chat.postMessage", status=500, times=2)  # then 2 x HTTP 500
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
        fake_slack.fail_channel("#gone", "channel_not_found")          # every call to it
        fake_slack.reset_after_taking("chat.postMessage")              # posted, then a TCP reset
        released = fake_slack.hold_answer("chat.postMessage")          # posted, answer held back
        ...
        fake_slack.messages("#acme-sla")   # what was posted there (updates applied)
        fake_slack.requests                # every call: .method, .body, .headers, .status
        # conversations.history / .replies (GET) answer what was posted after `oldest`, with
        # each message's `metadata` when include_all_metadata is set; conversations.list too.

Answers have Slack's shapes: HTTP 200 with {"ok": false, "error": ...} for API errors, 429 with
Retry-After, the bearer token checked (none: not_authed; not xoxb-: invalid_auth). Channel names
("#acme-sla" or "acme-sla") map to stable ids (`channel_id`). files_upload_v2 is served in full:
files.getUploadURLExternal -> POST of the raw bytes to the upload URL it returned (same server,
/upload/v1/<file id>, no token) -> files.completeUploadExternal, which wants a channel *id*
(a name gets invalid_arguments, as on real Slack).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import pytest

CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
DEFAULT_ERRORS = {429: "ratelimited", 401: "invalid_auth"}


def _stable(prefix: str, name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return prefix + base64.b32encode(digest).decode("ascii")[:8]


def channel_id(channel: str) -> str:
    """'#acme-sla' or 'acme-sla' -> its stable fake id ('C' + 8 of A-Z2-7); an id stays itself."""
    if CHANNEL_ID.match(channel):
        return channel
    return _stable("C", channel.lstrip("#"))


@dataclass
class Recorded:
    method: str  # "chat.postMessage", ... or "upload" for the file upload URL
    body: dict[str, Any]  # parsed JSON or form body ({"_raw": bytes} for an upload)
    headers: dict[str, str]
    status: int = 200  # what the fake answered
    answer: dict[str, Any] = field(default_factory=dict)
    received_at: float = field(default_factory=time.time)  # wall clock, for "not before" checks


@dataclass
class Failure:
    method: str | None  # None: any method
    status: int
    retry_after: float | None
    error: str | None
    times: int


class FakeSlack:
    def __init__(self, real_clock: bool = False) -> None:
        self.real_clock = real_clock  # message ts from this machine's clock (bench/soak.py), not 1700000000
        self.requests: list[Recorded] = []
        self.posted: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.users: dict[str, str] = {}  # email -> user id
        self.locales: dict[str, str] = {}  # user id -> Slack locale ("zh-CN"); default en-US
        self.bots: dict[str, str] = {}  # bot user id -> name (users.info says is_bot)
        self.channel_names: dict[str, str] = {}  # id -> name
        self.failures: list[Failure] = []
        self.failing_channels: dict[str, str] = {}  # channel id -> error code
        self.resets: dict[str, int] = {}  # method -> calls still to reset after handling
        self.holds: dict[str, list[threading.Event]] = {}  # method -> answers to hold back
        self._lock = threading.RLock()  # one request at a time: ts values and state stay ordered
        self._ts = 1700000000_000100
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.root = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.root + "/api/"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- programming it ----

    def fail_next(self, method: str | None, status: int = 500, retry_after: float | None = None,
                  error: str | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` (None: any) answer `status`; with status=200 and
        an `error`, ok:false with that code. Queued failures are used in the order given."""
        with self._lock:
            self.failures.append(Failure(method, status, retry_after, error, times))

    def reset_after_taking(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are handled (a message is posted) and then the
        connection is reset instead of answered: the client cannot know it got through."""
        with self._lock:
            self.resets[method] = self.resets.get(method, 0) + times

    def hold_answer(self, method: str) -> threading.Event:
        """The next call of `method` is handled (a message is posted), and its answer held back
        until the returned event is set: the caller is left waiting, as on a slow Slack."""
        held = threading.Event()
        with self._lock:
            self.holds.setdefault(method, []).append(held)
        return held

    def take_hold(self, method: str) -> threading.Event | None:
        holds = self.holds.get(method)
        return holds.pop(0) if holds else None

    def take_reset(self, method: str) -> bool:
        if self.resets.get(method, 0) > 0:
            self.resets[method] -= 1
            return True
        return False

    def fail_channel(self, channel: str, error: str = "channel_not_found") -> None:
        """Every call naming this channel answers ok:false `error` until `heal_channel`."""
        self.failing_channels[channel_id(channel)] = error

    def heal_channel(self, channel: str) -> None:
        self.failing_channels.pop(channel_id(channel), None)

    def add_channel(self, name: str) -> str:
        """Make a channel known to conversations.info (posting to a name does this too)."""
        return self.know_channel(name)

    def add_bot(self, user_id: str, name: str = "somebot") -> str:
        self.bots[user_id] = name
        return user_id

    def add_user(self, email: str, user_id: str | None = None, locale: str | None = None) -> str:
        """A member (users.lookupByEmail, users.info); `locale` as Slack spells it ("zh-CN"),
        given by users.info when include_locale is asked, as real Slack does."""
        self.users[email.lower()] = user_id or _stable("U", email.lower())
        if locale is not None:
            self.locales[self.users[email.lower()]] = locale
        return self.users[email.lower()]

    # ---- reading what happened ----

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posted messages (with later chat.update applied), oldest first."""
        with self._lock:
            found = list(self.posted)
        if channel is not None:
            found = [m for m in found if m["channel"] == channel_id(channel)]
        return found

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    # ---- answering (called with the lock held) ----

    def next_ts(self) -> str:
        self._ts += 100
        if self.real_clock:
            self._ts = max(self._ts, int(time.time() * 1_000_000))
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def take_failure(self, method: str) -> Failure | None:
        for failure in self.failures:
            if failure.method in (None, method):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def know_channel(self, channel: str) -> str:
        cid = channel_id(channel)
        if not CHANNEL_ID.match(channel):
            self.channel_names.setdefault(cid, channel.lstrip("#"))
        return cid


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(_SlackHandler):
        slack = fake

    return Handler


class _SlackHandler(BaseHTTPRequestHandler):
    slack: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = dict(self.headers.items())
        if self.path.startswith("/upload/v1/"):
            return self._upload(raw, headers)
        method = self.path.split("?")[0].removeprefix("/api/").strip("/")
        record = Recorded(method, _parse_body(raw, headers), headers)
        with self.slack._lock:
            self.slack.requests.append(record)
            status, answer, extra = _answer(self.slack, record)
            record.status, record.answer = status, answer
            reset = self.slack.take_reset(method)
            held = self.slack.take_hold(method)
        if reset:
            return self._reset()
        if held is not None:
            held.wait(120)
        try:
            self._send(status, json.dumps(answer).encode(), "application/json; charset=utf-8", extra)
        except OSError:  # the caller went away while its answer was held (killed)
            self.close_connection = True

    def _reset(self) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0), nothing answered."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def do_GET(self) -> None:  # WebClient sends conversations.history/replies/list as GET
        path, _, query = self.path.partition("?")
        method = path.removeprefix("/api/").strip("/")
        record = Recorded(method, dict(parse_qsl(query, keep_blank_values=True)), dict(self.headers.items()))
        with self.slack._lock:
            self.slack.requests.append(record)
            status, answer, extra = _answer(self.slack, record)
            record.status, record.answer = status, answer
        self._send(status, json.dumps(answer).encode(), "application/json; charset=utf-8", extra)

    def _upload(self, raw: bytes, headers: dict[str, str]) -> None:
        file_id = self.path.rsplit("/", 1)[-1]
        record = Recorded("upload", {"_raw": raw, "file_id": file_id}, headers)
        with self.slack._lock:
            self.slack.requests.append(record)
            failure = self.slack.take_failure("upload")
            upload = self.slack.files.get(file_id)
            record.status = failure.status if failure else 200 if upload else 404
            if record.status == 200 and upload is not None:
                upload["content"] = raw
        if record.status != 200:
            return self._send(record.status, b"upload failed", "text/plain")
        self._send(200, f"OK - {len(raw)}".encode(), "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _parse_body(raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    text = raw.decode("utf-8")
    if "json" in content_type:
        return json.loads(text) if text else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _answer(fake: FakeSlack, record: Recorded) -> tuple[int, dict[str, Any], dict[str, str]]:
    failure = fake.take_failure(record.method)
    if failure is not None:
        return _failure_answer(failure)
    auth_error = _auth_error(record.headers)
    if auth_error:
        return 200, {"ok": False, "error": auth_error}, {}
    handler = METHODS.get(record.method)
    if handler is None:
        return 200, {"ok": False, "error": "unknown_method"}, {}
    channel = record.body.get("channel") or record.body.get("channel_id")
    if channel and channel_id(channel) in fake.failing_channels:
        return 200, {"ok": False, "error": fake.failing_channels[channel_id(channel)]}, {}
    return 200, handler(fake, record.body), {}


def _failure_answer(failure: Failure) -> tuple[int, dict[str, Any], dict[str, str]]:
    error = failure.error or DEFAULT_ERRORS.get(failure.status, "internal_error")
    extra = {}
    if failure.retry_after is not None:
        extra["Retry-After"] = f"{failure.retry_after:g}"
    return failure.status, {"ok": False, "error": error}, extra


def _auth_error(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value:
        return "not_authed"
    if not value.startswith("Bearer xoxb-"):
        return "invalid_auth"
    return None


# ---- methods -------------------------------------------------------------------------------

def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def _post_message(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("channel"):
        return _error("channel_not_found")
    if not body.get("text") and not body.get("blocks"):
        return _error("no_text")
    message = {**body, "channel": fake.know_channel(body["channel"]), "ts": fake.next_ts()}
    fake.posted.append(message)
    shown = {"type": "message", "subtype": "bot_message", "bot_id": "BFAKE0001", "text": "",
             **{k: body[k] for k in ("text", "blocks", "thread_ts") if k in body}, "ts": message["ts"]}
    return {"ok": True, "channel": message["channel"], "ts": message["ts"], "message": shown}


def _update(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    cid = channel_id(body.get("channel", ""))
    target = next((m for m in fake.posted if m["channel"] == cid and m["ts"] == body.get("ts")), None)
    if target is None:
        return _error("message_not_found")
    target.update({k: body[k] for k in ("text", "blocks") if k in body}, edited=True)
    return {"ok": True, "channel": cid, "ts": target["ts"], "text": target.get("text", "")}


def _get_upload_url(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("filename") or not str(body.get("length", "")).isdigit():
        return _error("invalid_arguments")
    file_id = _stable("F", f"{body['filename']}:{len(fake.files)}")
    fake.files[file_id] = {"id": file_id, "filename": body["filename"],
                           "length": int(body["length"]), "content": None}
    return {"ok": True, "upload_url": f"{fake.root}/upload/v1/{file_id}", "file_id": file_id}


def _complete_upload(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    channel = body.get("channel_id")
    if channel is not None and not CHANNEL_ID.match(channel):
        return _error("invalid_arguments")
    try:
        entries = json.loads(body.get("files", ""))
        uploads = [fake.files[entry["id"]] for entry in entries]
    except (ValueError, KeyError, TypeError):
        return _error("invalid_arguments")
    if any(upload["content"] is None for upload in uploads):
        return _error("file_not_found")
    for upload, entry in zip(uploads, entries):
        upload.update(title=entry.get("title"), channel=channel, thread_ts=body.get("thread_ts"),
                      initial_comment=body.get("initial_comment"))
    return {"ok": True, "files": [{"id": u["id"], "name": u["filename"], "title": u["title"],
                                   "size": len(u["content"]), "channels": [channel] if channel else []}
                                  for u in uploads]}


def _lookup_by_email(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    email = str(body.get("email", "")).lower()
    if email not in fake.users:
        return _error("users_not_found")
    return {"ok": True, "user": {"id": fake.users[email], "name": email.split("@")[0],
                                 "profile": {"email": email}}}


def _users_info(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    """The users added with add_user (by email), and bots added with add_bot."""
    user_id = body.get("user", "")
    if user_id in fake.bots:
        return {"ok": True, "user": {"id": user_id, "name": fake.bots[user_id], "is_bot": True,
                                     "profile": {"real_name": fake.bots[user_id]}}}
    email = next((e for e, uid in fake.users.items() if uid == user_id), None)
    if email is None:
        return _error("user_not_found")
    name = email.split("@")[0]
    user = {"id": user_id, "name": name, "is_bot": False,
            "profile": {"email": email, "display_name": name, "real_name": name}}
    if str(body.get("include_locale", "")).lower() in ("1", "true"):  # Slack adds it only when asked
        user["locale"] = fake.locales.get(user_id, "en-US")
    return {"ok": True, "user": user}


def _views_open(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view")
    view = json.loads(view) if isinstance(view, str) else view
    if not body.get("trigger_id") or not isinstance(view, dict):
        return _error("invalid_arguments")
    return {"ok": True, "view": {**view, "id": _stable("V", body["trigger_id"])}}


def _conversation_info(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    cid = channel_id(body.get("channel", ""))
    if cid not in fake.channel_names:
        return _error("channel_not_found")
    return {"ok": True, "channel": {"id": cid, "name": fake.channel_names[cid], "is_channel": True,
                                    "is_member": True, "is_archived": False}}


def _shown(message: dict[str, Any], metadata: bool) -> dict[str, Any]:
    shown = {"type": "message", "subtype": "bot_message", "bot_id": "BFAKE0001",
             **{k: message[k] for k in ("text", "blocks", "thread_ts", "ts") if k in message}}
    if metadata and message.get("metadata"):
        shown["metadata"] = message["metadata"]
    return shown


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _read(fake: FakeSlack, body: dict[str, Any], thread_ts: str | None) -> dict[str, Any] | list:
    """The messages of a channel (top level) or of a thread, after `oldest` (exclusive)."""
    cid = body.get("channel", "")
    if not CHANNEL_ID.match(cid):
        return _error("channel_not_found")  # like Slack: these methods want a channel id
    oldest = float(body.get("oldest") or 0)
    found = [m for m in fake.posted if m["channel"] == cid and float(m["ts"]) > oldest and (
        (m.get("thread_ts") in (None, m["ts"])) if thread_ts is None
        else m["ts"] == thread_ts or m.get("thread_ts") == thread_ts)]
    return [_shown(m, _flag(body.get("include_all_metadata"))) for m in found]


def _history(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    found = _read(fake, body, None)
    if isinstance(found, dict):
        return found
    return {"ok": True, "messages": found[::-1], "has_more": False}  # newest first


def _replies(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("ts"):
        return _error("invalid_arguments")
    found = _read(fake, body, body["ts"])
    if isinstance(found, dict):
        return found
    return {"ok": True, "messages": found, "has_more": False}  # oldest first


def _conversation_list(fake: FakeSlack, body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channels": [{"id": cid, "name": name, "is_channel": True}
                                     for cid, name in sorted(fake.channel_names.items())],
            "response_metadata": {"next_cursor": ""}}


METHODS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "files.getUploadURLExternal": _get_upload_url,
    "files.completeUploadExternal": _complete_upload,
    "users.lookupByEmail": _lookup_by_email,
    "users.info": _users_info,
    "views.open": _views_open,
    "conversations.info": _conversation_info,
    "conversations.history": _history,
    "conversations.replies": _replies,
    "conversations.list": _conversation_list,
}


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()
