"""Who may read what: one check in front of every route that is not public.

Public (they carry their own proof, or are harmless): the webhooks (`/webhooks/*`: Jira's and
Slack's signatures), `/healthz`, the signed survey links, the sign-in routes (`/auth/*`) and the
static files. Every other route — the dashboard, `/api/*`, the backtest form, `/metrics`, and
any route added later — is refused (401) without credentials once any sign-in is configured:
SLAWATCH_DASHBOARD_PASSWORD, Sign in with Slack (SLACK_CLIENT_ID) or a live API token. With none
of them the service is open, as on a developer's laptop (a warning is logged at start).

Credentials, first that applies:
- `Authorization: Bearer <token>`: an API token (`slawatch token create`; a token made with
  `--vendor` sees that vendor only), or SLAWATCH_METRICS_TOKEN for `/metrics` alone;
- HTTP basic auth with SLAWATCH_DASHBOARD_PASSWORD (any user name): sees everything;
- the session cookie of Sign in with Slack (web/auth_slack.py): the member's role comes from
  rules.yaml at every request (processors/rules_governance.py), so a rules edit takes effect at
  once; a member with no role gets 403.

`flask.g.slawatch_vendors` tells the views what the caller may see: None = every vendor, a
frozenset of vendor ids = only those. The rules pages, the backtest form and /metrics (which show
every vendor) need None.
"""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from flask import Response, current_app, g, jsonify, redirect, request, session, url_for

from processors.rules_governance import seen_vendors
from store.tokens import any_live_token, token_owner
from web import context

log = logging.getLogger(__name__)

PUBLIC_BLUEPRINTS = frozenset({"webhooks", "slack", "survey", "auth"})
PUBLIC_ENDPOINTS = frozenset({"static", "dashboard.static", "health.healthz"})
EVERY_VENDOR_ENDPOINTS = frozenset({"dashboard.rules_page", "backtest_page.backtest", "health.metrics"})
METRICS_ENDPOINT = "health.metrics"
REALM = 'Basic realm="Slawatch", charset="UTF-8"'


@dataclass(frozen=True)
class Caller:
    who: str  # "password", "token:<name>", "slack:<member id>", "metrics", "open"
    vendors: frozenset[str] | None


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def init_app(app) -> None:
    app.before_request(guard)
    if not (app.config.get("SLAWATCH_DASHBOARD_PASSWORD") or app.config.get("SLACK_CLIENT_ID")):
        log.warning("no sign-in configured (SLAWATCH_DASHBOARD_PASSWORD, SLACK_CLIENT_ID): the dashboard "
                    "and the API are open to anyone who can reach them until an API token exists")


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:  # no route matched: Flask answers 404/405, nothing is read
        return True
    blueprint = endpoint.rpartition(".")[0]
    return endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS


def guard():
    """The before_request of the whole app: public, or a caller who may see this route."""
    g.slawatch_vendors = None
    if is_public(request.endpoint):
        return None
    try:
        caller = identify()
    except Refused as exc:
        return refusal(exc)
    if caller.vendors is not None and request.endpoint in EVERY_VENDOR_ENDPOINTS:
        return refusal(Refused(403, "this page shows every vendor; you may see "
                                    + (", ".join(sorted(caller.vendors)) or "none")))
    g.slawatch_caller, g.slawatch_vendors = caller, caller.vendors
    return None


def sign_in_configured() -> bool:
    config = current_app.config
    if config.get("SLAWATCH_DASHBOARD_PASSWORD") or config.get("SLACK_CLIENT_ID"):
        return True
    with context.database().reading() as db:
        return any_live_token(db)


def identify() -> Caller:
    """The caller, or Refused(401/403) with the reason."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer":
        return _bearer(auth.token or "")
    if auth is not None and auth.type == "basic":
        return _password(auth.password or "")
    if session.get("slack_user"):
        return _slack_member(session["slack_user"], session.get("email"))
    if not sign_in_configured():
        return Caller("open", None)
    raise Refused(401, "sign in first: Sign in with Slack, the dashboard password, or an API token "
                       "(Authorization: Bearer)")


def _same(given: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _bearer(token: str) -> Caller:
    if request.endpoint == METRICS_ENDPOINT and _same(token, current_app.config.get("SLAWATCH_METRICS_TOKEN")):
        return Caller("metrics", None)
    with context.database().reading() as db:
        owner = token_owner(db, token) if token else None
        found = (owner.name, owner.vendor) if owner is not None else None
    if found is None:
        raise Refused(401, "unknown or revoked API token")
    return Caller(f"token:{found[0]}", frozenset({found[1]}) if found[1] else None)


def _password(given: str) -> Caller:
    if _same(given, current_app.config.get("SLAWATCH_DASHBOARD_PASSWORD")):
        return Caller("password", None)
    raise Refused(401, "wrong password")


def _slack_member(user_id: str, email: str | None) -> Caller:
    vendors = seen_vendors(context.rulebook().rules, user_id, email)
    if vendors is not None and not vendors:
        raise Refused(403, f"you are signed in as Slack member {user_id}, but rules.yaml gives you no role: "
                           "ask an admin to list you in governance (admins, approvers, or a vendor's "
                           "managers or staff)")
    return Caller(f"slack:{user_id}", vendors)


def _wants_page() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.method == "GET" and best == "text/html" and not request.path.startswith("/api/")


def refusal(exc: Refused):
    """401/403 as JSON (the API, machines) or a way to sign in (a browser)."""
    config = current_app.config
    if exc.status == 401 and _wants_page() and config.get("SLACK_CLIENT_ID") and request.authorization is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    response = jsonify(error="unauthorized" if exc.status == 401 else "forbidden", reason=exc.reason)
    response.status_code = exc.status
    if exc.status == 401 and config.get("SLAWATCH_DASHBOARD_PASSWORD"):
        response.headers["WWW-Authenticate"] = REALM
    return response


def visible(vendor: str | None) -> bool:
    """May the caller of this request see records of `vendor`?"""
    vendors = getattr(g, "slawatch_vendors", None)
    return vendors is None or vendor in vendors


def forbidden_page() -> Response:
    return refusal(Refused(403, "you may not see this vendor"))
