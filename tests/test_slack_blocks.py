"""Block Kit builders: what a manager reads in Slack, within Slack's limits."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from connectors.slack_blocks import (
    acknowledged_reply, alert_message, digest_message, escape, local_time, resolved_late_reply,
    spoken,
)
from processors.alerts import Alert, ClockView

UTC = timezone.utc
CREATED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # Mon 5 Jan 09:00 in Berlin
DUE = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)  # Mon 5 Jan 09:30 CET
LINK = "https://jira.example.com/browse/ACME-12"


def clock(**changes) -> ClockView:
    base = ClockView(
        ticket="ACME-12", metric="first_response", cycle=1, state="running", target_seconds=1800,
        elapsed_seconds=1800, paused_seconds=0, started_at=CREATED, stopped_at=None, due_at=DUE,
        breached_at=DUE, warnings=((0.8, CREATED + timedelta(minutes=24)),), policy="urgent",
        calendar="berlin-office", summary="VPN down for the Hamburg office", priority="High",
        status="Open", vendor="acme",
    )
    return replace(base, **changes)


def alert(kind="breach", level="breach", **changes) -> Alert:
    view = changes.pop("clock", None) or clock()
    base = Alert(
        key=f"alert:{view.ticket}:{view.metric}:{view.cycle}:{level}", kind=kind, level=level,
        channel="#acme-sla", ticket=view.ticket, metric=view.metric, cycle=view.cycle, at=DUE,
        mentions=("U012MANAGER", "U034BOSS"), thread_key=None, clock=view,
        vendor_name="ACME Outsourcing", timezone="Europe/Berlin", link=LINK,
    )
    return replace(base, **changes)


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def actions(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_breach_message_shows_everything_a_manager_needs():
    text, blocks = alert_message(alert())
    shown = all_text(blocks)

    assert f"<{LINK}|ACME-12>" in shown
    assert "VPN down for the Hamburg office" in shown
    assert "first response" in shown and "*Target*\\n30m" in shown
    assert "High" in shown and "ACME Outsourcing" in shown
    assert "Mon 5 Jan 09:30 CET" in shown
    assert f"<!date^{int(DUE.timestamp())}^{{date_short_pretty}} {{time}}|Mon 5 Jan 09:30 CET>" in shown
    assert "<@U012MANAGER> <@U034BOSS>" in shown
    assert "Policy *urgent*" in shown and "calendar *berlin-office*" in shown


def test_breach_message_has_acknowledge_and_excuse_buttons_carrying_the_key():
    _, blocks = alert_message(alert())
    buttons = actions(blocks)
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("ack_breach", "alert:ACME-12:first_response:1:breach"),
        ("excuse_breach", "alert:ACME-12:first_response:1:breach"),
    ]
    assert [b["text"]["text"] for b in buttons] == ["Acknowledge", "Excuse…"]


def test_fallback_text_has_the_essentials():
    text, _ = alert_message(alert())
    for essential in ("ACME-12", "SLA breached", "first response", "VPN down", "target 30m",
                      "Mon 5 Jan 09:30 CET", "ACME Outsourcing", "<@U012MANAGER>"):
        assert essential in text


def test_warning_says_how_much_is_used_mentions_nobody_and_has_no_buttons():
    warning = alert(kind="warning", level="warn-80",
                    clock=clock(elapsed_seconds=1440, breached_at=None))
    text, blocks = alert_message(warning)
    shown = all_text(blocks)

    assert "80% of the target used" in shown and "80% of the target used" in text
    assert "SLA warning" in text
    assert "<@" not in shown and "<@" not in text
    assert actions(blocks) == []
    assert "*Due*\\nMon 5 Jan 09:30 CET" in shown


def test_escalation_mentions_managers_and_says_how_long_it_waited():
    escalation = alert(kind="escalation", level="escalation", at=DUE + timedelta(hours=2))
    text, blocks = alert_message(escalation)
    shown = all_text(blocks)
    assert "not acknowledged" in text
    assert "Breached 2h ago" in shown and "<@U034BOSS>" in shown
    assert actions(blocks) == []


def test_why_shows_pause_and_cycle_only_when_they_matter():
    _, plain = alert_message(alert())
    _, reopened = alert_message(alert(clock=clock(paused_seconds=4320, cycle=2)))
    assert "paused" not in all_text(plain) and "cycle" not in all_text(plain)
    assert "paused 1h 12m" in all_text(reopened) and "cycle 2" in all_text(reopened)


def test_paused_clock_shows_time_left_instead_of_a_due_time():
    paused = alert(kind="warning", level="warn-50",
                   clock=clock(state="paused", due_at=None, breached_at=None, elapsed_seconds=900))
    text, blocks = alert_message(paused)
    assert "paused, 15m left" in all_text(blocks)
    assert "<!date" not in all_text(blocks)


def test_plain_key_without_a_link():
    text, blocks = alert_message(alert(link=None))
    assert "ACME-12" in text and "<https" not in all_text(blocks)


def test_user_text_is_escaped():
    hostile = clock(summary="Ping <!channel> & <https://evil.example|click>", priority="P1 <x>")
    text, blocks = alert_message(alert(clock=hostile, vendor_name="A&B <Ltd>"))
    shown = all_text(blocks)
    assert "Ping &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in shown
    assert "A&amp;B &lt;Ltd&gt;" in shown and "P1 &lt;x&gt;" in shown
    assert "<!channel>" not in shown and "<!channel>" not in text
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_resolved_late_reply_says_by_how_much():
    late = alert(kind="resolved_late", level="resolved-late", thread_key="alert:ACME-12:first_response:1:breach",
                 clock=clock(state="stopped", stopped_at=DUE + timedelta(hours=1, minutes=12)))
    text, blocks = resolved_late_reply(late)
    assert "Resolved 1h 12m after the breach" in text
    assert "Mon 5 Jan 10:42 CET" in text
    assert blocks[0]["text"]["text"] == text


def test_acknowledged_reply_names_who_and_when():
    acked = alert(kind="acknowledged", level="ack",
                  clock=clock(acknowledged_by="U012MANAGER", acknowledged_at=DUE + timedelta(minutes=15)))
    text, _ = acknowledged_reply(acked)
    assert text.endswith("Acknowledged by <@U012MANAGER> at Mon 5 Jan 09:45 CET")


def test_times_and_durations_in_words():
    summer = datetime(2026, 7, 6, 7, 5, tzinfo=UTC)
    assert local_time(summer, "Europe/Berlin") == "Mon 6 Jul 09:05 CEST"
    assert local_time(summer, "Asia/Shanghai") == "Mon 6 Jul 15:05 CST"
    assert spoken(timedelta(hours=1, minutes=12)) == "1h 12m"
    assert spoken(timedelta(days=2, seconds=5)) == "2d 5s"


def _storm(breaches: int, warnings: int) -> list[Alert]:
    made = []
    for n in range(breaches + warnings):
        kind, level = ("breach", "breach") if n < breaches else ("warning", "warn-80")
        view = clock(ticket=f"ACME-{n + 1}", breached_at=DUE if kind == "breach" else None)
        made.append(alert(kind=kind, level=level, clock=view,
                          link=f"https://jira.example.com/browse/ACME-{n + 1}"))
    return made


def test_digest_counts_and_lists_each_alert():
    text, blocks = digest_message(_storm(9, 3))
    shown = all_text(blocks)
    assert text.startswith("12 SLA alerts: 9 breaches, 3 warnings")
    assert "12 SLA alerts: 9 breaches, 3 warnings" in shown
    for n in range(1, 13):
        assert f"<https://jira.example.com/browse/ACME-{n}|ACME-{n}>" in shown
    assert "warning 80%" in shown and "breached Mon 5 Jan 09:30 CET" in shown
    assert "<@U012MANAGER>" in shown and "more" not in shown


def test_digest_of_300_alerts_stays_within_slack_limits():
    text, blocks = digest_message(_storm(300, 0))
    assert len(blocks) <= 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in sections)
    assert "300 SLA alerts: 300 breaches" in sections[0]
    assert text.startswith("300 SLA alerts")
    for n in range(1, 301):  # every ticket is listed (issue 12), the fallback text stays short
        assert f"|ACME-{n}> first response" in all_text(blocks)
    assert sum(t.count("• ") for t in sections) == 300
    assert text.endswith("and 260 more") and len(text) <= 4000


def test_a_digest_of_1000_alerts_with_long_lines_still_names_every_ticket():
    storm = [replace(a, link="https://jira.example.com/" + "x" * 200 + f"/{a.ticket}") for a in _storm(1000, 0)]
    _, blocks = digest_message(storm)
    assert len(blocks) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    listed = " ".join(b["text"]["text"] for b in blocks[1:])
    assert "jira.example.com" not in listed  # the keys alone ...
    assert set(re.findall(r"ACME-\d+", listed)) == {f"ACME-{n}" for n in range(1, 1001)}  # ... every one


def test_one_alert_digest_uses_singular_words():
    text, _ = digest_message(_storm(1, 0))
    assert text.startswith("1 SLA alert: 1 breach —")
