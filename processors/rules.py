"""rules.yaml: load, validate, and hold the admin's SLA rules as immutable typed objects.

INTERFACE CONTRACT (other modules rely on these names):

    rules = load_rules(path)              # -> Rules, or raises RulesError (all errors at once)
    rules = parse_rules(text, path=...)   # same from a string
    RulesError.errors: list[RuleProblem]  # each with path, line, col (1-based), message
    str(RulesError) == "\n".join("PATH:LINE:COL: message" for each problem)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from processors.calendar import Calendar, CalendarSpec
from processors.events import Person

METRICS = ("first_response", "resolution")


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
class Match:
    """Lists of accepted values per ticket field; an empty list accepts anything."""

    projects: frozenset[str] = frozenset()  # casefolded project keys
    issuetypes: frozenset[str] = frozenset()  # casefolded
    priorities: frozenset[str] = frozenset()  # casefolded
    labels: frozenset[str] = frozenset()  # casefolded
    components: frozenset[str] = frozenset()  # casefolded
    assignees: frozenset[str] = frozenset()  # casefolded account id, username, email or display name

    def is_empty(self) -> bool:
        return not any(self.__dict__.values())

    def _hits(self, facts: Mapping[str, Any]) -> dict[str, bool]:
        """For each non-empty criterion: does the ticket satisfy it?"""
        def one(value: Any) -> str:
            return str(value).casefold() if value is not None else ""

        hits: dict[str, bool] = {}
        if self.projects:
            hits["projects"] = one(facts.get("project")) in self.projects
        if self.issuetypes:
            hits["issuetypes"] = one(facts.get("issuetype")) in self.issuetypes
        if self.priorities:
            hits["priorities"] = one(facts.get("priority")) in self.priorities
        if self.labels:
            hits["labels"] = any(one(v) in self.labels for v in facts.get("labels") or ())
        if self.components:
            hits["components"] = any(one(v) in self.components for v in facts.get("components") or ())
        if self.assignees:
            person = facts.get("assignee")
            hits["assignees"] = isinstance(person, Person) and bool(person.identifiers() & self.assignees)
        return hits

    def all_of(self, facts: Mapping[str, Any]) -> bool:
        """Policy semantics: every given criterion holds (an empty match holds for every ticket)."""
        return all(self._hits(facts).values())

    def any_of(self, facts: Mapping[str, Any]) -> bool:
        """Vendor semantics: at least one given criterion holds."""
        return any(self._hits(facts).values())


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
    metrics: Mapping[str, MetricRule]  # metric name (one of METRICS) -> rule


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    match: Match
    channel: str | None = None
    managers: tuple[str, ...] = ()


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

    def select_policy(self, facts: Mapping[str, Any]) -> Policy | None:
        return next((p for p in self.policies if p.match.all_of(facts)), None)

    def select_vendor(self, facts: Mapping[str, Any]) -> Vendor | None:
        return next((v for v in self.vendors if v.match.any_of(facts)), None)
