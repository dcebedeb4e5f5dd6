"""Asking reporters: a direct message with buttons when their email is a Slack user's
(users.lookupByEmail, outside any request), else the web form's link.

    deliver_surveys(db, rules, client, now)   # the leader's tick; client None: console sink
    text, blocks = survey_message(ticket, token, questions, form_url, locale=locale)

The DM speaks the recipient's Slack language when Slawatch speaks it (users.info with
include_locale=true, kept in the Slack user cache), else the vendor's, else the rules'
(`survey_locale`, docs/i18n.md). Default questions are translated; an admin's are shown as written.

Buttons: action_id `survey:{question}:{score}` (score 1-5), value the survey's token.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from connectors.slack import (
    NETWORK_ERRORS, SlackPermanentError, SlackRateLimited, SlackTransientError, error_from_api, error_from_network,
)
from connectors.slack_users import look_up, speaks
from processors.i18n import translator
from processors.rules import Rules
from store import slack as slack_store
from store.db import Database
from store.models import Survey
from store.outbox import Outgoing, enqueue
from store.surveys import surveys_to_deliver

log = logging.getLogger(__name__)
ACTION_PREFIX = "survey:"
LABELS = {1: "1 😞", 2: "2", 3: "3", 4: "4", 5: "5 😀"}


def form_link(form_url: str | None, token: str) -> str | None:
    return f"{form_url}/survey/{token}" if form_url else None


def _button(key: str, score: int, token: str, chosen: int | None) -> dict[str, Any]:
    button = {"type": "button", "text": {"type": "plain_text", "text": LABELS[score]},
              "action_id": f"{ACTION_PREFIX}{key}:{score}", "value": token}
    return {**button, "style": "primary"} if score == chosen else button


def survey_message(ticket: str, token: str, questions: tuple[tuple[str, str], ...],
                   form_url: str | None, answers: dict[str, int | None] | None = None,
                   locale: str = "en") -> tuple[str, list[dict[str, Any]]]:
    """The DM; with `answers`, as updated after a click (the chosen numbers highlighted)."""
    _ = translator(locale).gettext
    answers = answers or {}
    text = _("Your request %(ticket)s was resolved. How did we do? (1 = poor, 5 = excellent)") % {"ticket": ticket}
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    for key, wording in questions:  # the default wordings are in the catalog (web/survey.py)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{_(wording)}*"}})
        blocks.append({"type": "actions", "block_id": f"survey:{key}", "elements": [
            _button(key, score, token, answers.get(key)) for score in range(1, 6)]})
    if any(score is not None for score in answers.values()):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       _("Thank you! Your answers are saved; click another number to change one.")}]})
    link = form_link(form_url, token)
    if link:
        change = _("You can change your answers until the survey closes: <%(link)s|web form>") % {"link": link}
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": change}]})
    return text, blocks


def survey_locale(session: Any, rules: Rules, vendor: str | None, slack_user: str | None) -> str:
    """The recipient's Slack language (from the user cache) if spoken, else the vendor's, else the rules'."""
    user = slack_store.cached_user(session, slack_user) if slack_user else None
    return (speaks(user.locale) if user is not None else None) or rules.locale_for(vendor)


def _learn_locale(db: Database, client: Any, user_id: str, now: datetime) -> None:
    """users.info (include_locale) about a recipient the user cache has no language for."""
    with db.reading() as session:
        user = slack_store.cached_user(session, user_id)
    if user is not None and user.locale:
        return
    try:
        look_up(db, client, user_id, now)
    except SlackPermanentError as exc:  # e.g. missing_scope: the DM goes out in the vendor's language
        log.warning("users.info about a survey recipient failed: %s", exc.reason)


def parse_action(action_id: str) -> tuple[str, int] | None:
    """`survey:csat:5` -> ("csat", 5)."""
    parts = action_id.split(":")
    if len(parts) != 3 or parts[0] != "survey" or parts[1] not in ("csat", "communication") \
            or parts[2] not in ("1", "2", "3", "4", "5"):
        return None
    return parts[1], int(parts[2])


def _slack_user(client: Any, email: str | None) -> str | None:
    if client is None or not email:
        return None
    try:
        return client.users_lookupByEmail(email=email)["user"]["id"]
    except SlackApiError as exc:
        error = error_from_api(exc)
    except NETWORK_ERRORS as exc:
        raise error_from_network(exc) from None
    if isinstance(error, (SlackRateLimited, SlackTransientError)):
        raise error
    return None  # users_not_found (a customer outside the workspace) and the like


def deliver_surveys(db: Database, rules: Rules, client: Any, now: datetime) -> int:
    """Decide how each new survey reaches its reporter; DMs go through the outbox."""
    with db.reading() as session:
        waiting = [(s.id, s.ticket, s.cycle, s.token, s.reporter_email) for s in surveys_to_deliver(session)]
    for survey_id, ticket, cycle, token, email in waiting:
        user = _slack_user(client, email)
        if user:
            _learn_locale(db, client, user, now)

        def work(session, survey_id=survey_id, ticket=ticket, cycle=cycle, token=token, user=user) -> None:
            survey = session.get(Survey, survey_id)
            survey.via, survey.slack_user = ("slack", user) if user else ("web", None)
            if user:
                locale = survey_locale(session, rules, survey.vendor, user)
                text, blocks = survey_message(ticket, token, rules.surveys.questions, rules.surveys.form_url,
                                              locale=locale)
                enqueue(session, Outgoing(key=f"survey:{ticket}:{cycle}", kind="survey", channel=user,
                                          text=text, blocks=blocks, ticket=ticket, cycle=cycle), now)
        db.write(work)
    return len(waiting)
