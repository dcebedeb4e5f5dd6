"""Stopped clocks keep their verdict (store/verdicts.py): after a plain edit of rules.yaml, a clock
that stopped met stays met in the store, in `GET /api/tickets/KEY` and after unrelated later
changes of its ticket; open clocks and clocks that stop later are judged by the new rules."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from scheduler import get_ticker
from store.db import get_database
from store.models import ClockRow
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML

UTC = timezone.utc
TIGHTER = RULES_YAML.replace("first_response: {target: 1h, warn_at: [50%]}",
                             "first_response: {target: 30m, warn_at: [50%]}")


def _rows(app, key: str) -> dict[tuple[str, int], ClockRow]:
    with get_database(app).reading() as session:
        rows = session.scalars(select(ClockRow).where(ClockRow.ticket == key)).all()
        return {(row.metric, row.cycle): row for row in rows}


def _api_clock(client, key: str, metric: str) -> dict:
    body = client.get(f"/api/tickets/{key}").json
    return next(c for c in body["clocks"] if c["metric"] == metric and c["cycle"] == 1)


def test_a_rules_edit_keeps_the_verdict_of_stopped_clocks_everywhere(app, client, clock, rules_path, post_jira):
    created = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert post_jira(jp.created("OPS-1", created), delivery="1").status_code == 200
    assert post_jira(jp.commented("OPS-1", datetime(2026, 1, 5, 9, 45, tzinfo=UTC)), delivery="2").status_code == 200
    old = get_rulebook(app).rules.version
    before = _rows(app, "OPS-1")[("first_response", 1)]
    assert (before.state, before.breached_at, before.rules_version) == ("stopped", None, old)

    rules_path.write_text(TIGHTER, encoding="utf-8")
    get_ticker(app).tick()
    new = get_rulebook(app).rules.version
    assert new != old
    rows = _rows(app, "OPS-1")
    assert (rows[("first_response", 1)].breached_at, rows[("first_response", 1)].rules_version) == (None, old)
    assert rows[("resolution", 1)].rules_version == new  # the open clock: the new rules
    api = _api_clock(client, "OPS-1", "first_response")
    assert (api["state"], api["breached_at"], api["rules_version"]) == ("stopped", None, old)
    assert client.get("/api/tickets/OPS-1").json["rules_version"] == new

    # weeks later, an unrelated change of the ticket: the verdict and its instant stay
    clock.now = datetime(2026, 1, 26, 12, 0, tzinfo=UTC)
    labels = jp.labels_changed("OPS-1", datetime(2026, 1, 26, 11, 0, tzinfo=UTC), ["vip"])
    assert post_jira(labels, delivery="3").status_code == 200
    after = _rows(app, "OPS-1")[("first_response", 1)]
    assert (after.state, after.stopped_at, after.breached_at, after.rules_version) == \
           ("stopped", before.stopped_at, None, old)
    assert _api_clock(client, "OPS-1", "first_response")["breached_at"] is None


def test_a_clock_stopping_after_the_edit_is_judged_by_the_new_rules(app, client, rules_path, post_jira):
    assert post_jira(jp.created("OPS-2", datetime(2026, 1, 5, 9, 0, tzinfo=UTC)), delivery="1").status_code == 200
    rules_path.write_text(TIGHTER, encoding="utf-8")
    get_ticker(app).tick()
    new = get_rulebook(app).rules.version
    assert post_jira(jp.commented("OPS-2", datetime(2026, 1, 5, 9, 45, tzinfo=UTC)), delivery="2").status_code == 200
    row = _rows(app, "OPS-2")[("first_response", 1)]
    assert (row.state, row.breached_at, row.rules_version) == ("stopped", datetime(2026, 1, 5, 9, 30, tzinfo=UTC), new)
    api = _api_clock(client, "OPS-2", "first_response")
    assert (api["breached_at"], api["rules_version"]) == ("2026-01-05T09:30:00Z", new)


def test_a_late_event_still_moves_a_stopped_clock_under_its_own_version(app, client, rules_path, post_jira):
    """Keeping the version is not freezing the clock: an earlier answer delivered late moves the
    stop, judged by the rules that judged it before."""
    assert post_jira(jp.created("OPS-3", datetime(2026, 1, 5, 9, 0, tzinfo=UTC)), delivery="1").status_code == 200
    assert post_jira(jp.commented("OPS-3", datetime(2026, 1, 5, 9, 50, tzinfo=UTC)), delivery="2").status_code == 200
    old = get_rulebook(app).rules.version
    rules_path.write_text(TIGHTER, encoding="utf-8")
    get_ticker(app).tick()
    late = jp.commented("OPS-3", datetime(2026, 1, 5, 9, 40, tzinfo=UTC), comment_id="777")
    assert post_jira(late, delivery="3").status_code == 200
    row = _rows(app, "OPS-3")[("first_response", 1)]
    assert (row.stopped_at, row.breached_at, row.rules_version) == (datetime(2026, 1, 5, 9, 40, tzinfo=UTC), None, old)
    assert _api_clock(client, "OPS-3", "first_response")["stopped_at"] == "2026-01-05T09:40:00Z"
