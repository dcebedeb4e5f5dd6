"""Disputes of breaches: a vendor's manager disputes, an approver approves or rejects.

    dispute_id = open_dispute(session, breach, by, reason, now)   # None: one is open already
    dispute = open_dispute_of(session, breach)                    # the open one, or None
    decided = decide(session, dispute_id, "approved"|"rejected", by, now)   # None: not open
                                                                  # (an approval excuses too)

Every step goes in the excuse audit trail (store/slack.py): `dispute` with the manager's reason,
`approve` / `reject` by the approver, and the `excuse` an approval makes.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store import slack as slack_store
from store.models import Dispute
from store.slack import Breach

DECISIONS = {"approved": "approve", "rejected": "reject"}


def open_dispute_of(session: Session, breach: Breach) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.alert_key == breach.key, Dispute.state == "open"))


def open_dispute(session: Session, breach: Breach, by: str, reason: str, now: datetime) -> int | None:
    if open_dispute_of(session, breach) is not None:
        return None
    row = Dispute(alert_key=breach.key, ticket=breach.ticket, metric=breach.metric, cycle=breach.cycle,
                  by=by, at=now, reason=reason, state="open")
    session.add(row)
    session.flush()
    slack_store.audit(session, breach, "dispute", by, now, reason)
    return row.id


def decide(session: Session, dispute_id: int, decision: str, by: str, now: datetime) -> Dispute | None:
    """Close an open dispute (a conditional UPDATE: two approvers clicking at once decide once)."""
    claimed = session.execute(
        update(Dispute).where(Dispute.id == dispute_id, Dispute.state == "open")
        .values(state=decision, decided_by=by, decided_at=now)).rowcount
    if not claimed:
        return None
    dispute = session.get(Dispute, dispute_id)
    session.refresh(dispute)
    breach = Breach(dispute.alert_key, dispute.ticket, dispute.metric, dispute.cycle)
    slack_store.audit(session, breach, DECISIONS[decision], by, now, dispute.reason)
    if decision == "approved":
        slack_store.excuse(session, breach, by, dispute.reason, now)
    return dispute
