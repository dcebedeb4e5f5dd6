"""`slawatch backfill`: the real `jira.JIRA` client against the fake Jira (tests/fake_jira.py),
fed the same ticket stories the webhook tests post."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from cli import cli
from connectors.jira_backfill import BackfillError, backfill, connect, cursor_key
from store.db import get_database
from store.repo import get_service_state
from store.rulebook import get_rulebook
from tests.conftest import row_counts, table_rows
from tests.fake_jira import FakeJira
from tests.jira_payloads import AGENT, ANIL, CHEN, CUSTOMER, LEAD, JiraTicket

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def lifecycle(ticket: JiraTicket, start: datetime, rng: random.Random) -> list[dict]:
    """A ticket's webhooks: created, assigned, comments, pauses, priority, resolve, reopen."""
    times = iter(start + timedelta(minutes=m) for m in sorted(rng.sample(range(1, 600), 9)))
    return [
        ticket.created(),
        ticket.assigned(next(times), rng.choice([CHEN, ANIL, None]), actor=LEAD),
        ticket.commented(next(times), rng.choice([AGENT, CUSTOMER]), public=rng.random() < 0.8),
        ticket.status_changed(next(times), "In Progress", actor=AGENT),
        ticket.status_changed(next(times), "Waiting for customer", actor=AGENT),
        ticket.priority_changed(next(times), rng.choice(["High", "Low"]), actor=LEAD),
        ticket.status_changed(next(times), "In Progress", actor=CUSTOMER),
        ticket.resolved(next(times), actor=AGENT),
        *([ticket.reopened(next(times), actor=CUSTOMER)] if rng.random() < 0.5 else []),
        ticket.commented(next(times), AGENT),
    ]


def stories(count: int, seed: int = 7, flavour: str = "cloud") -> list[tuple[str, dict]]:
    rng, deliveries = random.Random(seed), []
    for n in range(1, count + 1):
        start = START + timedelta(minutes=7 * n)
        ticket = JiraTicket(f"OPS-{n}", start, components=rng.choice([(), ("Network",)]),
                            priority=rng.choice(["High", "Medium"]), flavour=flavour,
                            status="Open" if flavour == "server" else "To Do")
        deliveries += [(f"OPS-{n}/{i}", p) for i, p in enumerate(lifecycle(ticket, start, rng))]
    return deliveries


@pytest.fixture
def fake_jira():
    with FakeJira() as fake:
        yield fake


def run_backfill(app, fake, jql="project = OPS", **options):
    client = connect(fake.url, fake.user, fake.token, max_retries=options.pop("retries", 0))
    return backfill(get_database(app), client, jql, get_rulebook(app).rules, app.config["SLAWATCH_CLOCK"],
                    **options)


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_backfilled_and_webhook_fed_history_give_identical_clocks(make_app, make_db_url, clock, post_jira,
                                                                  fake_jira, flavour):
    deliveries = stories(12, flavour=flavour)
    for _, payload in deliveries:
        fake_jira.feed(payload)
    clock.now = START + timedelta(hours=20)
    webhooks, backfilled = make_app(make_db_url()), make_app(make_db_url())
    for delivery, payload in deliveries:
        assert post_jira(payload, delivery=delivery, using=webhooks.test_client()).status_code == 200

    result = run_backfill(backfilled, fake_jira, page_size=5)

    assert result.issues == 12 and result.new_events == row_counts(webhooks)["events"]
    assert table_rows(backfilled, "clocks") == table_rows(webhooks, "clocks")
    for n in range(1, 13):
        api = [app.test_client().get(f"/api/tickets/OPS-{n}").json for app in (webhooks, backfilled)]
        assert api[0] == api[1]
    keys = [app.test_client().get("/api/tickets").json for app in (webhooks, backfilled)]
    assert keys[0] == keys[1]
    starts = [q["startAt"] for q in fake_jira.searches()]
    assert starts == [["0"], ["5"], ["10"]]
    assert all(q["expand"] == ["changelog"] and q["maxResults"] == ["5"] for q in fake_jira.searches())


def test_backfill_after_webhooks_and_a_second_run_add_nothing(app, post_jira, fake_jira, clock):
    deliveries = stories(4)
    for delivery, payload in deliveries:
        fake_jira.feed(payload)
        post_jira(payload, delivery=delivery)
    before = table_rows(app, "events"), table_rows(app, "clocks")
    assert run_backfill(app, fake_jira).new_events == 0
    assert run_backfill(app, fake_jira).new_events == 0
    assert (table_rows(app, "events"), table_rows(app, "clocks")) == before


def test_cloud_pages_with_next_page_token(app, clock):
    with FakeJira(deployment="Cloud") as fake:
        for _, payload in stories(7):
            fake.feed(payload)
        result = run_backfill(app, fake, page_size=3)
        assert result.issues == 7
        assert [q.get("nextPageToken") for q in fake.searches()] == [None, ["3"], ["6"]]
        assert all("startAt" not in q for q in fake.searches())


def test_long_changelogs_and_comments_are_fetched_per_issue(make_app, make_db_url, post_jira, clock):
    with FakeJira(changelog_cap=2) as fake:
        deliveries = stories(2)
        for _, payload in deliveries:
            fake.feed(payload)
        webhooks, backfilled = make_app(make_db_url()), make_app(make_db_url())
        for delivery, payload in deliveries:
            post_jira(payload, delivery=delivery, using=webhooks.test_client())
        run_backfill(backfilled, fake)
        assert any(path == "/rest/api/2/issue/OPS-1" for path, _ in fake.requests)
    assert table_rows(backfilled, "clocks") == table_rows(webhooks, "clocks")


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_a_changelog_of_250_entries_is_read_whole(make_app, make_db_url, post_jira, clock, deployment):
    """Cloud embeds at most 100 changelog entries, in the search and in issue?expand=changelog:
    the rest is paged from GET /issue/{key}/changelog. Data Center has no such endpoint (404)
    and gives them all in issue?expand=changelog."""
    flavour = "cloud" if deployment == "Cloud" else "server"
    ticket = JiraTicket("OPS-1", START, flavour=flavour, status="To Do" if flavour == "cloud" else "Open")
    moves = ["In Progress", "Waiting for customer"] * 124 + ["In Progress"]
    deliveries = [ticket.created(), *(ticket.status_changed(START + timedelta(minutes=3 * i + 1), to)
                                      for i, to in enumerate(moves)),
                  ticket.resolved(START + timedelta(hours=14), actor=AGENT)]
    with FakeJira(deployment=deployment) as fake:
        for payload in deliveries:
            fake.feed(payload)
        assert len(fake.issues["OPS-1"].histories) == 250
        webhooks, backfilled = make_app(make_db_url()), make_app(make_db_url())
        for i, payload in enumerate(deliveries):
            post_jira(payload, delivery=f"OPS-1/{i}", using=webhooks.test_client())
        run_backfill(backfilled, fake)
        pages = [q for path, q in fake.requests if path == "/rest/api/2/issue/OPS-1/changelog"]
        whole = [path for path, q in fake.requests if path == "/rest/api/2/issue/OPS-1"]
    if deployment == "Cloud":
        assert [(q["startAt"], q["maxResults"]) for q in pages] == [
            (["0"], ["100"]), (["100"], ["100"]), (["200"], ["100"])]
        assert whole == []
    else:
        assert pages == [] and len(whole) == 1
    assert row_counts(backfilled)["events"] == row_counts(webhooks)["events"] == 252
    assert table_rows(backfilled, "clocks") == table_rows(webhooks, "clocks")


def test_a_cloud_site_without_the_changelog_endpoint_falls_back(app, clock):
    """A 404 from GET /issue/{key}/changelog: the capped issue?expand=changelog, no error."""
    with FakeJira(deployment="Cloud", changelog_cap=2) as fake:
        for _, payload in stories(1):
            fake.feed(payload)
        fake.fail("/changelog", 404, times=5)
        assert run_backfill(app, fake).issues == 1
        paths = [path for path, _ in fake.requests]
        assert paths.index("/rest/api/2/issue/OPS-1/changelog") < paths.index("/rest/api/2/issue/OPS-1")
        assert len(fake.issues["OPS-1"].histories) > 2
    histories = {key.split(":")[3] for (key,) in table_rows(app, "events", exclude=(
        "id", "ticket", "kind", "at", "source", "payload", "received_at")) if ":changelog:" in key}
    assert len(histories) == 2


def test_interrupted_backfill_resumes_where_it_stopped(app, fake_jira):
    for _, payload in stories(7):
        fake_jira.feed(payload)
    fake_jira.fail("/rest/api/2/search", 500, skip=1)
    with pytest.raises(BackfillError, match="HTTP 500"):
        run_backfill(app, fake_jira, page_size=3)
    with get_database(app).reading() as session:
        assert '"start_at": 3' in get_service_state(session, cursor_key("project = OPS")).value
    assert row_counts(app)["tickets"] == 3

    result = run_backfill(app, fake_jira, page_size=3)

    assert result.resumed_at == 3 and result.issues == 7
    assert [q["startAt"] for q in fake_jira.searches()] == [["0"], ["3"], ["3"], ["6"]]
    assert row_counts(app)["tickets"] == 7
    with get_database(app).reading() as session:
        assert get_service_state(session, cursor_key("project = OPS")).value is None


def test_rate_limit_is_retried_by_the_client(app, fake_jira):
    for _, payload in stories(2):
        fake_jira.feed(payload)
    fake_jira.fail("/rest/api/2/search", 429, headers={"Retry-After": "0"})
    assert run_backfill(app, fake_jira, retries=1).issues == 2


@pytest.fixture
def cli_env(db_url, rules_path, fake_jira) -> dict[str, str]:
    for _, payload in stories(3):
        fake_jira.feed(payload)
    return {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path), "JIRA_URL": fake_jira.url,
            "JIRA_USER": fake_jira.user, "JIRA_API_TOKEN": fake_jira.token}


def backfill_cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, ["backfill", "--jql", "project = OPS", *args], env=env)


def test_backfill_command(cli_env, fake_jira):
    result = backfill_cli(cli_env)
    assert result.exit_code == 0, result.output
    assert "3/3 issues" in result.stderr
    assert "backfill: 3 issues read, " in result.stdout
    again = backfill_cli(cli_env)
    assert "0 new events stored" in again.stdout


def test_backfill_command_with_a_data_center_token(cli_env):
    result = backfill_cli({**cli_env, "JIRA_USER": ""})
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("failure, message", [
    (None, "backfill: Jira refused the credentials (401): check JIRA_USER and JIRA_API_TOKEN"),
    (("/search", 429, {"Retry-After": "7"}, None),
     "backfill: Jira rate limit (429, Retry-After 7s): gave up after retrying; run the command again later"),
    (("/search", 500, {}, None), "backfill: Jira answered HTTP 500: fake failure 500"),
    (("/search", 400, {}, {"errorMessages": ["Error in the JQL Query: Expecting operator but got 'OPS'."],
                           "errors": {}}),
     "backfill: Jira rejected the query (400): Error in the JQL Query: Expecting operator but got 'OPS'."),
])
def test_jira_errors_are_one_line_messages(cli_env, fake_jira, failure, message):
    env = dict(cli_env)
    if failure is None:
        env["JIRA_API_TOKEN"] = "wrong-token"
    else:
        path, status, headers, body = failure
        fake_jira.fail(path, status, headers=headers, body=body, times=5)
    result = backfill_cli(env, "--retries", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.output and "wrong-token" not in result.output
    assert fake_jira.token not in result.output


def test_a_real_jql_error_from_the_fake(cli_env, fake_jira):
    result = CliRunner().invoke(cli, ["backfill", "--jql", "project ~ OPS"], env=cli_env)
    assert result.exit_code == 1
    assert "Jira rejected the query (400): Error in the JQL Query" in result.stderr
