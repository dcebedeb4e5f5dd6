"""Jira webhook parsing: fixtures -> exact events, signatures, malformed and junk payloads."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import InvalidSignature, MalformedPayload
from connectors.jira import (
    HANDLERS, facts_from_fields, parse_jira_time, parse_webhook, person_from_json, verify_signature,
)
from processors.events import EventKind, Person, TicketEvent
from tests import jira_payloads as jp
from tests.jira_payloads import ANIL, BIRGIT, CHEN, FIXTURES, JOHN, MARIA, SAM, load_fixture

UTC = timezone.utc
OPS_FACTS = {  # OPS-1 as issue_created shows it
    "project": "OPS", "issuetype": "Incident", "priority": "Medium", "resolution": None,
    "summary": "VPN drops every few minutes at the Lyon office", "status": "To Do",
    "status_category": "new", "reporter": MARIA.person(), "assignee": None, "labels": ("vpn",),
    "components": ("Network",), "issue_id": "10042",
    # custom fields and a few system fields, as texts for `fields:` matching (empty ones left out)
    "fields": {"creator": ("Maria Lopez", "712020:3f7a1c52-9b4e-4d8a-a1c7-2e5b8f0d6c93",
                           "maria.lopez@client.example")},
}
INFRA_FACTS = {
    "project": "INFRA", "issuetype": "Bug", "priority": "Major", "resolution": None,
    "summary": "Nightly backup fails on db-03", "status": "Open", "reporter": BIRGIT.person("server"),
    "assignee": JOHN.person("server"), "labels": (), "components": (), "issue_id": "21507",
    "fields": {"creator": ("bwagner", "JIRAUSER10017", "Birgit Wagner", "birgit.wagner@acme.example")},
}
TRIMMED_KEYS = {"project", "issuetype", "priority", "summary", "status", "status_category", "assignee",
                "issue_id"}


def utc(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def parse(name: str) -> list[TicketEvent]:
    return parse_webhook(load_fixture(name))


def ev(kind: EventKind, at: datetime, dedup_key: str, actor: Person | None, ticket: str = "OPS-1",
       **extra) -> TicketEvent:
    return TicketEvent(ticket=ticket, kind=kind, at=at, dedup_key=dedup_key, actor=actor, **extra)


# --- fixtures ---------------------------------------------------------------------------------

def test_fixture_files_are_exactly_the_builder_story():
    story = jp.story()
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(story)
    for name, payload in story.items():
        assert (FIXTURES / f"{name}.json").read_text(encoding="utf-8") == jp.fixture_text(payload), name


def test_every_handler_has_a_fixture_and_every_fixture_is_named_after_its_event():
    seen = set()
    for path in FIXTURES.glob("*.json"):
        payload = json.loads(path.read_text(encoding="utf-8"))
        event = payload["webhookEvent"]
        seen.add(event)
        names = {event.removeprefix("jira:"), payload.get("issue_event_type_name")}
        assert path.stem.split("__")[0] in names, path.name
    assert set(HANDLERS) - seen == set(), "handlers without a fixture file"


def test_issue_created_cloud():
    assert parse("issue_created") == [
        ev(EventKind.CREATED, utc(5, 8, 0), "jira:10042:created", MARIA.person())]
    assert dict(parse("issue_created")[0].facts) == OPS_FACTS


def test_issue_created_server_has_no_status_category_and_users_by_name():
    [event] = parse("issue_created__server")
    assert event == ev(EventKind.CREATED, utc(5, 9, 15), "jira:21507:created",
                       Person(name="bwagner", email="birgit.wagner@acme.example",
                              display_name="Birgit Wagner"), ticket="INFRA-7")
    assert dict(event.facts) == INFRA_FACTS


def test_issue_updated_assignee_cloud():
    [event] = parse("issue_updated__assignee")
    assert event == ev(EventKind.ASSIGNEE_CHANGED, utc(5, 8, 10), "jira:10042:changelog:10200:assignee",
                       SAM.person(), from_value=None, to_value="Chen Wei")
    assert dict(event.facts) == {**OPS_FACTS, "assignee": CHEN.person()}


def test_issue_updated_reassigned_server():
    [event] = parse("issue_updated__reassigned_server")
    assert event == ev(EventKind.ASSIGNEE_CHANGED, utc(5, 9, 40), "jira:21507:changelog:31010:assignee",
                       JOHN.person("server"), ticket="INFRA-7", from_value="John Smith",
                       to_value="Anil Kumar")
    assert dict(event.facts) == {**INFRA_FACTS, "assignee": ANIL.person("server")}


def test_comment_created_internal_note_is_not_public():
    [event] = parse("comment_created__internal")
    assert event == ev(EventKind.COMMENTED, utc(5, 8, 20), "jira:10042:comment:10100", CHEN.person(),
                       public=False)
    assert event.public is False
    assert set(event.facts) == TRIMMED_KEYS  # the trimmed issue: no reporter, labels, ...


def test_comment_created_public_answer_from_cloud_without_user():
    payload = load_fixture("comment_created")
    assert "user" not in payload and "issue_event_type_name" not in payload
    [event] = parse_webhook(payload)
    assert event == ev(EventKind.COMMENTED, utc(5, 8, 30), "jira:10042:comment:10101", CHEN.person())
    assert event.public is True
    assert {k: event.facts[k] for k in ("status", "status_category", "priority", "assignee")} == {
        "status": "To Do", "status_category": "new", "priority": "Medium", "assignee": CHEN.person()}


def test_comment_updated_is_not_a_response():
    assert parse("comment_updated") == []


def test_issue_updated_status():
    [event] = parse("issue_updated__status")
    assert event == ev(EventKind.STATUS_CHANGED, utc(5, 8, 45), "jira:10042:changelog:10201:status",
                       CHEN.person(), from_value="To Do", to_value="In Progress")
    assert dict(event.facts) == {**OPS_FACTS, "status": "In Progress", "status_category": "indeterminate",
                                 "assignee": CHEN.person()}


def test_issue_updated_priority():
    [event] = parse("issue_updated__priority")
    assert event == ev(EventKind.PRIORITY_CHANGED, utc(5, 9, 15), "jira:10042:changelog:10202:priority",
                       SAM.person(), from_value="Medium", to_value="High")
    assert event.facts["priority"] == "High"


def test_issue_updated_labels_is_a_fields_change():
    [event] = parse("issue_updated__labels")
    assert event == ev(EventKind.FIELDS_CHANGED, utc(5, 9, 20), "jira:10042:changelog:10203:labels",
                       SAM.person(), from_value="vpn", to_value="vip vpn")
    assert event.facts["labels"] == ("vip", "vpn")


def test_issue_updated_resolved_gives_resolved_and_status_changed():
    actor = CHEN.person()
    assert parse("issue_updated__resolved") == [
        ev(EventKind.RESOLVED, utc(5, 10, 30), "jira:10042:changelog:10204:resolution", actor,
           from_value=None, to_value="Done"),
        ev(EventKind.STATUS_CHANGED, utc(5, 10, 30), "jira:10042:changelog:10204:status", actor,
           from_value="In Progress", to_value="Done"),
    ]
    for event in parse("issue_updated__resolved"):
        assert (event.facts["resolution"], event.facts["status"], event.facts["status_category"]) == (
            "Done", "Done", "done")


def test_issue_updated_reopened_gives_reopened_and_status_changed():
    actor = MARIA.person()
    assert parse("issue_updated__reopened") == [
        ev(EventKind.REOPENED, utc(6, 7, 30), "jira:10042:changelog:10205:resolution", actor,
           from_value="Done", to_value=None),
        ev(EventKind.STATUS_CHANGED, utc(6, 7, 30), "jira:10042:changelog:10205:status", actor,
           from_value="Done", to_value="Reopened"),
    ]
    for event in parse("issue_updated__reopened"):
        assert (event.facts["resolution"], event.facts["status"], event.facts["status_category"]) == (
            None, "Reopened", "indeterminate")


def test_issue_commented_server_legacy_comment():
    [event] = parse("issue_commented__server")
    assert event == ev(EventKind.COMMENTED, utc(5, 10, 5), "jira:21507:comment:30512",
                       ANIL.person("server"), ticket="INFRA-7")
    assert event.public is True
    assert dict(event.facts) == {**INFRA_FACTS, "assignee": ANIL.person("server")}


def test_issue_deleted():
    [event] = parse("issue_deleted")
    assert event == ev(EventKind.DELETED, utc(9, 16, 0), "jira:10042:deleted", SAM.person())
    assert event.facts["status"] == "Reopened"


def test_worklog_created_is_ignored():
    assert parse("worklog_created") == []


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_reparsing_gives_identical_events_and_dedup_keys(name):
    payload = load_fixture(name)
    first = parse_webhook(payload)
    again = parse_webhook(json.loads(json.dumps(payload)))
    assert [e.dumps() for e in first] == [e.dumps() for e in again]
    assert len({e.dedup_key for e in first}) == len(first)
    assert [TicketEvent.from_json(json.loads(e.dumps())) for e in first] == first


# --- signatures -------------------------------------------------------------------------------

VECTOR_SECRET = "It's a Secret to Everybody"
VECTOR_BODY = b'{"webhookEvent":"jira:issue_created","timestamp":1364403238369}'
VECTOR_HEADER = "sha256=6e2979f876d2961a756820742cb7642973d3b6c0df3af6975a9322ba6bb8a3cb"


def test_signature_test_vector_from_wire_formats():
    verify_signature(VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADER)
    verify_signature(VECTOR_SECRET, VECTOR_BODY, " " + VECTOR_HEADER.upper().replace("SHA256", "sha256"))


def test_signature_sha1_is_refused():  # only sha256 is documented (issue 12)
    digest = hmac.new(VECTOR_SECRET.encode(), VECTOR_BODY, hashlib.sha1).hexdigest()
    with pytest.raises(InvalidSignature):
        verify_signature(VECTOR_SECRET, VECTOR_BODY, f"sha1={digest}")


@pytest.mark.parametrize("secret, body, header", [
    (VECTOR_SECRET, VECTOR_BODY, None),
    (VECTOR_SECRET, VECTOR_BODY, ""),
    (VECTOR_SECRET, VECTOR_BODY + b"\n", VECTOR_HEADER),  # body changed by one byte
    ("another secret", VECTOR_BODY, VECTOR_HEADER),
    (VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADER[len("sha256="):]),  # no method
    (VECTOR_SECRET, VECTOR_BODY, "md5=" + VECTOR_HEADER[len("sha256="):]),  # unknown method
    (VECTOR_SECRET, VECTOR_BODY, "sha256="),
    (VECTOR_SECRET, VECTOR_BODY, "sha256=" + "é" * 64),  # non-ASCII must not reach compare_digest
    (VECTOR_SECRET, VECTOR_BODY, "sha256=\udcff"),
    (VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADER[:-1]),
])
def test_bad_signatures_are_refused(secret, body, header):
    with pytest.raises(InvalidSignature) as caught:
        verify_signature(secret, body, header)
    assert secret not in caught.value.reason and VECTOR_HEADER[7:] not in caught.value.reason


def test_signature_needs_a_secret():
    with pytest.raises(ValueError):
        verify_signature("", VECTOR_BODY, VECTOR_HEADER)


# --- helpers shared with the backfill -----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2017-01-30T18:30:41.962+0100", datetime(2017, 1, 30, 17, 30, 41, 962000, tzinfo=UTC)),
    ("2019-01-07T16:55:51.184-0330", datetime(2019, 1, 7, 20, 25, 51, 184000, tzinfo=UTC)),
    ("2017-01-30T18:30:41.962+01:00", datetime(2017, 1, 30, 17, 30, 41, 962000, tzinfo=UTC)),
    ("2017-01-30T17:30:41Z", datetime(2017, 1, 30, 17, 30, 41, tzinfo=UTC)),
    ("2013-03-27T16:53:58.301+0000", datetime(2013, 3, 27, 16, 53, 58, 301000, tzinfo=UTC)),
])
def test_parse_jira_time(text, expected):
    at = parse_jira_time(text)
    assert at == expected and at.tzinfo == UTC


@pytest.mark.parametrize("text", [
    "2017-01-30T18:30:41.962", "2017-01-30", "yesterday", "", "2017-13-30T18:30:41Z",
    "0001-01-01T00:00:00+0100", 1485797534721, None, ["2017-01-30T18:30:41Z"],
])
def test_parse_jira_time_refuses_what_is_not_an_instant(text):
    with pytest.raises(MalformedPayload):
        parse_jira_time(text)


@pytest.mark.parametrize("obj, expected", [
    (None, None),
    ({}, None),
    ({"active": True}, None),
    ({"accountId": "5a1b", "displayName": "Eeshan Garg"}, Person(account_id="5a1b", display_name="Eeshan Garg")),
    ({"name": "admin", "key": "admin", "emailAddress": "a@x.example"}, Person(name="admin", email="a@x.example")),
    ({"key": "JIRAUSER10100"}, Person(name="JIRAUSER10100")),
    ({"accountId": 5, "displayName": "Ann"}, Person(display_name="Ann")),  # odd types: ignored
])
def test_person_from_json(obj, expected):
    assert person_from_json(obj) == expected


def test_person_from_json_refuses_a_non_object():
    with pytest.raises(MalformedPayload):
        person_from_json(["admin"])


def test_facts_from_fields_reports_only_what_is_present():
    assert facts_from_fields({}) == {}
    assert facts_from_fields(None) == {}
    assert facts_from_fields({"priority": None, "status": None, "labels": None}) == {
        "priority": None, "status": None, "labels": ()}
    assert facts_from_fields({"status": {"name": "Open"}, "components": [{"id": "1"}, "DB"]}) == {
        "status": "Open", "components": ("DB",)}


# --- how payload variants are read --------------------------------------------------------------

ISSUE = {"id": "10000", "key": "TEST-1", "fields": {"status": {"name": "In Progress"}}}
TS = 1485797534721  # 2017-01-30T17:32:14.721Z
TS_AT = datetime(2017, 1, 30, 17, 32, 14, 721000, tzinfo=UTC)


def updated(*items, changelog_id="10001", **extra):
    changelog = {"items": list(items)} if changelog_id is None else {"id": changelog_id, "items": list(items)}
    return {"webhookEvent": "jira:issue_updated", "timestamp": TS, "issue": ISSUE, "changelog": changelog,
            **extra}


def item(field, from_string=None, to_string=None, from_=None, to=None, fieldtype="jira"):
    return {"field": field, "fieldtype": fieldtype, "from": from_, "fromString": from_string, "to": to,
            "toString": to_string}


def test_status_category_is_dropped_when_the_snapshot_shows_another_status():
    issue = {"id": "10000", "key": "TEST-1", "fields": {"status": {
        "name": "Waiting", "statusCategory": {"key": "indeterminate"}}}}
    [event] = parse_webhook({**updated(item("status", "To Do", "In Progress")), "issue": issue})
    assert (event.facts["status"], "status_category" in event.facts) == ("In Progress", False)


def test_changes_are_read_from_the_changelog_not_the_event_type_name():
    payload = updated(item("priority", "Low", "Highest", "4", "1"), issue_event_type_name="issue_assigned")
    assert [e.kind for e in parse_webhook(payload)] == [EventKind.PRIORITY_CHANGED]


@pytest.mark.parametrize("field, kind", [
    ("Key", EventKind.FIELDS_CHANGED), ("project", EventKind.FIELDS_CHANGED),
    ("issuetype", EventKind.FIELDS_CHANGED), ("Component", EventKind.FIELDS_CHANGED),
    ("summary", EventKind.FIELDS_CHANGED), ("labels", EventKind.FIELDS_CHANGED),
    ("description", None), ("Fix Version", None), ("timespent", None), ("Workflow", None),
])
def test_changelog_fields(field, kind):
    events = parse_webhook(updated(item(field, "a", "b")))
    assert [e.kind for e in events] == ([kind] if kind else [])


def test_custom_fields_named_like_system_fields_are_ignored():
    assert parse_webhook(updated(item("Priority", "P3", "P1", fieldtype="custom"),
                                 item("status", "x", "y", fieldtype="custom"))) == []


def test_one_event_per_field_and_changelog_even_for_multi_value_fields():
    events = parse_webhook(updated(item("Component", None, "Network", None, "10224"),
                                   item("Component", None, "VPN", None, "10225")))
    assert [(e.dedup_key, e.to_value) for e in events] == [("jira:10000:changelog:10001:Component", "Network")]


def test_changelog_without_id_gets_a_content_key():
    [event] = parse_webhook(updated(item("status", "To Do", "Done", "10000", "10001"), changelog_id=None))
    assert event.dedup_key == f"jira:10000:status:{TS}:10000:10001"
    assert event.at == TS_AT


def test_facts_missing_from_the_snapshot_come_from_the_item():
    [labels, summary, unassigned] = parse_webhook(updated(
        item("labels", "", "urgent vpn"), item("summary", "old", "new title"),
        item("assignee", "Leo Franchi", None, "lfranchi", None)))
    assert labels.facts["labels"] == ("urgent", "vpn")
    assert summary.facts["summary"] == "new title"
    assert unassigned.facts["assignee"] is None and unassigned.to_value is None


def test_legacy_update_with_a_comment_and_a_transition_gives_both():
    comment = {"id": "10400", "author": {"name": "lfranchi"}, "created": "2013-03-27T17:05:34.250+0000"}
    events = parse_webhook(updated(item("status", "Open", "In Progress"), comment=comment,
                                   issue_event_type_name="issue_generic"))
    assert [e.kind for e in events] == [EventKind.STATUS_CHANGED, EventKind.COMMENTED]
    assert events[1].at == datetime(2013, 3, 27, 17, 5, 34, 250000, tzinfo=UTC)
    assert events[1].actor == Person(name="lfranchi")


@pytest.mark.parametrize("type_name", ["issue_comment_edited", "issue_comment_deleted"])
def test_legacy_comment_edits_and_deletes_are_not_responses(type_name):
    comment = {"id": "10400", "created": "2013-03-27T17:05:34.250+0000"}
    assert parse_webhook(updated(comment=comment, issue_event_type_name=type_name)) == []


def test_a_bare_transition_payload_is_a_status_change():
    payload = {"timestamp": TS, "issue": ISSUE, "user": {"name": "admin"},
               "transition": {"workflowName": "classic", "transitionName": "Start",
                              "from_status": "Open", "to_status": "In Progress"}}
    [event] = parse_webhook(payload)
    assert event == TicketEvent("TEST-1", EventKind.STATUS_CHANGED, TS_AT,
                                f"jira:10000:status:{TS}:Open:In Progress", Person(name="admin"),
                                "Open", "In Progress")


def test_comment_without_jsd_public_is_public_and_without_issue_id_takes_it_from_its_url():
    payload = {"webhookEvent": "comment_created", "timestamp": TS, "issue": {"key": "SP-1"},
               "comment": {"self": "https://x.atlassian.net/rest/api/2/issue/10007/comment/12000",
                           "id": "12000", "created": "2019-08-16T19:30:17.153+0530"}}
    [event] = parse_webhook(payload)
    assert (event.dedup_key, event.public, event.actor, dict(event.facts)) == (
        "jira:10007:comment:12000", True, None, {})


def test_created_without_fields_created_uses_the_timestamp_and_the_key_without_id():
    [event] = parse_webhook({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": "A-1"}})
    assert (event.at, event.dedup_key, event.actor) == (TS_AT, "jira:A-1:created", None)


def test_times_with_colon_offsets_and_z_are_read():
    payload = {"webhookEvent": "jira:issue_created", "issue": {"key": "A-1", "fields": {
        "created": "2026-01-05T09:00:00+01:00"}}}
    assert parse_webhook(payload)[0].at == utc(5, 8, 0)
    payload["issue"]["fields"]["created"] = "2026-01-05T08:00:00Z"
    assert parse_webhook(payload)[0].at == utc(5, 8, 0)


# --- malformed and ignored ----------------------------------------------------------------------

NO_ISSUE_COMMENT = {"self": "https://x.atlassian.net/rest/api/2/issue/10000/comment/12000", "id": "12000",
                    "created": "2019-08-16T19:30:17.153+0530"}


@pytest.mark.parametrize("payload, reason", [
    ([], "not a JSON object"), (None, "not a JSON object"), ("jira", "not a JSON object"), (5, "not a JSON object"),
    ({}, "no webhookEvent"), ({"timestamp": TS, "issue": ISSUE}, "no webhookEvent"),
    ({"accountId": "1234asdfjlsweoiruoso", "username": "eeshangarg"}, "no webhookEvent"),
    ({"transition": {}}, "no webhookEvent"), ({"transition": "Start"}, "no webhookEvent"),
    ({"webhookEvent": 5}, "webhookEvent is not a string"),
    ({"webhookEvent": ["jira:issue_created"]}, "webhookEvent is not a string"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS}, "no issue key"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"id": "1"}}, "no issue key"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": ""}}, "no issue key"),
    ({"webhookEvent": "jira:issue_deleted", "timestamp": TS, "issue": {"key": 7}}, "issue.key has the wrong type"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": TS, "issue": ["TEST-1"]}, "issue has the wrong type"),
    ({"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}}, "no usable time"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": "1485797534721", "issue": ISSUE}, "timestamp is not epoch"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": True, "issue": ISSUE}, "timestamp is not epoch"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": 1e30, "issue": ISSUE}, "timestamp is out of range"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": float("nan"), "issue": ISSUE}, "timestamp is out of range"),
    ({"webhookEvent": "jira:issue_created", "issue": {"key": "A-1", "fields": {"created": "30/01/2017"}}},
     "not an ISO 8601 instant"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": "A-1", "fields": []}},
     "issue.fields has the wrong type"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": "A-1", "fields": {"priority": "High"}}},
     "issue.fields.priority has the wrong type"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": "A-1", "fields": {"labels": "vpn"}}},
     "issue.fields.labels has the wrong type"),
    ({"webhookEvent": "jira:issue_created", "timestamp": TS, "issue": {"key": "A-1", "fields": {"reporter": "ann"}}},
     "issue.fields.reporter has the wrong type"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": TS, "issue": ISSUE, "changelog": {"items": "status"}},
     "changelog.items has the wrong type"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": TS, "issue": ISSUE, "changelog": {"items": [{"field": 5}]}},
     "changelog.items[].field has the wrong type"),
    ({"webhookEvent": "jira:issue_updated", "timestamp": TS, "issue": ISSUE, "changelog": {"items": ["status"]}},
     "changelog.items[] has the wrong type"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "issue": ISSUE}, "has no comment"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "comment": NO_ISSUE_COMMENT},
     "no issue key (only the issue id 10000, in comment.self)"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "issue": {"id": "10000"}, "comment": NO_ISSUE_COMMENT},
     "no issue key"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "issue": ISSUE, "comment": {"created": "2019-08-16T19:30:17Z"}},
     "comment has no id"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "issue": ISSUE, "comment": {"id": "1", "jsdPublic": "no"}},
     "comment.jsdPublic has the wrong type"),
    ({"webhookEvent": "comment_created", "issue": ISSUE, "comment": {"id": "1"}}, "no usable time"),
    ({"webhookEvent": "comment_created", "timestamp": TS, "issue": ISSUE, "comment": {"id": "1", "author": "ann"}},
     "comment.author has the wrong type"),
])
def test_malformed_payloads(payload, reason):
    with pytest.raises(MalformedPayload) as caught:
        parse_webhook(payload)
    assert reason in caught.value.reason


@pytest.mark.parametrize("event", [
    "worklog_created", "worklog_updated", "worklog_deleted", "attachment_created", "attachment_deleted",
    "issuelink_created", "issuelink_deleted", "sprint_started", "sprint_closed", "board_updated",
    "project_created", "user_created", "jira:version_released", "jira:worklog_updated", "comment_deleted",
    "option_voting_changed", "a_future_event_type",
])
def test_event_types_we_do_not_use_give_no_events(event):
    assert parse_webhook({"webhookEvent": event}) == []
    assert parse_webhook({"webhookEvent": event, "timestamp": "junk", "issue": ["junk"]}) == []


# --- no input makes the parser raise anything but MalformedPayload ------------------------------

JUNK = [None, True, False, 0, -1, 2**70, -(2**70), 1.5, 1e308, float("nan"), float("inf"), "", "x",
        "2026-13-45T99:99:99", "1767600000000", [], [None], [{}], ["x"], {}, {"key": None}, {"name": 5}]


def outcome(payload) -> str:
    """'events' or 'malformed'; anything else raised fails the test."""
    try:
        events = parse_webhook(payload)
    except MalformedPayload as error:
        assert isinstance(error.reason, str) and 0 < len(error.reason) < 120
        assert "Lyon" not in error.reason and "backup" not in error.reason  # no payload text
        return "malformed"
    assert isinstance(events, list) and all(isinstance(e, TicketEvent) for e in events)
    for event in events:
        assert event.at.tzinfo == UTC and event.ticket and event.dedup_key.startswith("jira:")
        event.dumps()
    return "events"


def paths(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from paths(child, path + (key,))


def locate(payload, path):
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_junk_at_every_level_of_every_fixture(name):
    payload = load_fixture(name)
    for path in list(paths(payload))[1:]:
        parent, key = locate(payload, path)
        original = parent[key]
        for junk in JUNK:
            parent[key] = junk
            outcome(payload)
        if isinstance(parent, dict):
            del parent[key]
            outcome(payload)
        parent[key] = original
    assert payload == load_fixture(name)  # the parser never changed its input
    for junk in JUNK:
        outcome(junk)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25)
envelope_keys = st.sampled_from(["webhookEvent", "timestamp", "issue", "changelog", "comment", "user",
                                 "transition", "issue_event_type_name"])


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value(value):
    outcome(value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(HANDLERS)), st.dictionaries(envelope_keys, json_values, max_size=6))
def test_any_envelope_of_a_handled_event(event, rest):
    outcome({**rest, "webhookEvent": event})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(p.stem for p in FIXTURES.glob("*.json"))), st.data())
def test_random_json_anywhere_in_a_fixture(name, data):
    payload = load_fixture(name)
    path = data.draw(st.sampled_from(list(paths(payload))[1:]))
    parent, key = locate(payload, path)
    parent[key] = data.draw(json_values)
    outcome(payload)


def test_parsing_logs_no_payload_content(caplog):
    caplog.set_level(logging.DEBUG)
    for name in sorted(p.stem for p in FIXTURES.glob("*.json")):
        parse(name)
    with pytest.raises(MalformedPayload):
        parse_webhook({"webhookEvent": "comment_created", "timestamp": TS, "comment": NO_ISSUE_COMMENT})
    text = caplog.text
    for secret_ish in ("Lyon", "Maria", "maria.lopez", "DPD timeouts", "db-03", "Anil"):
        assert secret_ish not in text


# --- the builder used by other tests ------------------------------------------------------------

AT = datetime(2026, 3, 2, 14, 0, tzinfo=jp.PARIS)
AT_UTC = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def only(payload) -> TicketEvent:
    [event] = parse_webhook(payload)
    return event


def test_builder_functions_make_the_events_their_names_say():
    created = only(jp.created("SUP-3", AT, priority="High", project="SUP", issuetype="Bug",
                              reporter="Ann Lee", status="Open"))
    assert (created.kind, created.ticket, created.at, created.actor) == (
        EventKind.CREATED, "SUP-3", AT_UTC, jp.user("Ann Lee").person())
    assert {k: created.facts[k] for k in ("priority", "project", "issuetype", "status", "status_category")} == {
        "priority": "High", "project": "SUP", "issuetype": "Bug", "status": "Open", "status_category": "new"}
    moved = only(jp.status_changed("SUP-3", AT, "Open", "Waiting for customer", "indeterminate", actor=CHEN))
    assert (moved.kind, moved.from_value, moved.to_value, moved.actor, moved.facts["status_category"]) == (
        EventKind.STATUS_CHANGED, "Open", "Waiting for customer", CHEN.person(), "indeterminate")
    note = only(jp.commented("SUP-3", AT, CHEN, public=False))
    assert (note.kind, note.public, note.actor, note.at) == (EventKind.COMMENTED, False, CHEN.person(), AT_UTC)
    assert [e.kind for e in parse_webhook(jp.resolved("SUP-3", AT))] == [EventKind.RESOLVED, EventKind.STATUS_CHANGED]
    assert [e.kind for e in parse_webhook(jp.reopened("SUP-3", AT))] == [EventKind.REOPENED, EventKind.STATUS_CHANGED]
    priority = only(jp.priority_changed("SUP-3", AT, "Low", "Highest"))
    assert (priority.kind, priority.from_value, priority.to_value, priority.facts["priority"]) == (
        EventKind.PRIORITY_CHANGED, "Low", "Highest", "Highest")
    assignee = only(jp.assigned("SUP-3", AT, ANIL, from_=CHEN))
    assert (assignee.kind, assignee.from_value, assignee.facts["assignee"]) == (
        EventKind.ASSIGNEE_CHANGED, "Chen Wei", ANIL.person())
    assert only(jp.deleted("SUP-3", AT)).kind is EventKind.DELETED
    assert only(jp.labels_changed("SUP-3", AT, ["b", "a"])).facts["labels"] == ("a", "b")


def test_builder_ids_are_unique_per_call_and_keys_differ_between_tickets():
    keys = [only(jp.commented("SUP-3", AT, CHEN)).dedup_key for _ in range(3)]
    keys += [only(jp.status_changed("SUP-3", AT, "To Do", "In Progress")).dedup_key for _ in range(3)]
    keys += [only(jp.created(key, AT)).dedup_key for key in ("SUP-1", "SUP-2", "OPS-1", "INFRA-1", "INFRA-10")]
    assert len(set(keys)) == len(keys)


def test_builder_shapes_match_the_fixtures():
    def shape(payload):
        return sorted(payload), sorted(payload["issue"]["fields"]) if "issue" in payload else None

    cases = {
        "issue_created": jp.created("SUP-3", AT),
        "issue_updated__status": jp.status_changed("SUP-3", AT, "To Do", "In Progress"),
        "comment_created": jp.commented("SUP-3", AT, CHEN),
        "issue_updated__resolved": jp.resolved("SUP-3", AT),
        "issue_updated__reopened": jp.reopened("SUP-3", AT),
        "issue_updated__priority": jp.priority_changed("SUP-3", AT, "Medium", "High"),
        "issue_updated__assignee": jp.assigned("SUP-3", AT, CHEN),
        "issue_deleted": jp.deleted("SUP-3", AT),
        "issue_created__server": jp.created("SUP-3", AT, flavour="server"),
        "issue_commented__server": jp.commented("SUP-3", AT, ANIL, flavour="server"),
    }
    for name, payload in cases.items():
        assert shape(payload) == shape(load_fixture(name)), name


def test_a_ticket_keeps_its_facts_across_builder_calls():
    ticket = jp.JiraTicket("OPS-77", AT, priority="Highest", components=("Network",))
    events = [only(ticket.created()), only(ticket.commented(AT + timedelta(minutes=5), CHEN)),
              only(ticket.status_changed(AT + timedelta(minutes=9), "In Progress", actor=CHEN))]
    assert [e.facts["priority"] for e in events] == ["Highest"] * 3
    assert events[2].facts["components"] == ("Network",)


def test_comment_restricted_to_a_role_is_not_public():
    payload = jp.load_fixture("issue_commented__server")
    payload["comment"]["visibility"] = {"type": "role", "value": "Developers"}
    [event] = [e for e in parse_webhook(payload) if e.kind is EventKind.COMMENTED]
    assert event.public is False
