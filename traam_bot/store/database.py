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

from traam_bot.services.units import StoreUnavailable
from traam_bot.store.errors import is_unavailable, reason_of

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


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


def make_engine(url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> AsyncEngine:
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    # A plain file path gets its folder; ":memory:" and "file:…?uri=true" name no folder.
    if sqlite and parsed.database not in (None, "", ":memory:") and "uri" not in parsed.query:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_pre_ping=not sqlite)
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
        detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        raise StoreError(f"base de données inutilisable ({backend}) : {type(exc).__name__}"
                         + (f" : {detail[:200]}" if detail else "")) from exc
