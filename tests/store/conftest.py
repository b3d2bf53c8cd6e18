"""Store fixtures: every contract test runs on a fresh SQLite file, and on PostgreSQL when
TRAAM_TEST_DATABASE_URL is set.

PostgreSQL: each pytest session creates its own database next to the one named in the
URL (so that two test runs on the same server never wipe each other's tables), and wipes
its schema before each test. Without the CREATEDB privilege it falls back to the named
database itself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from traam_bot.store.database import Database, upgrade

PG_URL = os.environ.get("TRAAM_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


async def _execute(url: str, *statements: str, autocommit: bool = False) -> None:
    engine = create_async_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT" if autocommit else None)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def reset_postgres(url: str) -> None:
    """Drop every table (and alembic_version) so migrations start from nothing."""
    await _execute(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `backend("sqlite")` or `backend("postgresql")` runs on that backend
    only: its other parametrizations are deselected (never reported as skipped)."""
    keep, drop = [], []
    for item in items:
        only = item.get_closest_marker("backend")
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("db_url") if callspec is not None else None
        (drop if only is not None and param is not None and param not in only.args
         else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database private to this pytest session, dropped at the end ("" without PG)."""
    if not PG_URL:
        yield ""
        return
    base = make_url(PG_URL)
    name = f"{base.database}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        await _execute(PG_URL, f'CREATE DATABASE "{name}"', autocommit=True)
    except DBAPIError:
        yield PG_URL  # no CREATEDB privilege: share the named database
        return
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        await _execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                       autocommit=True)


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    """A database URL whose schema was built by the real Alembic migrations."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    else:
        url = postgres_url
        await reset_postgres(url)
    await upgrade(url)
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.close()
