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
Languages (docs/i18n.md): answers, refusals and forms speak the clicking member's Slack language
when known, else the vendor's, else the rules'; the thread reply and the updated alert speak
the vendor channel's language (web/slack_disputes.py `reader_locale`, `thread_locale`).
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
from processors.i18n import translator
from processors.slack_replies import escape, metric_words
from store import slack as slack_store
from store.alerting import clock_view
from store.disputes import open_dispute_of
from store.outbox import Outgoing, enqueue
from store.models import ExcusedBreach
from store.slack import Breach
from store.surveys import answer_survey, survey_by_token
from web import context, slack_disputes
from web.slack_disputes import reader_locale, thread_locale
from web.slack import bp, ephemeral, malformed, sender_client

log = logging.getLogger(__name__)

EXCUSE_CALLBACK = "excuse_breach"
REASON = "reason"  # block_id and action_id of the reason input
MAX_REASON = 500
VIEWS_OPEN_TIMEOUT = 2.5  # seconds: the trigger_id is only good for 3


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract`; translated where it is shown."""
    return message


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
            return _refuse(action.user_id, N_("Slawatch does not know this button."))
        if breach is None:
            return _refuse(action.user_id, N_("This button does not name an SLA breach Slawatch knows."))
        if action.action_id == slack_blocks.ACK_ACTION:
            return acknowledge(action, breach)
        return open_excuse_form(action, breach)
    if isinstance(action, ViewSubmission) and action.callback_id == EXCUSE_CALLBACK:
        return submit_excuse(action)
    if isinstance(action, ViewSubmission) and action.callback_id == slack_disputes.DISPUTE_CALLBACK:
        return slack_disputes.submit_dispute(action, enqueue_update)
    return _refuse(getattr(action, "user_id", None), N_("Slawatch does not handle this kind of interaction."))


def _refuse(user_id: str | None, message: str):
    """An ephemeral answer in the member's language (theirs, else the rules')."""
    return ephemeral(translator(reader_locale(user_id)).gettext(message))


# ---- acknowledge ---------------------------------------------------------------------------

def acknowledge(action: BlockAction, breach: Breach):
    rules, now, jira_url = context.rulebook().rules, context.now(), current_app.config.get("JIRA_URL")
    _, vendor = slack_disputes.breach_vendor(breach)
    locale = reader_locale(action.user_id, vendor)
    refusal = slack_disputes.ack_refusal(vendor, action.user_id, locale)
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
                text, blocks = slack_blocks.acknowledged_reply(alert, rules.locale_for(alert.clock.vendor))
                enqueue(session, Outgoing(
                    key=alert.key, kind="acknowledged", channel=alert.channel, text=text,
                    blocks=blocks, thread_key=alert.thread_key, ticket=alert.ticket,
                    metric=alert.metric, cycle=alert.cycle, level=alert.level), now)
        enqueue_update(session, breach, "ack", now)
        return True

    if not context.database().write(work):
        gone = translator(locale).gettext("Slawatch no longer has this SLA clock (the ticket changed or was "
                                          "deleted); nothing was acknowledged.")
        return ephemeral(gone)
    return done()


def enqueue_update(session: Session, breach: Breach, what: str, now: datetime) -> bool:
    """Put a chat.update of the breach's alert message in the outbox (sent once the alert has
    its ts) showing who acknowledged or excused it, with the buttons still of use. Not for an
    alert folded into a digest: the digest stays as it is."""
    original = slack_store.breach_message(session, breach)
    if original is None or original.status == "digested":
        return False
    locale = thread_locale(session, breach)
    _ = translator(locale).gettext
    ack = slack_store.acknowledgement(session, breach)
    excused = session.get(ExcusedBreach, breach.key)
    notes, buttons, words = [], [], []
    if ack is None:
        buttons.append(slack_blocks.ACK_ACTION)
    elif ack.kind == "ack" or excused is None:  # an excuse acknowledged it too, and that stands
        values = {"who": f"<@{ack.by}>", "at": slack_blocks.slack_date(ack.at, "UTC", locale)}
        note = (_(":eyes: Acknowledged by %(who)s %(at)s") if ack.kind == "ack"
                else _(":eyes: Acknowledged by %(who)s (by excusing it) %(at)s"))
        notes.append(note % values)
        words.append(_("acknowledged by %(who)s") % values)
    if excused is not None:
        values = {"who": f"<@{excused.by}>", "reason": escape(excused.reason)}
        notes.append(_(":memo: Excused by %(who)s: %(reason)s") % values)
        words.append(_("excused by %(who)s") % values)
    else:
        buttons.append(slack_blocks.EXCUSE_ACTION)
        if (disputed := open_dispute_of(session, breach)) is not None:
            notes.append(_(":scales: Disputed by %(who)s: waiting for an approver") % {"who": f"<@{disputed.by}>"})
    blocks = slack_blocks.marked_message(json.loads(original.blocks) if original.blocks else None,
                                         "\n".join(notes) or _("Excuse withdrawn"), buttons)
    return enqueue(session, Outgoing(
        key=f"update:{breach.key}:{what}", kind="update", channel=original.channel,
        text=" — ".join([original.text, *words]), blocks=blocks, thread_key=breach.key,
        ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle), now)


# ---- excuse --------------------------------------------------------------------------------

def excuse_form(breach: Breach, locale: str = "en") -> dict:
    _ = translator(locale).gettext
    values = {"key": escape(breach.ticket), "metric": metric_words(breach.metric, locale), "cycle": breach.cycle}
    question = (_("Excuse the breach of *%(key)s* %(metric)s (cycle %(cycle)d)? Excused breaches are shown "
                  "apart in reports and do not count against the vendor. Everyone can see who excused it "
                  "and why.") if breach.cycle > 1 else
                _("Excuse the breach of *%(key)s* %(metric)s? Excused breaches are shown apart in reports "
                  "and do not count against the vendor. Everyone can see who excused it and why."))
    return {
        "type": "modal", "callback_id": EXCUSE_CALLBACK, "private_metadata": breach.key,
        "title": {"type": "plain_text", "text": _("Excuse SLA breach")},
        "submit": {"type": "plain_text", "text": _("Excuse")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": question % values}},
            {"type": "input", "block_id": REASON, "label": {"type": "plain_text", "text": _("Reason")},
             "element": {"type": "plain_text_input", "action_id": REASON, "multiline": True,
                         "max_length": MAX_REASON}},
        ],
    }


def open_excuse_form(action: BlockAction, breach: Breach):
    """The excuse form for approvers and admins, the dispute form for the vendor's managers."""
    exists, vendor = slack_disputes.breach_vendor(breach)
    locale = reader_locale(action.user_id, vendor)
    _ = translator(locale).gettext
    refusal = slack_disputes.excuse_refusal(action.user_id, locale)
    form = excuse_form(breach, locale)
    if refusal is not None:
        if not (exists and slack_disputes.may_dispute(vendor, action.user_id)):
            return ephemeral(refusal)
        form = slack_disputes.dispute_form(breach, locale)
    client = sender_client()
    if client is None or not action.trigger_id:
        return ephemeral(_("Excusing needs Slawatch's Slack bot token (SLACK_BOT_TOKEN)."))
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=VIEWS_OPEN_TIMEOUT)
    try:
        quick.views_open(trigger_id=action.trigger_id, view=form)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error") if exc.response else "?")
        return ephemeral(_("Slack did not open the excuse form; please try again."))
    except NETWORK_ERRORS as exc:
        log.warning("views.open failed: %s", type(exc).__name__)
        return ephemeral(_("Slack did not open the excuse form; please try again."))
    return done()


def form_error(message: str):
    return jsonify(response_action="errors", errors={REASON: message})


def submit_excuse(submission: ViewSubmission):
    breach = slack_store.parse_breach_key(submission.private_metadata)
    reason = " ".join((submission.values.get(REASON) or "").split())[:MAX_REASON]
    locale = reader_locale(submission.user_id)
    _ = translator(locale).gettext
    if breach is None:
        return form_error(_("This form does not name an SLA breach Slawatch knows."))
    if not reason:
        return form_error(_("Please say why this breach is excused."))
    refusal = slack_disputes.excuse_refusal(submission.user_id, locale)  # roles may have changed since
    if refusal is not None:
        return form_error(refusal)
    now = context.now()

    def work(session: Session) -> bool:
        if slack_store.breach_clock(session, breach) is None:
            return False
        audit_id = slack_store.excuse(session, breach, submission.user_id, reason, now)
        note = translator(thread_locale(session, breach)).gettext(":memo: Excused by %(who)s: %(reason)s") % {
            "who": f"<@{submission.user_id}>", "reason": escape(reason)}
        enqueue_excuse_note(session, breach, note, f"{breach.key}:excuse:{audit_id}", now)
        enqueue_update(session, breach, f"excuse:{audit_id}", now)
        return True

    if not context.database().write(work):
        return form_error(_("Slawatch no longer has this SLA clock (the ticket changed or was deleted)."))
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
        return _refuse(action.user_id, N_("Slawatch does not know this button."))
    question, score = parsed
    now = context.now()
    rules = context.rulebook().rules

    def work(session: Session) -> str:
        survey = survey_by_token(session, action.value or "")
        locale = surveys.survey_locale(session, rules, survey.vendor if survey else None, action.user_id)
        _ = translator(locale).gettext
        if survey is None:
            return _("Slawatch does not know this survey.")
        if survey.slack_user and survey.slack_user != action.user_id:
            return _("This survey was sent to someone else.")
        if not answer_survey(session, survey, {question: score}, now):
            return _("This survey has closed. Thank you anyway!")
        if survey.via == "slack" and survey.slack_user:  # show the choice in the DM, in its language
            text, blocks = surveys.survey_message(
                survey.ticket, survey.token, rules.surveys.questions, rules.surveys.form_url,
                {"csat": survey.csat, "communication": survey.communication}, locale)
            parent = f"survey:{survey.ticket}:{survey.cycle}"
            enqueue(session, Outgoing(key=f"update:{parent}:{now.isoformat()}:{question}:{score}",
                                      kind="update", channel=survey.slack_user, text=text,
                                      blocks=blocks, thread_key=parent, ticket=survey.ticket), now)
        return _("Thank you! You answered %(score)d of 5; click another number to change it.") % {"score": score}

    return ephemeral(context.database().write(work))
