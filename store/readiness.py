"""Is the database usable? One line that says why not and what to do, for the command line.

`database_url` accepts the spellings other tools use (`postgres://`, `postgresql://`) as
`postgresql+psycopg://` and refuses the rest with a sentence; `check_database` connects once and
compares the schema's Alembic revision with the newest migration.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

import store.db

FIX = "run `slawatch db upgrade`"
EXAMPLES = "postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH/slawatch.db"


class NotReady(Exception):
    """The database cannot be used; str() is one line with the reason and the fix."""


def database_url(url: str) -> str:
    """`url` as Slawatch uses it; raises NotReady for what no Slawatch database can be."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        hint = f"; for a SQLite file write sqlite:///{url}" if "://" not in url else ""
        raise NotReady(f"SLAWATCH_DATABASE_URL {url!r} is not a database URL{hint} "
                       f"(examples: {EXAMPLES})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg2"):
        return _render(parsed.set(drivername="postgresql+psycopg"))  # psycopg 3 is the driver installed
    if backend == "postgresql" and driver == "psycopg":
        return url
    if backend == "sqlite":
        return url
    raise NotReady(f"SLAWATCH_DATABASE_URL: {_shown(parsed)} is a {backend} database; Slawatch runs on "
                   f"PostgreSQL or SQLite only (examples: {EXAMPLES})")


def check_folder(url: str) -> None:
    """NotReady when `url` is a SQLite file in a folder that does not exist (for the command line:
    a web app started anyway answers 503 on /healthz until the folder is there)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    path = parsed.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise NotReady(f"SLAWATCH_DATABASE_URL: the folder {folder} of the SQLite file does not exist; "
                       f"create it or choose another path")


def check_database(url: str) -> None:
    """Raise NotReady unless the database at `url` answers and has every migration applied."""
    head = _head(url)
    current = current_revision(url)
    if current is None:
        raise NotReady(f"the database {_shown(make_url(url))} has no Slawatch tables yet: {FIX}")
    if current != head:
        raise NotReady(f"the database {_shown(make_url(url))} is at migration {current}, this Slawatch "
                       f"needs {head}: {FIX}")


def current_revision(url: str) -> str | None:
    """The Alembic revision of the database at `url` (None: no Slawatch tables); NotReady when it
    does not answer. A SQLite file that does not exist is not created."""
    parsed = make_url(url)
    if _missing_sqlite_file(url):
        raise NotReady(f"the SQLite file {os.path.abspath(parsed.database)} does not exist: {FIX}")
    engine = create_engine(url, **_connect_args(url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise NotReady(f"cannot connect to the database {_shown(parsed)}: {reason(exc)}") from None
    finally:
        engine.dispose()


def upgrade(url: str) -> tuple[str | None, str]:
    """Apply the migrations; (revision before, revision after). NotReady when the database does
    not answer or cannot be created."""
    before = None if _missing_sqlite_file(url) else current_revision(url)
    try:
        store.db.upgrade(url)
    except SQLAlchemyError as exc:
        raise NotReady(f"cannot migrate the database {_shown(make_url(url))}: {reason(exc)}") from None
    return before, _head(url)


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    path = parsed.database or ""
    return (parsed.get_backend_name() == "sqlite" and path not in ("", ":memory:")
            and not path.startswith("file:") and not os.path.exists(path))


def reason(exc: BaseException) -> str:
    """The first line of the driver's message (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def _head(url: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(store.db.alembic_config(url)).get_current_head()


def _connect_args(url: str) -> dict:
    if make_url(url).get_backend_name() == "postgresql":
        return {"connect_args": {"connect_timeout": 5}}
    return {}


def _shown(parsed: URL) -> str:
    return parsed.render_as_string(hide_password=True)


def _render(parsed: URL) -> str:
    return parsed.render_as_string(hide_password=False)
