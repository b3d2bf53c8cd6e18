"""The bot's own bookkeeping: handled-event ledger, key/value state, rooms joined."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.records import RoomState
from traam_bot.store.models import BotStateRow, HandledEventRow, RoomStateRow
from traam_bot.store.sql import execute_insert_ignore, upsert


class StateRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    # ---- ledger
    async def handled(self, event_ids: list[str]) -> set[str]:
        """Which of these events were already handled."""
        if not event_ids:
            return set()
        q = select(HandledEventRow.event_id).where(HandledEventRow.event_id.in_(event_ids))
        s = self.session
        return set((await s.scalars(q)).all())

    async def mark_handled(self, event_id: str, room_id: str, status: str, at: datetime) -> None:
        await execute_insert_ignore(self.session, HandledEventRow, {
            "event_id": event_id, "room_id": room_id, "status": status, "handled_at": at})

    # ---- key/value
    async def get(self, key: str) -> str | None:
        s = self.session
        row = await s.get(BotStateRow, key)
        return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        s = self.session
        await s.execute(upsert(s, BotStateRow, "key", key=key, value=value))

    # ---- rooms
    async def rooms(self) -> dict[str, RoomState]:
        """room id -> when the bot joined it (origin_server_ts, ms) and whether it left."""
        rows = (await self.session.scalars(select(RoomStateRow))).all()
        return {r.room_id: RoomState(r.joined_at, r.left) for r in rows}

    async def set_room(self, room_id: str, joined_at: int, left: bool = False) -> None:
        s = self.session
        await s.execute(upsert(s, RoomStateRow, "room_id", room_id=room_id,
                               joined_at=joined_at, left=left))

    async def set_left(self, room_id: str, left: bool) -> None:
        s = self.session
        row = await s.get(RoomStateRow, room_id)
        if row is not None:
            row.left = left
