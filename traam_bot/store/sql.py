"""Dialect-aware statements shared by the repositories (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def insert_ignore(session: AsyncSession, model: type, **values: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING."""
    ins = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    return ins(model).values(**values).on_conflict_do_nothing()


def upsert(session: AsyncSession, model: type, index: str, /, **values: Any) -> Any:
    """INSERT … ON CONFLICT (index) DO UPDATE with every other value."""
    ins = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    stmt = ins(model).values(**values)
    updates = {k: v for k, v in values.items() if k != index}
    return stmt.on_conflict_do_update(index_elements=[index], set_=updates)
