"""Schedules (reminders, prompts, digests), their claimed firings, and posted prompts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from traam_bot.domain.triggers import Trigger
from traam_bot.store.database import Database
from traam_bot.store.models import FiringRow, PromptEventRow, ScheduleRow

ACTIVE = "active"
PAUSED = "paused"
DONE = "done"
MISSED = "missed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Schedule:
    id: int
    kind: str  # reminder | prompt | digest
    room_id: str | None
    owner: str
    message: str
    trigger: Trigger
    may_ping_room: bool
    status: str
    next_run: datetime | None
    last_run: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Firing:
    id: int
    schedule_id: int
    occurrence: datetime
    late: bool


def schedule_of(row: ScheduleRow) -> Schedule:
    return Schedule(id=row.id, kind=row.kind, room_id=row.room_id, owner=row.owner,
                    message=row.message, trigger=Trigger.from_json(row.trigger),
                    may_ping_room=row.may_ping_room, status=row.status, next_run=row.next_run,
                    last_run=row.last_run, created_at=row.created_at)


class SchedulesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, kind: str, room_id: str | None, owner: str, message: str,
                  trigger: Trigger, next_run: datetime | None, now: datetime,
                  may_ping_room: bool = False) -> Schedule:
        async with self.db.session() as s:
            row = ScheduleRow(kind=kind, room_id=room_id, owner=owner, message=message,
                              trigger=trigger.to_json(), may_ping_room=may_ping_room,
                              status=ACTIVE, next_run=next_run, created_at=now)
            s.add(row)
            await s.flush()
            return schedule_of(row)

    async def get(self, schedule_id: int) -> Schedule | None:
        async with self.db.session() as s:
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
        async with self.db.session() as s:
            return [schedule_of(r) for r in (await s.scalars(q)).all()]

    async def set_status(self, schedule_id: int, status: str) -> None:
        async with self.db.session() as s:
            await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                            .values(status=status))

    async def set_room(self, schedule_id: int, room_id: str) -> None:
        async with self.db.session() as s:
            await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                            .values(room_id=room_id))

    async def reschedule(self, schedule_id: int, next_run: datetime | None,
                         status: str = ACTIVE) -> None:
        async with self.db.session() as s:
            await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule_id)
                            .values(next_run=next_run, status=status))

    async def set_room_status(self, room_id: str, old: str, new: str) -> int:
        async with self.db.session() as s:
            res = await s.execute(
                update(ScheduleRow).where(ScheduleRow.room_id == room_id,
                                          ScheduleRow.status == old,
                                          ScheduleRow.kind != "digest").values(status=new))
            return int(getattr(res, "rowcount", 0) or 0)

    async def claim(self, schedule: Schedule, occurrence: datetime, late: bool,
                    next_run: datetime | None, now: datetime) -> Firing | None:
        """Record the occurrence and advance the schedule in one transaction.

        None when that occurrence was already claimed (a second timer, a quick restart).
        """
        try:
            async with self.db.session() as s:
                firing = FiringRow(schedule_id=schedule.id, occurrence=occurrence, late=late,
                                   status="claimed", claimed_at=now)
                s.add(firing)
                await s.flush()
                status = ACTIVE if next_run is not None else DONE
                await s.execute(update(ScheduleRow).where(ScheduleRow.id == schedule.id).values(
                    next_run=next_run, last_run=occurrence, status=status))
                return Firing(firing.id, schedule.id, occurrence, late)
        except IntegrityError:
            return None

    async def finish(self, firing_id: int, status: str, event_id: str | None = None) -> None:
        async with self.db.session() as s:
            await s.execute(update(FiringRow).where(FiringRow.id == firing_id)
                            .values(status=status, event_id=event_id))

    async def unsent(self, claimed_before: datetime | None = None,
                     ) -> list[tuple[Firing, Schedule]]:
        """Firings claimed but not confirmed sent: the bot stopped or the send failed."""
        q = (select(FiringRow, ScheduleRow)
             .join(ScheduleRow, ScheduleRow.id == FiringRow.schedule_id)
             .where(FiringRow.status == "claimed").order_by(FiringRow.id))
        if claimed_before is not None:
            q = q.where(FiringRow.claimed_at < claimed_before)
        async with self.db.session() as s:
            return [(Firing(f.id, f.schedule_id, f.occurrence, f.late), schedule_of(r))
                    for f, r in (await s.execute(q)).all()]

    async def occurrences(self, schedule_id: int) -> list[datetime]:
        """Every occurrence fired (claimed) for a schedule, oldest first."""
        q = (select(FiringRow.occurrence).where(FiringRow.schedule_id == schedule_id)
             .order_by(FiringRow.occurrence))
        async with self.db.session() as s:
            return list((await s.scalars(q)).all())

    # ---- prompts
    async def add_prompt(self, event_id: str, room_id: str, project_id: str, at: datetime) -> None:
        async with self.db.session() as s:
            s.add(PromptEventRow(event_id=event_id, room_id=room_id, project_id=project_id,
                                 sent_at=at))

    async def prompts(self) -> dict[str, str]:
        """prompt event id -> room id."""
        async with self.db.session() as s:
            rows = (await s.scalars(select(PromptEventRow))).all()
            return {r.event_id: r.room_id for r in rows}
