"""The Slack sender: the real slack_sdk WebClient against a fake Slack HTTP server on port 0."""
from __future__ import annotations

import json
import logging
import socket

import pytest

from connectors.slack import (
    PERMANENT_CODES, ConsoleSender, Posted, SlackPermanentError, SlackRateLimited,
    SlackTransientError, WebApiSender, error_from_status, make_sender,
)
from tests.fake_slack import FakeSlack, channel_id, fake_slack  # noqa: F401  (fixture)

TOKEN = "xoxb-test-0000-secret"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*ACME-12* breached"}}]


@pytest.fixture
def sender(fake_slack: FakeSlack) -> WebApiSender:
    return WebApiSender(TOKEN, base_url=fake_slack.url, timeout=5)


def test_post_sends_the_exact_fields_and_returns_the_channel_id_and_ts(sender, fake_slack):
    posted = sender.post("#acme-sla", "ACME-12 breached", BLOCKS)

    assert posted == Posted(channel=channel_id("#acme-sla"), ts=posted.ts)
    [call] = fake_slack.requests
    assert call.method == "chat.postMessage"
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Content-Type"].startswith("application/json")
    assert call.body == {"channel": "#acme-sla", "text": "ACME-12 breached", "blocks": BLOCKS,
                         "unfurl_links": False, "unfurl_media": False}
    assert [m["ts"] for m in fake_slack.messages("#acme-sla")] == [posted.ts]


def test_a_reply_goes_in_the_thread_and_ts_values_increase(sender, fake_slack):
    first = sender.post("#acme-sla", "breach")
    reply = sender.post(first.channel, "resolved 1h after the breach", thread_ts=first.ts)

    assert reply.channel == first.channel
    assert float(reply.ts) > float(first.ts)
    assert fake_slack.requests[1].body["thread_ts"] == first.ts
    assert fake_slack.requests[1].body["channel"] == first.channel
    assert "thread_ts" not in fake_slack.requests[0].body
    assert [m["text"] for m in fake_slack.messages("acme-sla")] == ["breach", "resolved 1h after the breach"]


def test_update_replaces_text_and_blocks(sender, fake_slack):
    posted = sender.post("#acme-sla", "breach")
    updated = sender.update(posted.channel, posted.ts, "breach (acknowledged)", BLOCKS)

    assert updated == posted
    call = fake_slack.calls("chat.update")[0]
    assert call.body == {"channel": posted.channel, "ts": posted.ts,
                         "text": "breach (acknowledged)", "blocks": BLOCKS}
    [message] = fake_slack.messages("#acme-sla")
    assert (message["text"], message["blocks"], message["edited"]) == ("breach (acknowledged)", BLOCKS, True)


def test_update_of_an_unknown_message_is_permanent(sender):
    with pytest.raises(SlackPermanentError) as caught:
        sender.update(channel_id("#acme-sla"), "1.000001", "x")
    assert caught.value.reason == "message_not_found"


def test_upload_makes_the_three_calls_of_files_upload_v2(sender, fake_slack):
    posted = sender.post("#reports", "Weekly summary")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    result = sender.upload(posted.channel, "attainment.png", png, "Attainment, 12 weeks",
                           initial_comment="Chart", thread_ts=posted.ts)

    assert result is None
    methods = [r.method for r in fake_slack.requests]
    assert methods == ["chat.postMessage", "files.getUploadURLExternal", "upload",
                       "files.completeUploadExternal"]
    get_url, upload, complete = fake_slack.requests[1:]
    assert get_url.body == {"filename": "attainment.png", "length": str(len(png))}
    assert upload.body["_raw"] == png and "Authorization" not in upload.headers
    assert json.loads(complete.body["files"]) == [{"id": get_url.answer["file_id"],
                                                   "title": "Attainment, 12 weeks"}]
    assert {k: complete.body[k] for k in ("channel_id", "initial_comment", "thread_ts")} == {
        "channel_id": posted.channel, "initial_comment": "Chart", "thread_ts": posted.ts}
    [stored] = fake_slack.files.values()
    assert (stored["content"], stored["channel"]) == (png, posted.channel)


def test_upload_to_a_channel_name_is_refused_like_slack_does(sender):
    with pytest.raises(SlackPermanentError) as caught:
        sender.upload("#reports", "a.png", b"png", "A")
    assert caught.value.reason == "invalid_arguments"


def test_upload_url_failing_is_transient(sender, fake_slack):
    fake_slack.fail_next("upload", status=503)
    with pytest.raises(SlackTransientError):
        sender.upload(channel_id("#reports"), "a.png", b"png", "A")


def test_429_is_rate_limited_with_retry_after(sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
    with pytest.raises(SlackRateLimited) as caught:
        sender.post("#acme-sla", "breach")
    assert caught.value.retry_after == 2
    assert len(fake_slack.calls("chat.postMessage")) == 1  # no automatic retry inside
    assert fake_slack.messages() == []


def test_429_without_retry_after_waits_one_second(sender, fake_slack):
    fake_slack.fail_next(None, status=429)
    with pytest.raises(SlackRateLimited) as caught:
        sender.post("#acme-sla", "breach")
    assert caught.value.retry_after == 1


def test_500s_then_429_then_success(sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(sender.post("#acme-sla", "breach").channel)
        except (SlackTransientError, SlackRateLimited) as e:
            outcomes.append(type(e).__name__)
    assert outcomes == ["SlackTransientError", "SlackTransientError", "SlackRateLimited",
                        channel_id("#acme-sla")]
    assert [r.status for r in fake_slack.requests] == [500, 500, 429, 200]
    assert len(fake_slack.messages()) == 1


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable", "request_timeout"])
def test_slack_side_error_codes_are_transient(sender, fake_slack, error):
    fake_slack.fail_next("chat.postMessage", status=200, error=error)
    with pytest.raises(SlackTransientError) as caught:
        sender.post("#acme-sla", "breach")
    assert caught.value.reason == error


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "some_new_error"])
def test_channel_errors_are_permanent(sender, fake_slack, error):
    fake_slack.fail_channel("#gone", error)
    with pytest.raises(SlackPermanentError) as caught:
        sender.post("#gone", "breach")
    assert caught.value.reason == error
    assert sender.post("#acme-sla", "breach").channel == channel_id("#acme-sla")  # others still work


@pytest.mark.parametrize("token, error", [("xoxp-not-a-bot-token", "invalid_auth"), ("", "not_authed")])
def test_bad_token_is_permanent_and_never_shown(fake_slack, token, error):
    sender = WebApiSender(token, base_url=fake_slack.url)
    with pytest.raises(SlackPermanentError) as caught:
        sender.post("#acme-sla", "breach")
    assert caught.value.reason == error
    assert TOKEN not in repr(WebApiSender(TOKEN, base_url=fake_slack.url))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_transient():
    sender = WebApiSender(TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}/api/", timeout=2)
    with pytest.raises(SlackTransientError) as caught:
        sender.post("#acme-sla", "breach")
    assert "cannot reach Slack" in caught.value.reason
    assert TOKEN not in caught.value.reason


def test_a_timeout_is_transient():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/"
        with pytest.raises(SlackTransientError):
            WebApiSender(TOKEN, base_url=url, timeout=0.3).post("#acme-sla", "breach")


def test_console_sender_logs_one_line_and_threads(caplog):
    sender = ConsoleSender()
    with caplog.at_level(logging.INFO, logger="connectors.slack"):
        first = sender.post("#acme-sla", "ACME-12 breached\nfirst response")
        reply = sender.post(first.channel, "resolved late", thread_ts=first.ts)
        sender.upload(first.channel, "chart.png", b"1234", "Chart")

    assert (first.ts, reply.ts) == ("console.000001", "console.000002")
    assert first.channel == "#acme-sla"
    assert [r.getMessage() for r in caplog.records] == [
        "slack (console) -> #acme-sla: ACME-12 breached first response",
        "slack (console) -> #acme-sla [thread console.000001]: resolved late",
        "slack (console) -> #acme-sla: file chart.png (4 bytes) Chart",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)


def test_make_sender_picks_by_token(fake_slack):
    assert isinstance(make_sender(None, None), ConsoleSender)
    assert isinstance(make_sender("", fake_slack.url), ConsoleSender)
    web = make_sender(TOKEN, fake_slack.url)
    assert isinstance(web, WebApiSender)
    assert web.post("#acme-sla", "hello").channel == channel_id("#acme-sla")


def test_the_fake_answers_the_other_calls_with_slack_shapes(fake_slack):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=TOKEN, base_url=fake_slack.url)
    user_id = fake_slack.add_user("Mia@Example.com")
    assert client.users_lookupByEmail(email="mia@example.com")["user"]["id"] == user_id
    cid = fake_slack.add_channel("#acme-sla")
    assert client.conversations_info(channel=cid)["channel"]["name"] == "acme-sla"
    view = client.views_open(trigger_id="1.2.abc", view={"type": "modal", "title": {
        "type": "plain_text", "text": "Excuse"}, "blocks": []})["view"]
    assert view["type"] == "modal" and view["id"].startswith("V")
    with pytest.raises(SlackApiError) as caught:
        client.users_lookupByEmail(email="nobody@example.com")
    assert caught.value.response["error"] == "users_not_found"


@pytest.mark.parametrize("code", sorted(PERMANENT_CODES))
def test_every_documented_permanent_code_is_permanent(code):
    assert type(error_from_status(200, code, {})) is SlackPermanentError


@pytest.mark.parametrize("status, code, expected", [
    (429, "ratelimited", SlackRateLimited), (200, "rate_limited", SlackRateLimited),
    (502, None, SlackTransientError), (503, "service_unavailable", SlackTransientError),
    (404, None, SlackPermanentError),
])
def test_status_and_code_decide_the_cause(status, code, expected):
    error = error_from_status(status, code, {"retry-after": "7"})
    assert type(error) is expected
    if expected is SlackRateLimited:
        assert error.retry_after == 7
