"""Registry fixtures: every registry test runs on SQLite (a file in tmp_path) and on the
machine's PostgreSQL server (127.0.0.1:5432, database ``test``).

On PostgreSQL the session creates its own database ``poemsdx_test_<random>`` and drops it
at the end; each test gets a fresh schema in it (``search_path`` set through the URL), so
tests never see each other's rows and other test runs on the shared server are untouched.
When no server answers, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from poemsdx import Knowledge, load_knowledge
from poemsdx.registry import Registry

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")


def _pg_user() -> tuple[str | None, str]:
    """A user the server accepts, or None with the reason."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is in the web extra
        return None, f"psycopg not installed ({exc})"
    reasons = []
    for user in PG_USERS:
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3
            ):
                return user, ""
        except psycopg.Error as exc:
            reasons.append(f"{user}: {str(exc).strip().splitlines()[0]}")
    return None, "; ".join(reasons)


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[tuple[str, str]]:
    """(user, database) of a database created for this test session, dropped after."""
    user, why = _pg_user()
    if user is None:
        pytest.skip(f"no PostgreSQL server reachable at {PG_HOST}:{PG_PORT}/{PG_DB}: {why}")
    import psycopg

    name = f"poemsdx_test_{uuid.uuid4().hex[:12]}"
    admin = {"host": PG_HOST, "port": PG_PORT, "dbname": PG_DB, "user": user}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield user, name
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(user: str, database: str, schema: str | None = None) -> str:
    url = f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{database}"
    return f"{url}?options=-csearch_path%3D{schema}" if schema else url


@pytest.fixture
def pg_schema_url(pg_database: tuple[str, str]) -> Iterator[str]:
    """A fresh, empty schema in the session database."""
    import psycopg

    user, database = pg_database
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = {"host": PG_HOST, "port": PG_PORT, "dbname": database, "user": user}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield pg_url(user, database, schema)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def registry(db_url: str, kb: Knowledge) -> Iterator[Registry]:
    reg = Registry.open(db_url, kb=kb)
    try:
        yield reg
    finally:
        reg.close()
