"""What /webhooks/jira refuses or ignores, and that no input at all gives a server error:
every rejection leaves every table unchanged."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.db import get_database
from store.models import Ticket
from tests import jira_payloads as jp
from tests.conftest import WEBHOOK_SECRET, row_counts, sign
from tests.jira_payloads import FIXTURES


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, tzinfo=timezone.utc)


def ticket_row(app, key: str) -> Ticket | None:
    with get_database(app).reading() as session:
        return session.get(Ticket, key)


def test_ignored_event_type_stores_nothing(app, post_jira):
    before = row_counts(app)
    response = post_jira(jp.load_fixture("worklog_created"), delivery="w1")
    assert (response.status_code, response.json) == (200, {"status": "ignored"})
    assert row_counts(app) == before


def test_signed_delivery_is_accepted(make_app, db_url, post_jira):
    app = make_app(db_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET)
    response = post_jira(jp.created("OPS-9", at(9)), secret=WEBHOOK_SECRET, using=app.test_client())
    assert response.status_code == 200 and response.json["events"] == 1


CREATED = (FIXTURES / "issue_created.json").read_bytes()
NO_ISSUE = json.dumps({"timestamp": 1767600000000, "webhookEvent": "jira:issue_created"}).encode()
REJECTIONS = {
    # name: (body, signature header or None for "sign it correctly", status)
    "forged signature": (CREATED, sign(CREATED, "not-our-secret"), 401),
    "missing signature": (CREATED, "", 401),
    "truncated body": (CREATED[: len(CREATED) // 2], None, 400),
    "JSON array": (b'[{"webhookEvent": "jira:issue_created"}]', None, 400),
    "5 MiB body": (b" " * (5 * 1024 * 1024), None, 413),
    "no issue": (NO_ISSUE, None, 400),
    "not UTF-8": (b'{"webhookEvent": "jira:issue_created", "x": "\xff\xfe"}', None, 400),
    "not JSON": (b"webhookEvent=jira:issue_created", None, 400),
    "empty body": (b"", None, 400),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, None, 400),
}


@pytest.mark.parametrize("name", REJECTIONS)
def test_rejected_requests_leave_every_table_unchanged(make_app, db_url, post_jira, name):
    body, signature, status = REJECTIONS[name]
    app = make_app(db_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET)
    client = app.test_client()
    assert post_jira(jp.created("OPS-2", at(9)), secret=WEBHOOK_SECRET, using=client).status_code == 200
    before = row_counts(app)
    headers = {"X-Hub-Signature": sign(body) if signature is None else signature}
    if not headers["X-Hub-Signature"]:
        del headers["X-Hub-Signature"]
    response = post_jira(body, delivery=f"bad-{name}", headers=headers, using=client)
    assert response.status_code == status
    assert response.is_json and response.json["error"] and response.json["reason"]
    assert row_counts(app) == before


# ---------------------------------------------------------------- no input gives a 5xx

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=8,
)
FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_payloads_never_give_a_server_error(app, post_jira, data):
    payload = jp.load_fixture(data.draw(st.sampled_from(FIXTURE_NAMES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(payload))))
        payload = replaced(payload, path, data.draw(JSON))
    response = post_jira(payload)
    assert response.status_code in (200, 400), response.json
    assert response.is_json


@pytest.mark.parametrize("field", ["key", "summary", "status"])
def test_nul_characters_are_dropped(app, client, clock, post_jira, field):
    """PostgreSQL cannot store NUL in text, so it is dropped everywhere, on both databases."""
    payload = jp.created("OPS-10", at(9))
    if field == "key":
        payload["issue"]["key"] = "OPS-\u000010"
    elif field == "summary":
        payload["issue"]["fields"]["summary"] = "VPN\u0000down"
    else:
        payload["issue"]["fields"]["status"]["name"] = "To\u0000Do"
    response = post_jira(payload, delivery=f"nul-{field}")
    assert response.status_code == 200, response.json
    row = ticket_row(app, "OPS-10")
    expected = {"key": ("Task OPS-10", "To Do"), "summary": ("VPNdown", "To Do"), "status": ("Task OPS-10", "ToDo")}
    assert (row.summary, row.status) == expected[field]
