"""Alembic environment for the review database.

``review.db.migrate`` passes an open connection in ``config.attributes["connection"]``; the
Alembic command line (``alembic -c review/alembic.ini upgrade head``) instead gives a URL,
taken from ``PILOT_INTAKE_DB_URL`` or the ini file.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from review.db import DEFAULT_DB_URL, make_engine, sqlite_foreign_keys_off
from review.models import Base

config = context.config
target_metadata = Base.metadata

# Only the command line configures logging; inside the application it is the caller's business.
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name)


def _url() -> str:
    return os.environ.get("PILOT_INTAKE_DB_URL") or config.get_main_option("sqlalchemy.url") or DEFAULT_DB_URL


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates tables for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection, sqlite_foreign_keys_off(connection):
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
