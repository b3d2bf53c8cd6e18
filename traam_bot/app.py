"""Composition root: builds settings, database, services, Matrix runtime; starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from traam_bot.commands.router import Router
from traam_bot.config import Settings
from traam_bot.domain.model import Edit, Incoming, Redaction, RoomView
from traam_bot.matrix.cross_signing import TrustOptions, ensure_cross_signing
from traam_bot.matrix.messenger import Messenger
from traam_bot.matrix.rooms import room_label
from traam_bot.matrix.runtime import Runtime
from traam_bot.matrix.send import Sender
from traam_bot.matrix.session import open_session
from traam_bot.matrix.withheld import Withheld, notice_key, withheld_notice
from traam_bot.scheduling.timers import ApsTimers
from traam_bot.services.container import Services
from traam_bot.services.digests import DigestService
from traam_bot.services.directory import DirectoryService, migrate_and_import
from traam_bot.services.schedules import Poster, ScheduleService
from traam_bot.services.updates import UpdateService
from traam_bot.store.database import Database
from traam_bot.store.directory_repo import DirectoryRepo
from traam_bot.store.schedules_repo import SchedulesRepo
from traam_bot.store.state_repo import StateRepo
from traam_bot.store.updates_repo import UpdatesRepo

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "sync_token"


def utcnow() -> datetime:
    return datetime.now(UTC)


async def build_services(settings: Settings, db: Database, poster: Poster,
                         clock: Callable[[], datetime] = utcnow) -> Services:
    """Every service over one database; `poster` is how schedules reach Matrix."""
    directory = DirectoryService(DirectoryRepo(db))
    await directory.refresh()
    updates_repo = UpdatesRepo(db)
    updates = UpdateService(updates_repo, directory, settings.tz)

    def project_of_room(room_id: str) -> str | None:
        project = directory.project_for_room(room_id)
        return project.id if project else None

    schedules = ScheduleService(SchedulesRepo(db), settings.tz, poster,
                                project_of_room=project_of_room)
    digests = DigestService(schedules, updates_repo, directory, settings.tz)
    schedules.digest_builder = digests.build
    await schedules.load()
    return Services(settings=settings, directory=directory, state=StateRepo(db), clock=clock,
                    updates=updates, schedules=schedules, digests=digests)


async def prepare_database(settings: Settings) -> Database:
    """Migrations then directory import: what `run` does before connecting."""
    db, _directory, report = await migrate_and_import(settings)
    if report.changed:
        log.info("directory imported: %d added, %d updated, %d archived",
                 len(report.added), len(report.updated), len(report.archived))
    return db


class BotSink:
    """Receives what the Matrix runtime delivers and turns it into replies and records."""

    def __init__(self, services: Services, router: Router, sender: Sender) -> None:
        self.services = services
        self.router = router
        self.sender = sender
        self.state = services.state
        self._joined: dict[str, int] | None = None  # room id -> join time (ms), loaded once

    async def handled(self, event_ids: list[str]) -> set[str]:
        return await self.state.handled(event_ids)

    async def on_event(self, event: Incoming | Edit | Redaction, room: RoomView) -> None:
        if isinstance(event, Incoming):
            event = _with_context(event, room)
            reply = await self.router.handle(event, room)
            if reply is not None:
                await self.sender.reply(event.room_id, reply, event, key=event.event_id)
        elif isinstance(event, Edit):
            await self._on_edit(event, room)
        else:
            await self.services.updates.apply_redaction(event)
        await self.state.mark_handled(event.event_id, event.room_id, "done",
                                      self.services.clock())

    async def _on_edit(self, edit: Edit, room: RoomView) -> None:
        services = self.services
        in_dm = room.is_direct and services.directory.project_for_room(edit.room_id) is None
        updated = await services.updates.apply_edit(
            edit, services.settings.command_prefix, in_dm, services.clock())
        if updated is not None:  # a quiet acknowledgement, no public message
            await self.sender.react(edit.room_id, edit.target, "✏️")

    async def on_joined(self, room_id: str, aliases: tuple[str, ...], joined_at_ms: int) -> None:
        await self.state.set_room(room_id, joined_at_ms)
        if self._joined is not None:
            self._joined[room_id] = joined_at_ms
        await self.services.schedules.resume_room(room_id, self.services.clock())
        directory = self.services.directory
        project = directory.configured_project(aliases)
        if project is not None and directory.project_for_room(room_id) is None:
            await directory.link(room_id, project.id, "config", self.services.clock(),
                                 project.room)
            log.info("room %s linked to %s from the directory", room_id, project.id)

    async def on_left(self, room_id: str) -> None:
        """Kicked or banned: pause the room's schedules instead of failing on every firing."""
        await self.state.set_left(room_id, True)
        await self.services.schedules.pause_room(room_id)

    async def on_key_withheld(self, room: RoomView, sender: str, notice: Withheld) -> None:
        """Say once per room (across restarts) that a member's messages cannot be read."""
        key = notice_key(room.room_id)
        if await self.state.get(key) is not None:
            return
        reply = withheld_notice(room.display_name(sender), notice.code)
        await self.sender.reply(room.room_id, reply, None, key=key)  # txn: resend deduplicated
        await self.state.set(key, self.services.clock().isoformat())

    async def joined_at(self, room_id: str) -> int | None:
        if self._joined is None:  # read once: this is on every sync's path
            self._joined = {r: row.joined_at for r, row in (await self.state.rooms()).items()}
        return self._joined.get(room_id)

    async def load_token(self) -> str | None:
        return await self.state.get(SYNC_TOKEN_KEY)

    async def save_token(self, token: str) -> None:
        await self.state.set(SYNC_TOKEN_KEY, token)


def _with_context(event: Incoming, room: RoomView) -> Incoming:
    return replace(event, is_direct=room.is_direct, sender_name=room.display_name(event.sender))


async def run_bot(settings: Settings, stop: asyncio.Event | None = None,
                  ready: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
    db = await prepare_database(settings)
    m = settings.matrix
    client = await open_session(m.homeserver, m.user_id, m.store_path, password=m.password,
                                access_token=m.access_token, device_id=m.device_id,
                                device_name=m.device_name)
    timers: ApsTimers | None = None
    try:
        await ensure_cross_signing(client, Path(m.store_path), TrustOptions(
            m.password, m.recovery_key, m.reset_cross_signing))
        sender = Sender(client)
        services = await build_services(settings, db, Messenger(client, sender))
        services.is_member = lambda room_id, user: (
            room_id in client.rooms and user in client.rooms[room_id].users)
        services.room_label = lambda room_id: room_label(client, room_id)
        localpart = m.user_id.split(":", 1)[0].lstrip("@")
        runtime = Runtime(client, BotSink(services, Router(services), sender), settings.servers,
                          display_names=(localpart,), sender=sender)
        stop = stop or signal_event()
        stopper = asyncio.ensure_future(_propagate(stop, runtime.stopping))
        timers = _timers(services)
        starter = asyncio.ensure_future(_start_schedules(services, timers, runtime, ready))
        await services.state.prune_ledger(services.clock())
        log.info("traam-bot connected as %s", m.user_id)
        await runtime.run()
        stopper.cancel()
        starter.cancel()
    finally:
        if timers is not None:
            timers.shutdown()
        await client.close()  # never logout(): the device and its keys stay valid
        await db.close()
    log.info("traam-bot stopped cleanly")


def _timers(services: Services) -> ApsTimers:
    schedules, clock = services.schedules, services.clock

    async def fire(schedule_id: int) -> None:
        await schedules.run_schedule(schedule_id, clock())

    async def sweep() -> None:
        await schedules.run_due(clock())

    timers = ApsTimers(services.settings.tz, fire, sweep)
    schedules.timers = timers
    return timers


async def _start_schedules(services: Services, timers: ApsTimers, runtime: Runtime,
                           ready: asyncio.Event | None) -> None:
    """After the first sync (rooms known): finish interrupted firings, catch up, arm timers."""
    await runtime.synced_once.wait()
    schedules, now = services.schedules, services.clock()
    try:
        await services.digests.ensure_defaults(services.settings.referents, now)
        await schedules.resume_unsent(now)
        await schedules.run_due(now)
        await schedules.arm_all()
        timers.start()
    except Exception:
        log.exception("schedules could not start")
    if ready is not None:
        ready.set()


async def _propagate(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def signal_event() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (clean shutdown)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
