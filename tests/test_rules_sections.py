"""rules.yaml `alerts:` and `reports:`: valid sections give exact objects, mistakes precise lines."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from processors.rules import (
    AlertsConfig, QuarterlyReport, ReportsConfig, RulesError, WeeklyReport, load_rules,
    parse_rules,
)

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
version: 1
calendars:
  always: 24x7
policies:
  - name: all
    calendar: always
    metrics: {resolution: 8h}
"""  # sections written after BASE start on line 8

SECTIONS = """\
alerts:
  channel: "#sla-alerts"
  escalation_channel: C024BE91L
  escalate_after: 1h30m
  digest_over: 12
reports:
  weekly: {day: mon, time: "09:00", timezone: Europe/Berlin, channel: "#sla-weekly"}
  quarterly: {channel: "#sla-quarterly", day: Friday, time: 7:45, timezone: Asia/Shanghai}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text)
    return [str(p) for p in caught.value.errors]


def test_sections_give_exact_objects():
    rules = parse_rules(BASE + SECTIONS)

    assert rules.alerts == AlertsConfig(channel="#sla-alerts", escalation_channel="C024BE91L",
                                        escalate_after=timedelta(hours=1, minutes=30),
                                        digest_over=12)
    assert rules.reports == ReportsConfig(
        weekly=WeeklyReport(channel="#sla-weekly", day=0, time=(9, 0), timezone="Europe/Berlin"),
        quarterly=QuarterlyReport(channel="#sla-quarterly", day=4, time=(7, 45),
                                  timezone="Asia/Shanghai"))


@pytest.mark.parametrize("sections", [
    "",
    "alerts:\nreports:\n",
    "alerts: {}\nreports: {weekly: {}, quarterly:}\n",
], ids=["absent", "empty", "empty-mappings"])
def test_missing_or_empty_sections_give_defaults(sections):
    rules = parse_rules(BASE + sections)

    assert rules.alerts == AlertsConfig(channel=None, escalation_channel=None,
                                        escalate_after=None, digest_over=5)
    assert rules.reports == ReportsConfig(
        weekly=WeeklyReport(channel=None, day=0, time=(9, 0), timezone="UTC"),
        quarterly=QuarterlyReport(channel=None, day=0, time=(9, 0), timezone="UTC"))


def test_some_keys_keep_the_other_defaults():
    rules = parse_rules(BASE + "alerts: {digest_over: 1}\nreports:\n  weekly: {day: sun}\n")

    assert rules.alerts == AlertsConfig(digest_over=1)
    assert rules.reports.weekly == WeeklyReport(day=6)
    assert rules.reports.quarterly == QuarterlyReport()


def test_the_example_rules_yaml_has_both_sections():
    rules = load_rules(ROOT / "rules.yaml")

    assert rules.alerts == AlertsConfig(channel="#sla-alerts",
                                        escalation_channel="#sla-escalations",
                                        escalate_after=timedelta(hours=2), digest_over=5)
    assert rules.reports == ReportsConfig(
        weekly=WeeklyReport(channel="#sla-weekly", day=0, time=(9, 0), timezone="Europe/Berlin"),
        quarterly=QuarterlyReport(channel="#sla-quarterly", day=0, time=(9, 0),
                                  timezone="Europe/Berlin"))


MISTAKES = [
    ("bad-channel", "alerts:\n  channel: sla alerts\n",
     ["rules.yaml:9:12: bad Slack channel 'sla alerts': write it like \"#sla-alerts\" or a "
      "channel id like C024BE91L"]),
    ("unquoted-channel", "alerts:\n  escalation_channel: #sla-escalations\n",
     ["rules.yaml:9:22: alerts.escalation_channel is empty; put it in quotes, like "
      "escalation_channel: \"#sla-alerts\" (an unquoted # starts a comment)"]),
    ("bad-report-channel", "reports:\n  weekly: {channel: '#SLA-Weekly'}\n",
     ["rules.yaml:9:21: bad Slack channel '#SLA-Weekly': write it like \"#sla-weekly\" or a "
      "channel id like C024BE91L"]),
    ("bad-duration", "alerts:\n  escalation_channel: \"#esc\"\n  escalate_after: 2 hours\n",
     ["rules.yaml:10:19: bad duration '2 hours': write it like 90s, 30m, 4h, 1h30m or 2d"]),
    ("duration-without-unit", "alerts:\n  escalation_channel: \"#esc\"\n  escalate_after: 120\n",
     ["rules.yaml:10:19: bad duration '120': needs a unit; write it like 90s, 30m, 4h, 1h30m "
      "or 2d"]),
    ("escalation-without-channel", "alerts:\n  escalate_after: 2h\n",
     ["rules.yaml:9:3: alerts.escalate_after needs alerts.escalation_channel, the channel "
      "unacknowledged breaches go to"]),
    ("digest-over-zero", "alerts:\n  digest_over: 0\n",
     ["rules.yaml:9:16: bad digest_over '0': write a whole number of alerts, 1 or more, like 5"]),
    ("digest-over-not-whole", "alerts: {digest_over: 2.5}\n",
     ["rules.yaml:8:23: bad digest_over '2.5': write a whole number of alerts, 1 or more, like 5"]),
    ("digest-over-word", "alerts: {digest_over: true}\n",
     ["rules.yaml:8:23: bad digest_over 'true': write a whole number of alerts, 1 or more, like 5"]),
    ("unknown-alerts-key", "alerts:\n  escalate_afer: 2h\n",
     ["rules.yaml:9:3: unknown key 'escalate_afer' in alerts; did you mean 'escalate_after'?"]),
    ("unknown-top-level-key", "alert:\n  channel: \"#sla\"\n",
     ["rules.yaml:8:1: unknown key 'alert'; did you mean 'alerts'?"]),
    ("alerts-not-a-mapping", "alerts: [\"#sla-alerts\"]\n",
     ["rules.yaml:8:9: alerts must be a mapping of 'key: value' lines, not a list"]),
    ("unknown-reports-key", "reports:\n  weekley: {day: mon}\n",
     ["rules.yaml:9:3: unknown key 'weekley' in reports; did you mean 'weekly'?"]),
    ("unknown-schedule-key", "reports:\n  quarterly: {chanel: \"#q\"}\n",
     ["rules.yaml:9:15: unknown key 'chanel' in reports.quarterly; did you mean 'channel'?"]),
    ("bad-day", "reports:\n  weekly: {day: mnday}\n",
     ["rules.yaml:9:17: unknown weekday 'mnday' for the day of reports.weekly; did you mean "
      "'monday'? Use mon, tue, wed, thu, fri, sat or sun"]),
    ("day-range", "reports:\n  weekly: {day: mon-fri}\n",
     ["rules.yaml:9:17: the day of reports.weekly must be one weekday like mon, not 'mon-fri'"]),
    ("bad-time", "reports:\n  weekly: {time: \"25:00\"}\n",
     ["rules.yaml:9:18: bad time '25:00' for reports.weekly: write it as \"HH:MM\" from 00:00 to "
      "23:59, like \"09:00\""]),
    ("time-in-words", "reports:\n  quarterly:\n    time: 9am\n",
     ["rules.yaml:10:11: bad time '9am' for reports.quarterly: write it as \"HH:MM\" from 00:00 "
      "to 23:59, like \"09:00\""]),
    ("bad-zone", "reports:\n  weekly: {timezone: Europe/Berln}\n",
     ["rules.yaml:9:22: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"]),
]


@pytest.mark.parametrize("sections, expected", [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])
def test_mistake_gets_precise_line(sections, expected):
    assert problems(BASE + sections) == expected


def test_all_mistakes_are_reported_in_line_order():
    text = BASE + """\
alerts:
  channel: general
  escalate_after: soon
  digest_over: -1
reports:
  weekly: {day: someday, time: noon, timezone: Mars/Olympus}
"""
    assert problems(text) == [
        "rules.yaml:9:12: bad Slack channel 'general': write it like \"#sla-alerts\" or a channel "
        "id like C024BE91L",
        "rules.yaml:10:3: alerts.escalate_after needs alerts.escalation_channel, the channel "
        "unacknowledged breaches go to",
        "rules.yaml:10:19: bad duration 'soon': write it like 90s, 30m, 4h, 1h30m or 2d",
        "rules.yaml:11:16: bad digest_over '-1': write a whole number of alerts, 1 or more, like 5",
        "rules.yaml:13:17: unknown weekday 'someday' for the day of reports.weekly; did you mean "
        "'sunday'? Use mon, tue, wed, thu, fri, sat or sun",
        "rules.yaml:13:32: bad time 'noon' for reports.weekly: write it as \"HH:MM\" from 00:00 to "
        "23:59, like \"09:00\"",
        "rules.yaml:13:48: unknown time zone 'Mars/Olympus'; use an IANA name like Europe/Berlin",
    ]
