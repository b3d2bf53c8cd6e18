"""The bot's own bookkeeping: handled-event ledger, key/value state, rooms joined."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.store.database import Database
from traam_bot.store.models import BotStateRow, HandledEventRow, RoomStateRow


def insert_ignore(session: AsyncSession, model: type, **values: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    return ins(model).values(**values).on_conflict_do_nothing()


def upsert(session: AsyncSession, model: type, index: str, /, **values: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = ins(model).values(**values)
    updates = {k: v for k, v in values.items() if k != index}
    return stmt.on_conflict_do_update(index_elements=[index], set_=updates)


class StateRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- ledger
    async def handled(self, event_ids: list[str]) -> set[str]:
        """Which of these events were already handled."""
        if not event_ids:
            return set()
        q = select(HandledEventRow.event_id).where(HandledEventRow.event_id.in_(event_ids))
        async with self.db.session() as s:
            return set((await s.scalars(q)).all())

    async def mark_handled(self, event_id: str, room_id: str, status: str, at: datetime) -> None:
        async with self.db.session() as s:
            await s.execute(insert_ignore(s, HandledEventRow, event_id=event_id, room_id=room_id,
                                          status=status, handled_at=at))

    async def prune_ledger(self, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
        async with self.db.session() as s:
            res = await s.execute(
                delete(HandledEventRow).where(HandledEventRow.handled_at < now - keep))
            return int(getattr(res, "rowcount", 0) or 0)

    # ---- key/value
    async def get(self, key: str) -> str | None:
        async with self.db.session() as s:
            row = await s.get(BotStateRow, key)
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        async with self.db.session() as s:
            await s.execute(upsert(s, BotStateRow, "key", key=key, value=value))

    # ---- rooms
    async def rooms(self) -> dict[str, RoomStateRow]:
        async with self.db.session() as s:
            return {r.room_id: r for r in (await s.scalars(select(RoomStateRow))).all()}

    async def set_room(self, room_id: str, joined_at: int, left: bool = False) -> None:
        async with self.db.session() as s:
            await s.execute(upsert(s, RoomStateRow, "room_id", room_id=room_id,
                                   joined_at=joined_at, left=left))

    async def set_left(self, room_id: str, left: bool) -> None:
        async with self.db.session() as s:
            row = await s.get(RoomStateRow, room_id)
            if row is not None:
                row.left = left
