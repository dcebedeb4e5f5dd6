"""Alert planning: which messages a clock calls for at `now`, where they go, and how storms fold."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from processors.alerts import (
    Alert, ClockView, Plan, acknowledged_alert, group_for_digest, plan, plan_alerts,
)
from processors.rules import parse_rules

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # a Monday
M = timedelta(minutes=1)
H = timedelta(hours=1)

RULES_HEAD = """\
version: 1
calendars:
  office: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match: {projects: [ACME]}
    channel: "#acme-sla"
    managers: [U024BE7LH, U0G9QF9C6]
  globex:
    match: {projects: [GLX]}
    managers: [W012A3CDE]
policies:
  - name: urgent
    calendar: always
    metrics: {first_response: {target: 1h, warn_at: [50%, 80%]}}
"""
ALERTS = """\
alerts:
  channel: "#sla-alerts"
  escalation_channel: "#sla-escalations"
  escalate_after: 2h
"""
RULES = parse_rules(RULES_HEAD + ALERTS)
NO_DEFAULT_CHANNEL = parse_rules(RULES_HEAD)
NO_ESCALATION = parse_rules(RULES_HEAD + 'alerts: {channel: "#sla-alerts"}\n')


def clock(**changes) -> ClockView:
    """ACME-1's first response: 1h target on 24x7 from T0, warnings at 50% and 80%, running, as a
    row computed at T0 (warning and due instants projected)."""
    base = ClockView(
        ticket="ACME-1", metric="first_response", cycle=1, state="running", target_seconds=3600,
        elapsed_seconds=0, paused_seconds=0, started_at=T0, stopped_at=None, due_at=T0 + H,
        breached_at=None, warnings=((0.5, T0 + 30 * M), (0.8, T0 + 48 * M)), policy="urgent",
        calendar="always", summary="VPN down", priority="High", status="Open", vendor="acme")
    return dataclasses.replace(base, **changes)


BREACHED = clock(elapsed_seconds=3600 * 3, breached_at=T0 + H)
LATE = clock(state="stopped", stopped_at=T0 + 80 * M, elapsed_seconds=80 * 60,
             breached_at=T0 + H, warnings=((0.5, T0 + 30 * M), (0.8, T0 + 48 * M)))


def levels(alerts: list[Alert]) -> list[str]:
    return [a.level for a in alerts]


# ---- what a clock calls for ----------------------------------------------------------------

@pytest.mark.parametrize("now, expected", [
    (T0, []),
    (T0 + 29 * M, []),
    (T0 + 30 * M, ["warn-50"]),
    (T0 + 47 * M, ["warn-50"]),
    (T0 + 48 * M, ["warn-50", "warn-80"]),
    (T0 + 59 * M, ["warn-50", "warn-80"]),
    (T0 + H, ["breach"]),  # the stale row's due time has passed: breached, no more warnings
    (T0 + 2 * H, ["breach"]),
], ids=lambda v: str(v) if isinstance(v, list) else v.strftime("%H:%M"))
def test_warnings_appear_once_reached_and_give_way_to_the_breach(now, expected):
    assert levels(plan_alerts([clock()], RULES, now)) == expected


def test_warning_alert_fields():
    warn_50, warn_80 = plan_alerts([clock()], RULES, T0 + 50 * M)

    assert warn_50 == Alert(
        key="alert:ACME-1:first_response:1:warn-50", kind="warning", level="warn-50",
        channel="#acme-sla", ticket="ACME-1", metric="first_response", cycle=1, at=T0 + 30 * M,
        mentions=(), thread_key=None, clock=clock(), vendor_name="ACME Outsourcing",
        timezone="UTC", link=None)
    assert (warn_80.key, warn_80.at) == ("alert:ACME-1:first_response:1:warn-80", T0 + 48 * M)


@pytest.mark.parametrize("view, now, expected", [
    (clock(warnings=((0.29, T0 + 17 * M),)), T0 + 20 * M, ["warn-29"]),  # 0.29 * 100 < 29
    (clock(state="paused", due_at=None, warnings=((0.5, T0 + 30 * M), (0.8, None))),
     T0 + 5 * H, ["warn-50"]),  # paused after 50%: that warning stands, 80% is not reached
    (clock(state="paused", due_at=None, breached_at=T0 + H), T0 + 90 * M, ["breach"]),
    (BREACHED, T0 + 59 * M, ["warn-50", "warn-80"]),  # a breach after `now` is not one yet
    (clock(state="stopped", stopped_at=T0 + 40 * M, due_at=T0 + H), T0 + 2 * H, []),
    (clock(cycle=2, metric="resolution"), T0 + H, ["breach"]),
], ids=["level-rounded", "paused-keeps-reached-warning", "paused-after-breach",
        "breach-in-the-future", "stopped-in-time", "other-metric-and-cycle"])
def test_clock_states(view, now, expected):
    assert levels(plan_alerts([view], RULES, now)) == expected


def test_breach_alert_fields():
    (breach,) = plan_alerts([BREACHED], RULES, T0 + 90 * M, jira_url="https://jira.example.com/")

    assert breach == Alert(
        key="alert:ACME-1:first_response:1:breach", kind="breach", level="breach",
        channel="#acme-sla", ticket="ACME-1", metric="first_response", cycle=1, at=T0 + H,
        mentions=("U024BE7LH", "U0G9QF9C6"), thread_key=None, clock=BREACHED,
        vendor_name="ACME Outsourcing", timezone="UTC",
        link="https://jira.example.com/browse/ACME-1")


def test_stopped_late_is_a_breach_and_a_reply_in_its_thread():
    breach, resolved = plan_alerts([LATE], RULES, T0 + 10 * H)

    assert (breach.kind, breach.at, breach.thread_key, breach.mentions) == \
        ("breach", T0 + H, None, ("U024BE7LH", "U0G9QF9C6"))
    assert (resolved.key, resolved.kind, resolved.level, resolved.at) == \
        ("alert:ACME-1:first_response:1:resolved-late", "resolved_late", "resolved-late",
         T0 + 80 * M)
    assert (resolved.thread_key, resolved.channel, resolved.mentions) == \
        (breach.key, "#acme-sla", ())


# ---- escalation ----------------------------------------------------------------------------

ESC = "alert:ACME-1:first_response:1:escalation"


@pytest.mark.parametrize("view, now, rules, escalated", [
    (BREACHED, T0 + 3 * H - M, RULES, False),  # breach + 2h not reached yet
    (BREACHED, T0 + 3 * H, RULES, True),
    (BREACHED, T0 + 30 * H, RULES, True),
    (clock(breached_at=T0 + H, acknowledged_by="U024BE7LH", acknowledged_at=T0 + 90 * M),
     T0 + 5 * H, RULES, False),
    (clock(breached_at=T0 + H, acknowledged_by="U024BE7LH", acknowledged_at=T0 + 3 * H),
     T0 + 5 * H, RULES, False),  # acknowledged exactly in time
    (clock(breached_at=T0 + H, acknowledged_by="U024BE7LH", acknowledged_at=T0 + 3 * H + M),
     T0 + 5 * H, RULES, True),  # acknowledged too late: the escalation stands
    (LATE, T0 + 10 * H, RULES, False),  # resolved before the escalation was due
    (dataclasses.replace(LATE, stopped_at=T0 + 4 * H), T0 + 10 * H, RULES, True),
    (BREACHED, T0 + 30 * H, NO_ESCALATION, False),
], ids=["not-yet", "due", "long-after", "acknowledged", "acknowledged-at-the-instant",
        "acknowledged-late", "resolved-first", "resolved-after", "not-configured"])
def test_escalation_timing(view, now, rules, escalated):
    alerts = {a.key: a for a in plan_alerts([view], rules, now)}

    assert (ESC in alerts) == escalated
    if escalated:
        esc = alerts[ESC]
        assert (esc.kind, esc.channel, esc.at, esc.thread_key, esc.mentions) == \
            ("escalation", "#sla-escalations", T0 + 3 * H, None, ("U024BE7LH", "U0G9QF9C6"))


def test_a_late_life_in_order_with_escalation():
    alerts = plan_alerts([dataclasses.replace(LATE, stopped_at=T0 + 4 * H)], RULES, T0 + 5 * H)

    assert levels(alerts) == ["breach", "escalation", "resolved-late"]
    assert [a.at for a in alerts] == [T0 + H, T0 + 3 * H, T0 + 4 * H]


# ---- routing, mentions, links --------------------------------------------------------------

@pytest.mark.parametrize("vendor, rules, channel, vendor_name, mentions", [
    ("acme", RULES, "#acme-sla", "ACME Outsourcing", ("U024BE7LH", "U0G9QF9C6")),
    ("acme", NO_DEFAULT_CHANNEL, "#acme-sla", "ACME Outsourcing", ("U024BE7LH", "U0G9QF9C6")),
    ("globex", RULES, "#sla-alerts", "globex", ("W012A3CDE",)),
    (None, RULES, "#sla-alerts", None, ()),
    ("gone", RULES, "#sla-alerts", "gone", ()),  # a vendor removed from the rules since
    ("globex", NO_DEFAULT_CHANNEL, None, None, None),
    (None, NO_DEFAULT_CHANNEL, None, None, None),
], ids=["vendor-channel", "vendor-channel-without-default", "vendor-without-channel",
        "no-vendor", "unknown-vendor", "unroutable-vendor", "unroutable-no-vendor"])
def test_routing(vendor, rules, channel, vendor_name, mentions):
    view = dataclasses.replace(BREACHED, vendor=vendor)
    result = plan([view], rules, T0 + 90 * M)

    if channel is None:
        assert result == Plan(alerts=(), unroutable=("alert:ACME-1:first_response:1:breach",))
        assert plan_alerts([view], rules, T0 + 90 * M) == []
    else:
        (breach,) = result.alerts
        assert result.unroutable == ()
        assert (breach.channel, breach.vendor_name, breach.mentions) == \
            (channel, vendor_name, mentions)


def test_unroutable_alerts_are_counted_but_escalations_still_go():
    view = dataclasses.replace(LATE, vendor="globex", stopped_at=T0 + 4 * H)
    rules = dataclasses.replace(RULES, alerts=dataclasses.replace(RULES.alerts, channel=None))
    result = plan([view, clock(ticket="ACME-2")], rules, T0 + 5 * H)

    assert [(a.ticket, a.level, a.channel) for a in result.alerts] == [
        ("ACME-1", "escalation", "#sla-escalations"), ("ACME-2", "breach", "#acme-sla"),
        ("ACME-2", "escalation", "#sla-escalations")]
    assert result.unroutable == ("alert:ACME-1:first_response:1:breach",
                                 "alert:ACME-1:first_response:1:resolved-late")


def test_mentions_only_on_breach_and_escalation():
    alerts = plan_alerts([dataclasses.replace(LATE, stopped_at=T0 + 4 * H), clock(ticket="ACME-2")],
                         RULES, T0 + 5 * H)
    warnings = plan_alerts([clock()], RULES, T0 + 50 * M)

    assert {a.level: a.mentions for a in alerts + warnings} == {
        "breach": ("U024BE7LH", "U0G9QF9C6"), "escalation": ("U024BE7LH", "U0G9QF9C6"),
        "resolved-late": (), "warn-50": (), "warn-80": ()}


@pytest.mark.parametrize("jira_url, link", [
    ("https://jira.example.com", "https://jira.example.com/browse/ACME-1"),
    ("https://jira.example.com/", "https://jira.example.com/browse/ACME-1"),
    ("https://example.com/jira/", "https://example.com/jira/browse/ACME-1"),
    (None, None),
    ("", None),
])
def test_links(jira_url, link):
    alerts = plan_alerts([LATE], RULES, T0 + 5 * H, jira_url=jira_url)
    assert [a.link for a in alerts] == [link, link]


@pytest.mark.parametrize("calendar, zone", [
    ("office", "Europe/Berlin"), ("always", "UTC"), ("deleted-since", "UTC")])
def test_timezone_is_the_clocks_calendars(calendar, zone):
    (breach,) = plan_alerts([dataclasses.replace(BREACHED, calendar=calendar)], RULES, T0 + 2 * H)
    assert breach.timezone == zone


def test_the_same_alerts_come_back_every_tick():
    views = [clock(), dataclasses.replace(BREACHED, ticket="ACME-2"),
             dataclasses.replace(LATE, ticket="ACME-3")]
    first = plan_alerts(views, RULES, T0 + 2 * H)
    again = plan_alerts(views, RULES, T0 + 2 * H + M)

    assert first == again
    assert len({a.key for a in first}) == len(first)


@pytest.mark.parametrize("acknowledged_at, escalation", [
    (None, [("escalation", T0 + 3 * H, None)]),
    (T0 + 150 * M, []),
], ids=["unacknowledged", "acknowledged"])
def test_time_driven_forward_each_message_once_in_order(acknowledged_at, escalation):
    """An outbox keyed by alert key, fed every 5 minutes for 6 hours. The stored row is computed
    at T0 and changes only when the ticket's events do: maybe acknowledged at 2h30, answered at
    4h."""
    outbox: dict[str, Alert] = {}
    for step in range(0, 6 * 12 + 1):
        now = T0 + step * 5 * M
        view = clock()
        if acknowledged_at is not None and now >= acknowledged_at:
            view = dataclasses.replace(view, breached_at=T0 + H, acknowledged_by="U024BE7LH",
                                       acknowledged_at=acknowledged_at)
        if now >= T0 + 4 * H:
            view = dataclasses.replace(view, state="stopped", stopped_at=T0 + 4 * H,
                                       breached_at=T0 + H)
        for alert in plan_alerts([view], RULES, now):
            outbox.setdefault(alert.key, alert)

    assert [(a.level, a.at, a.thread_key) for a in outbox.values()] == [
        ("warn-50", T0 + 30 * M, None),
        ("warn-80", T0 + 48 * M, None),
        ("breach", T0 + H, None),
        *escalation,
        ("resolved-late", T0 + 4 * H, "alert:ACME-1:first_response:1:breach"),
    ]


# ---- acknowledgement -----------------------------------------------------------------------

def test_acknowledged_alert_replies_in_the_breach_thread():
    ack = acknowledged_alert(BREACHED, RULES, "U0G9QF9C6", T0 + 2 * H, jira_url="https://j.example")

    assert (ack.key, ack.kind, ack.level, ack.channel, ack.at, ack.mentions, ack.thread_key) == \
        ("alert:ACME-1:first_response:1:ack", "acknowledged", "ack", "#acme-sla", T0 + 2 * H, (),
         "alert:ACME-1:first_response:1:breach")
    assert (ack.clock.acknowledged_by, ack.clock.acknowledged_at) == ("U0G9QF9C6", T0 + 2 * H)
    assert (ack.vendor_name, ack.link) == ("ACME Outsourcing", "https://j.example/browse/ACME-1")
    assert acknowledged_alert(dataclasses.replace(BREACHED, vendor=None), NO_DEFAULT_CHANNEL,
                              "U0G9QF9C6", T0 + 2 * H) is None


# ---- digests -------------------------------------------------------------------------------

def breaches(n: int, vendor: str | None, prefix: str) -> list[ClockView]:
    return [dataclasses.replace(BREACHED, ticket=f"{prefix}-{i}", vendor=vendor)
            for i in range(1, n + 1)]


def test_300_breaches_in_one_channel_make_one_digest():
    alerts = plan_alerts(breaches(300, "acme", "ACME") + breaches(3, None, "OPS"), RULES, T0 + 2 * H)
    groups = group_for_digest(alerts, 5)

    assert len(groups) == 4
    assert [a.ticket for a in groups[0]] == [f"ACME-{i}" for i in range(1, 301)]
    assert [[a.ticket for a in g] for g in groups[1:]] == [["OPS-1"], ["OPS-2"], ["OPS-3"]]


@pytest.mark.parametrize("count, digest_over, sizes", [
    (5, 5, [1, 1, 1, 1, 1]),
    (6, 5, [6]),
    (1, 1, [1]),
    (2, 1, [2]),
    (0, 5, []),
])
def test_digest_threshold(count, digest_over, sizes):
    alerts = plan_alerts(breaches(count, "acme", "ACME"), RULES, T0 + 2 * H)
    assert [len(g) for g in group_for_digest(alerts, digest_over)] == sizes


def test_thread_replies_are_never_folded_and_order_is_kept():
    late = [dataclasses.replace(LATE, ticket=f"LATE-{i}") for i in range(1, 4)]
    alerts = plan_alerts(breaches(3, "acme", "ACME")[:1] + late + breaches(3, None, "OPS"), RULES,
                         T0 + 2 * H)
    groups = group_for_digest(alerts, 3)

    assert [[(a.ticket, a.level) for a in g] for g in groups] == [
        [("ACME-1", "breach"), ("LATE-1", "breach"), ("LATE-2", "breach"), ("LATE-3", "breach")],
        [("LATE-1", "resolved-late")],
        [("LATE-2", "resolved-late")],
        [("LATE-3", "resolved-late")],
        [("OPS-1", "breach")], [("OPS-2", "breach")], [("OPS-3", "breach")],
    ]


def test_channels_are_counted_apart():
    alerts = plan_alerts(breaches(6, "acme", "ACME") + breaches(6, None, "OPS")
                         + breaches(2, "globex", "GLX"), RULES, T0 + 2 * H)
    groups = group_for_digest(alerts, 5)

    assert [(g[0].channel, len(g)) for g in groups] == [("#acme-sla", 6), ("#sla-alerts", 8)]


# ---- purity --------------------------------------------------------------------------------

def test_alerts_stay_pure():
    code = ("import sys, processors.alerts; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'requests', 'urllib3', 'slack_sdk', 'jira')"
            " if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
