"""Engines, sessions and migrations for the review database.

SQLite is the one-machine default and PostgreSQL the production database (design.md
section 6); both are reached through the same URL-based functions here, and the schema is
always created by Alembic (never ``create_all``), so every database has a migration history
that later schema changes can build on.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB_URL = "sqlite:///out/review.sqlite3"

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://...``.

    For a SQLite file the parent directory is created (the default lives in ``out/``) and
    foreign keys are switched on; a generous busy timeout lets parallel tasks wait for each
    other's short write transactions instead of failing with "database is locked"."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration that finds the migrations next to this file, whatever the cwd."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation would choke on '%' in passwords.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any fixed numbers: PostgreSQL advisory locks that let one process at a time migrate, or
# re-evaluate the school-level rules.
MIGRATION_LOCK_KEY = 0x70696C6F74  # "pilot"
SCHOOL_CHECK_LOCK_KEY = MIGRATION_LOCK_KEY + 1


def lock_for_transaction(session: Session, key: int) -> None:
    """Wait for, then hold until commit, the advisory lock ``key`` (PostgreSQL). SQLite lets
    one writer in at a time anyway, so there it is a no-op."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock file beside a SQLite database, held while it is migrated."""
    database = engine.url.database
    if (
        engine.dialect.name != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Foreign keys off while a SQLite migration recreates tables (batch mode), then checked.

    Batch mode copies a table, drops the old one and renames the copy; with foreign keys on,
    that DROP deletes every row first and cascades into the pages, findings and fields of every
    document. The pragma only takes effect outside a transaction, so it is set before one
    begins; a database that was migrated is checked for dangling references before use (one
    already at head is not scanned again on every run)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:  # pragma: no cover
        raise RuntimeError("SQLite refused to switch foreign keys off for the migration")
    before = _revision(connection)
    connection.commit()
    try:
        yield
        if _revision(connection) != before:
            dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if dangling:  # pragma: no cover - a migration bug, never a user's input
                raise RuntimeError(f"migration left dangling references: {dangling[:5]}")
        connection.commit()
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (normally head) on the given engine.

    Runs that start at the same moment (a schedule and a manual run, two workers) would both
    try to create a fresh database's tables; a lock makes the second wait and find it done."""
    config = alembic_config()
    with (
        _sqlite_migration_lock(engine),
        engine.connect() as connection,
        sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        # env.py uses this connection instead of making its own engine.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: report and flow code keep using objects after committing.
    return sessionmaker(bind=engine, expire_on_commit=False)
