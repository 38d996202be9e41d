"""Migrations from an empty database, the ORM matching them, where the registry lives, and
SQLite with several writers at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from poemsdx import Case, InputError, Knowledge
from poemsdx.errors import RegistryError
from poemsdx.registry import Registry, default_database_path, default_database_url, head_revision
from poemsdx.registry.db import downgrade, make_engine, migrate
from poemsdx.registry.orm import Base
from poemsdx.registry.paths import normalise_url

TABLES = {"alembic_version", "cases", "case_versions", "observations", "documents",
          "assessments", "audit"}  # fmt: skip


def test_head_is_pinned() -> None:
    assert head_revision() == "0001_initial"


def test_up_from_empty_down_and_up_again(db_url: str, kb: Knowledge) -> None:
    engine = make_engine(normalise_url(db_url))
    try:
        assert set(inspect(engine).get_table_names()) == set()
        migrate(engine)
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0001_initial"
            # the ORM describes exactly what the migration built
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
        migrate(engine)  # already at head: nothing to do
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        migrate(engine)
    finally:
        engine.dispose()
    with Registry.open(db_url, kb=kb) as reg:  # opening an up-to-date database is a no-op
        reg.create_case(Case(id="after-migrations"), actor="alice")
        assert reg.check_integrity() == []


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_database_path() == tmp_path / "xdg" / "poemsdx" / "registry.sqlite3"
    assert default_database_url() == f"sqlite:///{tmp_path}/xdg/poemsdx/registry.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_database_path() == tmp_path / "home/.local/share/poemsdx/registry.sqlite3"
    monkeypatch.setenv("POEMSDX_DATABASE_URL", "sqlite:///from-env.sqlite3")
    assert normalise_url(None) == "sqlite:///from-env.sqlite3"
    assert normalise_url("sqlite:///explicit.sqlite3") == "sqlite:///explicit.sqlite3"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(InputError, match="not a database URL"):
        normalise_url("registry.sqlite3")


def test_open_default_creates_the_per_user_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kb: Knowledge
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with Registry.open(kb=kb) as reg:
        reg.create_case(Case(id="x"), actor="alice")
        assert reg.url == f"sqlite:///{tmp_path}/poemsdx/registry.sqlite3"
    assert (tmp_path / "poemsdx" / "registry.sqlite3").exists()


def test_unreachable_or_unsupported_database() -> None:
    with pytest.raises(RegistryError, match="cannot open the registry at postgresql"):
        Registry.open("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    try:
        Registry.open("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    except RegistryError as exc:
        assert "secret" not in str(exc)  # the password never appears in a message
    with pytest.raises(InputError, match="unsupported database 'mysql'"):
        Registry.open("mysql://u@h/db")


def test_unwritable_sqlite_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RegistryError, match="cannot create the registry folder"):
        Registry.open(f"sqlite:///{blocker / 'sub' / 'r.sqlite3'}")


def test_sqlite_is_in_wal_mode(tmp_path: Path, kb: Knowledge) -> None:
    reg = Registry.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", kb=kb)
    with reg, reg.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    raw = create_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with raw.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"  # persistent
    raw.dispose()


def test_sqlite_concurrent_writers(tmp_path: Path, kb: Knowledge) -> None:
    """Six writers at once on one file: three with their own registry (as three processes or
    web workers would), three sharing one registry object (as threads of one server do)."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    shared = Registry.open(url, kb=kb)
    made: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(reg: Registry, n: int) -> None:
        for i in range(12):
            case_id = reg.create_case(Case(id=f"w{n}-{i}"), actor=f"worker-{n}")
            reg.update_case(case_id, Case(id=f"w{n}-{i}", title="second"), f"worker-{n}")
            assert reg.list_cases(limit=5)
            with lock:
                made.append(case_id)

    def writer(n: int) -> None:
        try:
            if n % 2:
                work(shared, n)
            else:
                with Registry.open(url, kb=kb) as own:
                    work(own, n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.close()
    assert errors == []
    with Registry.open(url, kb=kb) as reg:
        assert reg.count_cases() == len(made) == 72
        assert {reg.get_case(c).title for c in made} == {"second"}
        assert reg.check_integrity() == []
