"""rules.yaml, the `alerts`, `reports`, `slack` and `surveys` sections and `jira.write_back`:
where Slack messages go, when reports run, which Slack channels Slawatch listens to, and what it
writes back on a breached Jira issue.

    config = alerts(ck, value)    # -> AlertsConfig (defaults for a missing or empty section)
    config = reports(ck, value)   # -> ReportsConfig
    config = slack(ck, value)     # -> SlackConfig
    config = surveys(ck, value)   # -> SurveysConfig
    config = jira_write_back(ck, jira_value)   # -> JiraWriteBack (the `write_back` of `jira`)

Both report their problems on the Checker, like every other section (processors/rules.py), and
return the defaults for the parts that have problems: `parse_rules` raises anyway when there are
problems. The typed objects are the dataclasses of processors/rules.py; the format is documented
in docs/rules.md.
"""
from __future__ import annotations

import re
from typing import Any

from processors import rules_calendars
from processors import rules_schema as schema
from processors.rules_types import (
    AlertsConfig, JiraWriteBack, QuarterlyReport, ReportsConfig, SURVEY_QUESTIONS, SlackConfig, SurveysConfig,
    WeeklyReport,
)
from processors.rules_policies import read_channel, read_duration
from processors.rules_schema import Checker, Path

ALERTS_KEYS = ("channel", "escalation_channel", "escalate_after", "digest_over")
REPORTS_KEYS = ("weekly", "quarterly", "freeze_after")
SLACK_KEYS = ("response_channels",)
SURVEY_KEYS = ("enabled", "expire_after", "questions", "form_url")
SCHEDULE_KEYS = ("day", "time", "timezone", "channel")
WRITE_BACK_KEYS = ("label", "comment")
_DAY_WORDS = rules_calendars.WEEKDAYS + ("monday", "tuesday", "wednesday", "thursday", "friday",
                                "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _scalar(ck: Checker, path: Path, value: Any) -> str | None:
    """The source text of a single value, or None for a list, a mapping or nothing."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return ck.raw(path, value)


# ---- alerts --------------------------------------------------------------------------------

def alerts(ck: Checker, value: Any) -> AlertsConfig:
    path: Path = ("alerts",)
    body = (ck.mapping(path, value, "alerts") if value is not None else {}) or {}
    ck.fields(path, body, ALERTS_KEYS, (), "alerts")
    found: dict[str, Any] = {}
    for key in ("channel", "escalation_channel"):
        if key in body:
            found[key] = read_channel(ck, (*path, key), body[key], f"alerts.{key}", "#sla-alerts")
    if "escalate_after" in body:
        found["escalate_after"] = read_duration(ck, (*path, "escalate_after"), body["escalate_after"])
        if "escalation_channel" not in body:
            ck.report((*path, "escalate_after"), "alerts.escalate_after needs "
                      "alerts.escalation_channel, the channel unacknowledged breaches go to",
                      key=True)
    if "digest_over" in body:
        found["digest_over"] = _digest_over(ck, (*path, "digest_over"), body["digest_over"])
    return AlertsConfig(**{k: v for k, v in found.items() if v is not None})


def _digest_over(ck: Checker, path: Path, value: Any) -> int | None:
    raw = _scalar(ck, path, value)
    if raw is not None and not isinstance(value, bool) and re.fullmatch(r"\d+", raw) \
            and int(raw) >= 1:
        return int(raw)
    given = f" '{raw}'" if raw is not None else ""
    ck.report(path, f"bad digest_over{given}: write a whole number of alerts, 1 or more, like 5")
    return None


# ---- reports -------------------------------------------------------------------------------

def reports(ck: Checker, value: Any) -> ReportsConfig:
    path: Path = ("reports",)
    body = (ck.mapping(path, value, "reports") if value is not None else {}) or {}
    ck.fields(path, body, REPORTS_KEYS, (), "reports")
    found = {}
    if "freeze_after" in body:  # store/freeze.py: when an unposted week or quarter freezes
        found["freeze_after"] = read_duration(ck, (*path, "freeze_after"), body["freeze_after"])
    return ReportsConfig(
        weekly=_schedule(ck, (*path, "weekly"), body.get("weekly"), WeeklyReport),
        quarterly=_schedule(ck, (*path, "quarterly"), body.get("quarterly"), QuarterlyReport),
        **{k: v for k, v in found.items() if v is not None},
    )


def _schedule(ck: Checker, path: Path, value: Any, kind: type) -> Any:
    """A WeeklyReport or QuarterlyReport: {day, time, timezone, channel}, all optional."""
    what = ".".join(str(p) for p in path)
    body = (ck.mapping(path, value, what) if value is not None else {}) or {}
    ck.fields(path, body, SCHEDULE_KEYS, (), what)
    found: dict[str, Any] = {}
    if "channel" in body:
        found["channel"] = read_channel(ck, (*path, "channel"), body["channel"], f"{what}.channel",
                                    f"#sla-{path[-1]}")
    if "day" in body:
        found["day"] = _day(ck, (*path, "day"), body["day"], what)
    if "time" in body:
        found["time"] = _time(ck, (*path, "time"), body["time"], what)
    if "timezone" in body:
        zone = ck.text((*path, "timezone"), body["timezone"], f"the timezone of {what}")
        if zone is not None and (message := rules_calendars.check_zone(zone)):
            ck.report((*path, "timezone"), message)
            zone = None
        found["timezone"] = zone
    return kind(**{k: v for k, v in found.items() if v is not None})


def _day(ck: Checker, path: Path, value: Any, what: str) -> int | None:
    raw = _scalar(ck, path, value)
    days = rules_calendars.weekdays_of(raw) if raw else "no day"
    if isinstance(days, list) and len(days) == 1:
        return days[0]
    if isinstance(days, list):
        ck.report(path, f"the day of {what} must be one weekday like mon, not '{raw}'")
        return None
    close = schema.suggestion(raw, _DAY_WORDS) if raw else None
    hint = f"did you mean '{close}'? Use" if close else "use"
    given = f"unknown weekday '{raw}'" if raw else "no weekday"
    ck.report(path, f"{given} for the day of {what}; {hint} mon, tue, wed, thu, fri, sat or sun")
    return None


def _time(ck: Checker, path: Path, value: Any, what: str) -> tuple[int, int] | None:
    raw = _scalar(ck, path, value)
    found = _TIME.match(raw) if raw else None
    if found and int(found.group(1)) <= 23 and int(found.group(2)) <= 59:
        return int(found.group(1)), int(found.group(2))
    given = f" '{raw}'" if raw else ""
    ck.report(path, f"bad time{given} for {what}: write it as \"HH:MM\" from 00:00 to 23:59, "
                    f"like \"09:00\"")
    return None


# ---- slack ---------------------------------------------------------------------------------

def slack(ck: Checker, value: Any) -> SlackConfig:
    path: Path = ("slack",)
    body = (ck.mapping(path, value, "slack") if value is not None else {}) or {}
    ck.fields(path, body, SLACK_KEYS, (), "slack")
    if "response_channels" not in body:
        return SlackConfig()
    where = (*path, "response_channels")
    listed = body["response_channels"]
    if listed is None:
        ck.report(where, 'slack.response_channels is empty; list channels in quotes, like '
                         'response_channels: ["#acme-support"] (an unquoted # starts a comment)')
        return SlackConfig()
    channels = []
    for (item_path, item) in schema.items(where, listed):
        channel = read_channel(ck, item_path, item, "a slack.response_channels entry", "#acme-support")
        if channel is not None:
            channels.append(channel)
    return SlackConfig(response_channels=tuple(channels))


# ---- surveys -------------------------------------------------------------------------------

def surveys(ck: Checker, value: Any) -> SurveysConfig:
    path: Path = ("surveys",)
    body = (ck.mapping(path, value, "surveys") if value is not None else {}) or {}
    ck.fields(path, body, SURVEY_KEYS, (), "surveys")
    found: dict[str, Any] = {}
    if "enabled" in body:
        if isinstance(body["enabled"], bool):
            found["enabled"] = body["enabled"]
        else:
            ck.report((*path, "enabled"), "surveys.enabled must be true or false")
    if "expire_after" in body:
        found["expire_after"] = read_duration(ck, (*path, "expire_after"), body["expire_after"])
    if "form_url" in body:
        url = ck.text((*path, "form_url"), body["form_url"], "surveys.form_url")
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            ck.report((*path, "form_url"), f"bad surveys.form_url '{url}': write the public address "
                                           f"of Slawatch, like https://slawatch.example.com")
            url = None
        found["form_url"] = url.rstrip("/") if url else None
    if "questions" in body:
        found["questions"] = _questions(ck, (*path, "questions"), body["questions"])
    return SurveysConfig(**{k: v for k, v in found.items() if v is not None})


def _questions(ck: Checker, path: Path, value: Any) -> tuple[tuple[str, str], ...] | None:
    body = ck.mapping(path, value, "surveys.questions")
    if body is None:
        return None
    ck.fields(path, body, tuple(SURVEY_QUESTIONS), (), "surveys.questions")
    questions = dict(SURVEY_QUESTIONS)
    for key in SURVEY_QUESTIONS:
        if key in body:
            text = ck.text((*path, key), body[key], f"the {key} question")
            if text:
                questions[key] = text
    return tuple(questions.items())


# ---- jira.write_back -----------------------------------------------------------------------

def jira_write_back(ck: Checker, value: Any) -> JiraWriteBack:
    """`write_back` of the `jira` section (processors/rules.py checks the section itself)."""
    if not isinstance(value, dict) or "write_back" not in value:
        return JiraWriteBack()
    path: Path = ("jira", "write_back")
    body = ck.mapping(path, value["write_back"], "jira.write_back") or {}
    ck.fields(path, body, WRITE_BACK_KEYS, (), "jira.write_back")
    found: dict[str, Any] = {}
    if "label" in body:
        found["label"] = _label(ck, (*path, "label"), body["label"])
    if "comment" in body:
        if isinstance(body["comment"], bool):
            found["comment"] = body["comment"]
        else:
            ck.report((*path, "comment"), "jira.write_back.comment must be true or false")
    return JiraWriteBack(**{k: v for k, v in found.items() if v is not None})


def _label(ck: Checker, path: Path, value: Any) -> str | None:
    label = ck.text(path, value, "jira.write_back.label")
    if label is None:
        return None
    if re.search(r"\s", label) or len(label) > 255:
        ck.report(path, f"bad Jira label '{label[:60]}': a label is one word of at most 255 "
                        f"characters, without spaces, like sla-breached")
        return None
    return label
