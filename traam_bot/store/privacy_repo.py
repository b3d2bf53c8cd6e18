"""Personal data across tables: one person's rows, their erasure, pending confirmations,
and the retention purge."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.model import Contact, Update
from traam_bot.domain.outbox import PENDING, Outgoing
from traam_bot.domain.privacy import FORGOTTEN, Erasure, Purge, scrub_json
from traam_bot.domain.records import RoomLink, Schedule
from traam_bot.domain.resources import Resource
from traam_bot.store.directory_repo import contact_of
from traam_bot.store.models import (
    ConfirmationRow,
    ContactRow,
    FiringRow,
    HandledEventRow,
    OutboxRow,
    ResourceRow,
    RoomLinkRow,
    ScheduleRow,
    UpdateRow,
)
from traam_bot.store.resources_repo import resource_of
from traam_bot.store.schedules_repo import schedule_of
from traam_bot.store.updates_repo import update_of

Scrub = Callable[[str], str]


def _count(res: Any) -> int:
    return int(getattr(res, "rowcount", 0) or 0)


def _mentioning(column: Any, needles: tuple[str, ...]) -> Any:
    """Rows whose `column` contains one of `needles`, any case (LIKE wildcards escaped)."""
    return or_(*(column.icontains(n, autoescape=True) for n in needles))


class PrivacyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    # ------------------------------------------------------------- one person's rows
    async def updates_of(self, user: str) -> list[Update]:
        q = select(UpdateRow).where(UpdateRow.author == user).order_by(UpdateRow.created_at,
                                                                        UpdateRow.id)
        return [update_of(r) for r in (await self.session.scalars(q)).all()]

    async def resources_of(self, user: str) -> list[Resource]:
        q = select(ResourceRow).where(ResourceRow.author == user).order_by(
            ResourceRow.created_at, ResourceRow.id)
        return [resource_of(r) for r in (await self.session.scalars(q)).all()]

    async def schedules_of(self, user: str) -> list[Schedule]:
        """Every schedule they own, whatever its status (a cancelled row is still kept)."""
        q = select(ScheduleRow).where(ScheduleRow.owner == user).order_by(ScheduleRow.id)
        return [schedule_of(r) for r in (await self.session.scalars(q)).all()]

    async def links_by(self, user: str) -> list[RoomLink]:
        q = select(RoomLinkRow).where(RoomLinkRow.linked_by == user).order_by(
            RoomLinkRow.linked_at)
        return [RoomLink(room_id=r.room_id, project_id=r.project_id, linked_by=r.linked_by,
                         linked_at=r.linked_at, label=r.label)
                for r in (await self.session.scalars(q)).all()]

    async def contacts_of(self, user: str) -> list[Contact]:
        q = select(ContactRow).where(ContactRow.matrix_id == user).order_by(ContactRow.position)
        return [contact_of(r) for r in (await self.session.scalars(q)).all()]

    # -------------------------------------------------------------------- erasure
    async def erase(self, user: str, needles: tuple[str, ...], scrub: Scrub) -> Erasure:
        """Delete what they own, anonymise what they wrote, and rub their id and names
        (`needles`: the id first) out of every other row that names them."""
        s = self.session
        updates = _count(await s.execute(update(UpdateRow).where(UpdateRow.author == user)
                                         .values(author="", author_name=FORGOTTEN)))
        resources = _count(await s.execute(update(ResourceRow).where(ResourceRow.author == user)
                                           .values(author="", author_name=FORGOTTEN)))
        owned = await self.schedules_of(user)
        ids = [sch.id for sch in owned]
        if ids:
            await s.execute(delete(FiringRow).where(FiringRow.schedule_id.in_(ids)))
            await s.execute(delete(ScheduleRow).where(ScheduleRow.id.in_(ids)))
        links = _count(await s.execute(update(RoomLinkRow).where(RoomLinkRow.linked_by == user)
                                       .values(linked_by="")))
        contacts = _count(await s.execute(update(ContactRow).where(ContactRow.matrix_id == user)
                                          .values(matrix_id=None)))
        await s.execute(delete(ConfirmationRow).where(ConfirmationRow.user_id == user))
        messages = await self._erase_outbox(user, needles, scrub)
        mentions = await self._scrub_mentions(needles, scrub)
        kinds = [sch.kind for sch in owned]
        return Erasure(updates=updates, resources=resources,
                       reminders=kinds.count("reminder"), prompts=kinds.count("prompt"),
                       digests=kinds.count("digest"), links=links, contacts=contacts,
                       messages=messages, mentions=mentions)

    async def _erase_outbox(self, user: str, needles: tuple[str, ...], scrub: Scrub) -> int:
        """Messages already sent (or given up) that name them are deleted; unsent ones to
        them are deleted; unsent ones to others are kept, rubbed out."""
        s = self.session
        q = select(OutboxRow).where(or_(OutboxRow.queue == f"user:{user}",
                                        _mentioning(OutboxRow.payload, needles)))
        changed = 0
        for row in (await s.scalars(q)).all():
            out = Outgoing.from_json(json.loads(row.payload))
            changed += 1
            if row.status != PENDING or out.user_id == user or row.queue == f"user:{user}":
                await s.delete(row)
                continue
            data = scrub_json(out.to_json(), scrub)
            if data.get("notify") == FORGOTTEN:  # whom to tell of a failure was them
                del data["notify"]
            row.payload = json.dumps(data, ensure_ascii=False)
        return changed

    async def _scrub_mentions(self, needles: tuple[str, ...], scrub: Scrub) -> int:
        """Others' texts that name them: updates, resources, reminder messages, room names."""
        targets: list[tuple[type, tuple[str, ...]]] = [
            (UpdateRow, ("text", "sections", "author_name")),
            (ResourceRow, ("title", "author_name", "url")),
            (ScheduleRow, ("message",)),
            (RoomLinkRow, ("label",)),
        ]
        changed = 0
        for model, columns in targets:
            cols = [getattr(model, c) for c in columns]
            q: Any = select(model).where(or_(*(_mentioning(c, needles) for c in cols)))
            for row in (await self.session.scalars(q)).all():
                changed += self._scrub_row(row, columns, scrub)
        return changed

    @staticmethod
    def _scrub_row(row: Any, columns: tuple[str, ...], scrub: Scrub) -> int:
        touched = 0
        for column in columns:
            value = getattr(row, column)
            if not value:
                continue
            new = (json.dumps(scrub_json(json.loads(value), scrub), ensure_ascii=False)
                   if column == "sections" else scrub(value))
            if new != value:
                setattr(row, column, new)
                touched = 1
        return touched

    # --------------------------------------------------------------- confirmations
    async def ask(self, user: str, action: str, now: datetime, expires: datetime) -> None:
        s = self.session
        await s.execute(delete(ConfirmationRow).where(ConfirmationRow.user_id == user,
                                                      ConfirmationRow.action == action))
        await s.execute(insert(ConfirmationRow).values(user_id=user, action=action,
                                                       asked_at=now, expires_at=expires))

    async def take(self, user: str, action: str, now: datetime) -> bool:
        """Consume a pending confirmation: True when one was waiting and had not expired."""
        row = await self.session.get(ConfirmationRow, (user, action))
        if row is None:
            return False
        await self.session.delete(row)
        return row.expires_at > now

    # --------------------------------------------------------------------- purge
    async def purge(self, content_before: datetime, technical_before: datetime,
                    now: datetime) -> Purge:
        """Retention: updates and resources older than `content_before`, the ledger and
        finished outbox rows older than `technical_before`, expired confirmations."""
        s = self.session
        return Purge(
            updates=_count(await s.execute(
                delete(UpdateRow).where(UpdateRow.created_at < content_before))),
            resources=_count(await s.execute(
                delete(ResourceRow).where(ResourceRow.created_at < content_before))),
            ledger=_count(await s.execute(
                delete(HandledEventRow).where(HandledEventRow.handled_at < technical_before))),
            messages=_count(await s.execute(delete(OutboxRow).where(
                OutboxRow.status != PENDING, OutboxRow.done_at < technical_before))),
            confirmations=_count(await s.execute(
                delete(ConfirmationRow).where(ConfirmationRow.expires_at <= now))))
