"""The event model (processors/events.py) as tables: who is the same person, how a person is
named, how an event is validated, ordered, written and read back, and how instants are written
and read. Each expected value is worked out by hand; the comment says why.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from processors.events import (
    EventKind, Person, TicketEvent, format_instant, moved_from, parse_instant,
)

UTC = timezone.utc
PLUS_ONE = timezone(timedelta(hours=1))
T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# -- Person.same_as: the strong identifiers first (account id, then username), then the email
# (any case), then the display name; the first kind both sides have decides.
SAME_AS = [
    # (a, b, expected, why)
    (Person(account_id="a1"), None, False, "nobody is no one"),
    (Person(account_id="a1"), Person(account_id="a1"), True, "same account id"),
    (Person(account_id="a1", email="x@e.org"), Person(account_id="a2", email="x@e.org"), False,
     "account ids differ: the shared email is not looked at"),
    (Person(account_id="a1", email="x@e.org"), Person(email="x@e.org"), True,
     "only one side has an account id: the emails decide"),
    (Person(name="jdoe"), Person(name="jdoe", display_name="Other"), True, "same username"),
    (Person(name="jdoe", display_name="J"), Person(name="jroe", display_name="J"), False,
     "usernames differ: the display name is not looked at"),
    (Person(email="Anna@Acme.example"), Person(email="anna@acme.example"), True, "emails in any case"),
    (Person(email="anna@acme.example", display_name="A"), Person(email="ann@acme.example", display_name="A"),
     False, "emails differ: the display name is not looked at"),
    (Person(display_name="Anna"), Person(email="anna@acme.example", display_name="Anna"), True,
     "only one side has an email: the display names decide"),
    (Person(email="anna@acme.example", display_name="Anna"), Person(display_name="Anna"), True,
     "the same, the other way round"),
    (Person(display_name="Anna"), Person(display_name="anna"), False, "display names exactly"),
    (Person(display_name="Anna"), Person(email="anna@acme.example"), False, "no identifier of one kind on both"),
    (Person(account_id="a1"), Person(name="a1"), False, "an account id is not a username"),
]


@pytest.mark.parametrize("a, b, expected, why", SAME_AS, ids=[row[3] for row in SAME_AS])
def test_same_as(a, b, expected, why):
    assert a.same_as(b) is expected


# -- Person.matches / label / to_json / from_json
ANNA = Person(account_id="5b10ac8d", name="anna", email="Anna@Acme.example", display_name="Anna Acme")

MATCHES = [
    ("5B10AC8D", True), ("anna", True), ("anna@acme.example", True), ("ANNA ACME", True),  # any case
    ("Anna Acm", False), ("", False),
]


@pytest.mark.parametrize("ident, expected", MATCHES)
def test_matches_any_identifier_in_any_case(ident, expected):
    assert ANNA.matches(ident) is expected
    assert ANNA.identifiers() == {"5b10ac8d", "anna", "anna@acme.example", "anna acme"}


LABELS = [
    (ANNA, "Anna Acme"),  # the display name first
    (Person(account_id="5b10ac8d", name="anna", email="anna@acme.example"), "anna"),  # then the username
    (Person(account_id="5b10ac8d", email="anna@acme.example"), "anna@acme.example"),  # then the email
    (Person(account_id="5b10ac8d"), "5b10ac8d"),  # then the account id
    (Person(), "unknown"),
]


@pytest.mark.parametrize("person, expected", LABELS)
def test_label(person, expected):
    assert person.label() == expected


def test_person_json_leaves_out_what_is_unknown_and_reads_back():
    person = Person(account_id="a1", display_name="Anna")
    assert person.to_json() == {"account_id": "a1", "display_name": "Anna"}
    assert Person.from_json(person.to_json()) == person
    assert Person.from_json(None) is None


# -- TicketEvent
def test_an_event_needs_an_aware_instant_and_is_kept_in_utc():
    with pytest.raises(ValueError, match="timezone-aware"):
        TicketEvent("OPS-1", EventKind.COMMENTED, datetime(2026, 1, 5, 10, 0), "c1")
    event = TicketEvent("OPS-1", EventKind.COMMENTED, datetime(2026, 1, 5, 10, 0, tzinfo=PLUS_ONE), "c1")
    assert event.at == T and event.at.tzinfo is UTC  # 10:00 at +01:00 is 09:00Z, stored as UTC
    assert event.public is True and event.source == "jira"  # defaults: a public comment from Jira


def test_events_differing_only_in_their_facts_are_equal_and_hashable():
    """Facts are what a payload happened to show: they take no part in equality or hashing."""
    a = TicketEvent("OPS-1", EventKind.STATUS_CHANGED, T, "s1", to_value="Done", facts={"status": "Done"})
    b = TicketEvent("OPS-1", EventKind.STATUS_CHANGED, T, "s1", to_value="Done", facts={})
    assert a == b
    assert len({a, b}) == 1


def test_sort_key_orders_by_instant_then_kind_then_dedup_key():
    later = TicketEvent("OPS-1", EventKind.CREATED, T + timedelta(seconds=1), "a")
    comment_b = TicketEvent("OPS-1", EventKind.COMMENTED, T, "b")
    comment_a = TicketEvent("OPS-1", EventKind.COMMENTED, T, "a")
    create = TicketEvent("OPS-1", EventKind.CREATED, T, "z")  # created first at its instant, whatever its key
    events = [later, comment_b, create, comment_a]
    assert sorted(events, key=TicketEvent.sort_key) == [create, comment_a, comment_b, later]


FULL = TicketEvent(
    "OPS-1", EventKind.ASSIGNEE_CHANGED, T, "as1", actor=Person(account_id="d1", display_name="Dora"),
    from_value=None, to_value="Anna", public=False, source="slack",
    facts={"assignee": Person(account_id="a1"), "reporter": None, "labels": ("vpn", "lyon"), "components": None,
           "fields": {"customfield_1": ("Gold",)}, "priority": "High"},
)
FULL_JSON = {
    "ticket": "OPS-1", "kind": "assignee_changed", "at": "2026-01-05T09:00:00Z", "dedup_key": "as1",
    "actor": {"account_id": "d1", "display_name": "Dora"}, "from": None, "to": "Anna",
    "facts": {"assignee": {"account_id": "a1"}, "reporter": None, "labels": ["vpn", "lyon"], "components": None,
              "fields": {"customfield_1": ("Gold",)}, "priority": "High"},
    "public": False, "source": "slack",
}


def test_event_json_and_back():
    assert FULL.to_json() == FULL_JSON
    back = TicketEvent.from_json(FULL_JSON)
    assert back == FULL
    assert back.actor == FULL.actor and back.public is False and back.source == "slack"
    assert dict(back.facts) == dict(FULL.facts)  # people, tuples and field texts as they were
    # read back from real JSON (lists, not tuples): the same
    assert dict(TicketEvent.from_json(json.loads(FULL.dumps())).facts) == dict(FULL.facts)


def test_event_json_without_actor_public_or_source_reads_the_defaults():
    data = {"ticket": "OPS-1", "kind": "commented", "at": "2026-01-05T10:00:00+01:00", "dedup_key": "c1"}
    event = TicketEvent.from_json(data)
    assert (event.actor, event.public, event.source, event.at, dict(event.facts)) == (None, True, "jira", T, {})
    assert event.to_json()["actor"] is None


def test_dumps_is_compact_with_sorted_keys():
    """The same event always gives the same text (it is stored and compared as text)."""
    event = TicketEvent("OPS-1", EventKind.COMMENTED, T, "c1")
    assert event.dumps() == (
        '{"actor":null,"at":"2026-01-05T09:00:00Z","dedup_key":"c1","facts":{},"from":null,'
        '"kind":"commented","public":true,"source":"jira","ticket":"OPS-1","to":null}')


# -- moved_from: only a `Key` change recorded on the moved ticket
MOVES = [
    # (kind, ticket, from, to, expected, why)
    (EventKind.FIELDS_CHANGED, "NET-12", "OPS-5", "NET-12", "OPS-5", "the key changed to this ticket's"),
    (EventKind.COMMENTED, "NET-12", "OPS-5", "NET-12", None, "not a field change"),
    (EventKind.FIELDS_CHANGED, "NET-12", "OPS-5", "NET-13", None, "changed to another key"),
    (EventKind.FIELDS_CHANGED, "NET-12", "NET-12", "NET-12", None, "from itself"),
    (EventKind.FIELDS_CHANGED, "NET-12", None, "NET-12", None, "from nothing"),
    (EventKind.FIELDS_CHANGED, "NET-12", "Operations", "NET-12", None, "from a text that is no key"),
    (EventKind.FIELDS_CHANGED, "NET-12", "OPS-05", "NET-12", None, "no key starts its number with 0"),
]


@pytest.mark.parametrize("kind, ticket, old, new, expected, why", MOVES, ids=[row[5] for row in MOVES])
def test_moved_from(kind, ticket, old, new, expected, why):
    assert moved_from(TicketEvent(ticket, kind, T, "k", from_value=old, to_value=new)) == expected


# -- instants
FORMATS = [
    (None, None),
    (T, "2026-01-05T09:00:00Z"),  # whole seconds: no fraction
    (datetime(2026, 1, 5, 10, 0, tzinfo=PLUS_ONE), "2026-01-05T09:00:00Z"),  # in UTC
    (T.replace(microsecond=1), "2026-01-05T09:00:00.000001Z"),  # a fraction: all six digits
]


@pytest.mark.parametrize("at, expected", FORMATS)
def test_format_instant(at, expected):
    assert format_instant(at) == expected


PARSES = [
    ("2026-01-05T09:00:00Z", T),
    ("2026-01-05T10:00:00+01:00", T),  # read as UTC
    ("2026-01-05T09:00:00.000001Z", T.replace(microsecond=1)),
]


@pytest.mark.parametrize("text, expected", PARSES)
def test_parse_instant(text, expected):
    at = parse_instant(text)
    assert at == expected and at.utcoffset() == timedelta(0)
    assert at.isoformat().endswith("+00:00")


def test_parse_instant_wants_a_time_zone():
    with pytest.raises(ValueError, match="without a time zone"):
        parse_instant("2026-01-05T09:00:00")
