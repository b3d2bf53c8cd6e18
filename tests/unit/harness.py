"""The bot without Matrix: the real wiring of app.py over an in-memory SQLite database
built by the real migrations (or a file, for tests that lock it from another connection),
a fixed clock, recorded timers, and rooms described by dicts. What a handler owes ends up
in the outbox table, where tests read it."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from traam_bot.app import build_services
from traam_bot.commands.dispatcher import Dispatcher
from traam_bot.commands.router import Router
from traam_bot.config import load_directory, parse_settings
from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.outbox import Outgoing
from traam_bot.services.container import Services
from traam_bot.store.database import BUSY_TIMEOUT_MS, Database, upgrade
from traam_bot.store.unit_of_work import UnitsOfWork

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
ALICE = "@alice:localhost"
COORD = "@coordinatrice:localhost"
REFERENT = "@referente:localhost"


@dataclass
class FakeRoom:
    """RoomView for routing tests: membership and power levels from dicts."""

    room_id: str = "!equipe:localhost"
    is_direct: bool = False
    members: dict[str, str] = field(default_factory=lambda: {ALICE: "Alice"})
    levels: dict[str, int] = field(default_factory=dict)

    def is_member(self, user_id: str) -> bool:
        return user_id in self.members

    def display_name(self, user_id: str) -> str:
        return self.members.get(user_id, user_id)

    async def power_level(self, user_id: str) -> int | None:
        return self.levels.get(user_id, 0)

    async def can_notify_room(self, user_id: str) -> bool:
        return self.levels.get(user_id, 0) >= 50


class Clock:
    """A settable clock for the code under test: set `now`, or `advance(seconds)`."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingTimers:
    def __init__(self) -> None:
        self.armed: dict[int, datetime | None] = {}

    def arm(self, schedule_id: int, at: datetime | None) -> None:
        self.armed[schedule_id] = at


@dataclass
class Bot:
    db: Database
    units: UnitsOfWork
    services: Services
    router: Router
    dispatcher: Dispatcher
    timers: RecordingTimers
    rooms: dict[str, FakeRoom] = field(default_factory=dict)

    async def ask(self, incoming: Incoming, room: FakeRoom) -> Reply | None:
        """The router's answer, in a unit of work that is committed."""
        async with self.units() as uow:
            return await self.router.handle(uow, incoming, room)

    async def link(self, room_id: str, project_id: str, by: str = ALICE) -> None:
        async with self.units() as uow:
            await self.services.directory.link(uow, room_id, project_id, by, NOW)

    async def owed(self) -> list[Outgoing]:
        """Everything pending in the outbox, oldest first."""
        async with self.units() as uow:
            return [item.outgoing for item in await uow.outbox.pending()]

    async def updates(self, project_id: str) -> list[tuple[str, str]]:
        async with self.units() as uow:
            return [(u.event_id, u.text) for u in await uow.updates.list([project_id])]


def settings_for(tmp_path: Path, prefix: str = "!",  # type: ignore[no-untyped-def]
                 extra: dict[str, Any] | None = None):
    """The test bot's settings; `extra` adds or replaces top-level keys (e.g. `limits`)."""
    return parse_settings(
        {"matrix": {"homeserver": "http://127.0.0.1:8008", "user_id": "@traam-bot:localhost",
                    "password": "secret-de-test"},
         "admins": [COORD], "referents": [REFERENT], "command_prefix": prefix, **(extra or {})},
        tmp_path, env={},
    )


async def migrated_template(folder: Path) -> Path:
    """One database built by the real migrations, copied into memory for each test."""
    path = folder / "t.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    # The bot's engine turns WAL on; a memory copy must not carry that mark in its header.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


_DATABASES = itertools.count()


@asynccontextmanager
async def make_bot(tmp_path: Path, template: Path, prefix: str = "!",
                   clock: Callable[[], datetime] = lambda: NOW,
                   settings: dict[str, Any] | None = None, *,
                   file: Path | None = None,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                   metrics: Metrics = NO_METRICS) -> AsyncIterator[Bot]:
    """`settings`: bot.yaml keys over the defaults; `file`: a copy of the template at that
    path instead of a memory database."""
    # A memdb database whose name starts with "/" is shared by every connection that names
    # it, with ordinary locking, and lives as long as one connection holds it: the
    # keeper, loaded from the migrated template, holds it for the test's whole length.
    uri = f"file:/harness-{next(_DATABASES)}?vfs=memdb"
    keeper = sqlite3.connect(uri, uri=True)
    if file is None:
        with sqlite3.connect(template) as source:
            source.backup(keeper)
        db = Database(f"sqlite+aiosqlite:///{uri}&uri=true")
    else:
        shutil.copyfile(template, file)
        db = Database(f"sqlite+aiosqlite:///{file}", busy_timeout_ms=busy_timeout_ms)
    units = UnitsOfWork(db)
    validated = settings_for(tmp_path, prefix, settings)
    timers = RecordingTimers()
    bot_rooms: dict[str, FakeRoom] = {}
    try:
        async with units() as uow:
            report = await uow.directory.import_directory(
                load_directory(REPO / "config" / "traam.yaml"))
        assert len(report.added) == 8
        services = await build_services(
            validated, units, timers,
            is_member=lambda room_id, user: (room_id in bot_rooms
                                             and bot_rooms[room_id].is_member(user)),
            room_label=lambda room_id: room_id, clock=clock, metrics=metrics)
        router = Router(services)
        yield Bot(db, units, services, router, Dispatcher(services, router, units, metrics),
                  timers, bot_rooms)
    finally:
        await db.close()
        keeper.close()


_said = itertools.count(1)


async def say(bot: Bot, body: str, room: FakeRoom, sender: str = ALICE,
              at: datetime | None = None) -> Reply:
    """`sender` says `body` in `room` (made one of the bot's rooms) at `at` (default: the
    bot's clock); the bot's answer, which there must be."""
    bot.rooms[room.room_id] = room
    incoming = Incoming(room_id=room.room_id, event_id=f"$said{next(_said)}", sender=sender,
                        body=body, timestamp=at or bot.services.clock(),
                        is_direct=room.is_direct, sender_name=room.display_name(sender))
    reply = await bot.ask(incoming, room)
    assert reply is not None, body
    return reply


def text(reply: Reply) -> str:
    """Every message of a reply, plain text, one after the other."""
    return "\n".join(m.plain for m in reply.messages())
