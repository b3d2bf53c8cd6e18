"""Composition root: builds settings, database, services, Matrix runtime; starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from traam_bot.commands.dispatcher import Dispatcher
from traam_bot.commands.router import Router
from traam_bot.config import Settings, load_directory
from traam_bot.config.holidays import programme_of
from traam_bot.domain.failures import log_failure
from traam_bot.domain.health import Health
from traam_bot.domain.instance import InstanceOwner
from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.records import ImportReport
from traam_bot.matrix.cross_signing import TrustOptions, ensure_cross_signing
from traam_bot.matrix.direct import DirectRooms
from traam_bot.matrix.outbox_sender import OutboxSender
from traam_bot.matrix.rooms import room_label
from traam_bot.matrix.runtime import Runtime
from traam_bot.matrix.send import Sender
from traam_bot.matrix.session import open_session
from traam_bot.ops.http import HttpListener
from traam_bot.ops.metrics import PrometheusMetrics
from traam_bot.scheduling.timers import ApsTimers
from traam_bot.services.calendar import CalendarService
from traam_bot.services.container import Services
from traam_bot.services.delivery import Delivery
from traam_bot.services.digests import DigestComposer, DigestService
from traam_bot.services.directory import DirectoryService
from traam_bot.services.instance import SingleInstance, lock_patience
from traam_bot.services.outbox import Outbox
from traam_bot.services.privacy import PrivacyService
from traam_bot.services.retry import Interrupted, Patience
from traam_bot.services.schedules import ScheduleService, Timers
from traam_bot.services.updates import UpdateService
from traam_bot.store.database import Database, upgrade
from traam_bot.store.instance_lock import open_instance_lock
from traam_bot.store.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)
PURGE_AT = (3, 30)  # the daily retention purge, local time

# told the running bot's services and units of work once built (tests, the sandbox)
Expose = Callable[[Services, UnitsOfWork], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


async def build_services(settings: Settings, units: UnitsOfWork, timers: Timers,
                         is_member: Callable[[str, str], bool],
                         room_label: Callable[[str], str],
                         clock: Callable[[], datetime] = utcnow,
                         metrics: Metrics = NO_METRICS) -> Services:
    """Every service, wired at construction; `timers` arm in-memory jobs."""
    directory = DirectoryService(clock, settings.tz)
    async with units() as uow:
        await directory.refresh(uow)
    outbox = Outbox()

    def project_of_room(room_id: str) -> str | None:
        project = directory.project_for_room(room_id)
        return project.id if project else None

    calendar = CalendarService(programme_of(settings), directory.project_for_room,
                               lambda: directory.projects)
    composer = DigestComposer(directory, settings.tz, calendar)
    schedules = ScheduleService(units, outbox, settings.tz, timers, composer.build,
                                project_of_room, calendar, metrics)
    return Services(settings=settings, directory=directory, clock=clock,
                    updates=UpdateService(settings.tz, metrics), schedules=schedules,
                    digests=DigestService(schedules), outbox=outbox, is_member=is_member,
                    room_label=room_label, calendar=calendar,
                    privacy=PrivacyService(settings.retention.years, schedules.cancel))



async def prepare_database(settings: Settings) -> tuple[Database, ImportReport]:
    """Read the directory file, apply the migrations, import the directory: what `run`
    does before connecting, and what `directory import` does. The caller closes the
    database."""
    directory = load_directory(settings.directory)
    await upgrade(settings.database.url)
    db = Database(settings.database.url)
    try:
        async with UnitsOfWork(db)() as uow:
            report = await uow.directory.import_directory(directory)
    except BaseException:
        await db.close()
        raise
    if report.changed:
        log.info("directory imported: %d added, %d updated, %d archived",
                 len(report.added), len(report.updated), len(report.archived))
    return db, report


async def check_config(settings: Settings) -> list[tuple[bool, str]]:
    """`traam-bot check-config` once the file is valid: the database (one SELECT), then
    Matrix (homeserver, login, key store). Takes no lock: it may run beside the bot."""
    from traam_bot.matrix.check import check_matrix
    from traam_bot.store.probe import probe_database

    return [await probe_database(settings.database.url), *await check_matrix(settings.matrix)]


async def run_bot(settings: Settings, stop: asyncio.Event | None = None,
                  ready: asyncio.Event | None = None, *, standby: bool = False,
                  expose: Expose | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when no event is given). The database
    out of reach, at start or later, is waited out (health degraded), never a reason to
    exit. Another instance on the same database: AnotherInstance, or with `standby` a wait
    until it stops; LockLost when it took over while this one was cut off. `expose` is
    handed the services and units of work once built (a test commits through them)."""
    stop = stop or signal_event()
    metrics = PrometheusMetrics()  # its own registry, read by the listener's /metrics
    health = Health(utcnow, metrics)
    metrics.watch(health)  # the outbox's depth joins once the sender exists
    instance = await claim_instance(settings, health, stop, standby)
    if instance is not None:
        listener = None  # the active instance's only: a standby leaves the port free
        try:
            if settings.http is not None:
                listener = HttpListener(health, settings.http.bind, settings.http.port,
                                        metrics)
                await listener.start()
            await _run_as_owner(settings, instance, health, stop, ready, metrics, expose)
        finally:
            if listener is not None:
                await listener.stop()
            await instance.release()
        if instance.lost is not None:
            raise instance.lost
    log.info("traam-bot stopped cleanly")


async def claim_instance(settings: Settings, health: Health, stop: asyncio.Event,
                         standby: bool) -> SingleInstance | None:
    """The database's single-instance lock, before the migrations and the Matrix login
    (waiting out a database out of reach); None when `stop` comes first."""
    lock = open_instance_lock(settings.database.url)
    me = InstanceOwner(uuid.uuid4().hex, socket.gethostname(), os.getpid(), utcnow())
    instance = SingleInstance(lock, me, settings.tz, lock_patience(stop, health), utcnow)
    try:
        if await instance.claim(standby):
            return instance
    except BaseException:
        await lock.close()
        raise
    await lock.close()
    return None


async def _run_as_owner(settings: Settings, instance: SingleInstance, health: Health,
                        stop: asyncio.Event, ready: asyncio.Event | None,
                        metrics: PrometheusMetrics, expose: Expose | None = None) -> None:
    db = await wait_for_database(settings, health, stop)
    if db is None:
        return  # stopped before the database answered
    watch: asyncio.Future[None] | None = None
    try:
        if not await instance.record():
            return  # stopped, or lost the lock meanwhile (instance.lost)
        watch = asyncio.ensure_future(instance.watch(stop))
        await _run_connected(settings, db, health, stop, ready, metrics, expose)
    finally:
        if watch is not None:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
        await db.close()


async def wait_for_database(settings: Settings, health: Health,
                            stop: asyncio.Event) -> Database | None:
    """`prepare_database`, tried again with backoff until the database answers; None when
    `stop` comes first."""
    async def attempt() -> Database:
        db, _report = await prepare_database(settings)
        return db

    try:
        return await Patience(stop, health=health).run(attempt, "démarrage du bot")
    except Interrupted:
        return None


async def _run_connected(settings: Settings, db: Database, health: Health,
                         stop: asyncio.Event, ready: asyncio.Event | None,
                         metrics: PrometheusMetrics, expose: Expose | None = None) -> None:
    units, patience, clock = UnitsOfWork(db), Patience(stop, health=health), utcnow
    m = settings.matrix
    client = await open_session(m.homeserver, m.user_id, m.store_path, password=m.password,
                                access_token=m.access_token, device_id=m.device_id,
                                device_name=m.device_name)
    timers: ApsTimers | None = None
    outbox_sender: OutboxSender | None = None
    tasks: list[asyncio.Future[None]] = []
    try:
        await ensure_cross_signing(client, Path(m.store_path), TrustOptions(
            m.password, m.recovery_key, m.reset_cross_signing))
        sender = Sender(client)

        async def fire(schedule_id: int) -> None:
            await services.schedules.run_schedule(schedule_id, clock())

        async def sweep() -> None:
            await services.schedules.run_due(clock())

        timers = ApsTimers(settings.tz, fire, sweep, health=health)
        services = await patience.run(partial(
            build_services, settings, units, timers,
            is_member=lambda room_id, user: (room_id in client.rooms
                                             and user in client.rooms[room_id].users),
            room_label=lambda room_id: room_label(client, room_id), clock=clock,
            metrics=metrics),
            "chargement de l’annuaire")
        if expose is not None:
            expose(services, units)
        delivery = Delivery(units, services.outbox, clock, settings.tz,
                            room_lost=services.schedules.pause_room,
                            max_age=timedelta(hours=settings.outbox.max_age_hours))
        outbox_sender = OutboxSender(delivery, services.outbox, sender,
                                     DirectRooms(client).direct_room, health=health,
                                     metrics=metrics)
        health.outbox_oldest = outbox_sender.oldest_pending
        metrics.watch(health, outbox_sender.depth)
        localpart = m.user_id.split(":", 1)[0].lstrip("@")
        dispatcher = Dispatcher(services, Router(services), units, metrics)
        runtime = Runtime(client, dispatcher, settings.servers, display_names=(localpart,),
                          sender=sender, on_recovered=outbox_sender.kick, health=health)
        tasks += [asyncio.ensure_future(_propagate(stop, runtime.stopping)),
                  asyncio.ensure_future(outbox_sender.run(runtime.synced_once)),
                  asyncio.ensure_future(_start_schedules(services, units, timers, runtime,
                                                         patience, ready))]
        log.info("traam-bot connected as %s", m.user_id)
        await runtime.run()
    except Interrupted:
        pass  # stopped while waiting for the database
    finally:
        for task in tasks:
            task.cancel()
        if outbox_sender is not None:
            await outbox_sender.stop()
        if timers is not None:
            timers.shutdown()
        await client.close()  # never logout(): the device and its keys stay valid


async def _purge(services: Services, units: UnitsOfWork) -> None:
    """Retention (`retention.years`, 30 days of technical traces): at start, then daily."""
    async with units() as uow:
        await services.privacy.purge(uow, services.clock())


async def _start_schedules(services: Services, units: UnitsOfWork, timers: ApsTimers,
                           runtime: Runtime, patience: Patience,
                           ready: asyncio.Event | None) -> None:
    """After the first sync (rooms known): catch up on what fell due, arm timers."""
    await runtime.synced_once.wait()

    async def catch_up() -> None:
        now = services.clock()
        async with units() as uow:
            await services.digests.ensure_defaults(uow, services.settings.referents, now)
        await services.schedules.run_due(now)
        await services.schedules.arm_all()
        await _purge(services, units)

    try:
        await patience.run(catch_up, "rattrapage des programmations")
        timers.daily("retention", *PURGE_AT, partial(_purge, services, units),
                     "purge des données anciennes")
        timers.start()
    except Interrupted:
        pass
    except Exception as exc:  # the message may quote a reminder's text: DEBUG only
        log_failure(log, exc, "schedules could not start")
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
