"""/api/openapi.json: a valid OpenAPI 3.1 document (openapi-spec-validator) that describes every
/api route of the app, and that the answers of the older endpoints fit (openapi-core)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from openapi_spec_validator import validate

from tests.openapi_check import get
from web.openapi import DOCUMENT

FIXTURES = Path(__file__).parent / "fixtures" / "jira"


def test_the_document_is_valid_openapi_3_1(client):
    body = get(client, "/api/openapi.json").json
    assert body == json.loads(json.dumps(DOCUMENT)) and body["openapi"] == "3.1.0"
    validate(body)


def test_every_api_route_is_in_the_document(app):
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/")}
    assert routes == set(DOCUMENT["paths"])


def test_ticket_answers_fit_the_document(client, clock, post_jira):
    clock.now = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    for name in ("issue_created", "issue_updated__assignee", "comment_created"):
        assert post_jira(json.loads((FIXTURES / f"{name}.json").read_bytes()), delivery=name).status_code == 200
    assert get(client, "/api/tickets/OPS-1").status_code == 200
    assert get(client, "/api/tickets/NOPE-1").status_code == 404
    assert get(client, "/api/tickets?state=running").json["count"] == 1
    assert get(client, "/api/tickets?state=nope").status_code == 400
    assert get(client, "/api/clocks").json["count"] == 2
