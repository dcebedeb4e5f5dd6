"""Alert planning at its boundaries, as tables worked out by hand: the breach instant, the
escalation instant (with the acknowledgement or the resolution exactly at it), the settings that
turn escalation on only together, the digest threshold (thread replies do not count) and the
Jira write-back effects. Public surface only (`plan`, `plan_alerts`, `group_for_digest`).

The clock: ACME-1's first response, 1 h target on 24x7 from T0 (Monday 2026-03-02 10:00Z),
warned at 50% (T0+30m) and 80% (T0+48m), due T0+1h, as a row computed at T0.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from processors.alerts import ClockView, group_for_digest, next_look, plan, plan_alerts
from processors.rules import parse_rules

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)

HEAD = """\
version: 1
calendars:
  office: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match: {projects: [ACME]}
    channel: "#acme-sla"
    managers: [U024BE7LH]
policies:
  - name: urgent
    calendar: always
    metrics: {first_response: {target: 1h, warn_at: [50%, 80%]}}
"""


def rules(alerts: str = "", jira: str = ""):
    return parse_rules(HEAD + alerts + jira)


ESCALATING = rules('alerts: {channel: "#sla", escalation_channel: "#esc", escalate_after: 2h}\n')
CHANNEL_ONLY = rules('alerts: {channel: "#sla", escalation_channel: "#esc"}\n')  # no escalate_after
# rules.yaml refuses escalate_after without escalation_channel; the planner must not escalate
# with such a config either (a Rules built in code, e.g. by a caller that strips the channel).
AFTER_ONLY = dataclasses.replace(ESCALATING, alerts=dataclasses.replace(ESCALATING.alerts, escalation_channel=None))


def clock(**changes) -> ClockView:
    base = ClockView(
        ticket="ACME-1", metric="first_response", cycle=1, state="running", target_seconds=3600,
        elapsed_seconds=0, paused_seconds=0, started_at=T0, stopped_at=None, due_at=T0 + H,
        breached_at=None, warnings=((0.5, T0 + 30 * M), (0.8, T0 + 48 * M)), policy="urgent",
        calendar="always", summary="VPN down", priority="High", status="Open", vendor="acme")
    return dataclasses.replace(base, **changes)


def levels(view: ClockView, now: datetime, rules_=ESCALATING) -> list[str]:
    return [a.level for a in plan_alerts([view], rules_, now)]


BREACHED = clock(breached_at=T0 + H, elapsed_seconds=7200)  # a row computed after the breach
STOPPED_LATE = clock(state="stopped", stopped_at=T0 + 80 * M, breached_at=T0 + H)

CASES = [
    # -- the breach instant: a stale running row is breached at its due time -------------------
    # 1 s before due: both warnings reached, no breach yet.
    pytest.param(clock(), T0 + H - S, ESCALATING, ["warn-50", "warn-80"], id="stale-row-1s-before-due"),
    # Exactly at due: the breach, and no warnings any more.
    pytest.param(clock(), T0 + H, ESCALATING, ["breach"], id="stale-row-at-due"),
    pytest.param(clock(), T0 + H + S, ESCALATING, ["breach"], id="stale-row-1s-after-due"),
    # A row that says breached_at: warnings until 1 s before, the breach exactly at it.
    pytest.param(BREACHED, T0 + H - S, ESCALATING, ["warn-50", "warn-80"], id="breached-at-1s-before"),
    pytest.param(BREACHED, T0 + H, ESCALATING, ["breach"], id="breached-at-instant"),
    # A paused row has no due time: no breach is inferred from it.
    pytest.param(clock(state="paused", due_at=None), T0 + 5 * H, ESCALATING, ["warn-50", "warn-80"], id="paused-no-due"),
    # A stopped row is not breached at its (would-have-been) due time unless it says so.
    pytest.param(clock(state="stopped", stopped_at=T0 + 50 * M), T0 + 5 * H, ESCALATING, [], id="stopped-in-time-no-warnings"),
    # Warnings exactly at their instants: warn-50 at T0+30m, not 1 s before.
    pytest.param(clock(), T0 + 30 * M - S, ESCALATING, [], id="warning-1s-before"),
    pytest.param(clock(), T0 + 30 * M, ESCALATING, ["warn-50"], id="warning-at-instant"),
    # -- escalation: breach T0+1h, escalate_after 2h -> T0+3h ------------------------------------
    pytest.param(BREACHED, T0 + 3 * H - S, ESCALATING, ["breach"], id="escalation-1s-before"),
    pytest.param(BREACHED, T0 + 3 * H, ESCALATING, ["breach", "escalation"], id="escalation-at-instant"),
    # Both settings are needed: either one alone never escalates.
    pytest.param(BREACHED, T0 + 10 * H, CHANNEL_ONLY, ["breach"], id="channel-without-escalate-after"),
    pytest.param(BREACHED, T0 + 10 * H, AFTER_ONLY, ["breach"], id="escalate-after-without-channel"),
    # Resolved exactly at the escalation instant: resolved by then, no escalation; 1 s later: it
    # escalates (and the late resolution replies in the thread).
    pytest.param(clock(state="stopped", stopped_at=T0 + 3 * H, breached_at=T0 + H), T0 + 10 * H, ESCALATING,
                 ["breach", "resolved-late"], id="resolved-at-escalation-instant"),
    pytest.param(clock(state="stopped", stopped_at=T0 + 3 * H + S, breached_at=T0 + H), T0 + 10 * H, ESCALATING,
                 ["breach", "escalation", "resolved-late"], id="resolved-1s-after-escalation-instant"),
    # Acknowledged exactly at the escalation instant: no escalation; 1 s later: escalated.
    pytest.param(dataclasses.replace(BREACHED, acknowledged_by="U024BE7LH", acknowledged_at=T0 + 3 * H), T0 + 10 * H,
                 ESCALATING, ["breach"], id="acknowledged-at-escalation-instant"),
    pytest.param(dataclasses.replace(BREACHED, acknowledged_by="U024BE7LH", acknowledged_at=T0 + 3 * H + S), T0 + 10 * H,
                 ESCALATING, ["breach", "escalation"], id="acknowledged-1s-after"),
    # A late stop is a breach plus a reply in its thread; no warnings for a stopped clock.
    pytest.param(STOPPED_LATE, T0 + 2 * H, ESCALATING, ["breach", "resolved-late"], id="stopped-late"),
]


@pytest.mark.parametrize("view, now, rules_, expected", CASES)
def test_levels(view, now, rules_, expected):
    assert levels(view, now, rules_) == expected


def test_escalation_fields():
    escalation = {a.level: a for a in plan_alerts([BREACHED], ESCALATING, T0 + 3 * H)}["escalation"]
    # Posted at breach + 2h in the escalation channel, mentioning the vendor's managers.
    assert (escalation.at, escalation.channel, escalation.mentions, escalation.thread_key) == (
        T0 + 3 * H, "#esc", ("U024BE7LH",), None)


def test_breach_at_instant_is_the_stale_rows_due_time():
    [breach] = plan_alerts([clock()], ESCALATING, T0 + H)
    assert (breach.kind, breach.at, breach.mentions) == ("breach", T0 + H, ("U024BE7LH",))


# ---- digests: more than `digest_over` top-level alerts of one channel in one tick ------------

def _alerts(top_level: int, replies: int, channel_vendor: str = "acme"):
    """`top_level` breaches of distinct tickets plus `replies` resolved-late thread replies."""
    views = [clock(ticket=f"ACME-{i}", breached_at=T0 + H, vendor=channel_vendor) for i in range(top_level)]
    alerts = plan_alerts(views, ESCALATING, T0 + H)
    late = [clock(ticket=f"ACME-{100 + i}", state="stopped", stopped_at=T0 + 2 * H, breached_at=T0 + H)
            for i in range(replies)]
    replies_only = [a for a in plan_alerts(late, ESCALATING, T0 + 2 * H) if a.thread_key is not None]
    return alerts + replies_only


@pytest.mark.parametrize("top_level, replies, digest_over, sizes", [
    # 3 top-level alerts with a threshold of 3: at the threshold, no digest (one message each).
    (3, 0, 3, [1, 1, 1]),
    # 4 > 3: one digest of 4.
    (4, 0, 3, [4]),
    # 3 top-level and 2 thread replies, threshold 3: replies do not count toward it, so no digest
    # (5 messages: 3 top-level, 2 replies).
    (3, 2, 3, [1, 1, 1, 1, 1]),
    # 4 top-level and 2 replies, threshold 3: a digest of the 4, the 2 replies apart.
    (4, 2, 3, [4, 1, 1]),
], ids=["at-threshold", "over-threshold", "replies-do-not-count", "replies-never-folded"])
def test_digest_threshold_counts_top_level_only(top_level, replies, digest_over, sizes):
    alerts = _alerts(top_level, replies)
    groups = group_for_digest(alerts, digest_over)
    assert [len(g) for g in groups] == sizes
    assert [a for g in groups for a in g] == alerts  # every alert once, in order


def test_digest_is_placed_where_its_first_alert_was():
    # Other channel's alert first, then 2 ACME breaches over a threshold of 1.
    other = plan_alerts([clock(ticket="X-1", vendor=None, breached_at=T0 + H)], ESCALATING, T0 + H)
    acme = _alerts(2, 0)
    groups = group_for_digest(other + acme, 1)
    assert [[a.ticket for a in g] for g in groups] == [["X-1"], ["ACME-0", "ACME-1"]]
    assert groups[0][0].channel == "#sla"  # no vendor: the default channel


# ---- Jira write-back -------------------------------------------------------------------------

WRITE_BACK = rules('alerts: {channel: "#sla"}\n', "jira: {write_back: {label: sla-breached, comment: true}}\n")
LABEL_ONLY = rules('alerts: {channel: "#sla"}\n', "jira: {write_back: {label: sla-breached}}\n")
COMMENT_ONLY = rules('alerts: {channel: "#sla"}\n', "jira: {write_back: {comment: true}}\n")


@pytest.mark.parametrize("view, now, rules_, actions", [
    (clock(), T0 + H - S, WRITE_BACK, []),  # not breached yet
    (clock(), T0 + H, WRITE_BACK, ["label", "comment"]),  # breached at due: both
    (clock(), T0 + H, LABEL_ONLY, ["label"]),
    (clock(), T0 + H, COMMENT_ONLY, ["comment"]),
    (clock(), T0 + H, ESCALATING, []),  # write-back off
    (STOPPED_LATE, T0 + 2 * H, WRITE_BACK, ["label", "comment"]),  # a late stop is a breach
], ids=["before-breach", "at-breach", "label-only", "comment-only", "off", "stopped-late"])
def test_jira_effects(view, now, rules_, actions):
    effects = plan([view], rules_, now).jira
    assert [e.action for e in effects] == actions
    for e in effects:
        assert (e.key, e.ticket, e.at) == (f"jira:ACME-1:first_response:1:{e.action}", "ACME-1", T0 + H)


def test_jira_label_and_comment_text():
    label, comment = plan([clock()], WRITE_BACK, T0 + H).jira
    assert label.text == "sla-breached"
    # 24x7 calendar: no "business time"; the breach instant in UTC to the minute.
    assert comment.text == ("SLA breached: first response (target 1h, policy urgent) at 2026-03-02 11:00 UTC."
                            " — Slawatch")
    [_, office_comment] = plan([clock(calendar="office")], WRITE_BACK, T0 + H).jira
    assert "(target 1h business time, policy urgent)" in office_comment.text
    [_, unknown_calendar] = plan([clock(calendar="gone")], WRITE_BACK, T0 + H).jira
    assert "(target 1h business time, policy urgent)" in unknown_calendar.text


def test_unroutable_keys_without_any_channel():
    # No vendor and no alerts.channel: nothing is posted, the keys are reported.
    result = plan([clock(vendor=None, breached_at=T0 + H)], rules(), T0 + H)
    assert result.alerts == () and result.unroutable == ("alert:ACME-1:first_response:1:breach",)


def test_digest_takes_any_iterable_once():
    # The scheduler may hand a generator: every alert still comes back, grouped (4 > 3: a digest).
    alerts = _alerts(4, 1)
    groups = group_for_digest(iter(alerts), 3)
    assert [len(g) for g in groups] == [4, 1]


def test_jira_comment_in_the_vendors_language():
    # vendors.acme.locale: zh_CN: the metric's Chinese name, the target as Babel words, the
    # instant in Babel's short form (still UTC); a metric without a Chinese name does not occur.
    zh = parse_rules(HEAD.replace("    managers: [U024BE7LH]\n", "    managers: [U024BE7LH]\n    locale: zh_CN\n")
                     + "jira: {write_back: {label: sla-breached, comment: true}}\n")
    [_, comment] = plan([clock()], zh, T0 + H).jira
    assert comment.text == "SLA 已违约：首次响应（目标1小时，策略 urgent），违约时间 2026/3/2 11:00 UTC。— Slawatch"
    [_, comment] = plan([clock(metric="next_response", cycle=2, target_seconds=5400)], zh, T0 + H).jira
    assert "下次响应（目标1小时30分钟，" in comment.text
    # English: 90 minutes as rules.yaml writes durations
    [_, comment] = plan([clock(metric="periodic_update", target_seconds=5400)], WRITE_BACK, T0 + H).jira
    assert comment.text.startswith("SLA breached: periodic update (target 1h30m, policy urgent)")


# next_look: the instant the scheduler must look at a clock again (stored as clocks.plan_at). The
# clock of this file: warnings at T0+30m and T0+48m, due T0+1h; ESCALATING escalates 2h after.
NEXT_LOOK_CASES = [
    (clock(), T0, ESCALATING, T0 + 30 * M),  # the first warning: the earliest instant ahead
    (clock(), T0 + 30 * M - S, ESCALATING, T0 + 30 * M),
    (clock(), T0 + 30 * M, ESCALATING, T0 + 48 * M),  # strictly after: the 50% warning was seen at it
    (clock(), T0 + 48 * M, ESCALATING, T0 + H),  # a running clock's due instant is its breach
    (clock(), T0 + H, ESCALATING, T0 + 3 * H),  # then the escalation, 2h after the breach
    (clock(), T0 + 3 * H, ESCALATING, None),  # nothing more until the clock changes
    (clock(), T0 + H, CHANNEL_ONLY, None),  # no escalate_after: no escalation to look for
    (clock(), T0 + H, AFTER_ONLY, None),  # no escalation channel either
    (clock(warnings=((0.5, None), (0.8, T0 + 48 * M))), T0, ESCALATING, T0 + 48 * M),  # unknown instant skipped
    # a row computed after its breach: the stored breach instant (not the due one) and its escalation
    (clock(breached_at=T0 + 50 * M, due_at=T0 + H), T0 + 48 * M, ESCALATING, T0 + 50 * M),
    (clock(breached_at=T0 + 50 * M, due_at=T0 + H), T0 + 50 * M, ESCALATING, T0 + 2 * H + 50 * M),
    # paused: its due instant is not a breach to come (the pause may last); warnings still are
    (clock(state="paused", due_at=T0 + H), T0 + 30 * M, ESCALATING, T0 + 48 * M),
    (clock(state="paused", due_at=T0 + H), T0 + 48 * M, ESCALATING, None),
    # stopped in time: no warning, no breach to come
    (clock(state="stopped", stopped_at=T0 + 20 * M, due_at=None), T0, ESCALATING, None),
    # stopped late: the breach and its escalation instants stay (plan drops the escalation: resolved)
    (STOPPED_LATE, T0, ESCALATING, T0 + H),
    (STOPPED_LATE, T0 + H, ESCALATING, T0 + 3 * H),
]


@pytest.mark.parametrize("view, after, rules_, expected", NEXT_LOOK_CASES)
def test_next_look(view, after, rules_, expected):
    assert next_look(view, rules_, after) == expected
