"""Schedules (reminders, prompts, digests), their claimed firings, and posted prompts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.records import ACTIVE, DONE, PAUSED, Firing, Schedule
from traam_bot.domain.triggers import Trigger
from traam_bot.store.models import FiringRow, PromptEventRow, ScheduleRow
from traam_bot.store.sql import insert_ignore


def schedule_of(row: ScheduleRow) -> Schedule:
    return Schedule(id=row.id, kind=row.kind, room_id=row.room_id, owner=row.owner,
                    message=row.message, trigger=Trigger.from_json(row.trigger),
                    may_ping_room=row.may_ping_room, status=row.status, next_run=row.next_run,
                    last_run=row.last_run, created_at=row.created_at,
                    skip_holidays=row.skip_holidays)


class SchedulesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def add(self, *, kind: str, room_id: str | None, owner: str, message: str,
                  trigger: Trigger, next_run: datetime | None, now: datetime,
                  may_ping_room: bool = False, skip_holidays: bool = True) -> Schedule:
        s = self.session
        row = ScheduleRow(kind=kind, room_id=room_id, owner=owner, message=message,
                          trigger=trigger.to_json(), may_ping_room=may_ping_room,
                          status=ACTIVE, next_run=next_run, created_at=now,
                          skip_holidays=skip_holidays)
        s.add(row)
        await s.flush()
        return schedule_of(row)

    async def get(self, schedule_id: int) -> Schedule | None:
        s = self.session
        row = await s.get(ScheduleRow, schedule_id)
        return schedule_of(row) if row else None

    async def find(self, *, kind: str | None = None, room_id: str | None = None,
                   owner: str | None = None, statuses: tuple[str, ...] = (ACTIVE, PAUSED),
                   ) -> list[Schedule]:
        q = select(ScheduleRow).where(ScheduleRow.status.in_(statuses)).order_by(ScheduleRow.id)
        if kind is not None:
            q = q.where(ScheduleRow.kind == kind)
        if room_id is not None:
            q = q.where(ScheduleRow.room_id == room_id)
        if owner is not None:
            q = q.where(ScheduleRow.owner == owner)
        s = self.session
        return [schedule_of(r) for r in (await s.scalars(q)).all()]

    async def set_status(self, schedule_id: int, status: str) -> None:
        s = self.session
        await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                        .values(status=status))

    async def set_room(self, schedule_id: int, room_id: str) -> None:
        s = self.session
        await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                        .values(room_id=room_id))

    async def reschedule(self, schedule_id: int, next_run: datetime | None,
                         status: str = ACTIVE) -> None:
        s = self.session
        await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                        .values(next_run=next_run, status=status))

    async def set_room_status(self, room_id: str, old: str, new: str) -> int:
        s = self.session
        res = await s.execute(
            update(ScheduleRow).where(ScheduleRow.room_id == room_id,
                                      ScheduleRow.status == old,
                                      ScheduleRow.kind != "digest").values(status=new))
        return int(getattr(res, "rowcount", 0) or 0)

    async def claim(self, schedule: Schedule, occurrence: datetime, late: bool,
                    next_run: datetime | None, now: datetime) -> Firing | None:
        """Record the occurrence and advance the schedule, in the caller's unit of work.

        None when that occurrence was already claimed (a second timer, a quick restart).
        """
        s = self.session
        firing_id = (await s.execute(insert_ignore(
            s, FiringRow, schedule_id=schedule.id, occurrence=occurrence, late=late,
            status="queued", claimed_at=now).returning(FiringRow.id))).scalar()
        if firing_id is None:
            return None
        status = ACTIVE if next_run is not None else DONE
        await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule.id).values(
            next_run=next_run, last_run=occurrence, status=status))
        return Firing(firing_id, schedule.id, occurrence, late)

    async def finish(self, firing_id: int, status: str, event_id: str | None = None) -> None:
        s = self.session
        await s.execute(update(FiringRow).where(FiringRow.id == firing_id)
                        .values(status=status, event_id=event_id))

    async def occurrences(self, schedule_id: int) -> list[datetime]:
        """Every occurrence fired (claimed) for a schedule, oldest first."""
        q = (select(FiringRow.occurrence).where(FiringRow.schedule_id == schedule_id)
             .order_by(FiringRow.occurrence))
        s = self.session
        return list((await s.scalars(q)).all())

    # ---- prompts
    async def add_prompt(self, event_id: str, room_id: str, project_id: str, at: datetime) -> None:
        s = self.session
        await s.execute(insert_ignore(s, PromptEventRow, event_id=event_id, room_id=room_id,
                                      project_id=project_id, sent_at=at))

    async def prompt_project(self, event_id: str) -> str | None:
        """The project whose progress prompt `event_id` is, if it is one."""
        return await self.session.scalar(
            select(PromptEventRow.project_id).where(PromptEventRow.event_id == event_id))
