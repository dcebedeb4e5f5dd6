"""Filling the Slack user cache outside requests: users.info for the user ids the Events
endpoint met and did not know (store/slack.py `remember_user`).

    looked_up = refresh_users(db, client, now, limit=20)   # one scheduler tick's share
    slack_locale = look_up(db, client, user_id, now)        # one member, now (the survey DM)
    speaks("zh-CN")                                         # "zh_CN"; None for a language we lack

The cache lets the Events endpoint tell a ticket's reporter (Jira gives an email or display
name; Slack's message event only a user id) and bots apart without calling Slack during a
request. A user Slack does not know is stored as looked up, with nothing known. A rate limit or
an outage ends this round; the rest waits for the next tick.

users.info is asked with include_locale=true: the member's Slack language (`user.locale`,
"zh-CN") is kept too, and `speaks(raw)` says which of Slawatch's languages it is: "zh-CN" and any
other "zh-…" -> zh_CN, "en-…" -> en, anything Slawatch does not speak -> None (the caller falls
back to the vendor's, then the rules' language: docs/i18n.md).
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
from processors.i18n import LOCALES
from store import slack as slack_store
from store.db import Database

log = logging.getLogger(__name__)


def speaks(slack_locale: str | None) -> str | None:
    """Slack's user.locale -> the Slawatch locale it reads best, or None."""
    language = (slack_locale or "").replace("_", "-").split("-")[0].lower()
    return next((known for known in LOCALES if known.split("_")[0] == language), None)


def _user_info(client: WebClient, user_id: str) -> dict[str, Any] | None:
    try:
        return client.users_info(user=user_id, include_locale=True)["user"]
    except SlackApiError as exc:
        error = error_from_api(exc)
    except NETWORK_ERRORS as exc:
        raise error_from_network(exc) from None
    if isinstance(error, SlackPermanentError) and error.reason in ("user_not_found", "user_not_visible"):
        return None
    raise error


def look_up(db: Database, client: WebClient, user_id: str, now: datetime) -> str | None:
    """users.info about one member, stored in the cache; their Slack locale ("zh-CN") or None."""
    user = _user_info(client, user_id) or {}
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    is_bot = bool(user.get("is_bot")) or user_id == "USLACKBOT"
    db.write(lambda session: slack_store.save_user(
        session, user_id, profile.get("email"), name, is_bot, now, user.get("locale")))
    return user.get("locale")


def refresh_users(db: Database, client: WebClient, now: datetime, limit: int = 20) -> int:
    """Look up to `limit` queued users; returns how many were stored."""
    with db.reading() as session:
        queued = slack_store.users_to_look_up(session, limit)
    for user_id in queued:
        look_up(db, client, user_id, now)
    if queued:
        log.info("looked up %d Slack users", len(queued))
    return len(queued)
