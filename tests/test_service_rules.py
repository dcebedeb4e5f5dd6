"""Rules reload: a broken file keeps the last good rules and is reported; a good one is put in
force, stored in rule_versions, and the open clocks are recomputed under it."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from processors.rules import RulesError
from scheduler import get_ticker
from store.db import get_database
from store.models import ClockRow, RuleVersion, ServiceState
from store.rulebook import RELOAD_ERROR_KEY, get_rulebook
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML

UTC = timezone.utc
BROKEN = RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: soon, warn_at: [50%]")
LONGER = RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]")


def versions(app) -> set[str]:
    with get_database(app).reading() as session:
        return set(session.scalars(select(RuleVersion.version)))


def clocks(app) -> list[tuple[str, str, int]]:
    with get_database(app).reading() as session:
        rows = session.scalars(select(ClockRow).order_by(ClockRow.ticket, ClockRow.metric))
        return [(row.ticket, row.metric, row.target_seconds, row.rules_version) for row in rows]


@pytest.fixture
def ticket_posted(clock, post_jira):
    clock.now = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert post_jira(jp.created("OPS-1", datetime(2026, 1, 5, 9, tzinfo=UTC)), delivery="1").status_code == 200
    assert post_jira(jp.created("OPS-2", datetime(2026, 1, 5, 9, tzinfo=UTC)), delivery="2").status_code == 200
    assert post_jira(jp.resolved("OPS-2", datetime(2026, 1, 5, 9, 10, tzinfo=UTC)), delivery="3").status_code == 200


def test_every_version_put_in_force_is_stored(app):
    assert versions(app) == {get_rulebook(app).rules.version}


def test_broken_file_keeps_the_last_good_rules_and_is_reported(app, client, rules_path, ticket_posted):
    book = get_rulebook(app)
    good = book.rules.version
    before = clocks(app)
    rules_path.write_text(BROKEN, encoding="utf-8")
    assert get_ticker(app).tick() == []
    assert book.rules.version == good and versions(app) == {good}
    assert clocks(app) == before
    health = client.get("/healthz").json
    assert health["status"] == "ok" and health["rules"]["version"] == good
    lines = health["rules"]["last_reload_error"]["lines"]
    assert lines and all(re.match(rf"^{re.escape(str(rules_path))}:\d+:\d+: ", line) for line in lines)
    assert any(":26:32: bad duration" in line for line in lines)  # where `soon` stands
    with get_database(app).reading() as session:
        assert session.get(ServiceState, RELOAD_ERROR_KEY).value == "\n".join(lines)


def test_good_file_changes_the_version_and_recomputes_open_clocks(app, client, rules_path, ticket_posted):
    book = get_rulebook(app)
    first = book.rules.version
    rules_path.write_text(BROKEN, encoding="utf-8")
    get_ticker(app).tick()
    rules_path.write_text(LONGER, encoding="utf-8")
    assert get_ticker(app).tick() == []
    second = book.rules.version
    assert second != first and versions(app) == {first, second}
    assert client.get("/healthz").json["rules"]["last_reload_error"] is None
    assert clocks(app) == [
        ("OPS-1", "first_response", 7200, second), ("OPS-1", "resolution", 8 * 3600, second),
        # OPS-2's clocks were all stopped: they keep the version they were computed with
        ("OPS-2", "first_response", 3600, first), ("OPS-2", "resolution", 8 * 3600, first),
    ]
    assert client.get("/api/tickets/OPS-1").json["clocks"][0]["target_seconds"] == 7200
    rules_path.write_text(RULES_YAML, encoding="utf-8")
    get_ticker(app).tick()
    assert book.rules.version == first and versions(app) == {first, second}
    with get_database(app).reading() as session:
        assert session.get(ServiceState, RELOAD_ERROR_KEY).value is None


def test_a_request_notices_the_edited_file(app, client, rules_path):
    first = get_rulebook(app).rules.version
    rules_path.write_text(LONGER, encoding="utf-8")
    time.sleep(1.1)  # the request path looks at the file at most once a second
    health = client.get("/healthz").json
    assert health["rules"]["version"] != first
    assert versions(app) == {first, health["rules"]["version"]}


def test_create_app_refuses_invalid_rules(make_app, db_url, rules_path):
    rules_path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        make_app(db_url)
    assert str(caught.value).startswith(f"{rules_path}:26:32: ")
