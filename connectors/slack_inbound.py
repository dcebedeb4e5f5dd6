"""Slack in: request verification and parsing of slash commands, interactions and events.

    verify(secret, body, headers, now)        # raises InvalidSignature; `now` in Unix seconds
    command = parse_command(body)             # -> SlashCommand
    action = parse_interaction(body)          # -> BlockAction | ViewSubmission | OtherInteraction
    event = parse_event(body)                 # -> UrlVerification | EventCallback | OtherEvent

Verification is slack_sdk's `SignatureVerifier`: HMAC-SHA256 of "v0:{timestamp}:{raw body}"
with the signing secret, compared in constant time, timestamps more than 5 minutes away from
`now` refused. Parsers raise `MalformedPayload` with a short reason. Nothing here logs a body,
a signature or a secret.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

from connectors.errors import InvalidSignature, MalformedPayload

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
WINDOW_SECONDS = 60 * 5
MAX_FIELDS = 100


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> None:
    """Accept the request only if Slack signed this body with `secret` within 5 minutes of now."""
    timestamp, signature = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise InvalidSignature("Slack signature headers missing")
    try:  # Slack's timestamps are epoch seconds: ten digits, not 400 (float(now - int) overflows)
        sent_at = int(timestamp) if len(timestamp) <= 12 else None
    except ValueError:
        sent_at = None
    if sent_at is None:
        raise InvalidSignature("bad Slack request timestamp")
    if abs(now - sent_at) > WINDOW_SECONDS:
        raise InvalidSignature("Slack request timestamp too old (or in the future)")
    try:
        body.decode("utf-8")  # SignatureVerifier decodes it; Slack only ever sends UTF-8
    except UnicodeDecodeError:
        raise InvalidSignature("body is not UTF-8: not a Slack request") from None
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))  # type: ignore[arg-type]
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise InvalidSignature("Slack signature does not match the body")


def form_fields(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (last value of a repeated field wins)."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload("body is not a form") from None
    return dict(pairs)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedPayload(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not a JSON object")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


# ---- slash commands ------------------------------------------------------------------------

@dataclass(frozen=True)
class SlashCommand:
    command: str  # "/sla"
    text: str  # what follows the command, stripped
    user_id: str
    user_name: str | None
    channel_id: str | None
    team_id: str | None
    trigger_id: str | None


def parse_command(body: bytes) -> SlashCommand:
    fields = form_fields(body)
    if not fields.get("command") or not fields.get("user_id"):
        raise MalformedPayload("not a slash command: command or user_id missing")
    return SlashCommand(command=fields["command"], text=" ".join(fields.get("text", "").split()),
                        user_id=fields["user_id"], user_name=fields.get("user_name"),
                        channel_id=fields.get("channel_id"), team_id=fields.get("team_id"),
                        trigger_id=fields.get("trigger_id"))


# ---- interactions --------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockAction:
    user_id: str
    user_name: str | None
    action_id: str
    value: str | None
    trigger_id: str | None
    channel_id: str | None
    message_ts: str | None


@dataclass(frozen=True)
class ViewSubmission:
    user_id: str
    user_name: str | None
    callback_id: str
    private_metadata: str
    values: Mapping[str, str | None] = field(default_factory=dict)  # action_id -> value


@dataclass(frozen=True)
class OtherInteraction:
    type: str


Interaction = BlockAction | ViewSubmission | OtherInteraction


def parse_interaction(body: bytes) -> Interaction:
    payload = form_fields(body).get("payload")
    if payload is None:
        raise MalformedPayload("payload field missing")
    data = _json_object(payload, "payload")
    kind = _text(data, "type") or ""
    user = _obj(data, "user")
    user_id = _text(user, "id")
    if kind in ("block_actions", "view_submission") and not user_id:
        raise MalformedPayload("payload has no user id")
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise MalformedPayload("block_actions payload without actions")
        action = actions[0]
        container, message = _obj(data, "container"), _obj(data, "message")
        return BlockAction(
            user_id=user_id, user_name=_text(user, "username") or _text(user, "name"),
            action_id=_text(action, "action_id") or "", value=_text(action, "value"),
            trigger_id=_text(data, "trigger_id"),
            channel_id=_text(container, "channel_id") or _text(_obj(data, "channel"), "id"),
            message_ts=_text(container, "message_ts") or _text(message, "ts"))
    if kind == "view_submission":
        view = _obj(data, "view")
        return ViewSubmission(
            user_id=user_id, user_name=_text(user, "username") or _text(user, "name"),
            callback_id=_text(view, "callback_id") or "",
            private_metadata=_text(view, "private_metadata") or "",
            values=_state_values(_obj(_obj(view, "state"), "values")))
    return OtherInteraction(kind)


def _state_values(blocks: Mapping[str, Any]) -> dict[str, str | None]:
    """view.state.values {block_id: {action_id: {type, value}}} -> {action_id: value}."""
    values: dict[str, str | None] = {}
    for actions in blocks.values():
        if not isinstance(actions, dict):
            continue
        for action_id, state in actions.items():
            if isinstance(state, dict):
                selected = _obj(state, "selected_option")
                values[action_id] = _text(state, "value") or _text(selected, "value")
    return values


# ---- Events API ----------------------------------------------------------------------------

@dataclass(frozen=True)
class UrlVerification:
    challenge: str


@dataclass(frozen=True)
class MessageEvent:
    event_id: str
    channel: str
    user: str | None
    text: str
    ts: str
    bot_id: str | None
    subtype: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class OtherEvent:
    event_id: str | None
    type: str


Event = UrlVerification | MessageEvent | OtherEvent


MAX_LENGTHS = {"event_id": 64, "user": 32}  # the columns of slack_events / slack_users
SLACK_TS = re.compile(r"[0-9]{1,10}(\.[0-9]{1,6})?")  # "1767614400.000100": an instant we can store


def _check_lengths(**values: str | None) -> None:
    for name, value in values.items():
        if value is not None and len(value) > MAX_LENGTHS[name]:
            raise MalformedPayload(f"{name} longer than {MAX_LENGTHS[name]} characters: not a Slack id")


def parse_event(body: bytes) -> Event:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPayload("body is not UTF-8") from None
    data = _json_object(text, "body")
    kind = _text(data, "type") or ""
    if kind == "url_verification":
        challenge = _text(data, "challenge")
        if not challenge:
            raise MalformedPayload("url_verification without a challenge")
        return UrlVerification(challenge)
    if kind != "event_callback":
        return OtherEvent(_text(data, "event_id"), kind or "unknown")
    event_id, event = _text(data, "event_id"), _obj(data, "event")
    if not event_id or not event:
        raise MalformedPayload("event_callback without event_id or event")
    _check_lengths(event_id=event_id, user=_text(event, "user"))
    if _text(event, "type") != "message":
        return OtherEvent(event_id, _text(event, "type") or "unknown")
    channel, ts = _text(event, "channel"), _text(event, "ts")
    if not channel or not ts:
        raise MalformedPayload("message event without channel or ts")
    if not SLACK_TS.fullmatch(ts):
        raise MalformedPayload("ts is not a Slack timestamp (seconds.micros)")
    return MessageEvent(event_id=event_id, channel=channel, user=_text(event, "user"),
                        text=_text(event, "text") or "", ts=ts, bot_id=_text(event, "bot_id"),
                        subtype=_text(event, "subtype"), thread_ts=_text(event, "thread_ts"))
