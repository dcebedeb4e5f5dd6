"""rules.yaml, the `governance` section: who may see what and who may excuse breaches.

    governance:
      admins: ["U0ADMIN001"]          # Slack member ids: see everything, excuse, decide disputes
      approvers: ["U0APPROV01"]       # Slack member ids: see everything, excuse, decide disputes
      vendors:                        # optional, per vendor id of the `vendors` section
        acme:
          managers: ["U024BE7LH"]     # Slack member ids (added to vendors.acme.managers)
          staff: ["U0AGENT01", "li.wei@acme.example"]   # Slack member ids or emails

    config = governance(ck, value, vendor_ids)   # -> Governance (problems on the Checker);
                                                 # Governance() when the file has no section

Who is who (pure; the web layer passes the Slack user id and, when known, their email):

    vendor_people(rules, vendor_id) -> VendorPeople  (governance's lists + vendors.<id>.managers
                                                      + vendors.<id>.staff when the rules have it)
    seen_vendors(rules, user_id, email) -> None (every vendor) | frozenset of vendor ids
    may_acknowledge(rules, vendor_id, user_id, email) / may_excuse(rules, user_id) /
    may_dispute(rules, vendor_id, user_id, email) -> bool
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from processors import rules_schema as schema
from processors.rules_schema import Checker, Path

GOVERNANCE_KEYS = ("admins", "approvers", "vendors")
VENDOR_PEOPLE_KEYS = ("managers", "staff")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{8,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class VendorPeople:
    managers: tuple[str, ...] = ()  # Slack member ids
    staff: tuple[str, ...] = ()  # Slack member ids or emails (casefolded)


@dataclass(frozen=True)
class Governance:
    """`governance:`; `configured` is False when the file has no such section."""

    configured: bool = False
    admins: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    vendors: Mapping[str, VendorPeople] = field(default_factory=lambda: MappingProxyType({}))


# ---- reading -------------------------------------------------------------------------------

def governance(ck: Checker, value: Any, vendor_ids: Iterable[str]) -> Governance:
    path: Path = ("governance",)
    body = (ck.mapping(path, value, "governance") if value is not None else {}) or {}
    ck.fields(path, body, GOVERNANCE_KEYS, (), "governance")
    admins = _member_ids(ck, (*path, "admins"), body["admins"], "governance.admins") if "admins" in body else ()
    approvers = (_member_ids(ck, (*path, "approvers"), body["approvers"], "governance.approvers")
                 if "approvers" in body else ())
    vendors = _vendors(ck, (*path, "vendors"), body["vendors"], tuple(vendor_ids)) if "vendors" in body else {}
    return Governance(configured=True, admins=admins, approvers=approvers, vendors=MappingProxyType(vendors))


def _member_ids(ck: Checker, path: Path, value: Any, what: str) -> tuple[str, ...]:
    ids = ck.names(path, value, what) or ()
    for (where, _), user in zip(schema.items(path, value), ids):
        if not _SLACK_USER.match(user):
            ck.report(where, f"bad Slack user id '{user}' in {what}: write Slack member ids like "
                             f"U024BE7LH (Slack: profile, ⋮, Copy member ID)")
    return ids


def _people(ck: Checker, path: Path, value: Any, what: str) -> tuple[str, ...]:
    """Slack member ids or email addresses (emails casefolded)."""
    names = ck.names(path, value, what) or ()
    found = []
    for (where, _), name in zip(schema.items(path, value), names):
        if _SLACK_USER.match(name):
            found.append(name)
        elif _EMAIL.match(name):
            found.append(name.casefold())
        else:
            ck.report(where, f"bad entry '{name}' in {what}: write a Slack member id like "
                             f"U024BE7LH or an email address like li.wei@acme.example")
    return tuple(found)


def _vendors(ck: Checker, path: Path, value: Any, vendor_ids: tuple[str, ...]) -> dict[str, VendorPeople]:
    body = ck.mapping(path, value, "governance.vendors") or {}
    found: dict[str, VendorPeople] = {}
    for vid, people in body.items():
        where = (*path, vid)
        if vid not in vendor_ids:
            close = schema.suggestion(vid, vendor_ids)
            hint = f"did you mean '{close}'?" if close else "the vendors section has: " + (
                ", ".join(vendor_ids) or "none")
            ck.report(where, f"unknown vendor '{vid}' in governance.vendors; {hint}", key=True)
            continue
        what = f"governance.vendors.{vid}"
        entry = ck.mapping(where, people, what) or {}
        ck.fields(where, entry, VENDOR_PEOPLE_KEYS, (), what)
        managers = (_member_ids(ck, (*where, "managers"), entry["managers"], f"{what}.managers")
                    if "managers" in entry else ())
        staff = _people(ck, (*where, "staff"), entry["staff"], f"{what}.staff") if "staff" in entry else ()
        found[vid] = VendorPeople(managers=managers, staff=staff)
    return found


# ---- who is who ----------------------------------------------------------------------------

def vendor_people(rules: Any, vendor_id: str | None) -> VendorPeople:
    """The vendor's managers and staff: `governance.vendors.<id>` plus `vendors.<id>.managers`
    and, when the rules have it, `vendors.<id>.staff`."""
    vendor = next((v for v in rules.vendors if v.id == vendor_id), None)
    if vendor is None:
        return VendorPeople()
    listed = rules.governance.vendors.get(vendor_id, VendorPeople())
    staff = [_as_person(s) for s in getattr(vendor, "staff", None) or ()]
    return VendorPeople(managers=tuple(dict.fromkeys((*vendor.managers, *listed.managers))),
                        staff=tuple(dict.fromkeys((*listed.staff, *(p for p in staff if p)))))


def _as_person(entry: Any) -> str | None:
    """A `vendors.<id>.staff` entry (text, or an object with an `email`) as a member id or a
    casefolded email; Jira account ids and names match no Slack member and stay out."""
    text = entry if isinstance(entry, str) else getattr(entry, "email", None)
    if not isinstance(text, str):
        return None
    return text if _SLACK_USER.match(text) else text.casefold() if _EMAIL.match(text) else None


def _is(user_id: str | None, email: str | None, people: Iterable[str]) -> bool:
    wanted = {user_id} if user_id else set()
    if email:
        wanted.add(email.casefold())
    return bool(wanted & set(people))


def is_approver(rules: Any, user_id: str | None) -> bool:
    gov = rules.governance
    return bool(user_id) and (user_id in gov.admins or user_id in gov.approvers)


def seen_vendors(rules: Any, user_id: str | None, email: str | None = None) -> frozenset[str] | None:
    """None: every vendor (admins, approvers); else the vendors whose manager or staff they are
    (empty: none)."""
    if is_approver(rules, user_id):
        return None
    return frozenset(v.id for v in rules.vendors
                     if _is(user_id, email, (p := vendor_people(rules, v.id)).managers + p.staff))


def may_acknowledge(rules: Any, vendor_id: str | None, user_id: str, email: str | None = None) -> bool:
    people = vendor_people(rules, vendor_id)
    return is_approver(rules, user_id) or _is(user_id, email, people.managers + people.staff)


def may_excuse(rules: Any, user_id: str) -> bool:
    return is_approver(rules, user_id)


def may_dispute(rules: Any, vendor_id: str | None, user_id: str, email: str | None = None) -> bool:
    return _is(user_id, email, vendor_people(rules, vendor_id).managers)
