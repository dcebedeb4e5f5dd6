"""rules.yaml: load, validate, and hold the admin's SLA rules as immutable typed objects.

INTERFACE CONTRACT (other modules rely on these names):

    rules = load_rules(path)              # -> Rules, or raises RulesError (all errors at once)
    rules = parse_rules(text, path=...)   # same from a string
    RulesError.errors: list[RuleProblem]  # each with path, line, col (1-based), message
    str(RulesError) == "\n".join("PATH:LINE:COL: message" for each problem)
    summary(rules) -> "rules.yaml OK: version 3f2a9c1b0d4e, 2 calendars, 1 vendor, 2 policies"
    parse_duration("1h30m") -> timedelta; format_duration(timedelta) -> "1h30m"

The format is documented in docs/rules.md. YAML reading with positions lives in
processors/rules_schema.py; the sections are read by processors/rules_calendars.py (`calendars`),
rules_policies.py (`vendors`, `policies`, `targets`, `jira.done_statuses`), rules_sections.py
(`alerts`, `reports`, `slack`, `surveys`, `jira.write_back`) and rules_governance.py
(`governance`); the typed rules they build are in processors/rules_types.py (re-exported here);
this module puts them together.
"""
from __future__ import annotations

import hashlib
from pathlib import Path as FilePath
from types import MappingProxyType
from typing import Any

from processors import rules_calendars, rules_governance, rules_locale, rules_policies, rules_sections
from processors import rules_schema as schema
from processors.calendar import Calendar
from processors.rules_governance import Governance
from processors.rules_schema import Checker
from processors.rules_types import (  # noqa: F401 (re-exported: callers import the typed rules from here)
    METRICS, COMMUNICATION_METRICS, ALL_METRICS, MEASURES, RULES_VERSION, DEFAULT_TARGETS,
    DEFAULT_DONE_STATUSES, TOP_KEYS, POLICY_KEYS, POLICY_MATCH_KEYS, VENDOR_KEYS, VENDOR_MATCH_KEYS,
    METRIC_KEYS, JIRA_KEYS, RuleProblem, RulesError, Match, MetricRule, Policy, Vendor,
    AlertsConfig, WeeklyReport, QuarterlyReport, ReportsConfig, SlackConfig, SURVEY_QUESTIONS,
    SurveysConfig, JiraWriteBack, Rules, parse_duration, format_duration, FieldMatch, SYSTEM_FIELDS,
    bind_field_names, field_names, unknown_field_names,
)


# ---- loading -------------------------------------------------------------------------------

def load_rules(path: str | FilePath) -> Rules:
    """Read and validate a rules file; RulesError lists every problem (also an unreadable file)."""
    path = str(path)
    try:
        data = FilePath(path).read_bytes()
    except OSError as err:
        raise RulesError([RuleProblem(path, 1, 1, f"cannot read the file: {err.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise RulesError([RuleProblem(path, line, col, "the file is not UTF-8 text")]) from None
    return parse_rules(text, path)


def parse_rules(text: str, path: str = "rules.yaml") -> Rules:
    """Validate rules.yaml text; Rules, or RulesError with all problems in line order."""
    path = str(path)
    try:
        doc = schema.read_yaml(text)
    except schema.YamlSyntaxError as err:
        raise RulesError([RuleProblem(path, err.line, err.col, err.message)]) from None
    ck = Checker(doc)
    parts = _sections(ck, doc.value)
    if ck.problems or parts is None:
        raise RulesError([RuleProblem(path, *p) for p in ck.sorted_problems()])
    specs = parts.pop("calendar_specs")
    return Rules(
        version=hashlib.sha256(text.encode("utf-8")).hexdigest(), path=path, text=text,
        calendars=MappingProxyType({name: Calendar(spec) for name, spec in specs.items()}),
        calendar_specs=MappingProxyType(dict(specs)), **parts)


def summary(rules: Rules) -> str:
    """One line for `slawatch rules check`."""
    def count(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"
    return (f"{rules.path} OK: version {rules.version[:12]}, "
            f"{count(len(rules.calendars), 'calendar', 'calendars')}, "
            f"{count(len(rules.vendors), 'vendor', 'vendors')}, "
            f"{count(len(rules.policies), 'policy', 'policies')}")


def _sections(ck: Checker, top: Any) -> dict[str, Any] | None:
    if top is None:
        ck.report((), "the file is empty; it should start with 'version: 1'")
        return None
    if not isinstance(top, dict):
        ck.report((), "the file must be a mapping of sections (version, calendars, policies, ...), "
                      f"not {'a list' if isinstance(top, list) else 'a single value'}")
        return None
    if "version" in top:
        version = top["version"]
        scalar = version is not None and not isinstance(version, (dict, list))
        raw = ck.raw(("version",), version) if scalar else ""
        if raw != str(RULES_VERSION):
            message = (f"unsupported rules version {raw}; this Slawatch reads version {RULES_VERSION}"
                       if raw else f"version must be {RULES_VERSION}")
            ck.report(("version",), message)  # and go on: every other problem is reported too
    sections = {k: v for k, v in top.items() if not k.startswith("x-")}  # x-…: anchors, ignored
    ck.fields((), sections, TOP_KEYS, ("version", "calendars", "policies"))
    names, specs = rules_calendars.calendars(ck, top["calendars"]) if "calendars" in top else ([], {})
    vendors = rules_policies.read_vendors(ck, top.get("vendors"))
    return {
        "calendar_specs": specs,
        "vendors": vendors,
        "policies": rules_policies.read_policies(ck, top.get("policies"), names) if "policies" in top else (),
        "targets": rules_policies.read_targets(ck, top.get("targets")),
        "done_statuses": rules_policies.read_done_statuses(ck, top.get("jira")),
        "jira_write_back": rules_sections.jira_write_back(ck, top.get("jira")),
        "alerts": rules_sections.alerts(ck, top.get("alerts")),
        "reports": rules_sections.reports(ck, top.get("reports")),
        "slack": rules_sections.slack(ck, top.get("slack")),
        "surveys": rules_sections.surveys(ck, top.get("surveys")),
        "governance": (rules_governance.governance(ck, top["governance"], [v.id for v in vendors])
                       if "governance" in top else Governance()),
        "locale": rules_locale.read_locale(ck, top.get("locale")),
    }
