"""A fake OpenID Connect provider standing in for Slack's: a real HTTP server on 127.0.0.1, port 0.

    def test_it(fake_oidc):
        fake_oidc.member = "U0APPROV01"            # who signs in at the next /authorize
        app = make_app(db_url, SLAWATCH_OIDC_METADATA_URL=fake_oidc.metadata_url, ...)
        fake_oidc.tamper = {"nonce": "other"}      # claims to overwrite in the next id_token
        fake_oidc.sign_with_stranger = True        # sign the next id_token with a key not in the JWKS

It serves the discovery document, the JWKS (an RSA key made per test session), the authorize
endpoint (redirects at once to redirect_uri with a one-time code and the state it was given, as
Slack does once the member consents) and the token endpoint (client_secret_basic or _post;
answers an access token and an RS256 id_token with Slack's claims: sub, email, name,
https://slack.com/user_id, https://slack.com/team_id and the nonce of the authorize request).
"""
from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID, CLIENT_SECRET = "1234567890.0987654321", "fake-oidc-client-secret"
TEAM = "T0ACMEIT1"


@functools.cache
def _key(name: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": name, "use": "sig", "alg": "RS256"})


class FakeOidc:
    def __init__(self) -> None:
        self.member = "U0APPROV01"
        self.email: str | None = None
        self.team = TEAM
        self.tamper: dict[str, Any] = {}
        self.sign_with_stranger = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.metadata_url = self.url + "/.well-known/openid-configuration"

    def start(self) -> "FakeOidc":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def metadata(self) -> dict[str, Any]:
        return {"issuer": self.url, "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks",
                "userinfo_endpoint": self.url + "/userinfo", "response_types_supported": ["code"],
                "scopes_supported": ["openid", "profile", "email"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def jwks(self) -> dict[str, Any]:
        return KeySet([_key("fake-oidc")]).as_dict(private=False)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query.get("nonce"), "redirect_uri": query["redirect_uri"],
                            "member": self.member, "email": self.email}
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": target}

    def token(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "sub": grant["member"], "iat": now, "exp": now + 300,
                  "auth_time": now, "nonce": grant["nonce"], "email": grant["email"],
                  "name": "Test Member", "https://slack.com/user_id": grant["member"],
                  "https://slack.com/team_id": self.team, **self.tamper}
        key = _key("stranger" if self.sign_with_stranger else "fake-oidc")
        id_token = jwt.encode({"alg": "RS256", "kid": "fake-oidc"}, claims, key)
        return 200, {"access_token": "xoxp-" + secrets.token_hex(8), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}


def _handler_for(fake: FakeOidc) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.requests.append(("GET", parts.path))
            if parts.path == "/.well-known/openid-configuration":
                return self._json(200, fake.metadata())
            if parts.path == "/jwks":
                return self._json(200, fake.jwks())
            if parts.path == "/authorize":
                status, headers = fake.authorize(dict(parse_qsl(parts.query)))
                return self._json(status, {}, headers)
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            fake.requests.append(("POST", self.path))
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/token":
                return self._json(404, {"error": "not_found"})
            return self._json(*fake.token(form, dict(self.headers)))

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@pytest.fixture
def fake_oidc() -> Iterator[FakeOidc]:
    fake = FakeOidc().start()
    yield fake
    fake.stop()
