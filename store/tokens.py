"""API tokens for machines (Grafana, scripts): `Authorization: Bearer <token>`.

    token = create_token(session, name, vendor, now)   # the token itself, shown once
    tokens = list_tokens(session)                      # -> [ApiToken], revoked ones too
    done = revoke_token(session, name, now)            # False if no live token has that name
    row = token_owner(session, token)                  # the live ApiToken, or None

Only the sha256 of a token is stored: a token is 32 random bytes (secrets.token_urlsafe), so a
plain hash is as good as a slow one and costs nothing per request.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from store.models import ApiToken

PREFIX = "slw_"  # recognisable in a leaked config or a secret scanner


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, vendor: str | None, now: datetime) -> str:
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} exists already (names stay taken after revoking)")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_sha256=digest(token), vendor=vendor, created_at=now))
    session.flush()
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(session: Session, name: str, now: datetime) -> bool:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)))
    if row is None:
        return False
    row.revoked_at = now
    return True


def token_owner(session: Session, token: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token),
                                                 ApiToken.revoked_at.is_(None)))


def any_live_token(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(ApiToken.revoked_at.is_(None)))))
