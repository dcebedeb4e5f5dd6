"""Asking reporters: a direct message with buttons when their email is a Slack user's
(users.lookupByEmail, outside any request), else the web form's link.

    deliver_surveys(db, rules, client, now)   # the leader's tick; client None: console sink
    text, blocks = survey_message(ticket, token, questions, form_url)

Buttons: action_id `survey:{question}:{score}` (score 1-5), value the survey's token.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from connectors.slack import NETWORK_ERRORS, SlackRateLimited, SlackTransientError, error_from_api, error_from_network
from processors.rules import Rules
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
                   ) -> tuple[str, list[dict[str, Any]]]:
    """The DM; with `answers`, as updated after a click (the chosen numbers highlighted)."""
    answers = answers or {}
    text = f"Your request {ticket} was resolved. How did we do? (1 = poor, 5 = excellent)"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    for key, wording in questions:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{wording}*"}})
        blocks.append({"type": "actions", "block_id": f"survey:{key}", "elements": [
            _button(key, score, token, answers.get(key)) for score in range(1, 6)]})
    if any(score is not None for score in answers.values()):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "Thank you! Your answers are saved; click another number to change one."}]})
    link = form_link(form_url, token)
    if link:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"You can change your answers until the survey closes: <{link}|web form>"}]})
    return text, blocks


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

        def work(session, survey_id=survey_id, ticket=ticket, cycle=cycle, token=token, user=user) -> None:
            survey = session.get(Survey, survey_id)
            survey.via, survey.slack_user = ("slack", user) if user else ("web", None)
            if user:
                text, blocks = survey_message(ticket, token, rules.surveys.questions, rules.surveys.form_url)
                enqueue(session, Outgoing(key=f"survey:{ticket}:{cycle}", kind="survey", channel=user,
                                          text=text, blocks=blocks, ticket=ticket, cycle=cycle), now)
        db.write(work)
    return len(waiting)
