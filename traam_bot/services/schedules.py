"""Firing reminders, prompts and digests exactly once, including after downtime."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Reply, RoomUnavailable
from traam_bot.domain.occurrences import next_occurrence, occurrences_between
from traam_bot.domain.render import Doc
from traam_bot.domain.text import format_datetime
from traam_bot.domain.triggers import Trigger
from traam_bot.store.schedules_repo import (
    ACTIVE,
    CANCELLED,
    MISSED,
    PAUSED,
    Firing,
    Schedule,
    SchedulesRepo,
)

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=60)  # later than this (the bot was down), "(en retard)"
LATE_LIMIT = timedelta(hours=24)  # later than this, a reminder is missed, not sent
RETRY_AFTER = timedelta(minutes=2)  # a claimed firing still unsent after this is retried
PROMPT_TEXT = "Où en est l’équipe cette semaine ? Répondez dans ce fil."
LATE_MARK = " (en retard)"


class Poster(Protocol):
    """Sending side, implemented over Matrix by the app."""

    async def post(self, room_id: str, reply: Reply, key: str, *, ping_room: bool = False,
                   ) -> str: ...

    async def direct(self, user_id: str, reply: Reply, key: str) -> tuple[str, str]: ...


class Timers(Protocol):
    def arm(self, schedule_id: int, at: datetime | None) -> None: ...


class NoTimers:
    def arm(self, schedule_id: int, at: datetime | None) -> None:
        return None


DigestBuilder = Callable[[Schedule, datetime], Awaitable[Reply]]


def reminder_reply(message: str, late: bool, ping_room: bool) -> Reply:
    """Reminders are meant to be seen (m.text); "@room" stays live only when allowed."""
    if ping_room:
        text = f"🔔 Rappel : {message}{LATE_MARK if late else ''}"
        return Reply(plain=text, html=html.escape(text).replace("\n", "<br>"))
    return Doc().para(f"🔔 Rappel : {message}{LATE_MARK if late else ''}").reply()


def prompt_reply(late: bool) -> Reply:
    return Doc().para(PROMPT_TEXT + (LATE_MARK if late else "")).reply()


class ScheduleService:
    def __init__(self, repo: SchedulesRepo, tz: ZoneInfo, poster: Poster,
                 digest_builder: DigestBuilder | None = None,
                 project_of_room: Callable[[str], str | None] = lambda _r: None) -> None:
        self.repo = repo
        self.tz = tz
        self.poster = poster
        self.timers: Timers = NoTimers()
        self.digest_builder = digest_builder
        self.project_of_room = project_of_room
        self.prompt_rooms: dict[str, str] = {}  # prompt event id -> room id

    async def load(self) -> None:
        self.prompt_rooms = await self.repo.prompts()

    async def arm_all(self) -> None:
        for s in await self.repo.find(statuses=(ACTIVE,)):
            self.timers.arm(s.id, s.next_run)

    # ---------------------------------------------------------------- creation
    async def add(self, *, kind: str, room_id: str | None, owner: str, message: str,
                  trigger: Trigger, now: datetime, may_ping_room: bool = False) -> Schedule:
        next_run = next_occurrence(trigger, now, self.tz)
        schedule = await self.repo.add(kind=kind, room_id=room_id, owner=owner, message=message,
                                       trigger=trigger, next_run=next_run, now=now,
                                       may_ping_room=may_ping_room)
        self.timers.arm(schedule.id, next_run)
        return schedule

    async def cancel(self, schedule: Schedule) -> None:
        await self.repo.set_status(schedule.id, CANCELLED)
        self.timers.arm(schedule.id, None)

    # ------------------------------------------------------------------ firing
    async def run_due(self, now: datetime) -> int:
        """Fire whatever is due at `now`; the only entry point timers and tests use.

        Firings claimed a while ago but never confirmed (homeserver down) are retried first.
        """
        await self.resume_unsent(now, claimed_before=now - RETRY_AFTER)
        fired = 0
        for schedule in await self.repo.find(statuses=(ACTIVE,)):
            if schedule.next_run is not None and schedule.next_run <= now:
                fired += await self._run_one(schedule, now)
        return fired

    async def run_schedule(self, schedule_id: int, now: datetime) -> int:
        schedule = await self.repo.get(schedule_id)
        if schedule is None or schedule.status != ACTIVE or schedule.next_run is None:
            return 0
        if schedule.next_run > now:
            self.timers.arm(schedule.id, schedule.next_run)
            return 0
        return await self._run_one(schedule, now)

    async def _run_one(self, schedule: Schedule, now: datetime) -> int:
        assert schedule.next_run is not None
        lateness = now - schedule.next_run
        if lateness <= ON_TIME:
            return await self._fire(schedule, schedule.next_run, now, late=False)
        latest = self._latest_occurrence(schedule, now)
        if schedule.kind == "digest":  # one digest for the whole downtime, never one per period
            return await self._fire(schedule, latest, now, late=False)
        if now - latest <= LATE_LIMIT:
            return await self._fire(schedule, latest, now, late=True)
        if schedule.trigger.is_one_off:
            await self._missed(schedule)
            return 0
        nxt = next_occurrence(schedule.trigger, now, self.tz)
        await self.repo.reschedule(schedule.id, nxt)
        self.timers.arm(schedule.id, nxt)
        return 0

    def _latest_occurrence(self, schedule: Schedule, now: datetime) -> datetime:
        assert schedule.next_run is not None
        if schedule.trigger.is_one_off:
            return schedule.next_run
        found = occurrences_between(schedule.trigger, schedule.next_run,
                                    now + timedelta(microseconds=1), self.tz)
        return found[-1] if found else schedule.next_run

    async def fire_now(self, schedule: Schedule, now: datetime) -> int:
        """An extra occurrence right now (e.g. `!digest maintenant`)."""
        return await self._fire(schedule, now, now, late=False)

    async def _fire(self, schedule: Schedule, occurrence: datetime, now: datetime,
                    late: bool) -> int:
        nxt = (None if schedule.trigger.is_one_off
               else next_occurrence(schedule.trigger, max(occurrence, now), self.tz))
        firing = await self.repo.claim(schedule, occurrence, late, nxt, now)
        self.timers.arm(schedule.id, nxt)
        if firing is None:
            return 0  # somebody (a second timer, the sweep) already took this occurrence
        await self._deliver(firing, schedule, now)
        return 1

    async def resume_unsent(self, now: datetime, claimed_before: datetime | None = None) -> int:
        """After a crash or a failure between claim and send: send again; the transaction
        id is the same, so the homeserver deduplicates a retry of what did get through."""
        pending = await self.repo.unsent(claimed_before)
        for firing, schedule in pending:
            await self._deliver(firing, schedule, now)
        return len(pending)

    async def _deliver(self, firing: Firing, schedule: Schedule, now: datetime) -> None:
        key = f"schedule:{schedule.id}:{firing.occurrence.isoformat()}"
        try:
            event_id = await self._send(schedule, firing, key, now)
        except RoomUnavailable:
            log.warning("room %s lost: pausing its schedules", schedule.room_id)
            await self.repo.finish(firing.id, "failed")
            if schedule.room_id:
                await self.pause_room(schedule.room_id)
            return
        except Exception:
            # left "claimed": the sweep sends it again later with the same transaction id
            log.exception("schedule %s could not be delivered yet", schedule.id)
            return
        await self.repo.finish(firing.id, "sent", event_id)

    async def _send(self, schedule: Schedule, firing: Firing, key: str, now: datetime) -> str:
        if schedule.kind == "digest":
            if self.digest_builder is None:
                raise RuntimeError("no digest builder")
            reply = await self.digest_builder(schedule, now)
            room_id, event_id = await self.poster.direct(schedule.owner, reply, key)
            if room_id != schedule.room_id:
                await self.repo.set_room(schedule.id, room_id)
            return event_id
        assert schedule.room_id is not None
        if schedule.kind == "prompt":
            event_id = await self.poster.post(schedule.room_id, prompt_reply(firing.late), key)
            project = self.project_of_room(schedule.room_id)
            if project is not None:
                await self.repo.add_prompt(event_id, schedule.room_id, project, now)
                self.prompt_rooms[event_id] = schedule.room_id
            return event_id
        ping = schedule.may_ping_room and "@room" in schedule.message
        return await self.poster.post(schedule.room_id,
                                      reminder_reply(schedule.message, firing.late, ping), key,
                                      ping_room=ping)

    async def _missed(self, schedule: Schedule) -> None:
        await self.repo.reschedule(schedule.id, None, MISSED)
        self.timers.arm(schedule.id, None)
        when = format_datetime(schedule.next_run, self.tz) if schedule.next_run else "?"
        reply = Doc().para(f"Votre rappel « {schedule.message} » prévu le {when} n’a pas pu "
                           "être envoyé : le bot était arrêté depuis plus de 24 heures. Il est "
                           "marqué comme manqué.").reply()
        try:
            await self.poster.direct(schedule.owner, reply, f"missed:{schedule.id}")
        except Exception:
            log.exception("could not tell %s about missed reminder %s", schedule.owner,
                          schedule.id)

    # ------------------------------------------------------------- room loss
    async def pause_room(self, room_id: str) -> None:
        for s in await self.repo.find(room_id=room_id, statuses=(ACTIVE,)):
            if s.kind != "digest":
                self.timers.arm(s.id, None)
        await self.repo.set_room_status(room_id, ACTIVE, PAUSED)

    async def resume_room(self, room_id: str, now: datetime) -> None:
        for s in await self.repo.find(room_id=room_id, statuses=(PAUSED,)):
            nxt = next_occurrence(s.trigger, now, self.tz)
            await self.repo.reschedule(s.id, nxt, ACTIVE if nxt else MISSED)
            self.timers.arm(s.id, nxt)

    def is_prompt(self, event_id: str | None) -> bool:
        return event_id is not None and event_id in self.prompt_rooms
