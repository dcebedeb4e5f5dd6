"""The words of `/sla` replies (processors/slack_replies.py), as tables worked out by hand: every
branch of a clock's sentence, the lines of `/sla KEY` and `/sla breaches`, the excuse history and
the survey line, in English and in Chinese, at the edges (a minute, a cycle number of 1 or 2, a
list exactly as long as what is shown)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from processors.slack_replies import (ExcuseEntry, audit_line, breaches_reply, clock_words, current_excuses,
                                      escape, help_text, instant, metric_words, survey_line, ticket_reply, words)
from processors.sla import Clock, TicketState

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # a Monday noon, UTC
H, M = timedelta(hours=1), timedelta(minutes=1)


def clock(**changes) -> Clock:
    """An open first-response clock of 1h started an hour before NOW, 40m elapsed, due in 20m."""
    values = dict(metric="first_response", cycle=1, state="running", target=H, elapsed=40 * M,
                  started_at=NOW - H, stopped_at=None, due_at=NOW + 20 * M, breached_at=None,
                  paused_for=timedelta(0), calendar="24x7", policy="standard", vendor="acme",
                  evaluated_at=NOW)
    values.update(changes)
    return Clock(**values)


def ticket(*clocks: Clock, **changes) -> TicketState:
    values = dict(key="OPS-1", policy="standard", vendor="acme", status="In Progress",
                  facts={"summary": "VPN down", "priority": "High"}, clocks=clocks,
                  created_at=NOW - H, evaluated_at=NOW)
    values.update(changes)
    return TicketState(**values)


@pytest.mark.parametrize("seconds, en, zh", [
    (0, "under a minute", "不到1分钟"),
    (59, "under a minute", "不到1分钟"),  # whole minutes only: 59 s is still under one
    (60, "1m", "1分钟"),  # exactly a minute
    (119, "1m", "1分钟"),  # minutes are cut, not rounded
    (3599, "59m", "59分钟"),
    (3600, "1h", "1小时"),  # no "0m" after the hours
    (3660, "1h 1m", "1小时1分钟"),
    (86400, "1d", "1天"),
    (86460, "1d 1m", "1天1分钟"),  # the zero hours are left out, the minutes kept
    (90060, "1d 1h", "1天1小时"),  # at most two units: the minute is dropped
    (2 * 86400 + 3 * 3600 + 59 * 60, "2d 3h", "2天3小时"),
    (-5400, "1h 30m", "1小时30分钟"),  # a negative span reads as its size (`abs`)
])
def test_words(seconds, en, zh):
    assert words(timedelta(seconds=seconds)) == en
    assert words(timedelta(seconds=seconds), "zh_CN") == zh


@pytest.mark.parametrize("metric, en, zh", [
    ("first_response", "first response", "首次响应"),
    ("resolution", "resolution", "解决时限"),
    ("next_response", "next response", "下次响应"),
    ("periodic_update", "periodic update", "定期更新"),
    ("custom_metric", "custom metric", "custom metric"),  # unknown: its name with spaces, untranslated
])
def test_metric_words(metric, en, zh):
    assert metric_words(metric) == en
    assert metric_words(metric, "zh_CN") == zh


def test_instant_is_iso_in_english_and_babel_in_chinese():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    assert instant(at) == "2026-01-05T10:00:00Z"
    assert instant(at, "zh_CN") == "2026年1月5日 10:00:00 UTC"


@pytest.mark.parametrize("changes, en", [
    # stopped after breaching: how late, from the breach to the stop (12:35 - 12:00)
    (dict(state="stopped", stopped_at=NOW + 35 * M, breached_at=NOW, due_at=None, elapsed=95 * M),
     "met late: stopped 35m after the breach"),
    # stopped within the target: elapsed of target
    (dict(state="stopped", stopped_at=NOW, due_at=None, elapsed=50 * M), "met (50m of 1h)"),
    # stopped exactly at the target is met, not late (no breach instant)
    (dict(state="stopped", stopped_at=NOW, due_at=None, elapsed=H), "met (1h of 1h)"),
    # paused after breaching: the breach is what matters, paused said after it (NOW - 11:00)
    (dict(state="paused", due_at=None, breached_at=NOW - H, elapsed=2 * H), "breached 1h ago, paused"),
    # paused before the target: what is left (1h - 40m)
    (dict(state="paused", due_at=None), "paused, 20m left"),
    # running and breached 35m ago
    (dict(breached_at=NOW - 35 * M, elapsed=95 * M, due_at=NOW - 35 * M), "breached 35m ago"),
    # running with a due instant: time to it (12:20 - 12:00)
    (dict(), "due in 20m"),
    (dict(due_at=NOW + 2 * H + 10 * M), "due in 2h 10m"),
    # running without a due instant (none known): what is left of the target
    (dict(due_at=None), "running, 20m left"),
])
def test_clock_words(changes, en):
    assert clock_words(clock(**changes), NOW) == en


@pytest.mark.parametrize("changes, zh", [
    (dict(state="stopped", stopped_at=NOW, due_at=None, elapsed=50 * M), "已达标（已用时50分钟，目标1小时）"),
    (dict(due_at=None), "计时中，剩余20分钟"),
    (dict(), "20分钟后到期"),
])
def test_clock_words_in_chinese(changes, zh):
    assert clock_words(clock(**changes), NOW, "zh_CN") == zh


def entry(action: str, at: datetime, metric: str = "resolution", cycle: int = 1, by: str = "U1",
          reason: str | None = None) -> ExcuseEntry:
    return ExcuseEntry(metric=metric, cycle=cycle, action=action, by=by, at=at, reason=reason)


@pytest.mark.parametrize("trail, excused", [
    ([], set()),
    ([entry("excuse", NOW)], {("resolution", 1)}),
    # withdrawn later: not excused
    ([entry("excuse", NOW), entry("unexcuse", NOW + M)], set()),
    # the same two given out of time order: the latest by time (the excuse) wins
    ([entry("excuse", NOW + M), entry("unexcuse", NOW)], {("resolution", 1)}),
    # a dispute after the excuse changes nothing by itself; so do approve and reject rows
    ([entry("excuse", NOW), entry("dispute", NOW + M), entry("reject", NOW + 2 * M)], {("resolution", 1)}),
    ([entry("dispute", NOW), entry("approve", NOW + M)], set()),
    # per (metric, cycle): cycle 2's withdrawal leaves cycle 1 excused
    ([entry("excuse", NOW), entry("excuse", NOW, cycle=2), entry("unexcuse", NOW + M, cycle=2)],
     {("resolution", 1)}),
])
def test_current_excuses(trail, excused):
    current = current_excuses(trail)
    assert set(current) == excused
    assert all(e.action == "excuse" for e in current.values())


def test_ticket_reply_lines():
    reply = ticket_reply(ticket(clock(), clock(metric="resolution", cycle=2, target=8 * H, elapsed=H,
                                                due_at=NOW + 7 * H)), NOW)
    assert reply.split("\n") == [
        "*OPS-1* VPN down",
        "In Progress · priority High · vendor acme · policy standard",
        "• first response: due in 20m",  # cycle 1: no cycle number
        "• resolution (cycle 2): due in 7h",  # a later cycle says which
    ]


def test_ticket_reply_without_facts_clocks_or_details():
    state = ticket(status=None, vendor=None, policy=None, facts={}, deleted=True)
    assert ticket_reply(state, NOW).split("\n") == [
        "*OPS-1*", "This ticket was deleted in Jira.", "No SLA clocks (no policy applies)."]


def test_ticket_reply_escapes_what_jira_people_wrote():
    state = ticket(key="OPS-1>", status="<b>", facts={"summary": "a & b <!channel>", "priority": "P<1>"},
                   vendor="x<y", policy="p>q")
    lines = ticket_reply(state, NOW).split("\n")
    assert lines[0] == "*OPS-1&gt;* a &amp; b &lt;!channel&gt;"
    assert lines[1] == "&lt;b&gt; · priority P&lt;1&gt; · vendor x&lt;y · policy p&gt;q"


@pytest.mark.parametrize("changes, tail", [
    # hand-off clock with who made it
    (dict(handoff_at=NOW - H, handoff_by="Dana <desk>", measure="handoff"),
     " — acme's since the hand-off at 2026-03-02T11:00:00Z by Dana &lt;desk&gt;"),
    # hand-off clock without an actor (a reconcile found the hand-off)
    (dict(handoff_at=NOW - H, measure="handoff"), " — acme's since the hand-off at 2026-03-02T11:00:00Z"),
    # ended by the ticket leaving the vendor
    (dict(state="stopped", stopped_at=NOW, due_at=None, elapsed=50 * M, ended_by="handaway"),
     ", ended by a hand-away"),
    (dict(state="stopped", stopped_at=NOW, due_at=None, elapsed=50 * M, ended_by="response"), ""),
])
def test_clock_line_hand_off_parts(changes, tail):
    line = ticket_reply(ticket(clock(**changes)), NOW).split("\n")[2]
    words_part = clock_words(clock(**changes), NOW)
    assert line == f"• first response: {words_part}{tail}"


def test_excused_clock_and_history():
    breached = clock(metric="resolution", breached_at=NOW - H, elapsed=2 * H, due_at=NOW - H)
    trail = [entry("unexcuse", NOW - 10 * M, by="U2"),  # given out of order: history is by time
             entry("excuse", NOW - 30 * M, by="U1", reason="customer <away>"),
             entry("excuse", NOW - 5 * M, by="U3", reason="change freeze")]
    lines = ticket_reply(ticket(breached), NOW, trail).split("\n")
    assert lines[2] == "• resolution: breached 1h ago — _excused by <@U3>: change freeze_"
    assert lines[3:] == [
        "Excuse history:",
        "  – 2026-03-02T11:30:00Z <@U1> excused resolution cycle 1: customer &lt;away&gt;",
        "  – 2026-03-02T11:50:00Z <@U2> withdrew the excuse for resolution cycle 1",
        "  – 2026-03-02T11:55:00Z <@U3> excused resolution cycle 1: change freeze",
    ]


@pytest.mark.parametrize("action, text", [
    ("excuse", "<@U1> excused first response cycle 2"),
    ("unexcuse", "<@U1> withdrew the excuse for first response cycle 2"),
    ("dispute", "<@U1> disputed first response cycle 2"),
    ("approve", "<@U1> approved the dispute of first response cycle 2"),
    ("reject", "<@U1> rejected the dispute of first response cycle 2"),
    ("reopen", "<@U1> reopen first response cycle 2"),  # an action with no sentence: said as is
])
def test_audit_line(action, text):
    at = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    assert audit_line(entry(action, at, metric="first_response", cycle=2)) == f"  – 2026-01-05T10:00:00Z {text}"


def test_audit_line_in_chinese_with_reason():
    at = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    line = audit_line(entry("excuse", at, reason="客户休假"), "zh_CN")
    assert line.startswith("  – 2026年1月5日 10:00:00 UTC <@U1>")
    assert line.endswith("：客户休假") and "解决时限" in line


def breach_row(key: str, *clocks: dict, summary: str | None = "Disk full") -> dict:
    return {"key": key, "summary": summary, "clocks": list(clocks)}


def c(metric: str = "resolution", cycle: int = 1, breached: bool = True, state: str = "running",
      breached_at: str | None = "2026-03-02T10:00:00Z", due_at: str | None = None) -> dict:
    return {"metric": metric, "cycle": cycle, "breached": breached, "state": state,
            "breached_at": breached_at, "due_at": due_at}


@pytest.mark.parametrize("vendor, text", [
    (None, "No open breaches. :tada:"),
    ("acme", "No open breaches for acme. :tada:"),
])
def test_breaches_reply_none(vendor, text):
    assert breaches_reply([], NOW, vendor) == text


def test_breaches_reply_lines():
    rows = [breach_row("OPS-1", c(), c(metric="first_response", breached_at=None, due_at="2026-03-02T11:30:00Z"),
                       c(metric="next_response", breached=False),  # not breached: left out
                       c(metric="periodic_update", state="stopped")),  # stopped: not open, left out
            breach_row("OPS-2", c(breached_at=None), summary=None)]
    lines = breaches_reply(rows, NOW, excused={("OPS-1", "resolution", 1)}).split("\n")
    assert lines == [
        "*2 tickets with open breaches*",
        # 12:00 - 10:00; the first response has no breach instant: its due instant (11:30) stands in
        "• *OPS-1* Disk full — resolution breached 2h ago (excused), first response breached 30m ago",
        "• *OPS-2* — resolution breached",  # no instant at all; no summary
    ]


@pytest.mark.parametrize("count, shown, head, more", [
    (1, 20, "*1 ticket with open breaches for acme*", None),  # singular
    (2, 2, "*2 tickets with open breaches for acme*", None),  # exactly as many as shown: no "more"
    (3, 2, "*3 tickets with open breaches for acme*", "and 1 more"),  # one over
])
def test_breaches_reply_count_and_limit(count, shown, head, more):
    rows = [breach_row(f"OPS-{i}", c()) for i in range(count)]
    lines = breaches_reply(rows, NOW, "acme", shown=shown).split("\n")
    assert lines[0] == head
    assert len([line for line in lines if line.startswith("• ")]) == min(count, shown)
    assert [line for line in lines if line.startswith("and ")] == ([more] if more else [])
    if more:
        assert lines[-1] == more


@pytest.mark.parametrize("count, more", [(20, []), (21, ["and 1 more"])])
def test_breaches_reply_shows_twenty_by_default(count, more):
    # `/sla breaches` (web/slack_commands.py) relies on the default: 20 tickets listed, then a count
    lines = breaches_reply([breach_row(f"OPS-{i}", c()) for i in range(count)], NOW).split("\n")
    assert len([line for line in lines if line.startswith("• ")]) == 20
    assert [line for line in lines if line.startswith("and ")] == more


def test_breaches_reply_in_chinese():
    text = breaches_reply([breach_row("OPS-1", c())], NOW, locale="zh_CN")
    assert "违约" in text and "2小时" in text and "OPS-1" in text


@pytest.mark.parametrize("text, escaped", [
    (None, ""), ("", ""), ("a & b", "a &amp; b"), ("<@U1>", "&lt;@U1&gt;"),
    ("&lt;", "&amp;lt;"),  # the ampersand first, so an escape is not read as one
])
def test_escape(text, escaped):
    assert escape(text) == escaped


@pytest.mark.parametrize("args, en", [
    ((1, None, 5, 4, None), "Survey (cycle 1): answered — satisfaction 5/5, communication 4/5"),
    ((2, "slack", 3, None, None), "Survey (cycle 2): answered — satisfaction 3/5"),
    ((1, "web", None, 2, None), "Survey (cycle 1): answered — communication 2/5"),
    ((1, "web", 0, None, None), "Survey (cycle 1): answered — satisfaction 0/5"),  # 0 is an answer, not none
    ((1, "slack", None, None, "https://x/s/1"), "Survey (cycle 1): sent to the reporter in Slack, not answered yet"),
    ((1, "web", None, None, "https://x/s/1"), "Survey (cycle 1): not answered: web form <https://x/s/1|link> to pass on"),
    ((3, None, None, None, None), "Survey (cycle 3): not answered (no surveys.form_url set for a link)"),
])
def test_survey_line(args, en):
    assert survey_line(*args) == en


def test_help_text_in_both_languages():
    en = help_text().split("\n")
    zh = help_text("zh_CN").split("\n")
    assert en[0] == "*/sla* — SLA clocks from Slawatch" and len(en) == len(zh) == 6
    assert zh[0] == "*/sla* — Slawatch 的 SLA 计时"
    # the commands themselves stay as typed
    assert [line.split("`")[1] for line in en[1:]] == [line.split("`")[1] for line in zh[1:]]
