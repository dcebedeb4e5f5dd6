"""The typed rules of rules.yaml: immutable objects, the section keys, durations and fractions.

processors/rules.py puts them together from the file (load_rules, parse_rules) and re-exports
every name here, so `from processors.rules import Rules, Policy, ...` keeps working; the section
readers (rules_policies.py, rules_sections.py) import from this module, which imports none of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Iterator, Mapping

from processors.calendar import Calendar, CalendarSpec
from processors.events import Person
from processors.rules_governance import Governance


METRICS = ("first_response", "resolution")
COMMUNICATION_METRICS = ("next_response", "periodic_update")  # opt-in per policy; their targets
ALL_METRICS = METRICS + COMMUNICATION_METRICS  # default to `targets.communication` (target_of)
MEASURES = ("ticket", "handoff")
RULES_VERSION = 1  # the `version:` of rules.yaml this code reads
DEFAULT_TARGETS = {"first_response": 0.85, "resolution": 0.95, "csat": 0.90, "communication": 0.80}
DEFAULT_DONE_STATUSES = ("Done", "Closed", "Resolved")
TOP_KEYS = ("version", "calendars", "vendors", "policies", "targets", "jira", "alerts", "reports",
            "slack", "surveys", "governance", "locale")  # locale: processors/rules_locale.py
POLICY_KEYS = ("name", "match", "calendar", "pause_statuses", "metrics", "measure")
POLICY_MATCH_KEYS = ("projects", "issuetypes", "priorities", "labels", "components", "assignees",
                     "reporters", "fields")
VENDOR_KEYS = ("name", "match", "channel", "managers", "staff", "locale")
VENDOR_MATCH_KEYS = ("assignees", "components", "labels", "projects", "reporters", "fields")
METRIC_KEYS = ("target", "warn_at")
JIRA_KEYS = ("done_statuses", "write_back")
# Jira fields a `fields:` match may name by id besides custom fields (connectors/jira.py keeps them).
SYSTEM_FIELDS = ("fixVersions", "versions", "environment", "duedate", "security", "creator", "parent")
_CUSTOM_FIELD = re.compile(r"^customfield_[0-9]+$")


def is_field_id(key: str) -> bool:
    """A Jira field id a `fields:` match can use as written: a custom field or a kept system field."""
    return bool(_CUSTOM_FIELD.match(key)) or key in SYSTEM_FIELDS


@dataclass(frozen=True)
class RuleProblem:
    path: str
    line: int  # 1-based
    col: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class RulesError(Exception):
    def __init__(self, errors: list[RuleProblem]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class FieldMatch:
    """One entry of `match.fields`: the field as written (an id like customfield_10010, or a name
    like "Customer"), the casefolded values that fit, and the Jira field ids it stands for: an id
    stands for itself; a name for the ids Jira gives that name (`bind_field_names`), none until
    they are known, and then it fits no ticket."""

    written: str
    values: frozenset[str]
    ids: tuple[str, ...] = ()

    @property
    def is_name(self) -> bool:
        return not is_field_id(self.written)

    def fits(self, fields: Mapping[str, Any]) -> bool:
        return any(_folded(v) in self.values for field_id in self.ids for v in fields.get(field_id) or ())


@dataclass(frozen=True)
class Match:
    """Lists of accepted values per ticket field; an empty list accepts anything."""

    projects: frozenset[str] = frozenset()  # casefolded project keys
    issuetypes: frozenset[str] = frozenset()  # casefolded
    priorities: frozenset[str] = frozenset()  # casefolded
    labels: frozenset[str] = frozenset()  # casefolded
    components: frozenset[str] = frozenset()  # casefolded
    assignees: frozenset[str] = frozenset()  # casefolded account id, username, email or display name
    reporters: frozenset[str] = frozenset()  # same forms as assignees
    fields: tuple[FieldMatch, ...] = ()  # any field of the issue, by id or by name

    def is_empty(self) -> bool:
        return not any(self.__dict__.values())

    def _hits(self, facts: Mapping[str, Any]) -> Iterator[bool]:
        """For each non-empty criterion, lazily: does the ticket satisfy it?"""
        if self.projects:
            yield _folded(facts.get("project")) in self.projects
        if self.issuetypes:
            yield _folded(facts.get("issuetype")) in self.issuetypes
        if self.priorities:
            yield _folded(facts.get("priority")) in self.priorities
        if self.labels:
            yield any(_folded(v) in self.labels for v in facts.get("labels") or ())
        if self.components:
            yield any(_folded(v) in self.components for v in facts.get("components") or ())
        if self.assignees:
            person = facts.get("assignee")
            yield isinstance(person, Person) and bool(person.identifiers() & self.assignees)
        if self.reporters:
            person = facts.get("reporter")
            yield isinstance(person, Person) and bool(person.identifiers() & self.reporters)
        for entry in self.fields:
            yield entry.fits(facts.get("fields") or {})

    def all_of(self, facts: Mapping[str, Any]) -> bool:
        """Policy semantics: every given criterion holds (an empty match holds for every ticket)."""
        return all(self._hits(facts))

    def any_of(self, facts: Mapping[str, Any]) -> bool:
        """Vendor semantics: at least one given criterion holds."""
        return any(self._hits(facts))


def _folded(value: Any) -> str:
    return str(value).casefold() if value is not None else ""


@dataclass(frozen=True)
class MetricRule:
    target: timedelta
    warn_at: tuple[float, ...] = ()  # fractions of the target, 0 < f < 1, ascending


@dataclass(frozen=True)
class Policy:
    name: str
    match: Match
    calendar: str  # key into Rules.calendars
    pause_statuses: frozenset[str]  # casefolded status names
    metrics: Mapping[str, MetricRule]  # metric name (one of ALL_METRICS) -> rule
    measure: str = "ticket"  # "ticket": from creation; "handoff": per episode with a vendor


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    match: Match
    channel: str | None = None
    managers: tuple[str, ...] = ()
    staff: frozenset[str] = frozenset()  # casefolded person forms; default: match.assignees
    locale: str | None = None  # the language of its channel and scorecard; None: the rules' locale

    def is_staff(self, person: Person | None) -> bool:
        """True if `person` (a Jira or Slack user) is one of this vendor's staff."""
        staff = self.staff or self.match.assignees
        return person is not None and bool(person.identifiers() & staff)


@dataclass(frozen=True)
class AlertsConfig:
    """`alerts:` where warnings and breaches go and how they escalate."""

    channel: str | None = None  # for tickets whose vendor has no channel (or no vendor)
    escalation_channel: str | None = None  # an unacknowledged breach is re-posted here
    escalate_after: timedelta | None = None  # wall-clock time after the breach; None: never
    digest_over: int = 5  # more alerts than this for one channel in one tick: one digest


@dataclass(frozen=True)
class WeeklyReport:
    """`reports.weekly:` the weekly summary, posted at `day` `time` in `timezone`."""

    channel: str | None = None  # None: not posted (still available from `slawatch report`)
    day: int = 0  # 0 = Monday
    time: tuple[int, int] = (9, 0)  # hour, minute
    timezone: str = "UTC"


@dataclass(frozen=True)
class QuarterlyReport:
    """`reports.quarterly:` the provider scorecards, posted on the first `day` of each quarter."""

    channel: str | None = None
    day: int = 0  # weekday of the first such day in the quarter's first week; 0 = Monday
    time: tuple[int, int] = (9, 0)
    timezone: str = "UTC"


@dataclass(frozen=True)
class ReportsConfig:
    weekly: WeeklyReport = WeeklyReport()
    quarterly: QuarterlyReport = QuarterlyReport()
    freeze_after: timedelta = timedelta(days=7)  # a week or quarter not posted freezes this long after its end


@dataclass(frozen=True)
class SlackConfig:
    """`slack:` what Slawatch reads from Slack."""

    response_channels: tuple[str, ...] = ()  # messages naming a ticket here count as responses


SURVEY_QUESTIONS = {"csat": "How satisfied are you with how your request was handled?",
                    "communication": "How good was our communication with you?"}


@dataclass(frozen=True)
class SurveysConfig:
    """`surveys:` asking reporters about resolved tickets (1-5; satisfied = 4 or 5)."""

    enabled: bool = False
    expire_after: timedelta = timedelta(days=14)  # answers can be given or changed until then
    questions: tuple[tuple[str, str], ...] = tuple(SURVEY_QUESTIONS.items())  # (key, wording)
    form_url: str | None = None  # the public base URL of the web form, e.g. https://slawatch.example.com


@dataclass(frozen=True)
class JiraWriteBack:
    """`jira.write_back:` what Slawatch writes on a Jira issue when one of its clocks breaches."""

    label: str | None = None  # added to the labels; None: no label
    comment: bool = False  # a comment naming the metric, the target and the breach time

    @property
    def enabled(self) -> bool:
        return self.label is not None or self.comment


@dataclass(frozen=True)
class Rules:
    version: str  # sha256 hex digest of the file's bytes
    path: str
    text: str  # the file's content, as loaded
    calendars: Mapping[str, Calendar]
    calendar_specs: Mapping[str, CalendarSpec]
    vendors: tuple[Vendor, ...]
    policies: tuple[Policy, ...]
    targets: Mapping[str, float]  # e.g. {"first_response": 0.85, ...} as fractions
    done_statuses: frozenset[str] = frozenset({"done", "closed", "resolved"})  # casefolded; used when a payload has no statusCategory
    alerts: AlertsConfig = AlertsConfig()
    reports: ReportsConfig = ReportsConfig()
    slack: SlackConfig = SlackConfig()
    surveys: SurveysConfig = SurveysConfig()
    jira_write_back: JiraWriteBack = JiraWriteBack()  # off unless `jira.write_back` says so
    governance: Governance = Governance()  # who sees which vendor, who may excuse (rules_governance)
    locale: str = "en"  # the language people read: "en" or "zh_CN" (rules_locale, docs/i18n.md)

    def select_policy(self, facts: Mapping[str, Any]) -> Policy | None:
        return next((p for p in self.policies if p.match.all_of(facts)), None)

    def select_vendor(self, facts: Mapping[str, Any]) -> Vendor | None:
        return next((v for v in self.vendors if v.match.any_of(facts)), None)

    def vendor(self, vendor_id: str | None) -> Vendor | None:
        return next((v for v in self.vendors if v.id == vendor_id), None)

    def locale_for(self, vendor_id: str | None) -> str:
        """The language of what a vendor's people read: `vendors.<id>.locale`, else `locale:`."""
        vendor = self.vendor(vendor_id)
        return (vendor.locale if vendor is not None else None) or self.locale

    def target_of(self, metric: str) -> float:
        """The share that must meet `metric`; the new metrics default to `communication`'s."""
        return self.targets.get(metric, self.targets.get("communication", 0.80))


# ---- fields named by name ------------------------------------------------------------------

def field_names(rules: Rules) -> frozenset[str]:
    """The casefolded field names (not ids) the rules' matches use."""
    matches = [v.match for v in rules.vendors] + [p.match for p in rules.policies]
    return frozenset(e.written.casefold() for m in matches for e in m.fields if e.is_name)


def unknown_field_names(rules: Rules) -> tuple[str, ...]:
    """The field names written in the rules that stand for no field yet (sorted, as written)."""
    matches = [v.match for v in rules.vendors] + [p.match for p in rules.policies]
    return tuple(sorted({e.written for m in matches for e in m.fields if e.is_name and not e.ids}))


def bind_field_names(rules: Rules, ids_by_name: Mapping[str, tuple[str, ...]]) -> Rules:
    """The rules with each field name of their matches standing for the ids Jira gives it
    (`ids_by_name`: casefolded name -> field ids). The same object when nothing changes, so the
    rules of a file that names no field are never copied."""
    if not field_names(rules):
        return rules

    def bound(match: Match) -> Match:
        entries = tuple(replace(e, ids=tuple(ids_by_name.get(e.written.casefold(), ()))) if e.is_name else e
                        for e in match.fields)
        return match if entries == match.fields else replace(match, fields=entries)

    vendors = tuple(v if bound(v.match) is v.match else replace(v, match=bound(v.match)) for v in rules.vendors)
    policies = tuple(p if bound(p.match) is p.match else replace(p, match=bound(p.match)) for p in rules.policies)
    if vendors == rules.vendors and policies == rules.policies:
        return rules
    return replace(rules, vendors=vendors, policies=policies)


# ---- durations and fractions ---------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")
_DURATION_HINT = "write it like 90s, 30m, 4h, 1h30m or 2d"
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text: Any) -> timedelta:
    """'90s', '30m', '4h', '1h30m', '2d', '1d2h30m15s' -> timedelta; ValueError with a message."""
    text = str(text).strip()
    found = _DURATION.match(text)
    if not text or not found or not any(found.groups()):
        needs_unit = re.fullmatch(r"\d+(\.\d+)?", text) is not None
        why = "needs a unit; " if needs_unit else ""
        raise ValueError(f"bad duration '{text}': {why}{_DURATION_HINT}")
    return timedelta(seconds=sum(int(n or 0) * size for n, (_, size) in zip(found.groups(), _UNITS)))


def format_duration(td: timedelta) -> str:
    """timedelta -> '1h30m' (whole seconds; '0s' for zero; a day is 24 hours)."""
    seconds = int(td.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0s")


def _fraction(raw: str, value: Any) -> float | None:
    """'85%' or 0.85 -> 0.85; None if it is neither."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", raw)
    if found:
        return float(found.group(1)) / 100
    if isinstance(value, float):
        return value
    return None
