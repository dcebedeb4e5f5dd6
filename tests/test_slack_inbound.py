"""Slack request verification and parsing: Slack's documented test vector, requests signed as
Slack signs them, and what the endpoints answer to unsigned, stale, wrong or malformed ones."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from connectors.errors import InvalidSignature, MalformedPayload
from connectors.slack_inbound import (
    BlockAction, MessageEvent, OtherEvent, OtherInteraction, UrlVerification, ViewSubmission,
    parse_command, parse_event, parse_interaction, verify,
)
from tests.conftest import row_counts
from tests.slack_helpers import (
    command_body, payload_body, post_slack, signed, slack_app,  # noqa: F401
)
from tests.fake_slack import fake_slack  # noqa: F401

# Slack's documented example (docs.slack.dev/authentication/verifying-requests-from-slack,
# verbatim in slack-sdk's tests/slack_sdk/signature/test_signature_verifier.py).
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TIMESTAMP = 1531420618
VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfm"
    b"ibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
VECTOR_HEADERS = {"X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP), "X-Slack-Signature": VECTOR_SIGNATURE}
VECTOR_NOW = datetime.fromtimestamp(VECTOR_TIMESTAMP, timezone.utc)

# bolt-python's block_actions example (tests/scenario_tests/test_block_actions.py)
BLOCK_ACTIONS = {
    "type": "block_actions",
    "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
    "api_app_id": "A111", "token": "verification_token",
    "container": {"type": "message", "message_ts": "111.222", "channel_id": "C111", "is_ephemeral": True},
    "trigger_id": "111.222.valid",
    "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
    "channel": {"id": "C111", "name": "test-channel"},
    "response_url": "https://hooks.slack.com/actions/T111/111/random-value",
    "actions": [{"action_id": "a", "block_id": "b", "text": {"type": "plain_text", "text": "Button", "emoji": True},
                 "value": "click_me_123", "type": "button", "action_ts": "1596530385.194939"}],
}
# bolt-python's event_callback example (tests/scenario_tests/test_events.py), as a message
EVENT = {
    "token": "verification_token", "team_id": "T111", "enterprise_id": "E111", "api_app_id": "A111",
    "event": {"client_msg_id": "9cbd4c5b-7ddf-4ede-b479-ad21fca66d63", "type": "message",
              "text": "OPS-1 looking into it", "user": "W222", "ts": "1595926230.009600",
              "team": "T111", "channel": "C111", "event_ts": "1595926230.009600"},
    "type": "event_callback", "event_id": "Ev111", "event_time": 1595926230, "authed_users": ["W111"],
}


def test_slacks_documented_test_vector_verifies():
    assert len(VECTOR_BODY) == 362
    verify(VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADERS, now=VECTOR_TIMESTAMP)
    verify(VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADERS, now=VECTOR_TIMESTAMP + 300)  # edge of the window


@pytest.mark.parametrize("case, secret, body, headers, now", [
    ("real clock: expired", VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADERS, None),
    ("301 s later", VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADERS, VECTOR_TIMESTAMP + 301),
    ("301 s early", VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADERS, VECTOR_TIMESTAMP - 301),
    ("other secret", "another-secret", VECTOR_BODY, VECTOR_HEADERS, VECTOR_TIMESTAMP),
    ("body changed", VECTOR_SECRET, VECTOR_BODY + b"x", VECTOR_HEADERS, VECTOR_TIMESTAMP),
    ("no signature", VECTOR_SECRET, VECTOR_BODY, {"X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP)}, VECTOR_TIMESTAMP),
    ("no timestamp", VECTOR_SECRET, VECTOR_BODY, {"X-Slack-Signature": VECTOR_SIGNATURE}, VECTOR_TIMESTAMP),
    ("bad timestamp", VECTOR_SECRET, VECTOR_BODY, {**VECTOR_HEADERS, "X-Slack-Request-Timestamp": "soon"}, VECTOR_TIMESTAMP),
    ("v1 scheme", VECTOR_SECRET, VECTOR_BODY, {**VECTOR_HEADERS, "X-Slack-Signature": "v1=" + VECTOR_SIGNATURE[3:]}, VECTOR_TIMESTAMP),
])
def test_verification_refuses(case, secret, body, headers, now):
    import time

    with pytest.raises(InvalidSignature) as refused:
        verify(secret, body, headers, now=time.time() if now is None else now)
    assert VECTOR_SIGNATURE not in refused.value.reason and secret not in refused.value.reason


def test_our_signing_helper_signs_as_slack_does():
    assert signed(VECTOR_BODY, VECTOR_TIMESTAMP, VECTOR_SECRET) == VECTOR_HEADERS


def test_the_test_vector_request_is_accepted_by_the_endpoint(slack_app, clock):
    clock.now = VECTOR_NOW
    answer = slack_app.test_client().post("/webhooks/slack/commands", data=VECTOR_BODY, headers={
        "Content-Type": "application/x-www-form-urlencoded", **VECTOR_HEADERS})
    assert answer.status_code == 200
    assert answer.json["response_type"] == "ephemeral" and "/sla KEY" in answer.json["text"]


ENDPOINTS = ["/webhooks/slack/commands", "/webhooks/slack/interactions", "/webhooks/slack/events"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unsigned_stale_and_wrong_requests_get_401_and_nothing_is_done(slack_app, clock, path):
    client, before = slack_app.test_client(), row_counts(slack_app)
    body = command_body("OPS-1")
    stale = post_slack(client, path, body, clock.now.replace(minute=54))  # signed 6 minutes ago
    wrong = post_slack(client, path, body, clock.now, secret="not-our-secret")
    missing = client.post(path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    for answer in (stale, wrong, missing):
        assert answer.status_code == 401
        assert answer.json["error"] == "invalid_signature"
    assert row_counts(slack_app) == before


@pytest.mark.parametrize("path", ENDPOINTS)
def test_without_a_signing_secret_slack_endpoints_answer_503(make_app, db_url, clock, path):
    client = make_app(db_url).test_client()  # SLACK_SIGNING_SECRET unset
    body = command_body("help")
    answer = post_slack(client, path, body, clock.now)
    assert answer.status_code == 503
    assert answer.json == {"error": "not_configured", "reason": "Slack is not configured"}


@pytest.mark.parametrize("path, body, content_type", [
    ("/webhooks/slack/commands", b"%%%&&&=", "application/x-www-form-urlencoded"),
    ("/webhooks/slack/commands", b"text=hello", "application/x-www-form-urlencoded"),
    ("/webhooks/slack/interactions", b"payload=not-json", "application/x-www-form-urlencoded"),
    ("/webhooks/slack/interactions", b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    ("/webhooks/slack/interactions", b"nothing=here", "application/x-www-form-urlencoded"),
    ("/webhooks/slack/interactions", payload_body({"type": "block_actions", "user": {"id": "U1"}}),
     "application/x-www-form-urlencoded"),
    ("/webhooks/slack/events", b"{not json", "application/json"),
    ("/webhooks/slack/events", b"[]", "application/json"),
    ("/webhooks/slack/events", b'{"type": "event_callback", "event": {"type": "message"}}', "application/json"),
])
def test_malformed_bodies_get_400_json(slack_app, clock, path, body, content_type):
    before = row_counts(slack_app)
    answer = post_slack(slack_app.test_client(), path, body, clock.now, content_type=content_type)
    assert answer.status_code == 400
    assert answer.json["error"] == "malformed_payload"
    assert row_counts(slack_app) == before


def test_a_body_that_is_not_utf8_is_refused_before_anything_else(slack_app, clock):
    answer = post_slack(slack_app.test_client(), "/webhooks/slack/commands", b"text=\xff\xfe", clock.now)
    assert answer.status_code == 401 and answer.json["error"] == "invalid_signature"


def test_parse_command():
    command = parse_command(VECTOR_BODY)
    assert (command.command, command.text, command.user_id, command.channel_id) == (
        "/webhook-collect", "", "U2CERLKJA", "G8PSS9T3V")
    assert parse_command(command_body("  OPS-1   ")).text == "OPS-1"
    with pytest.raises(MalformedPayload):
        parse_command(b"text=OPS-1")


def test_parse_interactions():
    action = parse_interaction(payload_body(BLOCK_ACTIONS))
    assert action == BlockAction(user_id="W111", user_name="primary-owner", action_id="a",
                                 value="click_me_123", trigger_id="111.222.valid",
                                 channel_id="C111", message_ts="111.222")
    submission = parse_interaction(payload_body({
        "type": "view_submission", "user": {"id": "U1", "username": "boss"},
        "view": {"callback_id": "excuse_breach", "private_metadata": "alert:OPS-1:resolution:1:breach",
                 "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": "Power cut"}}}}}}))
    assert submission == ViewSubmission("U1", "boss", "excuse_breach", "alert:OPS-1:resolution:1:breach",
                                        {"reason": "Power cut"})
    assert parse_interaction(payload_body({"type": "shortcut"})) == OtherInteraction("shortcut")


def test_parse_events():
    challenge = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                 "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert parse_event(json.dumps(challenge).encode()) == UrlVerification(challenge["challenge"])
    message = parse_event(json.dumps(EVENT).encode())
    assert message == MessageEvent(event_id="Ev111", channel="C111", user="W222",
                                   text="OPS-1 looking into it", ts="1595926230.009600",
                                   bot_id=None, subtype=None, thread_ts=None)
    mention = {**EVENT, "event": {**EVENT["event"], "type": "app_mention"}}
    assert parse_event(json.dumps(mention).encode()) == OtherEvent("Ev111", "app_mention")


def test_the_app_manifest_names_our_endpoints_and_exactly_the_scopes_we_use(slack_app):
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[1] / "docs" / "slack-app-manifest.yaml").read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted([
        "chat:write", "commands", "users:read", "users:read.email", "channels:history",
        "groups:history", "channels:read", "groups:read", "im:write", "files:write"])
    [command] = manifest["features"]["slash_commands"]
    settings = manifest["settings"]
    urls = {command["url"], settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"]}
    routes = {rule.rule for rule in slack_app.url_map.iter_rules() if rule.rule.startswith("/webhooks/slack/")}
    assert {url.removeprefix("https://slawatch.example.com") for url in urls} == routes
    assert command["command"] == "/sla"
    assert settings["event_subscriptions"]["bot_events"] == ["message.channels"]
