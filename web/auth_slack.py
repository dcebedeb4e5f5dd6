"""Sign in with Slack (OpenID Connect, through Authlib's Flask client).

    GET /auth/login?next=/vendors/acme   redirect to Slack (state and nonce kept in the session)
    GET /auth/callback                   Slack's answer: state checked, code exchanged, the
                                         id_token's signature (Slack's JWKS), issuer, audience,
                                         expiry and nonce checked; the member id goes in the session
    GET|POST /auth/logout                forget the session

Settings: SLACK_CLIENT_ID, SLACK_CLIENT_SECRET (the Slack app's OAuth credentials; its redirect
URL must be SLAWATCH_PUBLIC_URL + /auth/callback), SLAWATCH_SECRET_KEY (signs the session
cookie), optional SLACK_TEAM_ID (only members of that workspace), SLAWATCH_SESSION_HOURS, and
SLAWATCH_OIDC_METADATA_URL (Slack's discovery document; tests point it at a fake provider).
The cookie is signed, HttpOnly, SameSite=Lax, and Secure when SLAWATCH_PUBLIC_URL is https or
the request came over HTTPS. What it may see is decided at every request (web/auth.py).
"""
from __future__ import annotations

import logging
from datetime import timedelta

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from joserfc.errors import JoseError

from web import context

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")

SLACK_METADATA_URL = "https://slack.com/.well-known/openid-configuration"
USER_CLAIM = "https://slack.com/user_id"  # Slack's member id (also `sub`)
TEAM_CLAIM = "https://slack.com/team_id"
SIGN_IN_ERRORS = (OAuthError, JoseError, requests.RequestException, ValueError, KeyError)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure behind HTTPS even when the app itself speaks HTTP."""

    def get_cookie_secure(self, app) -> bool:
        public = app.config.get("SLAWATCH_PUBLIC_URL") or ""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or public.startswith("https://") or request.is_secure


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.session_interface = SessionInterface()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="slawatch_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=float(app.config["SLAWATCH_SESSION_HOURS"])))
    if app.config.get("SLAWATCH_SECRET_KEY"):
        app.secret_key = app.config["SLAWATCH_SECRET_KEY"]
    if not app.config.get("SLACK_CLIENT_ID"):
        return
    oauth = OAuth(app)
    oauth.register("slack", client_id=app.config["SLACK_CLIENT_ID"],
                   client_secret=app.config["SLACK_CLIENT_SECRET"],
                   server_metadata_url=app.config["SLAWATCH_OIDC_METADATA_URL"] or SLACK_METADATA_URL,
                   client_kwargs={"scope": "openid email profile", "default_timeout": 10})
    app.extensions["slawatch.oidc"] = oauth


def _client():
    oauth = current_app.extensions.get("slawatch.oidc")
    return oauth.slack if oauth is not None else None


def _failed(status: int, reason: str):
    return jsonify(error="sign_in_failed", reason=reason), status


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no //host, no scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@bp.get("/login")
def login():
    client = _client()
    if client is None:
        return _failed(404, "Sign in with Slack is not configured (SLACK_CLIENT_ID)")
    public = current_app.config.get("SLAWATCH_PUBLIC_URL")
    callback = (public.rstrip("/") + url_for("auth.callback")) if public else url_for("auth.callback", _external=True)
    session["next"] = _safe_next(request.args.get("next"))
    try:
        return client.authorize_redirect(callback)
    except SIGN_IN_ERRORS as exc:  # Slack's discovery document unreachable
        log.warning("sign-in: discovery failed: %s", type(exc).__name__)
        return _failed(502, "Slack's sign-in is unreachable; try again later")


@bp.get("/callback")
def callback():
    client = _client()
    if client is None:
        return _failed(404, "Sign in with Slack is not configured (SLACK_CLIENT_ID)")
    try:
        token = client.authorize_access_token()
    except SIGN_IN_ERRORS as exc:
        log.info("sign-in refused: %s", type(exc).__name__)
        return _failed(400, f"sign-in refused: {getattr(exc, 'description', None) or type(exc).__name__}")
    claims = token.get("userinfo") or {}
    member = claims.get(USER_CLAIM) or claims.get("sub")
    if not member:
        return _failed(400, "sign-in refused: Slack named no member")
    team = current_app.config.get("SLACK_TEAM_ID")
    if team and claims.get(TEAM_CLAIM) != team:
        return _failed(403, "sign-in refused: this Slack workspace is not the one Slawatch serves")
    target = session.pop("next", "/")
    session.clear()
    session.permanent = True
    session.update(slack_user=member, email=claims.get("email"), name=claims.get("name"),
                   signed_in_at=context.now().isoformat())
    log.info("signed in: Slack member %s", member)
    return redirect(_safe_next(target))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login") if current_app.config.get("SLACK_CLIENT_ID") else "/")
