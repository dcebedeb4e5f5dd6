"""rules.yaml, the `vendors`, `policies` and `targets` sections and `jira.done_statuses`: who
does the work, which SLA applies to which ticket, what attainment is good enough, which statuses
mean done. Problems are reported on the Checker (processors/rules_schema.py), like every section;
the typed objects are the dataclasses of processors/rules.py.

    read_vendors(ck, value) -> tuple[Vendor, ...]
    read_policies(ck, value, calendar_names) -> tuple[Policy, ...]
    read_targets(ck, value) -> Mapping[str, float]
    read_done_statuses(ck, jira_value) -> frozenset[str]
    read_channel(ck, path, value, what) -> str | None   (also for the alerts and reports sections)
    read_duration(ck, path, value) -> timedelta | None
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Mapping

from processors.rules_types import (
    ALL_METRICS, COMMUNICATION_METRICS, DEFAULT_DONE_STATUSES, DEFAULT_TARGETS, JIRA_KEYS, MEASURES, METRIC_KEYS,
    POLICY_KEYS, POLICY_MATCH_KEYS, SYSTEM_FIELDS, VENDOR_KEYS, VENDOR_MATCH_KEYS, FieldMatch, Match, MetricRule, Policy, Vendor,
    _DURATION_HINT, _fraction, is_field_id, parse_duration,
)
from processors import rules_schema as schema
from processors.rules_locale import read_locale
from processors.rules_schema import Checker, Path

def _match(ck: Checker, path: Path, value: Any, keys: tuple[str, ...], what: str) -> Match | None:
    """The match as written, or None if it has a problem (reported)."""
    before = len(ck.problems)
    body = ck.mapping(path, value, f"the match of {what}") if value is not None else {}
    ck.fields(path, body or {}, keys, (), f"the match of {what}")
    lists: dict[str, Any] = {}
    for key in keys:
        if key == "fields" and "fields" in (body or {}):
            lists["fields"] = _fields(ck, (*path, key), body[key], what)
        elif key in (body or {}):
            names = ck.names((*path, key), body[key], f"match.{key} of {what}")
            lists[key] = frozenset(n.casefold() for n in names or ())
    return Match(**lists) if len(ck.problems) == before else None


def _fields(ck: Checker, path: Path, value: Any, what: str) -> tuple[FieldMatch, ...]:
    """`fields: {customfield_10010: [values], Customer: [values], ...}`: a field by its id or by the
    name Jira shows, and the values that fit. A name stands for the field ids Jira gives it once
    Slawatch has seen them (store/jira_fields.py); a key that looks like an id must be one."""
    body = ck.mapping(path, value, f"match.fields of {what}") or {}
    out = []
    for key, values in body.items():
        if not isinstance(key, str) or not key.strip() or (key.startswith("customfield") and not is_field_id(key)):
            ck.report((*path, key), f"bad field '{key}' in match.fields of {what}: write a custom field's "
                      f"id like customfield_10010 (Jira: Settings, Issues, Custom fields, the id in the "
                      f"field's address), the field's name as Jira shows it (like Customer), or one of "
                      f"{', '.join(SYSTEM_FIELDS)}", key=True)
            continue
        names = ck.names((*path, key), values, f"match.fields.{key} of {what}")
        if names == () and values is not None:
            ck.report((*path, key), f"match.fields.{key} of {what} is empty; list the "
                                    f"values that fit, like [Gold]")
        entry = FieldMatch(key.strip(), frozenset(n.casefold() for n in names or ()))
        out.append(entry if entry.is_name else replace(entry, ids=(entry.written,)))
    return tuple(out)


# ---- vendors -------------------------------------------------------------------------------

_CHANNEL = re.compile(r"^(#[^\s#A-Z,.]{1,80}|[CG][A-Z0-9]{8,})$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{8,}$")


def read_vendors(ck: Checker, value: Any) -> tuple[Vendor, ...]:
    path: Path = ("vendors",)
    section = ck.mapping(path, value, "vendors") if value is not None else {}
    vendors = tuple(v for vid, body in (section or {}).items()
                    if (v := _vendor(ck, (*path, vid), vid, body)) is not None)
    _staff_once(ck, path, section or {}, vendors)
    return vendors


def _staff_once(ck: Checker, path: Path, section: dict[str, Any], vendors: tuple[Vendor, ...]) -> None:
    """A person may be staff of one vendor only: their answers would count for both."""
    owner: dict[str, str] = {}
    for vendor in vendors:
        body = section[vendor.id]  # a mapping: _vendor made a Vendor of it
        match = body.get("match")  # a mapping, or a mistake reported already (a list, a text)
        if "staff" in body:
            where, raw = (*path, vendor.id, "staff"), body["staff"]
        else:
            where = (*path, vendor.id, "match", "assignees")
            raw = match.get("assignees") if isinstance(match, dict) else None
        for item_path, item in schema.items(where, raw) if raw is not None else ():
            person = str(item).strip().casefold()
            if person in owner and owner[person] != vendor.id:
                ck.report(item_path, f"'{item}' is staff of vendor '{owner[person]}' and of vendor "
                                     f"'{vendor.id}'; a person can be staff of one vendor only "
                                     f"(give one of them a staff list without it)")
            owner.setdefault(person, vendor.id)


def _vendor(ck: Checker, path: Path, vid: str, value: Any) -> Vendor | None:
    what = f"vendor '{vid}'"
    body = ck.mapping(path, value, what)
    if body is None:
        return None
    ck.fields(path, body, VENDOR_KEYS, ("match",), what)
    match = _match(ck, (*path, "match"), body.get("match"), VENDOR_MATCH_KEYS, what)
    if match is not None and match.is_empty() and "match" in body:
        ck.report((*path, "match"), f"the match of {what} is empty; give at least one of "
                                    f"{', '.join(VENDOR_MATCH_KEYS)}", key=True)
    name = ck.text((*path, "name"), body["name"], f"the name of {what}") if "name" in body else vid
    channel = read_channel(ck, (*path, "channel"), body["channel"], f"the channel of {what}") \
        if "channel" in body else None
    managers = _managers(ck, (*path, "managers"), body["managers"], what) if "managers" in body else ()
    staff = ck.names((*path, "staff"), body["staff"], f"the staff of {what}") if "staff" in body else ()
    if staff == () and "staff" in body and body["staff"] is not None:
        ck.report((*path, "staff"), f"the staff of {what} is empty; list the people (account id, "
                                    f"username, email or display name), or leave staff out to use "
                                    f"match.assignees")
    # an empty `locale:` is the rules' own, like no key at all
    locale = read_locale(ck, body["locale"], (*path, "locale")) if body.get("locale") is not None else None
    return Vendor(id=vid, name=name or vid, match=match or Match(), channel=channel, managers=managers,
                  staff=frozenset(s.casefold() for s in staff or ()), locale=locale)


def read_channel(ck: Checker, path: Path, value: Any, what: str,
             example: str = "#acme-sla") -> str | None:
    """A Slack channel ("#name" or an id like C024BE91L), or None (a problem reported)."""
    if value is None:
        ck.report(path, f"{what} is empty; put it in quotes, like {path[-1]}: \"{example}\" "
                        f"(an unquoted # starts a comment)")
        return None
    channel = ck.text(path, value, what)
    if channel is not None and not _CHANNEL.match(channel):
        ck.report(path, f"bad Slack channel '{channel}': write it like \"{example}\" or a channel "
                        f"id like C024BE91L")
        return None
    return channel


def _managers(ck: Checker, path: Path, value: Any, what: str) -> tuple[str, ...]:
    ids = ck.names(path, value, f"the managers of {what}") or ()
    for (where, _), user in zip(schema.items(path, value), ids):
        if not _SLACK_USER.match(user):
            ck.report(where, f"bad Slack user id '{user}': managers are Slack member ids like "
                             f"U024BE7LH (Slack: profile, ⋮, Copy member ID)")
    return ids


# ---- policies ------------------------------------------------------------------------------

def read_policies(ck: Checker, value: Any, calendars: list[str]) -> tuple[Policy, ...]:
    path: Path = ("policies",)
    if value in (None, []):
        ck.report(path, "policies is empty; add at least one policy", key=value is None)
        return ()
    if not isinstance(value, list):
        ck.report(path, "policies must be a list of policies, each starting with '- name:'")
        return ()
    out: list[Policy] = []
    first_line: dict[str, int] = {}
    catch_all: str | None = None
    for i, item in enumerate(value):
        policy, match_ok = _policy(ck, (*path, i), i, item, calendars)
        if policy is None:
            continue
        where = (*path, i, "name")
        if policy.name in first_line:
            ck.report(where, f"policy name '{policy.name}' is used twice (first on line "
                             f"{first_line[policy.name]})")
        first_line.setdefault(policy.name, ck.pos(where)[0])
        if catch_all is not None:
            ck.report(where, f"policy '{policy.name}' can never apply: policy '{catch_all}' above "
                             f"it matches every ticket")
        elif match_ok and policy.match.is_empty():
            catch_all = policy.name
        out.append(policy)
    return tuple(out)


def _policy(ck: Checker, path: Path, index: int, value: Any,
            calendars: list[str]) -> tuple[Policy | None, bool]:
    """The policy (None if it is not even a mapping), and whether its match is sound."""
    body = ck.mapping(path, value, f"policy #{index + 1}")
    if body is None:
        return None, False
    name = ck.text((*path, "name"), body["name"], "a policy name") if "name" in body else None
    what = f"policy '{name}'" if name else f"policy #{index + 1}"
    ck.fields(path, body, POLICY_KEYS, ("name", "calendar", "metrics"), what)
    match = _match(ck, (*path, "match"), body.get("match"), POLICY_MATCH_KEYS, what)
    calendar = ck.text((*path, "calendar"), body["calendar"], f"the calendar of {what}") \
        if "calendar" in body else None
    if calendar is not None and calendar not in calendars:
        known = f"calendars: {', '.join(calendars)}" if calendars else "no calendars are defined"
        ck.report((*path, "calendar"), f"{what} uses calendar '{calendar}', which is not defined; "
                                       f"{known}")
    pause = ck.names((*path, "pause_statuses"), body["pause_statuses"],
                     f"the pause_statuses of {what}") if "pause_statuses" in body else ()
    metrics = _metrics(ck, (*path, "metrics"), body["metrics"], what) if "metrics" in body else {}
    measure = _measure(ck, (*path, "measure"), body["measure"], what) if "measure" in body else "ticket"
    policy = Policy(name=name or f"#{index + 1}", match=match or Match(), calendar=calendar or "",
                    pause_statuses=frozenset(s.casefold() for s in pause or ()),
                    metrics=MappingProxyType(metrics), measure=measure)
    return policy, match is not None


def _measure(ck: Checker, path: Path, value: Any, what: str) -> str:
    measure = ck.text(path, value, f"the measure of {what}")
    if measure is not None and measure not in MEASURES:
        close = schema.suggestion(measure, MEASURES)
        hint = f"did you mean '{close}'? " if close else ""
        ck.report(path, f"bad measure '{measure}' for {what}: {hint}write ticket (clocks from the "
                        f"ticket's creation) or handoff (clocks from each hand-off to a vendor)")
    return measure if measure in MEASURES else "ticket"


def _metrics(ck: Checker, path: Path, value: Any, what: str) -> dict[str, MetricRule]:
    body = ck.mapping(path, value, f"the metrics of {what}") or {}
    out: dict[str, MetricRule] = {}
    for metric, rule in body.items():
        if metric not in ALL_METRICS:
            close = schema.suggestion(metric, ALL_METRICS)
            hint = f"did you mean '{close}'?" if close else "metrics are " + ", ".join(ALL_METRICS)
            ck.report((*path, metric), f"'{metric}' is not a metric; {hint}", key=True)
            continue
        parsed = _metric(ck, (*path, metric), rule, f"metric '{metric}' of {what}")
        if parsed is not None:
            out[metric] = parsed
    return out


def _metric(ck: Checker, path: Path, value: Any, what: str) -> MetricRule | None:
    if not isinstance(value, (dict, list)) and value is not None:
        value, target_path = {"target": value}, path  # shorthand `resolution: 8h`
    else:
        target_path = (*path, "target")
    body = ck.mapping(path, value, what)
    if body is None:
        return None
    ck.fields(path, body, METRIC_KEYS, ("target",), what)
    target = read_duration(ck, target_path, body["target"]) if "target" in body else None
    warn_at = _warn_at(ck, (*path, "warn_at"), body["warn_at"]) if "warn_at" in body else ()
    if target is None or warn_at is None:
        return None
    return MetricRule(target=target, warn_at=warn_at)


def read_duration(ck: Checker, path: Path, value: Any) -> timedelta | None:
    if isinstance(value, (dict, list)) or value is None:
        ck.report(path, f"bad duration: {_DURATION_HINT}")
        return None
    try:
        return parse_duration(ck.raw(path, value))
    except ValueError as err:
        ck.report(path, str(err))
        return None


def _warn_at(ck: Checker, path: Path, value: Any) -> tuple[float, ...] | None:
    seen: set[float] = set()
    ok = True
    for where, item in schema.items(path, value):
        scalar = item is not None and not isinstance(item, (dict, list))
        raw = ck.raw(where, item) if scalar else ""
        fraction = _fraction(raw, item) if scalar else None
        if fraction is None:
            given = f" '{raw}'" if scalar else ""
            message = f"bad warn_at{given}: write a percentage of the target like 80%"
        elif not 0 < fraction < 1:
            message = f"warn_at {raw} must be more than 0% and less than 100% of the target"
        elif fraction in seen:
            message = f"warn_at {raw} is given twice"
        else:
            seen.add(fraction)
            continue
        ck.report(where, message)
        ok = False
    return tuple(sorted(seen)) if ok else None


# ---- targets and jira ----------------------------------------------------------------------

def read_targets(ck: Checker, value: Any) -> Mapping[str, float]:
    path: Path = ("targets",)
    body = ck.mapping(path, value, "targets") if value is not None else {}
    keys = (*DEFAULT_TARGETS, *COMMUNICATION_METRICS)
    ck.fields(path, body or {}, keys, (), "targets")
    out = dict(DEFAULT_TARGETS)
    for key, item in (body or {}).items():
        if key not in keys:
            continue
        scalar = item is not None and not isinstance(item, (dict, list))
        raw = ck.raw((*path, key), item) if scalar else ""
        fraction = _fraction(raw, item) if scalar else None
        if fraction is None or not 0 <= fraction <= 1:
            given = f" '{raw}'" if scalar else ""
            ck.report((*path, key), f"bad target{given} for {key}: write a percentage from 0% "
                                    f"to 100%, like 85%")
        else:
            out[key] = fraction
    return MappingProxyType(out)


def read_done_statuses(ck: Checker, value: Any) -> frozenset[str]:
    path: Path = ("jira",)
    body = ck.mapping(path, value, "jira") if value is not None else {}
    ck.fields(path, body or {}, JIRA_KEYS, (), "jira")
    names = DEFAULT_DONE_STATUSES
    if "done_statuses" in (body or {}):
        names = ck.names((*path, "done_statuses"), body["done_statuses"], "jira.done_statuses") or ()
        if not names and body["done_statuses"] is not None:
            ck.report((*path, "done_statuses"), "jira.done_statuses is empty; list the status names "
                                                "that mean done, like [Done, Closed]")
    return frozenset(n.casefold() for n in names)
