"""Alembic environment for the poemsdx registry.

``Registry.open`` runs the migrations itself, passing its connection in
``config.attributes["connection"]`` (one transaction). From the command line, with an
``alembic.ini`` holding ``[alembic]`` / ``script_location = poemsdx.registry:migrations``::

    alembic -c alembic.ini -x url=sqlite:///registry.sqlite3 upgrade head
    alembic -c alembic.ini -x url=postgresql+psycopg://u@host/db upgrade head --sql

Without ``-x url=…`` the URL is ``sqlalchemy.url`` from the ini file, else
``POEMSDX_DATABASE_URL``, else the per-user SQLite file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from poemsdx.registry.db import make_engine
from poemsdx.registry.orm import Base
from poemsdx.registry.paths import normalise_url

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    x_args = context.get_x_argument(as_dictionary=True)
    return normalise_url(x_args.get("url") or config.get_main_option("sqlalchemy.url"))


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure(given)
    else:
        engine = make_engine(_url())
        try:
            with engine.begin() as conn:
                _configure(conn)
        finally:
            engine.dispose()
