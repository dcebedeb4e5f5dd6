"""Satisfaction surveys in the store: opened when a ticket's resolution clock stops, answered
in Slack or on the web form until they expire.

    opened = open_new_surveys(session, rules, now)      # resolved tickets without a survey
    waiting = surveys_to_deliver(session)               # not yet sent (via is None)
    survey = survey_by_token(session, token)
    answer_survey(session, survey, {"csat": 5}, now)   # False once expired

One survey per ticket and resolution cycle (a UNIQUE constraint): a reopened and re-resolved
ticket is asked again. Tokens are 32 random URL-safe characters, stored; the web form's link
is `{surveys.form_url}/survey/{token}`.
"""
from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processors.events import Person
from processors.rule_schedule import RuleSchedule, as_schedule, judge
from processors.rules import Rules
from store.models import ClockRow, Survey, Ticket
from store.repo import load_events

HORIZON = timedelta(days=7)  # tickets resolved longer ago than this are not surveyed
SCORES = range(1, 6)


@functools.cache
def _insert(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dml(Survey.__table__).on_conflict_do_nothing(index_elements=["ticket", "cycle"])


def open_new_surveys(session: Session, schedule: Rules | RuleSchedule, now: datetime,
                     limit: int = 200) -> int:
    """A survey for every resolution cycle that stopped in the last HORIZON and has none. The
    surveys settings are the current rules'; a ticket is judged by the rules that judge it."""
    schedule = as_schedule(schedule)
    rules = schedule.current
    if not rules.surveys.enabled:
        return 0
    opened = 0
    for ticket, cycle, vendor in session.execute(unsurveyed_query(now, limit)).all():
        row = {"ticket": ticket, "cycle": cycle, "token": secrets.token_urlsafe(24), "vendor": vendor,
               "reporter_email": _reporter_email(session, ticket, schedule, now), "asked_at": now,
               "expires_at": now + rules.surveys.expire_after}
        opened += session.connection().execute(_insert(session.get_bind().dialect.name), row).rowcount
    return opened


def unsurveyed_query(now: datetime, limit: int):
    """Resolution clocks stopped in the last HORIZON without a survey: a range of the index
    ix_clocks_state_stopped_at (the clocks stopped lately), not of every clock."""
    return (select(ClockRow.ticket, ClockRow.cycle, ClockRow.vendor)
            .join(Ticket, Ticket.key == ClockRow.ticket)
            .outerjoin(Survey, and_(Survey.ticket == ClockRow.ticket, Survey.cycle == ClockRow.cycle))
            .where(ClockRow.metric == "resolution", ClockRow.state == "stopped",
                   ClockRow.stopped_at > now - HORIZON, ClockRow.stopped_at <= now,
                   Ticket.deleted.is_(False), Survey.id.is_(None))
            .order_by(ClockRow.stopped_at).limit(limit))


def _reporter_email(session: Session, ticket: str, schedule: RuleSchedule, now: datetime) -> str | None:
    state = judge(load_events(session, ticket), schedule, now)
    reporter = state.facts.get("reporter") if state else None
    return reporter.email if isinstance(reporter, Person) else None


def surveys_to_deliver(session: Session, limit: int = 50) -> list[Survey]:
    return list(session.scalars(select(Survey).where(Survey.via.is_(None)).order_by(Survey.id).limit(limit)))


def survey_by_token(session: Session, token: str) -> Survey | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Survey).where(Survey.token == token))


def answer_survey(session: Session, survey: Survey, scores: dict[str, int], now: datetime) -> bool:
    """Record (or change) answers; False once the survey expired. Scores must be 1-5."""
    if now >= survey.expires_at:
        return False
    for question, score in scores.items():
        if question not in ("csat", "communication") or score not in SCORES:
            raise ValueError(f"bad answer {question}={score}")
        setattr(survey, question, score)
    survey.answered_at = now
    return True
