"""POST /webhooks/slack/interactions: the buttons on breach alerts and the excuse form.

- Acknowledge (`ack_breach`, value = the breach's alert key): who and when go in
  `acknowledgements` (the first click counts; later ones change nothing), which stops the
  escalation; the outbox gets a chat.update of the alert ("Acknowledged by …", the Acknowledge
  button gone) and a reply in its thread.
- Excuse… (`excuse_breach`): opens a modal asking for the reason (views.open with the click's
  trigger_id, which expires after 3 seconds — the one Slack call made during a request). Its
  submission (`view_submission`, callback_id `excuse_breach`, the alert key in
  private_metadata) records the breach as excused, with an audit row, a thread reply and a
  chat.update of the alert.
- Who may click what (web/slack_disputes.py): Acknowledge — the vendor's managers and staff,
  approvers, admins; Excuse… — approvers and admins, while a vendor's manager gets the dispute
  form instead (`dispute_breach`; Approve / Reject buttons in the thread decide it). Anyone else
  gets an ephemeral refusal and nothing changes.
- Survey buttons (`survey:{question}:{score}`, value the survey's token): the reporter's answer,
  which they may change until the survey closes; the DM is updated to show it.
Unknown buttons and interaction types get a polite answer; nothing is stored for them.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import current_app, g, jsonify
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from connectors import slack_blocks, surveys
from connectors.errors import MalformedPayload
from connectors.slack import NETWORK_ERRORS
from connectors.slack_inbound import BlockAction, ViewSubmission, parse_interaction
from processors.alerts import acknowledged_alert
from processors.slack_replies import escape, metric_words
from store import slack as slack_store
from store.alerting import clock_view
from store.disputes import open_dispute_of
from store.outbox import Outgoing, enqueue
from store.models import ExcusedBreach
from store.slack import Breach
from store.surveys import answer_survey, survey_by_token
from web import context, slack_disputes
from web.slack import bp, ephemeral, malformed, sender_client

log = logging.getLogger(__name__)

EXCUSE_CALLBACK = "excuse_breach"
REASON = "reason"  # block_id and action_id of the reason input
MAX_REASON = 500
VIEWS_OPEN_TIMEOUT = 2.5  # seconds: the trigger_id is only good for 3


def done():
    return "", 200


@bp.post("/interactions")
def interaction():
    try:
        action = parse_interaction(g.slack_body)
    except MalformedPayload as exc:
        return malformed(exc)
    if isinstance(action, BlockAction) and action.action_id.startswith(surveys.ACTION_PREFIX):
        return survey_answer(action)
    if isinstance(action, BlockAction) and action.action_id in slack_disputes.DECISION_ACTIONS:
        return slack_disputes.decide(action, enqueue_update, ephemeral)
    if isinstance(action, BlockAction):
        breach = slack_store.parse_breach_key(action.value)
        if action.action_id not in (slack_blocks.ACK_ACTION, slack_blocks.EXCUSE_ACTION):
            return ephemeral("Slawatch does not know this button.")
        if breach is None:
            return ephemeral("This button does not name an SLA breach Slawatch knows.")
        if action.action_id == slack_blocks.ACK_ACTION:
            return acknowledge(action, breach)
        return open_excuse_form(action, breach)
    if isinstance(action, ViewSubmission) and action.callback_id == EXCUSE_CALLBACK:
        return submit_excuse(action)
    if isinstance(action, ViewSubmission) and action.callback_id == slack_disputes.DISPUTE_CALLBACK:
        return slack_disputes.submit_dispute(action, enqueue_update)
    return ephemeral("Slawatch does not handle this kind of interaction.")


# ---- acknowledge ---------------------------------------------------------------------------

def acknowledge(action: BlockAction, breach: Breach):
    rules, now, jira_url = context.rulebook().rules, context.now(), current_app.config.get("JIRA_URL")
    _, vendor = slack_disputes.breach_vendor(breach)
    refusal = slack_disputes.ack_refusal(vendor, action.user_id)
    if refusal is not None:
        return ephemeral(refusal)

    def work(session: Session) -> bool:
        found = slack_store.breach_clock(session, breach)
        if found is None:
            return False  # no such clock: nothing to acknowledge, nothing stored
        if not slack_store.acknowledge(session, breach, action.user_id, now):
            return True  # acknowledged before: that one stands
        if found is not None:
            alert = acknowledged_alert(clock_view(*found), rules, action.user_id, now, jira_url)
            if alert is not None:
                text, blocks = slack_blocks.acknowledged_reply(alert)
                enqueue(session, Outgoing(
                    key=alert.key, kind="acknowledged", channel=alert.channel, text=text,
                    blocks=blocks, thread_key=alert.thread_key, ticket=alert.ticket,
                    metric=alert.metric, cycle=alert.cycle, level=alert.level), now)
        enqueue_update(session, breach, "ack", now)
        return True

    if not context.database().write(work):
        return ephemeral("Slawatch no longer has this SLA clock (the ticket changed or was deleted); "
                         "nothing was acknowledged.")
    return done()


def enqueue_update(session: Session, breach: Breach, what: str, now: datetime) -> bool:
    """Put a chat.update of the breach's alert message in the outbox (sent once the alert has
    its ts) showing who acknowledged or excused it, with the buttons still of use. Not for an
    alert folded into a digest: the digest stays as it is."""
    original = slack_store.breach_message(session, breach)
    if original is None or original.status == "digested":
        return False
    ack = slack_store.acknowledgement(session, breach)
    excused = session.get(ExcusedBreach, breach.key)
    notes, buttons, words = [], [], []
    if ack is None:
        buttons.append(slack_blocks.ACK_ACTION)
    elif ack.kind == "ack" or excused is None:  # an excuse acknowledged it too, and that stands
        how = "" if ack.kind == "ack" else " (by excusing it)"
        notes.append(f":eyes: Acknowledged by <@{ack.by}>{how} {slack_blocks.slack_date(ack.at, 'UTC')}")
        words.append(f"acknowledged by <@{ack.by}>")
    if excused is not None:
        notes.append(f":memo: Excused by <@{excused.by}>: {escape(excused.reason)}")
        words.append(f"excused by <@{excused.by}>")
    else:
        buttons.append(slack_blocks.EXCUSE_ACTION)
        if (disputed := open_dispute_of(session, breach)) is not None:
            notes.append(f":scales: Disputed by <@{disputed.by}>: waiting for an approver")
    blocks = slack_blocks.marked_message(json.loads(original.blocks) if original.blocks else None,
                                         "\n".join(notes) or "Excuse withdrawn", buttons)
    return enqueue(session, Outgoing(
        key=f"update:{breach.key}:{what}", kind="update", channel=original.channel,
        text=" — ".join([original.text, *words]), blocks=blocks, thread_key=breach.key,
        ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle), now)


# ---- excuse --------------------------------------------------------------------------------

def excuse_form(breach: Breach) -> dict:
    what = f"*{escape(breach.ticket)}* {metric_words(breach.metric)}" + (
        f" (cycle {breach.cycle})" if breach.cycle > 1 else "")
    return {
        "type": "modal", "callback_id": EXCUSE_CALLBACK, "private_metadata": breach.key,
        "title": {"type": "plain_text", "text": "Excuse SLA breach"},
        "submit": {"type": "plain_text", "text": "Excuse"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f"Excuse the breach of {what}? Excused breaches are shown apart in reports and do "
                f"not count against the vendor. Everyone can see who excused it and why."}},
            {"type": "input", "block_id": REASON, "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": REASON, "multiline": True,
                         "max_length": MAX_REASON}},
        ],
    }


def open_excuse_form(action: BlockAction, breach: Breach):
    """The excuse form for approvers and admins, the dispute form for the vendor's managers."""
    refusal = slack_disputes.excuse_refusal(action.user_id)
    form = excuse_form(breach)
    if refusal is not None:
        exists, vendor = slack_disputes.breach_vendor(breach)
        if not (exists and slack_disputes.may_dispute(vendor, action.user_id)):
            return ephemeral(refusal)
        form = slack_disputes.dispute_form(breach)
    client = sender_client()
    if client is None or not action.trigger_id:
        return ephemeral("Excusing needs Slawatch's Slack bot token (SLACK_BOT_TOKEN).")
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=VIEWS_OPEN_TIMEOUT)
    try:
        quick.views_open(trigger_id=action.trigger_id, view=form)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error") if exc.response else "?")
        return ephemeral("Slack did not open the excuse form; please try again.")
    except NETWORK_ERRORS as exc:
        log.warning("views.open failed: %s", type(exc).__name__)
        return ephemeral("Slack did not open the excuse form; please try again.")
    return done()


def form_error(message: str):
    return jsonify(response_action="errors", errors={REASON: message})


def submit_excuse(submission: ViewSubmission):
    breach = slack_store.parse_breach_key(submission.private_metadata)
    reason = " ".join((submission.values.get(REASON) or "").split())[:MAX_REASON]
    if breach is None:
        return form_error("This form does not name an SLA breach Slawatch knows.")
    if not reason:
        return form_error("Please say why this breach is excused.")
    refusal = slack_disputes.excuse_refusal(submission.user_id)  # roles may have changed since
    if refusal is not None:
        return form_error(refusal)
    now = context.now()

    def work(session: Session) -> bool:
        if slack_store.breach_clock(session, breach) is None:
            return False
        audit_id = slack_store.excuse(session, breach, submission.user_id, reason, now)
        enqueue_excuse_note(session, breach, f":memo: Excused by <@{submission.user_id}>: "
                                             f"{escape(reason)}", f"{breach.key}:excuse:{audit_id}", now)
        enqueue_update(session, breach, f"excuse:{audit_id}", now)
        return True

    if not context.database().write(work):
        return form_error("Slawatch no longer has this SLA clock (the ticket changed or was deleted).")
    return done()


def enqueue_excuse_note(session: Session, breach: Breach, text: str, key: str, now: datetime) -> bool:
    """A reply in the breach alert's thread (when there is an alert message to reply to)."""
    original = slack_store.breach_message(session, breach)
    if original is None:
        return False
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    return enqueue(session, Outgoing(
        key=key, kind="excuse_note", channel=original.channel, text=text, blocks=blocks,
        thread_key=breach.key, ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle), now)


# ---- survey answers ------------------------------------------------------------------------

def survey_answer(action: BlockAction):
    parsed = surveys.parse_action(action.action_id)
    if parsed is None:
        return ephemeral("Slawatch does not know this button.")
    question, score = parsed
    now = context.now()

    def work(session: Session) -> str:
        survey = survey_by_token(session, action.value or "")
        if survey is None:
            return "Slawatch does not know this survey."
        if survey.slack_user and survey.slack_user != action.user_id:
            return "This survey was sent to someone else."
        if not answer_survey(session, survey, {question: score}, now):
            return "This survey has closed. Thank you anyway!"
        if survey.via == "slack" and survey.slack_user:  # show the choice in the DM
            surveys_config = context.rulebook().rules.surveys
            text, blocks = surveys.survey_message(
                survey.ticket, survey.token, surveys_config.questions, surveys_config.form_url,
                {"csat": survey.csat, "communication": survey.communication})
            parent = f"survey:{survey.ticket}:{survey.cycle}"
            enqueue(session, Outgoing(key=f"update:{parent}:{now.isoformat()}:{question}:{score}",
                                      kind="update", channel=survey.slack_user, text=text,
                                      blocks=blocks, thread_key=parent, ticket=survey.ticket), now)
        return f"Thank you! You answered {score} of 5; click another number to change it."

    return ephemeral(context.database().write(work))
