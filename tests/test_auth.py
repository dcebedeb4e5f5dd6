"""Sign-in (web/auth.py, web/auth_slack.py): every read surface behind one rule, API tokens made
with the CLI, Sign in with Slack against a fake OpenID provider over real HTTP, and roles from the
`governance` section limiting what a caller sees."""
from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner

from cli import cli
from tests import jira_payloads as jp
from web.auth import is_public
from tests.conftest import RULES_YAML
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, fake_oidc  # noqa: F401  (the fixture)

ADMIN, APPROVER, ACME_MANAGER, STRANGER = "U0ADMIN001", "U0APPROV01", "U0ACMEMGR1", "U0NOBODY01"
GOVERNED = RULES_YAML + """\
governance:
  admins: ["U0ADMIN001"]
  approvers: ["U0APPROV01"]
  vendors:
    acme:
      managers: ["U0ACMEMGR1"]
      staff: ["li.wei@acme.example"]
"""
SECRET_KEY = "k" * 40
PUBLIC = {"webhooks.jira_webhook", "slack.command", "slack.interaction", "slack.events", "survey.survey_form",
          "health.healthz", "static", "dashboard.static", "auth.login", "auth.callback", "auth.logout"}


@pytest.fixture
def governed(rules_path):
    rules_path.write_text(GOVERNED, encoding="utf-8")
    return rules_path


@pytest.fixture
def history(governed, make_app, db_url, post_jira):
    """An ACME ticket and a Globex (INFRA) ticket, both with open clocks."""
    app = make_app(db_url, SLAWATCH_DASHBOARD_PASSWORD="s3cret")
    client = app.test_client()
    for payload in (jp.created("ACME-1", "2026-01-05T10:00:00Z", project="ACME", summary="VPN down"),
                    jp.created("INFRA-1", "2026-01-05T10:05:00Z", project="INFRA", summary="Disk full")):
        assert post_jira(payload, using=client).status_code == 200
    return app


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "X-1" if m.group(1) != "filename" else "style.css", rule.rule)


def test_every_route_not_public_refuses_a_caller_without_credentials(history):
    """Walks the URL map: a route added later is covered without anyone listing it."""
    client = history.test_client()
    endpoints = {rule.endpoint for rule in history.url_map.iter_rules()}
    assert {e for e in endpoints if is_public(e)} == PUBLIC  # a new public route is a decision
    guarded = [rule for rule in history.url_map.iter_rules() if rule.endpoint not in PUBLIC]
    assert {r.endpoint for r in guarded} >= {"api.get_tickets", "api.get_ticket", "dashboard.overview",
                                             "dashboard.rules_page", "backtest_page.backtest", "health.metrics"}
    for rule in guarded:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(_url(rule), method=method, headers={"Accept": "application/json"})
            assert answer.status_code == 401, (rule.rule, method, answer.status_code)
            assert answer.json["error"] == "unauthorized" and "Basic" in answer.headers["WWW-Authenticate"]
            assert "VPN down" not in answer.get_data(as_text=True)


def test_the_password_now_covers_the_api(history):
    client = history.test_client()
    assert client.get("/api/tickets").status_code == 401
    assert client.get("/api/tickets/ACME-1").status_code == 401
    assert client.get("/api/tickets", headers=basic("wrong")).status_code == 401
    listed = client.get("/api/tickets", headers=basic("s3cret")).json
    assert sorted(t["key"] for t in listed["tickets"]) == ["ACME-1", "INFRA-1"]
    assert client.get("/healthz").status_code == 200  # public


def token_cli(db_url, rules_path, *args: str):
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}
    return CliRunner().invoke(cli, ["token", *args], env=env)


def test_api_tokens_made_listed_and_revoked_with_the_cli(history, db_url, governed):
    made = token_cli(db_url, governed, "create", "--name", "grafana")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("slw_") and len(token) > 40
    listed = token_cli(db_url, governed, "list")
    assert listed.exit_code == 0 and "grafana\t*\t" in listed.stdout and token not in listed.stdout
    client = history.test_client()
    answer = client.get("/api/tickets", headers=bearer(token))
    assert answer.status_code == 200 and answer.json["count"] == 2
    assert client.get("/api/tickets", headers=bearer(token + "x")).status_code == 401
    again = token_cli(db_url, governed, "create", "--name", "grafana")
    assert again.exit_code == 1 and "exists already" in again.stderr
    assert token_cli(db_url, governed, "revoke", "grafana").exit_code == 0
    assert client.get("/api/tickets", headers=bearer(token)).json["error"] == "unauthorized"
    assert "revoked" in token_cli(db_url, governed, "list").stdout
    assert token_cli(db_url, governed, "revoke", "grafana").exit_code == 1


def test_a_vendor_token_sees_that_vendor_only(history, db_url, governed):
    assert token_cli(db_url, governed, "create", "--name", "x", "--vendor", "nobody").exit_code == 1
    token = token_cli(db_url, governed, "create", "--name", "acme-bi", "--vendor", "acme").stdout.strip()
    client = history.test_client()
    listed = client.get("/api/tickets", headers=bearer(token)).json
    assert [t["key"] for t in listed["tickets"]] == ["ACME-1"]
    assert client.get("/api/tickets?vendor=globex", headers=bearer(token)).json["count"] == 0
    assert client.get("/api/tickets/ACME-1", headers=bearer(token)).status_code == 200
    assert client.get("/api/tickets/INFRA-1", headers=bearer(token)).status_code == 404
    page = client.get("/", headers=bearer(token)).get_data(as_text=True)
    assert "ACME Outsourcing" in page and "globex" not in page and "INFRA-1" not in page
    assert client.get("/vendors/acme", headers=bearer(token)).status_code == 200
    assert client.get("/vendors/globex", headers=bearer(token)).status_code == 403
    assert client.get("/tickets/INFRA-1", headers=bearer(token)).status_code == 404
    assert client.get("/tickets/ACME-1", headers=bearer(token)).status_code == 200
    assert client.get("/rules", headers=bearer(token)).status_code == 403  # shows every vendor
    assert client.get("/metrics", headers=bearer(token)).status_code == 403


def test_metrics_has_its_own_token(governed, make_app, db_url):
    client = make_app(db_url, SLAWATCH_DASHBOARD_PASSWORD="s3cret", SLAWATCH_METRICS_TOKEN="m3trics").test_client()
    assert client.get("/metrics").status_code == 401
    answer = client.get("/metrics", headers=bearer("m3trics"))
    assert answer.status_code == 200 and "slawatch_" in answer.get_data(as_text=True)
    assert client.get("/api/tickets", headers=bearer("m3trics")).status_code == 401  # /metrics only
    assert client.get("/metrics", headers=basic("s3cret")).status_code == 200


def test_without_any_sign_in_the_service_is_open_until_a_token_exists(governed, make_app, db_url):
    client = make_app(db_url).test_client()
    assert client.get("/api/tickets").status_code == 200
    token = token_cli(db_url, governed, "create", "--name", "ci").stdout.strip()
    assert client.get("/api/tickets").status_code == 401
    assert client.get("/api/tickets", headers=bearer(token)).status_code == 200


# ---- Sign in with Slack --------------------------------------------------------------------

@pytest.fixture
def oidc_app(history, make_app, db_url, fake_oidc):  # noqa: F811
    def make(**overrides):
        settings = dict(SLAWATCH_DASHBOARD_PASSWORD="s3cret", SLACK_CLIENT_ID=CLIENT_ID,
                        SLACK_CLIENT_SECRET=CLIENT_SECRET, SLAWATCH_SECRET_KEY=SECRET_KEY,
                        SLAWATCH_OIDC_METADATA_URL=fake_oidc.metadata_url)
        return make_app(db_url, **{**settings, **overrides})
    return make


def sign_in(client, fake, member: str, next_path: str = "/"):
    """The browser's round trip: Slawatch -> provider's authorize (real HTTP) -> callback."""
    fake.member = member
    start = client.get(f"/auth/login?next={next_path}")
    assert start.status_code == 302 and start.headers["Location"].startswith(fake.url + "/authorize?")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["nonce"] and query["state"] and query["scope"] == ["openid email profile"]
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/auth/callback"
    return client.get(f"{callback.path}?{callback.query}")


def test_sign_in_with_slack_as_an_approver_sees_everything(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    page = client.get("/vendors/globex", headers={"Accept": "text/html"})
    assert page.status_code == 302 and "/auth/login?next=/vendors/globex" in page.headers["Location"]
    assert client.get("/api/tickets").status_code == 401  # machines get 401, not a redirect
    answer = sign_in(client, fake_oidc, APPROVER, "/vendors/globex")
    assert answer.status_code == 302 and answer.headers["Location"] == "/vendors/globex"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain HTTP here
    page = client.get("/vendors/globex")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    assert client.get("/api/tickets").json["count"] == 2
    assert client.get("/rules").status_code == 200
    assert ("POST", "/token") in fake_oidc.requests and ("GET", "/jwks") in fake_oidc.requests
    client.get("/auth/logout")
    assert client.get("/api/tickets").status_code == 401


def test_a_vendor_manager_signed_in_sees_only_their_vendor(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    sign_in(client, fake_oidc, ACME_MANAGER)
    assert [t["key"] for t in client.get("/api/tickets").json["tickets"]] == ["ACME-1"]
    assert client.get("/vendors/globex").status_code == 403
    assert client.get("/api/tickets/INFRA-1").status_code == 404


def test_vendor_staff_are_known_by_their_email(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    fake_oidc.email = "Li.Wei@acme.example"
    sign_in(client, fake_oidc, "U0LIWEI001")
    assert [t["key"] for t in client.get("/api/tickets").json["tickets"]] == ["ACME-1"]


def test_a_member_without_a_role_is_told_so(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    sign_in(client, fake_oidc, STRANGER)
    answer = client.get("/api/tickets")
    assert answer.status_code == 403 and "no role" in answer.json["reason"]


def test_the_cookie_is_secure_behind_https(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app(SLAWATCH_PUBLIC_URL="https://slawatch.example.com").test_client()
    start = client.get("/auth/login")
    assert "redirect_uri=https%3A%2F%2Fslawatch.example.com%2Fauth%2Fcallback" in start.headers["Location"]
    assert "Secure" in start.headers["Set-Cookie"] and "HttpOnly" in start.headers["Set-Cookie"]


@pytest.mark.parametrize("spoil", ["state", "nonce", "issuer", "key", "team", "audience"])
def test_a_spoiled_sign_in_is_refused_and_signs_nobody_in(oidc_app, fake_oidc, spoil):  # noqa: F811
    client = oidc_app(SLACK_TEAM_ID="T0ACMEIT1").test_client()
    fake_oidc.member = APPROVER
    start = client.get("/auth/login")
    back = urlsplit(requests.get(start.headers["Location"], allow_redirects=False, timeout=5).headers["Location"])
    query = back.query
    if spoil == "state":
        query = re.sub(r"state=[^&]+", "state=forged", query)
    fake_oidc.tamper = {"nonce": {"nonce": "replayed"}, "issuer": {"iss": "https://evil.example"},
                        "audience": {"aud": "someone-else"}}.get(spoil, {})
    fake_oidc.sign_with_stranger = spoil == "key"
    fake_oidc.team = "T0OTHER01" if spoil == "team" else fake_oidc.team
    answer = client.get(f"{back.path}?{query}")
    assert answer.status_code in (400, 403) and answer.json["error"] == "sign_in_failed"
    why = {"state": "State not equal", "nonce": "'nonce'", "issuer": "'iss'", "key": "BadSignature",
           "team": "workspace", "audience": "'azp'"}[spoil]  # aud not ours: Authlib wants an azp naming us
    assert why in answer.json["reason"]
    assert client.get("/api/tickets").status_code == 401


def test_sign_in_settings_are_checked_at_start(governed, make_app, db_url):
    from app import ConfigError

    with pytest.raises(ConfigError, match="SLAWATCH_SECRET_KEY"):
        make_app(db_url, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET)
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        make_app(db_url, SLACK_CLIENT_ID=CLIENT_ID, SLAWATCH_SECRET_KEY=SECRET_KEY)


def test_next_never_leaves_the_site(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    answer = sign_in(client, fake_oidc, APPROVER, "//evil.example/x")
    assert answer.headers["Location"] == "/"


def test_a_forged_or_foreign_session_cookie_is_worth_nothing(oidc_app, fake_oidc):  # noqa: F811
    client = oidc_app().test_client()
    sign_in(client, fake_oidc, ACME_MANAGER)
    cookie = client.get_cookie("slawatch_session").value
    other = oidc_app(SLAWATCH_SECRET_KEY="z" * 40).test_client()  # another deployment's key
    other.set_cookie("slawatch_session", cookie)
    assert other.get("/api/tickets").status_code == 401
    client.set_cookie("slawatch_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/api/tickets").status_code == 401
