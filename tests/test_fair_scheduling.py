"""Issue 12: a webhook stream faster than the recompute never starves the alerts. The tick
recomputes for a bounded time, then plans and sends; planning skips the tickets still waiting
for their recompute (their stored clocks may be older than their events), so no breach is
invented for a ticket whose answer is stored but not yet recomputed."""
from __future__ import annotations

import itertools
import threading
from datetime import timedelta

from scheduler import get_ticker
from store.db import get_database
from store.pending import backlog, mark_pending
from tests import jira_payloads as jp
from tests.conftest import recompute_marked
from tests.slack_helpers import T0, fake_slack, slack_app  # noqa: F401


def test_a_breach_is_posted_while_marks_keep_arriving_faster_than_the_recompute(slack_app, clock, fake_slack):  # noqa: F811
    client = slack_app.test_client()
    for key in ("ACME-1", "ACME-2"):
        assert client.post("/webhooks/jira", json=jp.created(key, T0)).status_code == 200
    recompute_marked(slack_app)
    clock.now = T0 + timedelta(minutes=50)  # ACME-2 is answered; its recompute waits behind a flood
    db, ticker = get_database(slack_app), get_ticker(slack_app)
    flooding, numbers = threading.Event(), itertools.count(1)
    db.write(lambda session: mark_pending(session, [f"BULK-{next(numbers)}" for _ in range(200)], clock.now))
    assert client.post("/webhooks/jira", json=jp.commented("ACME-2", clock.now)).status_code == 200

    def flood() -> None:  # marks arrive for as long as the tick runs
        while not flooding.is_set():
            db.write(lambda session: mark_pending(session, [f"BULK-{next(numbers)}" for _ in range(40)], clock.now))
            flooding.wait(0.01)

    clock.now = T0 + timedelta(hours=1, minutes=1)  # ACME-1 breached; ACME-2's stale clock says so too
    ticker.pending_budget_seconds = 0.5
    stream = threading.Thread(target=flood, daemon=True)
    stream.start()
    tick = threading.Thread(target=ticker.tick, daemon=True)
    tick.start()
    tick.join(timeout=10)
    flooding.set()
    stream.join()
    assert not tick.is_alive(), "the tick never got past the recompute"
    texts = [m["text"] for m in fake_slack.messages("#acme-sla")]
    assert any("ACME-1" in text and "breached" in text for text in texts)
    assert not any("ACME-2" in text for text in texts)
    with db.reading() as session:
        assert backlog(session, clock.now).tickets > 0  # the flood is still being worked off

    ticker.pending_budget_seconds = 600
    recompute_marked(slack_app)
    ticker.tick()  # ACME-2 recomputed: answered at 50 minutes, no breach
    assert not any("ACME-2" in m["text"] for m in fake_slack.messages("#acme-sla"))
