"""Engine, sessions and migrations: how the rest of the bot reaches the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from traam_bot import resources
from traam_bot.config.private import private_dir, private_file, tighten
from traam_bot.services.units import StoreUnavailable
from traam_bot.store.errors import is_unavailable, missing_database, reason_of

# The Alembic scripts, shipped inside the package (traam_bot/resources): a plain install
# upgrades its database from any folder.
with resources.migrations() as _migrations:
    MIGRATIONS_DIR = _migrations
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


BUSY_TIMEOUT_MS = 10_000  # SQLite: how long a write waits for another process's lock


class StoreError(Exception):
    """The database cannot be migrated; message is for the operator."""


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()
    return on_connect


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database, ":memory:" and
    "file:…?uri=true" (which name no plain file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or "uri" in parsed.query:
        return None
    if parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _private_sqlite(path: Path) -> None:
    """The database file and its journals are the owner's only: a folder the bot creates
    is 0700, a database file it creates 0600 (SQLite gives its -wal, -shm and -journal
    files the database file's rights), and existing ones too open are tightened."""
    private_dir(path.parent)
    private_file(path)
    tighten([path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)])


def make_engine(url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> AsyncEngine:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    path = sqlite_file(url)
    if path is not None:
        _private_sqlite(path)
    # hide_parameters: a database error's message never carries the values bound to the
    # statement (update texts, titles, names), so no log line can quote them
    engine = create_async_engine(url, pool_pre_ping=not sqlite, hide_parameters=True)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout_ms))
    return engine


class Database:
    """Owns the engine and hands out one session per unit of work."""

    def __init__(self, url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def _upgrade_sync(url: str, revision: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply Alembic migrations; runs Alembic's own event loop in a worker thread. A
    database out of reach raises StoreUnavailable (worth waiting for), a failed migration
    StoreError (not)."""
    backend = make_url(url).get_backend_name()
    try:
        await asyncio.to_thread(_upgrade_sync, url, revision)
    except Exception as exc:  # asyncpg's own errors (server starting up…) come unwrapped
        if is_unavailable(exc):
            raise StoreUnavailable(f"{backend} : {reason_of(exc)}") from exc
        if not isinstance(exc, SQLAlchemyError | OSError):
            raise
        if missing_database(exc):
            parsed = make_url(url)
            raise StoreError(
                f"la base PostgreSQL « {parsed.database} » n’existe pas sur "
                f"{parsed.host or 'localhost'} : créez-la (createdb {parsed.database}) ou "
                "corrigez database.url") from exc
        detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        raise StoreError(f"base de données inutilisable ({backend}) : {type(exc).__name__}"
                         + (f" : {detail[:200]}" if detail else "")) from exc
