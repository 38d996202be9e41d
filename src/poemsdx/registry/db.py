"""Engines and migrations: SQLite set up for several writers, PostgreSQL through psycopg 3.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, foreign keys
on and ``synchronous=FULL``; a write transaction starts with ``BEGIN IMMEDIATE`` so two
writers queue for the lock instead of failing halfway, while read-only work starts a
deferred transaction. Migrations run to head in one transaction when a registry is opened;
on PostgreSQL an advisory lock keeps two processes from migrating at once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

from ..errors import InputError

__all__ = ["BUSY_TIMEOUT_MS", "READ_ONLY", "head_revision", "make_engine", "migrate"]

BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "poemsdx_read_only"  # execution option: start a deferred (read) transaction
_MIGRATION_LOCK = 0x706F656D7364  # "poemsd": pg_advisory_xact_lock key


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (already normalised), configured per dialect."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise InputError(f"cannot read the database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    raise InputError(
        f"unsupported database '{backend}'; use sqlite:///path or postgresql+psycopg://…"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    memory = not database or database == ":memory:"
    if not memory:
        assert database is not None
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _migrations_dir() -> Path:
    return Path(str(resources.files("poemsdx.registry") / "migrations"))


def _config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revision() -> str:
    """The newest migration shipped with this version of poemsdx."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: head) in one transaction."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        if revision == "head" and current_revision(conn) == head_revision():
            return
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade (tests and administrators only: it drops data with the tables)."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)
