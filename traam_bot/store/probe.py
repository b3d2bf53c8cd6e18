"""`check-config`'s look at the database: one cheap SELECT, no migration, no lock."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import create_async_engine

from traam_bot.store.database import sqlite_file
from traam_bot.store.errors import reason_of


async def probe_database(url: str) -> tuple[bool, str]:
    """(reachable, what to tell the operator, in French)."""
    try:
        path = sqlite_file(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return False, f"adresse de base de données invalide ({exc})"
    if path is not None and not path.exists():
        if path.parent.is_dir():
            return True, f"base SQLite {path} absente : elle sera créée au premier démarrage"
        return False, f"base SQLite {path} impossible : le dossier {path.parent} n’existe pas"
    try:
        engine = create_async_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return False, f"adresse de base de données invalide ({exc})"
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return False, f"base de données injoignable ({reason_of(exc)})"
    finally:
        await engine.dispose()
    return True, "base de données joignable"
