"""rules.yaml `alerts`, `reports`, `slack`, `surveys` and `jira.write_back` (processors/rules_sections.py),
as tables: a small YAML text, the object its reader returns (the defaults for the parts with a
problem, as the module promises) and the exact problems, (line, col, message). Positions: a value's
first character; an empty value sits just after its ':'; a problem about a key, at the key."""
from __future__ import annotations

from datetime import timedelta

import pytest

from processors import rules_sections as rs
from processors.rules_types import (
    SURVEY_QUESTIONS, AlertsConfig, JiraWriteBack, QuarterlyReport, ReportsConfig, SlackConfig, SurveysConfig,
    WeeklyReport,
)
from tests.rules_cases_helpers import section

DIGEST_HINT = "write a whole number of alerts, 1 or more, like 5"
WEEKDAY_LIST = "mon, tue, wed, thu, fri, sat or sun"
TIME_HINT = 'write it as "HH:MM" from 00:00 to 23:59, like "09:00"'
H = timedelta(hours=1)


# ---- alerts --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, problems", [
    # No value, or an empty mapping: every default.
    ("alerts:\n", AlertsConfig(), []),
    ("alerts: {}\n", AlertsConfig(), []),
    # Every key given: each one kept.
    ("alerts: {channel: '#a', escalation_channel: C024BE91L, escalate_after: 1h30m, digest_over: 12}\n",
     AlertsConfig(channel="#a", escalation_channel="C024BE91L", escalate_after=90 * timedelta(minutes=1),
                  digest_over=12), []),
    # A list is not a section: one problem at the '[' (col 9), defaults.
    ("alerts: [x]\n", AlertsConfig(),
     [(1, 9, "alerts must be a mapping of 'key: value' lines, not a list")]),
    # An unknown key is reported at the key, with the closest known key.
    ("alerts:\n  chanel: '#a'\n", AlertsConfig(),
     [(2, 3, "unknown key 'chanel' in alerts; did you mean 'channel'?")]),
    # An empty channel (an unquoted # starts a comment): the message shows the alerts example.
    ("alerts:\n  channel:\n", AlertsConfig(),
     [(2, 11, 'alerts.channel is empty; put it in quotes, like channel: "#sla-alerts" '
              '(an unquoted # starts a comment)')]),
    ("alerts:\n  escalation_channel: nope\n  channel: '#ok'\n", AlertsConfig(channel="#ok"),
     [(2, 23, 'bad Slack channel \'nope\': write it like "#sla-alerts" or a channel id like C024BE91L')]),
    # escalate_after without escalation_channel: the duration is kept, the key is pointed at.
    ("alerts:\n  escalate_after: 2h\n", AlertsConfig(escalate_after=2 * H),
     [(2, 3, "alerts.escalate_after needs alerts.escalation_channel, the channel unacknowledged "
             "breaches go to")]),
    ("alerts:\n  escalation_channel: '#esc'\n", AlertsConfig(escalation_channel="#esc"), []),
    ("alerts:\n  escalation_channel: '#esc'\n  escalate_after: 1x\n", AlertsConfig(escalation_channel="#esc"),
     [(3, 19, "bad duration '1x': write it like 90s, 30m, 4h, 1h30m or 2d")]),
], ids=["none", "empty", "all-keys", "list", "unknown-key", "empty-channel", "bad-escalation-channel",
        "escalate-without-channel", "escalation-channel-only", "bad-escalate-after"])
def test_alerts(text, expected, problems):
    assert section(rs.alerts, text, "alerts") == (expected, problems)


@pytest.mark.parametrize("raw, expected, problems", [
    ("1", 1, []),  # the smallest allowed
    ("2", 2, []),
    ("07", 7, []),  # digits only: a leading zero is still 7
    ("0", 5, [(2, 16, f"bad digest_over '0': {DIGEST_HINT}")]),  # one below the smallest
    ("-1", 5, [(2, 16, f"bad digest_over '-1': {DIGEST_HINT}")]),
    ("2.5", 5, [(2, 16, f"bad digest_over '2.5': {DIGEST_HINT}")]),
    ("true", 5, [(2, 16, f"bad digest_over 'true': {DIGEST_HINT}")]),
    ("[3]", 5, [(2, 16, f"bad digest_over: {DIGEST_HINT}")]),  # a list: nothing to quote
    ("", 5, [(2, 15, f"bad digest_over: {DIGEST_HINT}")]),  # no value: just after the ':'
], ids=["one", "two", "leading-zero", "zero", "negative", "fraction", "bool", "list", "empty"])
def test_alerts_digest_over(raw, expected, problems):
    # "  digest_over: " is 15 characters: the value starts at col 16 (5 is the default).
    got, found = section(rs.alerts, f"alerts:\n  digest_over: {raw}".rstrip() + "\n", "alerts")
    assert (got.digest_over, found) == (expected, problems)


# ---- reports -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, problems", [
    ("reports:\n", ReportsConfig(), []),
    ("reports: {weekly: , quarterly: {}}\n", ReportsConfig(), []),  # a schedule without a value
    ("reports: 5\n", ReportsConfig(), [(1, 10, "reports must be a mapping of 'key: value' lines, not '5'")]),
    ("reports: {freeze_after: 3d}\n", ReportsConfig(freeze_after=timedelta(days=3)), []),
    ("reports: {freeze_after: 3}\n", ReportsConfig(),
     [(1, 25, "bad duration '3': needs a unit; write it like 90s, 30m, 4h, 1h30m or 2d")]),
    ("reports:\n  weekly: {day: Sunday, time: '23:59', timezone: Asia/Shanghai, channel: '#w'}\n"
     "  quarterly: {day: fri, time: 0:00, channel: C024BE91L}\n",
     ReportsConfig(weekly=WeeklyReport(channel="#w", day=6, time=(23, 59), timezone="Asia/Shanghai"),
                   quarterly=QuarterlyReport(channel="C024BE91L", day=4, time=(0, 0))), []),
    # Each schedule's own example channel in the message.
    ("reports:\n  weekly: {channel: 'a b'}\n  quarterly: {channel: 'c d'}\n", ReportsConfig(),
     [(2, 21, 'bad Slack channel \'a b\': write it like "#sla-weekly" or a channel id like C024BE91L'),
      (3, 24, 'bad Slack channel \'c d\': write it like "#sla-quarterly" or a channel id like C024BE91L')]),
    ("reports:\n  weekly: [mon]\n", ReportsConfig(),
     [(2, 11, "reports.weekly must be a mapping of 'key: value' lines, not a list")]),
    ("reports:\n  weekly: {dya: mon}\n", ReportsConfig(),
     [(2, 12, "unknown key 'dya' in reports.weekly; did you mean 'day'?")]),
    ("reports:\n  montly: {}\n", ReportsConfig(),
     [(2, 3, "unknown key 'montly' in reports; expected one of: weekly, quarterly, freeze_after")]),
    # A bad zone is reported with the closest name, and the schedule keeps UTC.
    ("reports:\n  quarterly: {timezone: Europe/Berln, day: tue}\n", ReportsConfig(quarterly=QuarterlyReport(day=1)),
     [(2, 25, "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?")]),
    ("reports:\n  quarterly: {timezone: }\n", ReportsConfig(),  # no value: just after the ':'
     [(2, 24, "the timezone of reports.quarterly has no value")]),
], ids=["none", "empty-schedules", "scalar", "freeze-after", "freeze-after-no-unit", "all-keys",
        "bad-channels", "schedule-list", "schedule-unknown-key", "unknown-schedule", "bad-zone", "empty-zone"])
def test_reports(text, expected, problems):
    assert section(rs.reports, text, "reports") == (expected, problems)


@pytest.mark.parametrize("raw, day, message", [
    ("mon", 0, None),
    ("MON", 0, None),  # casefolded
    ("Sunday", 6, None),
    ("thurs", 3, None),  # a prefix of a full name
    ("sat-sat", 5, None),  # a range of one day is one weekday
    ("mon-fri", 0, "the day of reports.weekly must be one weekday like mon, not 'mon-fri'"),
    ("daily", 0, "the day of reports.weekly must be one weekday like mon, not 'daily'"),
    ("mnday", 0, f"unknown weekday 'mnday' for the day of reports.weekly; did you mean 'monday'? Use {WEEKDAY_LIST}"),
    ("xyz", 0, f"unknown weekday 'xyz' for the day of reports.weekly; use {WEEKDAY_LIST}"),
    ("", 0, f"no weekday for the day of reports.weekly; use {WEEKDAY_LIST}"),  # no value
    ("[mon]", 0, f"no weekday for the day of reports.weekly; use {WEEKDAY_LIST}"),  # a list is no day
], ids=["mon", "upper", "full-name", "prefix", "one-day-range", "range", "daily", "typo", "junk", "empty", "list"])
def test_report_day(raw, day, message):
    # "reports: {weekly: {day: " is 24 characters: the value starts at col 25.
    text = f"reports: {{weekly: {{day: {raw}}}}}\n"
    got, found = section(rs.reports, text, "reports")
    assert got.weekly.day == day
    col = 25 if raw else 24  # no value: just after the ':'
    assert found == ([(1, col, message)] if message else [])


@pytest.mark.parametrize("raw, time, bad", [
    ("'00:00'", (0, 0), False),  # the first minute of the day
    ("0:00", (0, 0), False),
    ("'9:05'", (9, 5), False),  # one-digit hour
    ("'23:59'", (23, 59), False),  # the last minute
    ("'24:00'", None, True),  # an hour past the last
    ("'23:60'", None, True),  # a minute past the last
    ("'9'", None, True),
    ("'09:0'", None, True),
    ("'009:00'", None, True),
    ("", None, True),  # no value
], ids=["midnight", "midnight-short", "one-digit-hour", "last-minute", "24h", "60m", "no-minutes",
        "one-digit-minute", "three-digit-hour", "empty"])
def test_report_time(raw, time, bad):
    # "reports: {weekly: {time: " is 25 characters: the value starts at col 26.
    text = f"reports: {{weekly: {{time: {raw}}}}}\n"
    got, found = section(rs.reports, text, "reports")
    assert got.weekly.time == (time or (9, 0))  # a bad time keeps the default 09:00
    shown = raw.strip("'")
    given = f" '{shown}'" if shown else ""
    col = 26 if raw else 25  # no value: just after the ':'
    assert found == ([(1, col, f"bad time{given} for reports.weekly: {TIME_HINT}")] if bad else [])


# ---- slack ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, problems", [
    ("slack:\n", SlackConfig(), []),
    ("slack: {}\n", SlackConfig(), []),
    ("slack: {response_channels: []}\n", SlackConfig(), []),
    ("slack: {response_channels: ['#a', C024BE91L]}\n", SlackConfig(response_channels=("#a", "C024BE91L")), []),
    ("slack: {response_channels: '#one'}\n", SlackConfig(response_channels=("#one",)), []),  # one stands for a list
    # A bad entry is reported and left out; the good ones are kept.
    ("slack: {response_channels: ['#a', 'b c', '#d']}\n", SlackConfig(response_channels=("#a", "#d")),
     [(1, 35, 'bad Slack channel \'b c\': write it like "#acme-support" or a channel id like C024BE91L')]),
    ("slack:\n  response_channels:\n", SlackConfig(),
     [(2, 21, 'slack.response_channels is empty; list channels in quotes, like response_channels: '
              '["#acme-support"] (an unquoted # starts a comment)')]),
    ("slack: [a]\n", SlackConfig(), [(1, 8, "slack must be a mapping of 'key: value' lines, not a list")]),
    ("slack:\n  channels: x\n", SlackConfig(),
     [(2, 3, "unknown key 'channels' in slack; did you mean 'response_channels'?")]),
], ids=["none", "empty", "empty-list", "two", "one-alone", "one-bad", "no-value", "list", "unknown-key"])
def test_slack(text, expected, problems):
    assert section(rs.slack, text, "slack") == (expected, problems)


# ---- surveys -------------------------------------------------------------------------------

DEFAULT_QUESTIONS = tuple(SURVEY_QUESTIONS.items())


@pytest.mark.parametrize("text, expected, problems", [
    ("surveys:\n", SurveysConfig(), []),
    ("surveys:\n  enabled: true\n", SurveysConfig(enabled=True), []),
    ("surveys:\n  enabled: false\n", SurveysConfig(enabled=False), []),
    ("surveys:\n  enabled: 1\n", SurveysConfig(), [(2, 12, "surveys.enabled must be true or false")]),
    ("surveys:\n  expire_after: 30d\n", SurveysConfig(expire_after=timedelta(days=30)), []),
    ("surveys:\n  expire_after: soon\n", SurveysConfig(),
     [(2, 17, "bad duration 'soon': write it like 90s, 30m, 4h, 1h30m or 2d")]),
    # The address loses its trailing slash; http is allowed too.
    ("surveys:\n  form_url: https://sla.example.com/\n", SurveysConfig(form_url="https://sla.example.com"), []),
    ("surveys:\n  form_url: http://h\n", SurveysConfig(form_url="http://h"), []),
    ("surveys:\n  form_url: ftp://h\n", SurveysConfig(),
     [(2, 13, "bad surveys.form_url 'ftp://h': write the public address of Slawatch, like "
              "https://slawatch.example.com")]),
    ("surveys:\n  form_url: https:///path\n", SurveysConfig(),  # no host
     [(2, 13, "bad surveys.form_url 'https:///path': write the public address of Slawatch, like "
              "https://slawatch.example.com")]),
    ("surveys:\n  form_url:\n", SurveysConfig(), [(2, 12, "surveys.form_url has no value")]),
    # One question reworded: the other keeps its default wording, in the default order.
    ("surveys:\n  questions: {communication: 'Clear?'}\n",
     SurveysConfig(questions=(("csat", SURVEY_QUESTIONS["csat"]), ("communication", "Clear?"))), []),
    ("surveys:\n  questions: {csat: 'Happy?', communication: 'Clear?'}\n",
     SurveysConfig(questions=(("csat", "Happy?"), ("communication", "Clear?"))), []),
    ("surveys:\n  questions: {csat: }\n", SurveysConfig(), [(2, 20, "the csat question has no value")]),
    ("surveys:\n  questions: [a]\n", SurveysConfig(),
     [(2, 14, "surveys.questions must be a mapping of 'key: value' lines, not a list")]),
    ("surveys:\n  questions: {cast: 'Happy?'}\n", SurveysConfig(),
     [(2, 15, "unknown key 'cast' in surveys.questions; did you mean 'csat'?")]),
    ("surveys:\n  enable: true\n", SurveysConfig(), [(2, 3, "unknown key 'enable' in surveys; did you mean 'enabled'?")]),
    ("surveys: 3\n", SurveysConfig(), [(1, 10, "surveys must be a mapping of 'key: value' lines, not '3'")]),
], ids=["none", "enabled", "disabled", "enabled-number", "expire-after", "bad-expire-after", "url-slash",
        "url-http", "url-ftp", "url-no-host", "url-empty", "one-question", "two-questions", "question-empty",
        "questions-list", "question-unknown", "unknown-key", "scalar"])
def test_surveys(text, expected, problems):
    assert section(rs.surveys, text, "surveys") == (expected, problems)


def test_surveys_defaults():
    # The documented defaults: off, answers for 14 days, both questions in order, no form.
    assert SurveysConfig() == SurveysConfig(enabled=False, expire_after=timedelta(days=14),
                                            questions=DEFAULT_QUESTIONS, form_url=None)
    assert [k for k, _ in DEFAULT_QUESTIONS] == ["csat", "communication"]


# ---- jira.write_back -----------------------------------------------------------------------

LABEL_HINT = "a label is one word of at most 255 characters, without spaces, like sla-breached"


@pytest.mark.parametrize("text, expected, problems", [
    ("other: 1\n", JiraWriteBack(), []),  # no jira section
    ("jira: [a]\n", JiraWriteBack(), []),  # not a mapping: read_done_statuses reports it, not this
    ("jira: {done_statuses: [Done]}\n", JiraWriteBack(), []),
    ("jira: {write_back: }\n", JiraWriteBack(),
     [(1, 19, "jira.write_back has no value; give it 'key: value' lines")]),
    ("jira: {write_back: {label: sla-breached, comment: true}}\n",
     JiraWriteBack(label="sla-breached", comment=True), []),
    ("jira: {write_back: {comment: false}}\n", JiraWriteBack(), []),
    ("jira: {write_back: {comment: 1}}\n", JiraWriteBack(),
     [(1, 30, "jira.write_back.comment must be true or false")]),
    ("jira: {write_back: {label: 'sla breached'}}\n", JiraWriteBack(),
     [(1, 28, f"bad Jira label 'sla breached': {LABEL_HINT}")]),
    ("jira: {write_back: {label: }}\n", JiraWriteBack(), [(1, 27, "jira.write_back.label has no value")]),
    ("jira: {write_back: {labels: x}}\n", JiraWriteBack(),
     [(1, 21, "unknown key 'labels' in jira.write_back; did you mean 'label'?")]),
], ids=["no-jira", "jira-list", "no-write-back", "empty", "both", "comment-false", "comment-number",
        "label-space", "label-empty", "unknown-key"])
def test_jira_write_back(text, expected, problems):
    assert section(rs.jira_write_back, text, "jira") == (expected, problems)


@pytest.mark.parametrize("length, ok", [(254, True), (255, True), (256, False)])
def test_jira_label_length(length, ok):
    # At most 255 characters: 255 is kept, 256 reported, quoting its first 60 only.
    label = "x" * length
    got, found = section(rs.jira_write_back, f"jira: {{write_back: {{label: {label}}}}}\n", "jira")
    assert got == (JiraWriteBack(label=label) if ok else JiraWriteBack())
    assert found == ([] if ok else [(1, 28, f"bad Jira label '{'x' * 60}': {LABEL_HINT}")])


@pytest.mark.parametrize("write_back, enabled", [
    (JiraWriteBack(), False), (JiraWriteBack(label="x"), True), (JiraWriteBack(comment=True), True),
    (JiraWriteBack(label="x", comment=True), True),
])
def test_jira_write_back_enabled(write_back, enabled):
    assert write_back.enabled is enabled
