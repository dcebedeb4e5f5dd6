"""`slawatch demo`: a realistic generated history, fed through the real ingestion path.

    summary = fill(database, rules, now, tickets=1000, weeks=12, seed=7)
    summary = fill(database, read_rules(str(rules_path("zh_CN"))), now, locale="zh_CN")

Three vendors (projects NET, APP, OPS of web/demo_rules.yaml), tickets created over the last
`weeks` weeks before `now`: assignment, internal notes, first answers, "Waiting for customer"
pauses, resolutions, reopenings. Globex (APP) is measured by hand-off: the client's desk triages
its tickets first, some are handed back and forth, and customers and Globex trade replies. Every change is a Jira Cloud webhook payload
(connectors.jira_demo) parsed by connectors.jira.parse_webhook and stored by
store.ingest.ingest_delivery, exactly as /webhooks/jira does, one delivery per ticket. Then some
breaches are acknowledged or excused, and some resolved tickets get survey answers. The same
seed and `now` give the same history.

With locale="zh_CN" (`slawatch demo --locale zh_CN`) the same stories are told by a Chinese cast
(CASTS): ticket summaries, comments, people, projects and excuses in Chinese, judged by
web/demo_rules_zh_CN.yaml (`locale: zh_CN`, the vendors 华东运维服务, 智远应用服务 and 恒信运维服务,
the same calendars, Asia/Shanghai). Jira's own words stay as Jira sends them: statuses
("In Progress", "Waiting for customer"), priorities, issue types.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func, select

from connectors.jira import parse_webhook
from connectors.jira_demo import DemoIssue, DemoUser, demo_user
from processors.rules import Rules
from store.db import Database
from store.ingest import ingest_delivery
from store.models import ClockRow, Survey, Ticket
from store.slack import Breach, acknowledge, breach_key, excuse

RULES_PATH = Path(__file__).with_name("demo_rules.yaml")
RULES_PATHS = {"en": RULES_PATH, "zh_CN": Path(__file__).with_name("demo_rules_zh_CN.yaml")}
SOURCE = "jira"


def rules_path(locale: str = "en") -> Path:
    """The demo's rules for `locale` ("en" or "zh_CN"); KeyError for another."""
    return RULES_PATHS[locale]


@dataclass(frozen=True)
class Vendor:
    project: str
    project_name: str
    agents: tuple[DemoUser, ...]
    response_hours: float  # mean wall-clock hours to the first answer
    work_hours: float  # mean wall-clock hours from the answer to the resolution
    topics: tuple[str, ...]


VENDORS = (
    Vendor("NET", "Network", (demo_user("Chen Wei"), demo_user("Li Na"), demo_user("Zhang Min")), 6, 30,
           ("VPN drops at the {site} office", "Wi-Fi slow on floor {n}", "Firewall rule for {app}",
            "New switch port in {site}", "DNS does not resolve {app}")),
    Vendor("APP", "Business Applications", (demo_user("Anil Kumar"), demo_user("Priya Shah")), 12, 40,
           ("{app} login fails", "Report in {app} shows wrong totals", "Access to {app} for a new hire",
            "{app} is very slow since Monday", "Export from {app} times out")),
    Vendor("OPS", "Operations", (demo_user("Sam Okafor"), demo_user("Birgit Wagner"), demo_user("John Smith")),
           0.6, 7, ("Backup failed on {host}", "Disk almost full on {host}", "{host} does not answer",
                    "Certificate expires on {host}", "Restart {app} on {host}")),
)
CUSTOMERS = tuple(demo_user(name, f"{name.split()[0].lower()}@client.example", customer=True) for name in (
    "Maria Lopez", "Tom Becker", "Aiko Tanaka", "Fatima Noor", "Lucas Martin", "Eva Novak", "Omar Haddad",
    "Julia Rossi", "Wang Fang", "Peter Olsen"))
LEAD = demo_user("Dana Whitfield", "dana@acme.example")
WORDS = {"site": ("Lyon", "Shanghai", "Berlin", "Pune"), "n": ("2", "3", "5", "7"),
         "app": ("SAP", "Salesforce", "Jira", "Confluence", "Workday", "<Payroll & HR>"),
         "host": ("db-03", "web-01", "build-02", "mail-01", "files-04")}
EXCUSES = ("Customer asked to wait for their change window", "Jira was down for maintenance",
           "Duplicate of an incident already being handled", "Waiting on a third-party carrier")
LINES = {"internal": "Internal: checking the logs first.", "hello": "Hello {name}, we are looking into it.",
         "information": "Here is the information you asked for.",
         "fixed": "Fixed the remaining part, please check.", "on_it": "Hello, Globex here: we are on it.",
         "thanks": "Thanks, we have what we need now.", "news": "Any news on this?",
         "working": "Still working on it, update tomorrow."}


@dataclass(frozen=True)
class Cast:
    """Who and what a demo history speaks of, in one language."""
    vendors: tuple[Vendor, ...]
    customers: tuple[DemoUser, ...]
    lead: DemoUser
    words: dict[str, tuple[str, ...]]
    excuses: tuple[str, ...]
    lines: dict[str, str]  # the comments; "hello" greets the reporter by {name}
    first_name: Any  # the reporter's name as the greeting says it


# The Chinese cast: the same vendors (projects, agents' count, speeds), Chinese names and words.
# Each tuple the stories draw from has the English one's length, so a seed gives the same story.
VENDORS_ZH = (
    Vendor("NET", "网络", (demo_user("陈伟"), demo_user("李娜"), demo_user("张敏")), 6, 30,
           ("{site}办公室 VPN 频繁断线", "{n}楼 Wi-Fi 很慢", "为 {app} 开通防火墙规则",
            "{site}办公室新增交换机端口", "DNS 无法解析 {app}")),
    Vendor("APP", "业务应用", (demo_user("刘洋"), demo_user("赵静")), 12, 40,
           ("{app} 无法登录", "{app} 报表合计有误", "为新员工开通 {app} 权限",
            "{app} 自周一起非常慢", "{app} 导出超时")),
    Vendor("OPS", "运维", (demo_user("孙强"), demo_user("周杰"), demo_user("吴磊")),
           0.6, 7, ("{host} 备份失败", "{host} 磁盘即将写满", "{host} 无响应",
                    "{host} 证书即将过期", "在 {host} 上重启 {app}")),
)
CUSTOMERS_ZH = tuple(demo_user(name, f"{email}@client.example", customer=True) for name, email in (
    ("王芳", "wangfang"), ("李强", "liqiang"), ("张丽", "zhangli"), ("刘军", "liujun"), ("陈静", "chenjing"),
    ("杨帆", "yangfan"), ("黄磊", "huanglei"), ("赵敏", "zhaomin"), ("周婷", "zhouting"), ("吴昊", "wuhao")))
CAST_EN = Cast(VENDORS, CUSTOMERS, LEAD, WORDS, EXCUSES, LINES, lambda name: name.split()[0])
CAST_ZH = Cast(
    VENDORS_ZH, CUSTOMERS_ZH, demo_user("郑丽", "zhengli@acme.example"),
    {"site": ("上海", "北京", "深圳", "成都"), "n": ("2", "3", "5", "7"),
     "app": ("SAP", "Salesforce", "Jira", "Confluence", "用友 U8", "<薪酬 & 人事>"),
     "host": ("db-03", "web-01", "build-02", "mail-01", "files-04")},
    ("客户要求等到其变更窗口再处理", "Jira 停机维护", "与正在处理的事件重复", "等待第三方运营商"),
    {"internal": "内部：先查看日志。", "hello": "{name}，您好！我们正在处理。",
     "information": "这是您要的信息。", "fixed": "剩余问题已修复，请确认。",
     "on_it": "您好，这里是智远应用服务：我们正在处理。", "thanks": "谢谢，所需信息已齐全。",
     "news": "请问有进展吗？", "working": "仍在处理中，明天更新进展。"},
    lambda name: name)
CASTS = {"en": CAST_EN, "zh_CN": CAST_ZH}


def store_is_empty(db: Database) -> bool:
    with db.reading() as session:
        return not session.scalar(select(func.count()).select_from(Ticket))


def fill(db: Database, rules: Rules, now: datetime, tickets: int = 1000, weeks: int = 12,
         seed: int = 7, locale: str = "en") -> dict[str, int]:
    """Generate and ingest the history; returns counts of what was stored. `locale`: the cast's
    language ("en", "zh_CN"; the rules should be rules_path(locale)'s)."""
    cast = CASTS[locale]
    rng = random.Random(seed)
    counts = {"tickets": 0, "payloads": 0, "events": 0, "acknowledged": 0, "excused": 0, "surveys": 0}
    start = now - timedelta(weeks=weeks)
    for number, created_at in enumerate(_creation_times(rng, start, now, tickets), start=1):
        vendor = cast.vendors[rng.choices(range(len(cast.vendors)), weights=(4, 3, 3))[0]]
        payloads = list(_story(rng, cast, vendor, f"{vendor.project}-{number}", created_at, now))
        events = [event for payload in payloads for event in parse_webhook(payload)]
        result = ingest_delivery(db, SOURCE, f"demo-{seed}-{vendor.project}-{number}", events, rules, now)
        counts["tickets"] += 1
        counts["payloads"] += len(payloads)
        counts["events"] += result.new_events
    counts.update(db.write(lambda session: _manage(session, rng, now, cast)))
    return counts


def _creation_times(rng: random.Random, start: datetime, now: datetime, count: int) -> list[datetime]:
    """Mostly on weekdays in office hours (UTC+8), spread over [start, now - 1h)."""
    span = (now - timedelta(hours=1) - start).total_seconds()
    times = []
    while len(times) < count:
        at = start + timedelta(seconds=rng.uniform(0, span))
        local = at + timedelta(hours=8)
        if (local.weekday() < 5 and 8 <= local.hour < 19) or rng.random() < 0.15:
            times.append(at.replace(microsecond=0))
    return sorted(times)


def _hours(rng: random.Random, mean: float) -> timedelta:
    return timedelta(seconds=int(rng.expovariate(1 / mean) * 3600) + 60)


def _summary(rng: random.Random, vendor: Vendor, words: dict[str, tuple[str, ...]]) -> str:
    template = rng.choice(vendor.topics)
    return template.format(**{k: rng.choice(v) for k, v in words.items()})


def _story(rng: random.Random, cast: Cast, vendor: Vendor, key: str, at: datetime,
           now: datetime) -> Iterator[dict[str, Any]]:
    """The payloads of one ticket's life, stopping at `now`."""
    reporter, agent = rng.choice(cast.customers), rng.choice(vendor.agents)
    lead, lines = cast.lead, cast.lines
    priority = rng.choices(("High", "Medium", "Low"), weights=(2, 6, 2))[0]
    issue = DemoIssue(key, at, reporter, _summary(rng, vendor, cast.words), vendor.project_name, priority=priority,
                      issuetype="Incident" if vendor.project == "OPS" else "Service Request")
    yield issue.created()
    if vendor.project == "APP":  # the client's desk triages first, then hands it to Globex
        yield from _handed_off(rng, cast, vendor, issue, reporter, agent, at, now)
        return
    steps = [(at + timedelta(minutes=rng.randint(2, 40)), lambda t: issue.assigned(t, agent, lead))]
    if rng.random() < 0.3:
        steps.append((steps[-1][0] + timedelta(minutes=5),
                      lambda t: issue.commented(t, agent, lines["internal"], public=False)))
    answered = at + _hours(rng, vendor.response_hours)
    hello = lines["hello"].format(name=cast.first_name(reporter.display_name))
    steps.append((answered, lambda t: issue.commented(t, agent, hello)))
    steps.append((answered + timedelta(minutes=3), lambda t: issue.transition(t, "In Progress", agent)))
    t = answered + timedelta(minutes=3)
    if rng.random() < 0.25:  # a question to the customer pauses the clocks
        t += _hours(rng, vendor.work_hours / 4)
        steps.append((t, lambda t: issue.transition(t, "Waiting for customer", agent)))
        t += _hours(rng, 20)
        steps.append((t, lambda t: issue.commented(t, reporter, lines["information"])))
        steps.append((t + timedelta(minutes=10), lambda t: issue.transition(t, "In Progress", agent)))
    t += _hours(rng, vendor.work_hours)
    steps.append((t, lambda t: issue.resolved(t, agent)))
    if rng.random() < 0.08:  # the customer is not happy: reopened, fixed again
        t += _hours(rng, 24)
        steps.append((t, lambda t: issue.reopened(t, reporter)))
        t += _hours(rng, vendor.work_hours / 2)
        steps.append((t, lambda t: issue.commented(t, agent, lines["fixed"])))
        steps.append((t + timedelta(minutes=2), lambda t: issue.resolved(t, agent)))
    for when, step in steps:
        if when >= now:
            return
        yield step(when.replace(microsecond=0))


def _handed_off(rng: random.Random, cast: Cast, vendor: Vendor, issue: DemoIssue, reporter: DemoUser,
                agent: DemoUser, at: datetime, now: datetime) -> Iterator[dict[str, Any]]:
    """An APP ticket: the desk (the cast's lead) triages it, hands it to Globex; Globex answers,
    sometimes hands it back and gets it again, trades replies with the customer, resolves it."""
    lead, lines = cast.lead, cast.lines
    t = at + _hours(rng, 2)
    steps = [(t, lambda t: issue.assigned(t, agent, lead))]
    t += _hours(rng, vendor.response_hours / 3)
    steps.append((t, lambda t: issue.commented(t, agent, lines["on_it"])))
    if rng.random() < 0.2:  # handed back to the desk for more details, then to Globex again
        t += _hours(rng, 4)
        steps.append((t, lambda t: issue.assigned(t, lead, agent)))
        t += _hours(rng, 3)
        steps.append((t, lambda t: issue.assigned(t, agent, lead)))
        t += _hours(rng, vendor.response_hours / 3)
        steps.append((t, lambda t: issue.commented(t, agent, lines["thanks"])))
    for _ in range(rng.choice((0, 1, 1, 2))):  # the customer asks, Globex replies
        t += _hours(rng, 6)
        steps.append((t, lambda t: issue.commented(t, reporter, lines["news"])))
        t += _hours(rng, 5)
        steps.append((t, lambda t: issue.commented(t, agent, lines["working"])))
    t += _hours(rng, vendor.work_hours / 2)
    steps.append((t, lambda t: issue.resolved(t, agent)))
    for when, step in steps:
        if when >= now:
            return
        yield step(when.replace(microsecond=0))


def _token(ticket: str, cycle: int) -> str:
    return hashlib.sha256(f"demo:{ticket}:{cycle}".encode()).hexdigest()[:32]


def _manage(session, rng: random.Random, now: datetime, cast: Cast = CAST_EN) -> dict[str, int]:
    """Managers acknowledge or excuse some breaches; reporters answer some surveys."""
    counts = {"acknowledged": 0, "excused": 0, "surveys": 0}
    breached = session.execute(select(ClockRow.ticket, ClockRow.metric, ClockRow.cycle, ClockRow.breached_at)
                               .where(ClockRow.breached_at.is_not(None))
                               .order_by(ClockRow.ticket, ClockRow.metric, ClockRow.cycle)).all()
    for ticket, metric, cycle, breached_at in breached:
        breach = Breach(breach_key(ticket, metric, cycle), ticket, metric, cycle)
        at = min(now, breached_at + timedelta(minutes=rng.randint(5, 240)))
        roll = rng.random()
        if roll < 0.12:
            excuse(session, breach, cast.lead.display_name, rng.choice(cast.excuses), at)
            counts["excused"] += 1
        elif roll < 0.55:
            acknowledge(session, breach, cast.lead.display_name, at)
            counts["acknowledged"] += 1
    resolved = session.execute(select(ClockRow.ticket, ClockRow.cycle, ClockRow.vendor, ClockRow.stopped_at,
                                      ClockRow.breached_at)
                               .where(ClockRow.metric == "resolution", ClockRow.state == "stopped")
                               .order_by(ClockRow.ticket, ClockRow.cycle)).all()
    for ticket, cycle, vendor, stopped_at, breached_at in resolved:
        if rng.random() > 0.45:
            continue
        answered_at = stopped_at + timedelta(minutes=rng.randint(10, 2880))
        if answered_at >= now:
            continue
        good = 0.75 if breached_at else 0.95
        session.add(Survey(ticket=ticket, cycle=cycle, token=_token(ticket, cycle), vendor=vendor,
                           reporter_email=None, via="web", asked_at=stopped_at,
                           expires_at=stopped_at + timedelta(days=14),
                           csat=rng.choice((4, 5)) if rng.random() < good else rng.choice((1, 2, 3)),
                           communication=rng.choice((4, 5)) if rng.random() < good - 0.1 else rng.choice((2, 3)),
                           answered_at=answered_at))
        counts["surveys"] += 1
    return counts
