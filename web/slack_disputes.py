"""Who may act on a breach alert in Slack, and the dispute of a breach by a vendor's manager.

Roles come from rules.yaml (processors/rules_governance.py) at the moment of the click:
- Acknowledge: the vendor's managers and staff, approvers, admins;
- Excuse… (and `/sla unexcuse`): approvers and admins; without a `governance` section nobody,
  and the answer says how to name approvers;
- a vendor's manager who clicks Excuse… gets the dispute form instead: their reason is posted in
  the alert's thread with Approve / Reject buttons; only an approver's or admin's Approve excuses
  the breach (store/disputes.py). Every step is in the excuse audit trail.
Anyone else gets an ephemeral refusal and nothing changes. A member listed by email (staff) is
recognised once Slawatch has looked them up (users.info, done by the worker within a minute).

Languages (docs/i18n.md): what one member reads (a refusal, a form, an answer) is in their Slack
language when the user cache knows it (`user_locale`), else the vendor's, else the rules'
(`reader_locale`); what is posted in a breach's thread is in the language of its vendor's
channel (`thread_locale`).
"""
from __future__ import annotations

from datetime import datetime

from flask import jsonify
from sqlalchemy.orm import Session

from connectors.slack_inbound import BlockAction, ViewSubmission
from connectors.slack_users import speaks
from processors import rules_governance as roles
from processors.i18n import translator
from processors.slack_replies import escape, metric_words
from store import disputes
from store import slack as slack_store
from store.outbox import Outgoing, enqueue
from store.slack import Breach
from web import context

DISPUTE_CALLBACK = "dispute_breach"
APPROVE_ACTION, REJECT_ACTION = "dispute_approve", "dispute_reject"
DECISION_ACTIONS = {APPROVE_ACTION: "approved", REJECT_ACTION: "rejected"}
REASON = "reason"


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract`; translated where it is shown."""
    return message


NO_APPROVERS = N_("Nobody may excuse breaches yet: list the Slack member ids of the people who decide "
                  "excuses in rules.yaml, e.g.\n```governance:\n  approvers: [\"U024BE7LH\"]```\n"
                  "(docs/rules.md, section governance). Nothing was changed.")
EXCUSERS_ONLY = N_("Only approvers and admins (rules.yaml, governance) may excuse a breach or withdraw "
                   "an excuse; the vendor's managers may dispute it. Nothing was changed.")
DECIDERS_ONLY = N_("Only approvers and admins (rules.yaml, governance) may decide a dispute; the "
                   "vendor's managers may dispute it. Nothing was changed.")


def user_locale(user_id: str | None) -> str | None:
    """The member's Slack language, if users.info told it and Slawatch speaks it."""
    if not user_id:
        return None
    with context.database().reading() as session:
        user = slack_store.cached_user(session, user_id)
        if user is not None:
            return speaks(user.locale)
    now = context.now()
    context.database().write(lambda session: slack_store.remember_user(session, user_id, now))
    return None  # the worker looks them up (users.info with include_locale)


def reader_locale(user_id: str | None, vendor: str | None = None) -> str:
    """The language of what the member reads: theirs, else the vendor's, else the rules'."""
    return user_locale(user_id) or context.rulebook().rules.locale_for(vendor)


def thread_locale(session: Session, breach: Breach) -> str:
    """The language of the breach's channel: its vendor's, else the rules'."""
    found = slack_store.breach_clock(session, breach)
    return context.rulebook().rules.locale_for(found[0].vendor if found is not None else None)


def breach_vendor(breach: Breach) -> tuple[bool, str | None]:
    """(the clock exists, the vendor it is attributed to)."""
    with context.database().reading() as session:
        found = slack_store.breach_clock(session, breach)
    return (found is not None, found[0].vendor if found is not None else None)


def email_of(user_id: str) -> str | None:
    """The member's email as users.info told it (None until the worker looked them up)."""
    with context.database().reading() as session:
        user = slack_store.cached_user(session, user_id)
        if user is not None:
            return user.email
    now = context.now()
    context.database().write(lambda session: slack_store.remember_user(session, user_id, now))
    return None  # the worker looks them up


def ack_refusal(vendor: str | None, user_id: str, locale: str = "en") -> str | None:
    """None if the member may acknowledge a breach of `vendor`, else why not."""
    rules = context.rulebook().rules
    email = email_of(user_id)
    if roles.may_acknowledge(rules, vendor, user_id, email):
        return None
    _ = translator(locale).gettext
    refusal = (_("Only %(vendor)s's managers and staff, approvers and admins (rules.yaml) may acknowledge "
                 "this breach. Nothing was changed.") % {"vendor": _vendor_name(vendor)} if vendor
               else _("Only the vendor's managers and staff, approvers and admins (rules.yaml) may "
                      "acknowledge this breach. Nothing was changed."))
    if email:
        return refusal
    return _("%(refusal)s If you are listed by email, Slawatch learns yours from Slack within a minute: try "
             "again then.") % {"refusal": refusal}


def excuse_refusal(user_id: str, locale: str = "en", deciding: bool = False) -> str | None:
    """None if the member may excuse (and un-excuse, and decide a dispute), else why not."""
    rules = context.rulebook().rules
    if roles.may_excuse(rules, user_id):
        return None
    _ = translator(locale).gettext
    if not rules.governance.configured:
        return _(NO_APPROVERS)
    return _(DECIDERS_ONLY) if deciding else _(EXCUSERS_ONLY)


def may_dispute(vendor: str | None, user_id: str) -> bool:
    """A manager of the vendor, when there are approvers to decide (a governance section)."""
    rules = context.rulebook().rules
    return rules.governance.configured and roles.may_dispute(rules, vendor, user_id, email_of(user_id))


def _vendor_name(vendor: str | None) -> str:
    found = next((v for v in context.rulebook().rules.vendors if v.id == vendor), None)
    return found.name if found is not None else (vendor or "")


def dispute_form(breach: Breach, locale: str = "en") -> dict:
    _ = translator(locale).gettext
    values = {"key": breach.ticket, "metric": metric_words(breach.metric, locale), "cycle": breach.cycle}
    question = (_("Dispute the breach of *%(key)s* %(metric)s (cycle %(cycle)d)? Your reason is posted in the "
                  "alert's thread; an approver approves (the breach is then excused) or rejects it.")
                if breach.cycle > 1 else
                _("Dispute the breach of *%(key)s* %(metric)s? Your reason is posted in the alert's thread; "
                  "an approver approves (the breach is then excused) or rejects it."))
    return {
        "type": "modal", "callback_id": DISPUTE_CALLBACK, "private_metadata": breach.key,
        "title": {"type": "plain_text", "text": _("Dispute SLA breach")},
        "submit": {"type": "plain_text", "text": _("Dispute")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": question % values}},
            {"type": "input", "block_id": REASON, "label": {"type": "plain_text", "text": _("Reason")},
             "element": {"type": "plain_text_input", "action_id": REASON, "multiline": True,
                         "max_length": 500}},
        ],
    }


def _form_error(message: str):
    return jsonify(response_action="errors", errors={REASON: message})


def submit_dispute(submission: ViewSubmission, update_alert):
    """The dispute form sent: recorded, posted in the thread with Approve / Reject."""
    breach = slack_store.parse_breach_key(submission.private_metadata)
    reason = " ".join((submission.values.get(REASON) or "").split())[:500]
    locale = reader_locale(submission.user_id)
    _ = translator(locale).gettext
    if breach is None:
        return _form_error(_("This form does not name an SLA breach Slawatch knows."))
    if not reason:
        return _form_error(_("Please say why this breach should be excused."))
    exists, vendor = breach_vendor(breach)
    if not exists:
        return _form_error(_("Slawatch no longer has this SLA clock (the ticket changed or was deleted)."))
    if not context.rulebook().rules.governance.configured:
        return _form_error(_(NO_APPROVERS))
    if not may_dispute(vendor, submission.user_id):
        return _form_error(_("Only the vendor's managers may dispute this breach. Nothing was changed."))
    now = context.now()

    def work(session: Session) -> str | None:
        if slack_store.is_excused(session, breach):
            return _("This breach is excused already.")
        dispute_id = disputes.open_dispute(session, breach, submission.user_id, reason, now)
        if dispute_id is None:
            return _("This breach has an open dispute already; an approver will decide it.")
        _post_dispute(session, breach, dispute_id, submission.user_id, reason, now)
        update_alert(session, breach, f"dispute:{dispute_id}", now)
        return None

    problem = context.database().write(work)
    return _form_error(problem) if problem else ("", 200)


def _dispute_blocks(text: str, dispute_id: int | None, locale: str = "en") -> list[dict]:
    _ = translator(locale).gettext
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    if dispute_id is not None:
        blocks.append({"type": "actions", "block_id": f"dispute:{dispute_id}", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": _("Approve (excuse)")},
             "action_id": APPROVE_ACTION, "value": str(dispute_id), "style": "primary"},
            {"type": "button", "text": {"type": "plain_text", "text": _("Reject")},
             "action_id": REJECT_ACTION, "value": str(dispute_id), "style": "danger"}]})
    return blocks


def _post_dispute(session: Session, breach: Breach, dispute_id: int, by: str, reason: str,
                  now: datetime) -> None:
    original = slack_store.breach_message(session, breach)
    if original is None:
        return
    locale = thread_locale(session, breach)
    _ = translator(locale).gettext
    text = _(":scales: %(who)s disputes this breach: %(reason)s\n"
             "An approver or admin decides: Approve excuses the breach, Reject keeps it counting.") % {
        "who": f"<@{by}>", "reason": escape(reason)}
    enqueue(session, Outgoing(key=f"{breach.key}:dispute:{dispute_id}", kind="dispute", channel=original.channel,
                              text=text, blocks=_dispute_blocks(text, dispute_id, locale), thread_key=breach.key,
                              ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle), now)


def decide(action: BlockAction, update_alert, ephemeral):
    """Approve / Reject on a dispute: approvers and admins only; the first decision stands."""
    decision = DECISION_ACTIONS[action.action_id]
    locale = reader_locale(action.user_id)
    _ = translator(locale).gettext
    refusal = excuse_refusal(action.user_id, locale, deciding=True)
    if refusal is not None:
        return ephemeral(refusal)
    if not (action.value or "").isdigit():
        return ephemeral(_("This button does not name a dispute Slawatch knows."))
    now = context.now()

    def work(session: Session) -> str:
        decided = disputes.decide(session, int(action.value), decision, action.user_id, now)
        if decided is None:
            return _("This dispute was decided already (or Slawatch does not know it).")
        breach = Breach(decided.alert_key, decided.ticket, decided.metric, decided.cycle)
        thread = translator(thread_locale(session, breach))
        verdict = (thread.gettext(":scales: %(who)s's dispute (%(reason)s) was approved: the breach is excused "
                                  "by %(by)s.") if decision == "approved" else
                   thread.gettext(":scales: %(who)s's dispute (%(reason)s) was rejected: the breach counts by %(by)s."))
        text = verdict % {"who": f"<@{decided.by}>", "reason": escape(decided.reason), "by": f"<@{action.user_id}>"}
        key = f"{breach.key}:dispute:{decided.id}"
        original = slack_store.breach_message(session, breach)
        if original is not None:  # the dispute message, its buttons replaced by the decision
            enqueue(session, Outgoing(key=f"update:{key}:decided", kind="update", channel=original.channel,
                                      text=text, blocks=_dispute_blocks(text, None), thread_key=key,
                                      ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle), now)
        update_alert(session, breach, f"dispute:{decided.id}:{decision}", now)
        return _("Dispute approved.") if decision == "approved" else _("Dispute rejected.")

    return ephemeral(context.database().write(work))
