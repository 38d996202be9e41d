"""Where the registry lives: an explicit URL, else ``POEMSDX_DATABASE_URL``, else an SQLite
file in the user's data folder.

The default file follows the XDG base-directory convention:
``$XDG_DATA_HOME/poemsdx/registry.sqlite3``, or ``~/.local/share/poemsdx/registry.sqlite3``
when ``XDG_DATA_HOME`` is unset. PostgreSQL is reached by URL through psycopg 3
(``postgresql+psycopg://user@host:5432/dbname``); a plain ``postgresql://`` or
``postgres://`` URL is read the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

__all__ = ["ENV_VAR", "default_database_path", "default_database_url", "normalise_url"]

ENV_VAR = "POEMSDX_DATABASE_URL"


def default_database_path() -> Path:
    """The per-user SQLite file (not created here)."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "poemsdx" / "registry.sqlite3"


def default_database_url() -> str:
    """``POEMSDX_DATABASE_URL`` if set, else the per-user SQLite file."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    return f"sqlite:///{default_database_path()}"


def normalise_url(url: str | None) -> str:
    """The URL to open: the given one, else the default; PostgreSQL URLs use psycopg 3."""
    url = (url or "").strip() or default_database_url()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise InputError(
            f"'{url}' is not a database URL; expected e.g. sqlite:///path/registry.sqlite3 "
            "or postgresql+psycopg://user@host:5432/dbname"
        )
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url
