"""Web-app fixtures: an app on a temporary SQLite registry and a client (``webtools.Web``);
registers the ``browser`` marker."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from webtools import SEED_CASE, SEED_TEXT, Web

from poemsdx import Knowledge, load_knowledge
from poemsdx.registry import Registry
from poemsdx.web.app import create_app
from poemsdx.web.settings import WebSettings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's chromium through Playwright (run by CI too)"
    )


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def registry(tmp_path: Path, kb: Knowledge) -> Iterator[Registry]:
    reg = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite3'}", kb=kb)
    try:
        yield reg
    finally:
        reg.close()


@pytest.fixture
def pg_registry(kb: Knowledge) -> Iterator[Registry]:
    """A registry in a fresh schema of the machine's PostgreSQL (127.0.0.1:5432, database
    ``test``), dropped afterwards; skipped when no server answers."""
    psycopg = pytest.importorskip("psycopg")
    schema = f"web_{uuid.uuid4().hex[:12]}"
    conninfo = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "connect_timeout": 3}
    try:
        admin = psycopg.connect(**conninfo, user="postgres", autocommit=True)
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432/test: {str(exc).strip()[:120]}")
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        reg = Registry.open(url, kb=kb)
        try:
            yield reg
        finally:
            reg.close()
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def make_web(kb: Knowledge, registry: Registry) -> Callable[..., Web]:
    """``make_web(**settings)`` → a client on a fresh app over this test's registry."""

    def make(base_url: str = "http://127.0.0.1", **overrides: Any) -> Web:
        overrides.setdefault("mount_cds", False)
        app = create_app(WebSettings(**overrides), kb=kb, registry=registry)
        return Web(app, base_url)

    return make


@pytest.fixture
def web(make_web: Callable[..., Web]) -> Web:
    return make_web()


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED_TEXT.exists():
        pytest.skip(f"the seed report is not at {SEED_TEXT}")
    return SEED_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_case() -> dict[str, Any]:
    """The structured seed case as the JSON object a client would send."""
    import json

    import yaml

    data = yaml.safe_load(SEED_CASE.read_text(encoding="utf-8"))
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded
