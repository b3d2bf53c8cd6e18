"""Firing reminders, prompts and digests exactly once, including after downtime: each
occurrence is claimed and its message owed (outbox) in one unit of work."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.model import Reply
from traam_bot.domain.occurrences import Skip, next_occurrence, occurrences_between
from traam_bot.domain.records import ACTIVE, CANCELLED, MISSED, PAUSED, Schedule
from traam_bot.domain.render import Doc
from traam_bot.domain.text import format_datetime
from traam_bot.domain.triggers import Trigger
from traam_bot.services.calendar import CalendarService
from traam_bot.services.outbox import Outbox
from traam_bot.services.units import Units

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=60)  # later than this (the bot was down), "(en retard)"
LATE_LIMIT = timedelta(hours=24)  # later than this, a reminder is missed, not sent
PROMPT_TEXT = "Où en est l’équipe cette semaine ? Répondez dans ce fil."
LATE_MARK = " (en retard)"

DigestBuilder = Callable[["UnitOfWork", Schedule, datetime], Awaitable[Reply]]


class Timers(Protocol):
    def arm(self, schedule_id: int, at: datetime | None) -> None: ...


def reminder_reply(message: str, late: bool, ping_room: bool) -> Reply:
    """Reminders are meant to be seen (m.text); "@room" stays live only when allowed."""
    if ping_room:
        text = f"🔔 Rappel : {message}{LATE_MARK if late else ''}"
        return Reply(plain=text, html=html.escape(text).replace("\n", "<br>"))
    return Doc().para(f"🔔 Rappel : {message}{LATE_MARK if late else ''}").reply()


def prompt_reply(late: bool) -> Reply:
    return Doc().para(PROMPT_TEXT + (LATE_MARK if late else "")).reply()


class ScheduleService:
    def __init__(self, units: Units, outbox: Outbox, tz: ZoneInfo, timers: Timers,
                 digest_builder: DigestBuilder,
                 project_of_room: Callable[[str], str | None], calendar: CalendarService,
                 metrics: Metrics = NO_METRICS) -> None:
        self.units = units
        self.outbox = outbox
        self.tz = tz
        self.timers = timers
        self.digest_builder = digest_builder
        self.project_of_room = project_of_room
        self.calendar = calendar  # which occurrences fall on holidays (`holidays.skip`)
        self.metrics = metrics  # occurrences, by outcome

    async def arm_all(self) -> None:
        async with self.units() as uow:
            active = await uow.schedules.find(statuses=(ACTIVE,))
        for s in active:
            self.timers.arm(s.id, s.next_run)

    def _skip(self, kind: str, room_id: str | None, skip_holidays: bool) -> Skip | None:
        return self.calendar.skip_for(kind, room_id, skip_holidays)

    def _next(self, schedule: Schedule, after: datetime) -> datetime | None:
        """The schedule's next occurrence after `after`, holidays skipped as it says."""
        return next_occurrence(schedule.trigger, after, self.tz,
                               self._skip(schedule.kind, schedule.room_id,
                                          schedule.skip_holidays))

    def occurrences(self, schedule: Schedule, start: datetime, end: datetime
                    ) -> list[datetime]:
        """Its occurrences in [start, end), holidays skipped as it says (digests list them)."""
        return occurrences_between(schedule.trigger, start, end, self.tz,
                                   skip=self._skip(schedule.kind, schedule.room_id,
                                                   schedule.skip_holidays))

    def _arm(self, uow: UnitOfWork, schedule_id: int, at: datetime | None) -> None:
        uow.after_commit(lambda: self.timers.arm(schedule_id, at))

    # ---------------------------------------------------------------- creation
    async def add(self, uow: UnitOfWork, *, kind: str, room_id: str | None, owner: str,
                  message: str, trigger: Trigger, now: datetime,
                  may_ping_room: bool = False, skip_holidays: bool = True) -> Schedule:
        next_run = next_occurrence(trigger, now, self.tz,
                                   self._skip(kind, room_id, skip_holidays))
        schedule = await uow.schedules.add(kind=kind, room_id=room_id, owner=owner,
                                           message=message, trigger=trigger,
                                           next_run=next_run, now=now,
                                           may_ping_room=may_ping_room,
                                           skip_holidays=skip_holidays)
        self._arm(uow, schedule.id, next_run)
        return schedule

    async def cancel(self, uow: UnitOfWork, schedule: Schedule) -> None:
        await uow.schedules.set_status(schedule.id, CANCELLED)
        self._arm(uow, schedule.id, None)

    # ------------------------------------------------------------------ firing
    async def run_due(self, now: datetime) -> int:
        """Fire whatever is due at `now`, each schedule in its own unit of work; the entry
        point of the sweep and of tests."""
        async with self.units() as uow:
            due = [s for s in await uow.schedules.find(statuses=(ACTIVE,))
                   if s.next_run is not None and s.next_run <= now]
        fired = 0
        for schedule in due:
            fired += await self.run_schedule(schedule.id, now)
        return fired

    async def run_schedule(self, schedule_id: int, now: datetime) -> int:
        async with self.units() as uow:
            schedule = await uow.schedules.get(schedule_id)
            if schedule is None or schedule.status != ACTIVE or schedule.next_run is None:
                return 0
            if schedule.next_run > now:
                self._arm(uow, schedule.id, schedule.next_run)
                return 0
            return await self._run_one(uow, schedule, now)

    async def _run_one(self, uow: UnitOfWork, schedule: Schedule, now: datetime) -> int:
        assert schedule.next_run is not None
        lateness = now - schedule.next_run
        if lateness <= ON_TIME:
            return await self._fire(uow, schedule, schedule.next_run, now, late=False)
        latest = self._latest_occurrence(schedule, now)
        if schedule.kind == "digest":  # one digest for the whole downtime, never one per period
            return await self._fire(uow, schedule, latest, now, late=False)
        if now - latest <= LATE_LIMIT:
            return await self._fire(uow, schedule, latest, now, late=True)
        if schedule.trigger.is_one_off:
            await self._missed(uow, schedule, now)
            return 0
        nxt = self._next(schedule, now)
        await uow.schedules.reschedule(schedule.id, nxt)
        self._arm(uow, schedule.id, nxt)
        return 0

    def _latest_occurrence(self, schedule: Schedule, now: datetime) -> datetime:
        assert schedule.next_run is not None
        if schedule.trigger.is_one_off:
            return schedule.next_run
        found = self.occurrences(schedule, schedule.next_run, now + timedelta(microseconds=1))
        return found[-1] if found else schedule.next_run

    async def fire_now(self, uow: UnitOfWork, schedule: Schedule, now: datetime) -> int:
        """An extra occurrence right now (e.g. `!digest maintenant`)."""
        return await self._fire(uow, schedule, now, now, late=False)

    async def _fire(self, uow: UnitOfWork, schedule: Schedule, occurrence: datetime,
                    now: datetime, late: bool) -> int:
        """Claim the occurrence and owe its message, together: both or neither."""
        nxt = (None if schedule.trigger.is_one_off
               else self._next(schedule, max(occurrence, now)))
        firing = await uow.schedules.claim(schedule, occurrence, late, nxt, now)
        self._arm(uow, schedule.id, nxt)
        if firing is None:
            return 0  # somebody (a second timer, the sweep) already took this occurrence
        self.metrics.occurrence("late" if late else "fired")
        key = f"schedule:{schedule.id}:{occurrence.isoformat()}"
        post = partial(self.outbox.post, uow, key=key, now=now, firing_id=firing.id,
                       schedule_id=schedule.id, notify=schedule.owner)
        if schedule.kind == "digest":
            await post(await self.digest_builder(uow, schedule, now), user_id=schedule.owner,
                       msgtype="m.notice", label="digest")
        elif schedule.kind == "prompt":
            assert schedule.room_id is not None
            await post(prompt_reply(late), room_id=schedule.room_id, label="relance",
                       prompt_project=self.project_of_room(schedule.room_id))
        else:
            ping = schedule.may_ping_room and "@room" in schedule.message
            await post(reminder_reply(schedule.message, late, ping), room_id=schedule.room_id,
                       ping_room=ping, label=f"rappel « {schedule.message[:80]} »")
        return 1

    async def _missed(self, uow: UnitOfWork, schedule: Schedule, now: datetime) -> None:
        await uow.schedules.reschedule(schedule.id, None, MISSED)
        self.metrics.occurrence("missed")
        self._arm(uow, schedule.id, None)
        when = format_datetime(schedule.next_run, self.tz) if schedule.next_run else "?"
        reply = Doc().para(f"Votre rappel « {schedule.message} » prévu le {when} n’a pas pu "
                           "être envoyé : le bot était arrêté depuis plus de 24 heures. Il est "
                           "marqué comme manqué.").reply()
        await self.outbox.post(uow, reply, f"missed:{schedule.id}", now, user_id=schedule.owner,
                               msgtype="m.notice")

    # ------------------------------------------------------------- room loss
    async def pause_room(self, uow: UnitOfWork, room_id: str) -> None:
        for s in await uow.schedules.find(room_id=room_id, statuses=(ACTIVE,)):
            if s.kind != "digest":
                self._arm(uow, s.id, None)
        await uow.schedules.set_room_status(room_id, ACTIVE, PAUSED)

    async def resume_room(self, uow: UnitOfWork, room_id: str, now: datetime) -> None:
        for s in await uow.schedules.find(room_id=room_id, statuses=(PAUSED,)):
            nxt = self._next(s, now)
            await uow.schedules.reschedule(s.id, nxt, ACTIVE if nxt else MISSED)
            self._arm(uow, s.id, nxt)

    async def prompt_project(self, uow: UnitOfWork, event_id: str | None) -> str | None:
        """The project whose progress prompt `event_id` is, if it is one."""
        return await uow.schedules.prompt_project(event_id) if event_id else None
