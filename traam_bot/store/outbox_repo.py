"""The outbox table: what the bot owes, added in a unit of work, drained by the sender."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.outbox import PENDING, OutboxItem, Outgoing
from traam_bot.store.models import OutboxRow
from traam_bot.store.sql import execute_insert_ignore


def txn_id(key: str) -> str:
    """Deterministic transaction id: what is owed for the same cause is sent once, and a
    resend after a crash is deduplicated by the homeserver."""
    return "traam-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def queue_of(out: Outgoing) -> str:
    return out.room_id or f"user:{out.user_id}"


def item_of(row: OutboxRow) -> OutboxItem:
    return OutboxItem(id=row.id, txn_id=row.txn_id, queue=row.queue,
                      outgoing=Outgoing.from_json(json.loads(row.payload)),
                      created_at=row.created_at)


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def add(self, out: Outgoing, key: str, now: datetime) -> OutboxItem | None:
        """Owe `out`; `key` names its cause (the same key twice is owed once: None)."""
        s = self.session
        txn, queue = txn_id(key), queue_of(out)
        payload = json.dumps(out.to_json(), ensure_ascii=False)
        row_id = (await execute_insert_ignore(s, OutboxRow, {
            "txn_id": txn, "queue": queue, "payload": payload, "status": PENDING,
            "attempts": 0, "created_at": now}, returning=("id",))).scalar()
        if row_id is None:
            return None
        return OutboxItem(id=row_id, txn_id=txn, outgoing=out, created_at=now, queue=queue)

    async def pending(self, limit: int = 1000) -> list[OutboxItem]:
        """Unsent rows, oldest first (the sender keeps each queue in this order)."""
        q = (select(OutboxRow).where(OutboxRow.status == PENDING).order_by(OutboxRow.id)
             .limit(limit))
        return [item_of(r) for r in (await self.session.scalars(q)).all()]

    async def finish(self, row_id: int, status: str, at: datetime, *,
                     event_id: str | None = None, error: str | None = None,
                     queue: str | None = None) -> bool:
        """End a pending row (sent, failed, expired); False when it was no longer pending."""
        values: dict[str, object] = {"status": status, "done_at": at, "event_id": event_id,
                                     "error": error}
        if queue is not None:
            values["queue"] = queue
        res = await self.session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == PENDING)
            .values(**values))
        return bool(getattr(res, "rowcount", 0))

    async def attempted(self, row_id: int, error: str) -> None:
        await self.session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(
            attempts=OutboxRow.attempts + 1, error=error))
