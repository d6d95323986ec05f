"""Database fixtures: every review-database test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` (override
with ``PILOT_INTAKE_TEST_PG_URL``); each test gets a throw-away database that is dropped
afterwards. PostgreSQL tests never skip: if the server is down they fail and say so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from flows.cli import QUIET_PREFECT
from review.db import make_engine, migrate, session_factory

# Tests that run the flow in-process log as the command line does (set before Prefect loads),
# and only warnings: the temporary server's "stopping" line would otherwise be written after
# pytest has closed its captured output.
for _name, _value in {**QUIET_PREFECT, "PREFECT_LOGGING_LEVEL": "WARNING"}.items():
    os.environ.setdefault(_name, _value)

PG_ADMIN_URL = os.environ.get(
    "PILOT_INTAKE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database: a temporary SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'review.sqlite3'}"
        return

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"pilot_intake_test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is needed for the postgres-marked tests but is not reachable at "
            f"{make_url(PG_ADMIN_URL).render_as_string(hide_password=True)} "
            f"(start it, or set PILOT_INTAKE_TEST_PG_URL): {exc}",
            pytrace=False,
        )
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated (schema at head) database."""
    engine = make_engine(db_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session
