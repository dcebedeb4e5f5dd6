"""Alembic environment: runs the migrations online against our own engine setup."""
from __future__ import annotations

import os

from alembic import context

from store.db import make_engine
from store.models import Base

config = context.config


def database_url() -> str:
    return (config.attributes.get("url") or os.environ.get("SLAWATCH_DATABASE_URL")
            or "sqlite:///slawatch.db")


def run_migrations_online() -> None:
    engine = make_engine(database_url(), statement_timeout_ms=None)  # a migration may take long
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `slawatch db upgrade`")
run_migrations_online()
