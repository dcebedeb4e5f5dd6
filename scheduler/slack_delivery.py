"""Posting outbox rows so that they can be found again, and finding them.

Every message is posted with Slack message metadata naming its outbox key:

    metadata = {"event_type": "slawatch_outbox", "event_payload": {"key": <outbox key>}}

so that a dispatcher which finds a row whose earlier attempt has an unknown outcome (its claim
expired in `sending`, or the request failed in a way that may have reached Slack) can ask Slack
before posting again: `find_posted` reads the channel's history (or the parent's thread) from
a minute before that attempt, with include_all_metadata, and looks for the key.

These work on the sender's underlying `slack_sdk.WebClient` (`WebApiSender.client`); failures
are narrowed to connectors.slack's SlackRateLimited / SlackTransientError / SlackPermanentError.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from connectors.slack import Posted, SlackTransientError, call_api

EVENT_TYPE = "slawatch_outbox"
LOOKBACK = timedelta(seconds=60)  # Slack's clock vs ours, and the time a request took
MAX_PAGES = 20


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def post_keyed(client: WebClient, key: str, channel: str, text: str,
               blocks: list[dict] | None = None, thread_ts: str | None = None) -> Posted:
    """chat.postMessage with the outbox key in the message metadata."""
    response = call_api(client.chat_postMessage, channel=channel, text=text, blocks=blocks,
                      thread_ts=thread_ts, metadata=metadata(key),
                      unfurl_links=False, unfurl_media=False)
    return Posted(channel=response["channel"], ts=response["ts"])


def _key_of(message: dict[str, Any]) -> str | None:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return None
    return (meta.get("event_payload") or {}).get("key")


def find_posted(client: WebClient, channel_id: str, key: str, since: datetime,
                thread_ts: str | None = None) -> Posted | None:
    """The message posted with outbox key `key` in `channel_id` (in the thread of `thread_ts`)
    at or after `since` - LOOKBACK, if Slack has it."""
    oldest = f"{(since - LOOKBACK).timestamp():.6f}"
    cursor = None
    for _ in range(MAX_PAGES):
        args: dict[str, Any] = {"channel": channel_id, "oldest": oldest, "limit": 200,
                                "include_all_metadata": True}
        if cursor:
            args["cursor"] = cursor
        if thread_ts:
            response = call_api(client.conversations_replies, ts=thread_ts, **args)
        else:
            response = call_api(client.conversations_history, **args)
        for message in response.get("messages") or []:
            if _key_of(message) == key:
                return Posted(channel=channel_id, ts=message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not response.get("has_more") or not cursor:
            return None
    raise SlackTransientError(f"look-up of {key} incomplete after {MAX_PAGES} pages")


def channel_id_of(client: WebClient, channel: str) -> str | None:
    """A channel name ("#acme-sla") -> its id, by conversations.list; an id stays itself."""
    name = channel.lstrip("#")
    if channel.startswith(("C", "G", "D")) and name.isupper() and name.isalnum():
        return channel
    cursor = None
    for _ in range(MAX_PAGES):
        args: dict[str, Any] = {"types": "public_channel,private_channel", "limit": 1000,
                                "exclude_archived": True}
        if cursor:
            args["cursor"] = cursor
        response = call_api(client.conversations_list, **args)
        for found in response.get("channels") or []:
            if found.get("name") == name:
                return found["id"]
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
