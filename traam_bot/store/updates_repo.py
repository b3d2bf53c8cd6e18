"""Progress updates: recorded once per Matrix event, numbered per project, edited, deleted."""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.model import Section, Update, has_blocker
from traam_bot.domain.records import NewUpdate
from traam_bot.store.models import ProjectRow, UpdateRow
from traam_bot.store.sql import dialect


def _sections_json(sections: Sequence[Section]) -> str:
    return json.dumps([[s.kind, s.text] for s in sections], ensure_ascii=False)


def update_of(row: Any) -> Update:
    """An ORM row or a RETURNING row as a domain Update."""
    sections = tuple(Section(k, t) for k, t in json.loads(row.sections or "[]"))
    return Update(id=row.id, project_id=row.project_id, number=row.number, author=row.author,
                  author_name=row.author_name, room_id=row.room_id, event_id=row.event_id,
                  text=row.text, created_at=row.created_at, edited_at=row.edited_at,
                  sections=sections)


@cache
def _record_stmt(dialect_name: str) -> Any:
    """INSERT with the project's next number computed inside it, ignoring a replayed event;
    built once per dialect (the burst path)."""
    table: Any = UpdateRow.__table__
    next_number = (select(func.coalesce(func.max(table.c.number), 0) + 1)
                   .where(table.c.project_id == bindparam("of_project")).scalar_subquery())
    ins = pg_insert if dialect_name == "postgresql" else sqlite_insert
    return (ins(table).values(number=next_number).on_conflict_do_nothing()
            .returning(*table.c))


class UpdatesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def by_event(self, event_id: str) -> Update | None:
        s = self.session
        row = await s.scalar(select(UpdateRow).where(UpdateRow.event_id == event_id))
        return update_of(row) if row else None

    async def record(self, new: NewUpdate) -> tuple[Update, bool]:
        """Insert once per event id; returns (update, created). A replayed event gives the
        stored update back, untouched.

        The number is the project's next one, without a read-then-write race: PostgreSQL
        locks the project row (FOR NO KEY UPDATE) so that inserts for one project take
        turns; SQLite computes it inside the INSERT, under its single write lock.
        """
        s = self.session
        if dialect(s) != "sqlite":
            await s.execute(select(ProjectRow.id).where(ProjectRow.id == new.project_id)
                            .with_for_update(key_share=True))
        connection = await s.connection()
        row = (await connection.execute(_record_stmt(dialect(s)), {
            "project_id": new.project_id, "of_project": new.project_id, "author": new.author,
            "author_name": new.author_name, "room_id": new.room_id, "event_id": new.event_id,
            "text": new.text, "sections": _sections_json(new.sections),
            "has_blocker": has_blocker(new.sections), "created_at": new.created_at,
            "edited_at": None})).one_or_none()
        if row is not None:
            return update_of(row), True
        existing = await self.by_event(new.event_id)
        if existing is None:
            raise RuntimeError(f"could not record update for {new.event_id}")
        return existing, False

    async def edit(self, event_id: str, text: str, sections: tuple[Section, ...],
                   at: datetime) -> Update | None:
        s = self.session
        row = await s.scalar(select(UpdateRow).where(UpdateRow.event_id == event_id))
        if row is None:
            return None
        row.text, row.sections, row.edited_at = text, _sections_json(sections), at
        row.has_blocker = has_blocker(sections)
        return update_of(row)

    async def delete(self, event_id: str) -> bool:
        s = self.session
        res = await s.execute(delete(UpdateRow).where(UpdateRow.event_id == event_id))
        return bool(getattr(res, "rowcount", 0))

    async def list(self, project_ids: Sequence[str] | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   ) -> list[Update]:
        """Oldest first."""
        q = select(UpdateRow).order_by(UpdateRow.created_at, UpdateRow.id)
        if project_ids is not None:
            q = q.where(UpdateRow.project_id.in_(list(project_ids)))
        if since is not None:
            q = q.where(UpdateRow.created_at >= since)
        if until is not None:
            q = q.where(UpdateRow.created_at < until)
        s = self.session
        return [update_of(r) for r in (await s.scalars(q)).all()]

    async def latest(self, project_id: str, n: int) -> builtins.list[Update]:
        """The n most recent updates of a project, newest first."""
        q = (select(UpdateRow).where(UpdateRow.project_id == project_id)
             .order_by(UpdateRow.created_at.desc(), UpdateRow.id.desc()).limit(n))
        s = self.session
        return [update_of(r) for r in (await s.scalars(q)).all()]

    async def last_update_times(self) -> dict[str, datetime]:
        """project id -> time of its most recent update."""
        q = select(UpdateRow.project_id, func.max(UpdateRow.created_at)).group_by(
            UpdateRow.project_id)
        s = self.session
        return {pid: ts for pid, ts in (await s.execute(q)).all()}
