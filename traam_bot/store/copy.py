"""`traam-bot db copy`: every table of one database into another (SQLite → PostgreSQL),
the target migrated to head first and refused unless empty."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Table, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.text import plural
from traam_bot.store.database import Database, StoreError, sqlite_file, upgrade
from traam_bot.store.models import Base

# The running instance's lease (store/instance_lock.py) belongs to the source's bot: a copy
# carrying it would make the target's first bot wait for a lease nobody renews.
NOT_COPIED = frozenset({"instance_owner"})
BATCH = 500


@dataclass(frozen=True)
class CopyReport:
    tables: int
    rows: int


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


def _where(url: str) -> str:
    """A database named without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}/{parsed.database}"


async def copy_database(source_url: str, target_url: str) -> CopyReport:
    if make_url(source_url) == make_url(target_url):
        raise StoreError("copie impossible : la source et la cible sont la même base")
    source_file = sqlite_file(source_url)
    if source_file is not None and not source_file.is_file():
        raise FileNotFoundError(2, "base source introuvable", str(source_file))
    await upgrade(source_url)  # the source's rows are read with today's schema
    await upgrade(target_url)
    source, target = Database(source_url), Database(target_url)
    try:
        async with target.session() as session:
            for table in _tables():
                count = (await session.execute(select(func.count()).select_from(table))).scalar()
                if count:
                    raise StoreError(
                        f"copie refusée : la base cible {_where(target_url)} n’est pas vide "
                        f"(table {table.name} : {plural(int(count), 'ligne')})")
        rows = 0
        async with source.session() as reading, target.session() as writing:
            for table in _tables():
                result = await reading.stream(select(table))
                async for chunk in result.mappings().partitions(BATCH):
                    await writing.execute(insert(table), [dict(row) for row in chunk])
                    rows += len(chunk)
            if make_url(target_url).get_backend_name() == "postgresql":
                await _reset_sequences(writing)
        return CopyReport(tables=len(_tables()), rows=rows)
    finally:
        await source.close()
        await target.close()


async def _reset_sequences(session: AsyncSession) -> None:
    """Rows came with explicit ids: each serial sequence restarts after the largest."""
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            await session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
                f"FROM {table.name}"))
