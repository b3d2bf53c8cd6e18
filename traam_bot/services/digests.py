"""Digest subscriptions and content: who receives what, since when, and what is coming."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from traam_bot.domain.digest import Upcoming, compose_digest
from traam_bot.domain.model import Reply
from traam_bot.domain.occurrences import occurrences_between
from traam_bot.domain.records import ACTIVE, CANCELLED, MISSED, PAUSED, Schedule
from traam_bot.domain.triggers import Trigger
from traam_bot.services.calendar import CalendarService
from traam_bot.services.directory import DirectoryService
from traam_bot.services.schedules import ScheduleService

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

WEEKLY = Trigger(weekdays=(0,), hour=8, minute=0)  # Monday 8h00
DAILY = Trigger(hour=8, minute=0)
UPCOMING_WINDOW = timedelta(days=7)


def trigger_for(frequency: str) -> Trigger:
    return DAILY if frequency == "quotidien" else WEEKLY


class DigestComposer:
    """What a digest says: updates since the last one, quiet teams, what is coming."""

    def __init__(self, directory: DirectoryService, tz: ZoneInfo,
                 calendar: CalendarService) -> None:
        self.directory = directory
        self.tz = tz
        self.calendar = calendar  # milestones and holidays to announce

    async def build(self, uow: UnitOfWork, schedule: Schedule, now: datetime) -> Reply:
        period = timedelta(days=1) if schedule.message == "quotidien" else timedelta(days=7)
        since = schedule.last_run or (now - period)
        projects = self.directory.projects
        updates = await uow.updates.list([p.id for p in projects], since=since, until=now)
        resources = await uow.resources.list([p.id for p in projects], since=since, until=now)
        milestones, holidays = self.calendar.digest_notes(since, now, self.tz)
        doc = compose_digest(projects=projects, updates=updates,
                             last_update=await uow.updates.last_update_times(),
                             upcoming=await self.upcoming(uow, now), since=since, now=now,
                             tz=self.tz, resources=resources, milestones=milestones,
                             holidays=holidays)
        return doc.reply()

    async def upcoming(self, uow: UnitOfWork, now: datetime) -> list[Upcoming]:
        items: list[Upcoming] = []
        for s in await uow.schedules.find(statuses=(ACTIVE,)):
            if s.kind == "digest" or s.room_id is None:
                continue
            project = self.directory.project_for_room(s.room_id)
            label = project.label if project else s.room_id
            kind = "relance" if s.kind == "prompt" else "rappel"
            skip = self.calendar.skip_of(s)
            for when in occurrences_between(s.trigger, now, now + UPCOMING_WINDOW, self.tz,
                                            skip=skip):
                items.append(Upcoming(when=when, kind=kind, room_label=label, text=s.message))
        return sorted(items, key=lambda u: u.when)


class DigestService:
    """Who receives digests: subscriptions are digest schedules."""

    def __init__(self, schedules: ScheduleService) -> None:
        self.schedules = schedules

    async def _subscriptions(self, uow: UnitOfWork, owner: str | None = None,
                             statuses: tuple[str, ...] = (ACTIVE, PAUSED)) -> list[Schedule]:
        return await uow.schedules.find(kind="digest", owner=owner, statuses=statuses)

    async def ensure_defaults(self, uow: UnitOfWork, referents: tuple[str, ...],
                              now: datetime) -> None:
        """Referents from the config get a weekly digest unless they unsubscribed once."""
        for user in referents:
            known = await self._subscriptions(uow, user, (ACTIVE, PAUSED, CANCELLED, MISSED))
            if not known:
                await self.subscribe(uow, user, "hebdo", now)

    async def subscribe(self, uow: UnitOfWork, user: str, frequency: str,
                        now: datetime) -> Schedule:
        for old in await self._subscriptions(uow, user):
            await self.schedules.cancel(uow, old)
        return await self.schedules.add(uow, kind="digest", room_id=None, owner=user,
                                        message=frequency, trigger=trigger_for(frequency),
                                        now=now)

    async def unsubscribe(self, uow: UnitOfWork, user: str) -> bool:
        subs = await self._subscriptions(uow, user)
        for s in subs:
            await self.schedules.cancel(uow, s)
        return bool(subs)

    async def send_now(self, uow: UnitOfWork, now: datetime) -> list[str]:
        """A digest to every subscribed referent right now; returns who gets one."""
        sent = []
        for sub in await self._subscriptions(uow, statuses=(ACTIVE,)):
            if await self.schedules.fire_now(uow, sub, now):
                sent.append(sub.owner)
        return sent
