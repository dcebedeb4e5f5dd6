"""Planning by due instant (clocks.plan_at): a worker restarted in the middle of a due window
posts what fell due while it was down exactly once; the tick's query is an index range, not a
scan of the open clocks (the query plan, on SQLite and PostgreSQL); `next_look` moves a clock
to its next warning, breach or escalation."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from processors.alerts import ClockView, next_look
from scheduler import get_ticker
from store.alerting import due_query
from store.attainment import clock_counts_query
from store.db import get_database
from store.models import ClockRow
from store.rulebook import get_rulebook
from store.surveys import unsurveyed_query
from tests import jira_payloads as jp
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)
from tests.test_scheduler_alerts import T0, alerts_posted, key_of, outbox_rows, post, slack_app, tick_at  # noqa: F401


def plan_at(app) -> dict[tuple[str, str], datetime | None]:
    with get_database(app).reading() as session:
        return {(c.ticket, c.metric): c.plan_at for c in session.scalars(select(ClockRow))}


def test_a_worker_restarted_in_the_middle_of_a_due_window_posts_what_fell_due_once(
        slack_app, make_app, db_url, clock, fake_slack):
    post(slack_app, jp.created("ACME-1", T0, project="ACME"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=31))  # 50% of the 1 h first response
    assert [key_of(m) for m in alerts_posted(fake_slack)] == ["alert:ACME-1:first_response:1:warn-50"]
    assert plan_at(slack_app)[("ACME-1", "first_response")] == T0 + timedelta(minutes=48)  # 80%
    get_ticker(slack_app).stop()  # the worker goes down before 80% (at 48 min)

    restarted = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                         JIRA_URL="https://acme-it.atlassian.net")
    tick_at(restarted, clock, T0 + timedelta(minutes=52), times=3)  # back 4 minutes after 80%
    assert [key_of(m) for m in alerts_posted(fake_slack)][1:] == ["alert:ACME-1:first_response:1:warn-80"]
    get_ticker(restarted).stop()  # down again before the breach (60 min) and the escalation (90 min)
    again = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    tick_at(again, clock, T0 + timedelta(minutes=95), times=3)
    assert [key_of(m) for m in alerts_posted(fake_slack)] == [
        "alert:ACME-1:first_response:1:warn-50", "alert:ACME-1:first_response:1:warn-80",
        "alert:ACME-1:first_response:1:breach", "alert:ACME-1:first_response:1:escalation"]
    # nothing left to look at before the resolution clock's 75% warning (6 h of 8 h)
    assert plan_at(again) == {("ACME-1", "first_response"): None,
                                  ("ACME-1", "resolution"): T0 + timedelta(hours=6)}


def test_a_worker_down_for_more_than_a_day_records_the_old_alerts_as_expired(
        slack_app, make_app, db_url, clock, fake_slack):
    post(slack_app, jp.created("ACME-2", T0, project="ACME"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=1))
    get_ticker(slack_app).stop()
    restarted = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    tick_at(restarted, clock, T0 + timedelta(hours=34))  # both breaches more than 24 h ago
    rows = outbox_rows(restarted)
    assert rows["alert:ACME-2:first_response:1:breach"].status == "expired"
    assert rows["alert:ACME-2:resolution:1:breach"].status == "expired"
    assert alerts_posted(fake_slack) == []
    assert set(plan_at(restarted).values()) == {None}


def explain(session, query, dialect: str) -> str:
    """The database's plan of `query`, bound exactly as the tick binds it."""
    connection = session.connection()
    if dialect == "postgresql":  # a tiny table is cheaper to scan: ask whether the index CAN serve
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")

    def prefix(conn, cursor, statement, parameters, context, executemany):
        return ("EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN ") + statement, parameters
    event.listen(connection, "before_cursor_execute", prefix, retval=True)
    try:
        return "\n".join(" ".join(str(v) for v in row) for row in connection.execute(query))
    finally:
        event.remove(connection, "before_cursor_execute", prefix)


def test_the_ticks_query_reads_an_index_range_not_the_open_clocks(slack_app, dialect):
    for n in range(30):
        post(slack_app, jp.created(f"ACME-{n + 1}", T0, project="ACME"))
    with get_database(slack_app).reading() as session:
        plan = explain(session, due_query(T0, 2000), dialect)
    assert "ix_clocks_plan_at" in plan, plan
    if dialect == "sqlite":  # SEARCH clocks USING INDEX ix_clocks_plan_at (plan_at<?)
        assert "SEARCH clocks USING INDEX ix_clocks_plan_at (plan_at<?)" in plan and "SCAN clocks" not in plan, plan
    else:  # Index Cond: (plan_at <= '...'), on ix_clocks_plan_at
        assert "Index Cond: (plan_at <=" in plan, plan


def test_the_survey_steps_query_reads_the_clocks_stopped_lately(slack_app, dialect):
    for n in range(30):
        post(slack_app, jp.created(f"ACME-{n + 1}", T0, project="ACME"))
    with get_database(slack_app).reading() as session:
        plan = explain(session, unsurveyed_query(T0, 200), dialect)
    assert "ix_clocks_state_stopped_at" in plan, plan
    if dialect == "sqlite":
        assert "SEARCH clocks USING INDEX ix_clocks_state_stopped_at (state=? AND stopped_at>? AND stopped_at<?)" in plan, plan


def view(**changes) -> ClockView:
    base = dict(ticket="ACME-1", metric="first_response", cycle=1, state="running", target_seconds=3600,
                elapsed_seconds=0, paused_seconds=0, started_at=T0, stopped_at=None,
                due_at=T0 + timedelta(hours=1), breached_at=None,
                warnings=((0.5, T0 + timedelta(minutes=30)), (0.8, T0 + timedelta(minutes=48))),
                policy="standard", calendar="always", summary=None, priority=None, status=None, vendor="acme")
    return ClockView(**{**base, **changes})


@pytest.mark.parametrize("after, expected", [
    (T0, T0 + timedelta(minutes=30)),  # the first warning
    (T0 + timedelta(minutes=30), T0 + timedelta(minutes=48)),  # the next one
    (T0 + timedelta(minutes=50), T0 + timedelta(hours=1)),  # the breach
    (T0 + timedelta(hours=1), T0 + timedelta(minutes=90)),  # the escalation (escalate_after 30m)
    (T0 + timedelta(minutes=90), None),
])
def test_next_look_is_the_next_instant_that_calls_for_an_alert(slack_app, after, expected):
    assert next_look(view(), get_rulebook(slack_app).rules, after) == expected


def test_a_paused_or_stopped_clock_waits_for_its_next_recompute(slack_app):
    rules = get_rulebook(slack_app).rules
    paused = view(state="paused", due_at=None, warnings=((0.5, None), (0.8, None)))
    assert next_look(paused, rules, T0) is None
    stopped = view(state="stopped", stopped_at=T0 + timedelta(minutes=10), due_at=None)
    assert next_look(stopped, rules, T0 + timedelta(minutes=10)) is None


def test_the_figures_query_reads_index_ranges_not_the_open_clocks(slack_app, dialect):
    """The dashboard's figures (store/attainment.py) read the clocks that stopped, breached or
    fell due in the periods shown, by three index ranges; a running clock not yet due counts
    nowhere and is not read (issue 15: this step scanned every open clock every minute)."""
    for n in range(30):
        post(slack_app, jp.created(f"ACME-{n + 1}", T0, project="ACME"))
    bounds = [T0 - timedelta(days=90), T0 - timedelta(days=7), T0 + timedelta(days=7)]
    with get_database(slack_app).reading() as session:
        plan = explain(session, clock_counts_query(bounds, T0), dialect)
    for index in ("ix_clocks_breached_at", "ix_clocks_due_at", "ix_tickets_deleted"):
        assert index in plan, plan
    if dialect == "sqlite":
        assert "MULTI-INDEX OR" in plan and "ix_clocks_state_stopped_at" in plan, plan
        assert "SCAN clocks" not in plan and "SCAN tickets" not in plan, plan
    else:  # on a tiny table the state index may serve the first term: its statistics decide
        assert "BitmapOr" in plan and "Seq Scan on clocks" not in plan and "Seq Scan on tickets" not in plan, plan
