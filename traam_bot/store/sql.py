"""Dialect-aware statements shared by the repositories (SQLite and PostgreSQL)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Result
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


@cache
def _insert_ignore_stmt(dialect_name: str, table: Table, returning: tuple[str, ...]) -> Any:
    ins = pg_insert if dialect_name == "postgresql" else sqlite_insert
    stmt = ins(table).on_conflict_do_nothing()
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


async def execute_insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any],
                                returning: tuple[str, ...] = ()) -> Result[Any]:
    """INSERT … ON CONFLICT DO NOTHING [RETURNING …], built once per table and run on the
    unit's connection: the hot path (ledger, outbox) skips the ORM's bulk machinery."""
    stmt = _insert_ignore_stmt(dialect(session), model.__table__, returning)
    connection = await session.connection()
    return await connection.execute(stmt, values)
