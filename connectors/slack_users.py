"""Filling the Slack user cache outside requests: users.info for the user ids the Events
endpoint met and did not know (store/slack.py `remember_user`).

    looked_up = refresh_users(db, client, now, limit=20)   # one scheduler tick's share

The cache lets the Events endpoint tell a ticket's reporter (Jira gives an email or display
name; Slack's message event only a user id) and bots apart without calling Slack during a
request. A user Slack does not know is stored as looked up, with nothing known. A rate limit or
an outage ends this round; the rest waits for the next tick.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from connectors.slack import (
    NETWORK_ERRORS, SlackPermanentError, error_from_api, error_from_network,
)
from store import slack as slack_store
from store.db import Database

log = logging.getLogger(__name__)


def _user_info(client: WebClient, user_id: str) -> dict[str, Any] | None:
    try:
        return client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        error = error_from_api(exc)
    except NETWORK_ERRORS as exc:
        raise error_from_network(exc) from None
    if isinstance(error, SlackPermanentError) and error.reason in ("user_not_found", "user_not_visible"):
        return None
    raise error


def refresh_users(db: Database, client: WebClient, now: datetime, limit: int = 20) -> int:
    """Look up to `limit` queued users; returns how many were stored."""
    with db.reading() as session:
        queued = slack_store.users_to_look_up(session, limit)
    done = 0
    for user_id in queued:
        user = _user_info(client, user_id) or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        is_bot = bool(user.get("is_bot")) or user_id == "USLACKBOT"
        db.write(lambda session: slack_store.save_user(
            session, user_id, profile.get("email"), name, is_bot, now))
        done += 1
    if done:
        log.info("looked up %d Slack users", done)
    return done
