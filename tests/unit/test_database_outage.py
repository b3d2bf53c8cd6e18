"""The database out of reach is waited out, never a reason to drop an event or exit: the
sync loop over the real dispatcher and unit of work on a SQLite file whose write lock
another process holds, the outbox sender, and the start."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nio import DeviceList, DeviceOneTimeKeyCount, SyncResponse
from nio.responses import RoomInfo, Rooms, Timeline

from tests.unit.harness import (
    ALICE,
    NOW,
    REPO,
    Bot,
    FakeRoom,
    make_bot,
    settings_for,
)
from tests.unit.test_outbox import (
    Clock,
    FakeTransport,
    all_done,
    delivery_of,
    owe_answer,
    rows,
    run_until,
    sender_of,
)
from traam_bot.domain.backoff import Backoff
from traam_bot.domain.health import Health
from traam_bot.domain.outbox import SENT
from traam_bot.matrix.events import parse_event
from traam_bot.matrix.runtime import Runtime
from traam_bot.services import retry
from traam_bot.services.retry import Patience
from traam_bot.services.units import StoreUnavailable

PROJECT = "besancon-nsi-egalite"
ROOM = "!nsi:localhost"
LOCK_BUSY_MS = 50  # the bot's busy_timeout here: a held lock fails a write fast


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


# ------------------------------------------------- the sync loop on a locked SQLite file
def point(n: int) -> SimpleNamespace:
    return SimpleNamespace(source={
        "type": "m.room.message", "event_id": f"$p{n}", "sender": ALICE,
        "origin_server_ts": int(NOW.timestamp() * 1000) + n, "room_id": ROOM,
        "content": {"msgtype": "m.text", "body": f"!point séance {n}"}})


def batch(next_batch: str, events: list[Any]) -> SyncResponse:
    room = RoomInfo(timeline=Timeline(events=events, limited=False, prev_batch=None),
                    state=[], ephemeral=[], account_data=[])
    return SyncResponse(next_batch, Rooms(invite={}, join={ROOM: room}, leave={}),
                        DeviceOneTimeKeyCount(None, None), DeviceList([], []), [], [])


class OneBatchClient:
    """A homeserver that has one batch for the bot, then nothing (long polls forever)."""

    user_id = "@traam-bot:localhost"
    should_upload_keys = should_query_keys = should_claim_keys = False

    def __init__(self, resp: SyncResponse) -> None:
        self.resp, self.rooms, self.syncs = resp, {}, 0

    async def sync(self, **_kw: Any) -> SyncResponse:
        self.syncs += 1
        if self.syncs > 1:
            await asyncio.Event().wait()
        return self.resp

    async def send_to_device_messages(self) -> list[Any]:
        return []

    keys_upload = keys_query = keys_claim = send_to_device_messages  # never needed here


@pytest.fixture
def health() -> Health:
    return Health(lambda: NOW)


@pytest.fixture
async def bot(tmp_path: Path, template: Path, health: Health) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, file=tmp_path / "bot.db",
                        busy_timeout_ms=LOCK_BUSY_MS) as bot:
        await bot.link(ROOM, PROJECT)
        await bot.dispatcher.save_token("s1")
        yield bot


@pytest.fixture
def lock(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection, ready to hold the database's write lock."""
    conn = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def runtime_for(bot: Bot, resp: SyncResponse, health: Health) -> Runtime:
    rt = Runtime(OneBatchClient(resp), bot.dispatcher, ("localhost",),  # type: ignore[arg-type]
                 health=health)
    rt.patience = Patience(rt.stopping, fast_backoff, health)
    return rt


async def answers(bot: Bot) -> list[tuple[str | None, str]]:
    """What the bot owes, per answered event: its ✅, and the start of its reply."""
    return [(o.in_reply_to, o.reaction_key or o.body[:16]) for o in await bot.owed()]


async def wait_until(condition: Any, timeout: float = 10) -> None:
    """Poll `condition()` (a coroutine reading the database) until it holds."""
    for _ in range(int(timeout / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still false after {timeout} s")


async def test_a_locked_database_holds_events_until_it_is_released_then_each_once(
        bot: Bot, lock: sqlite3.Connection, health: Health) -> None:
    lock.execute("BEGIN EXCLUSIVE")  # longer than busy_timeout: every write fails
    rt = runtime_for(bot, batch("s2", [point(1), point(2), point(3)]), health)
    running = asyncio.ensure_future(rt.run())
    try:
        await asyncio.sleep(0.5)  # a dozen failed attempts
        assert not running.done(), "the sync loop gave up"
        assert await bot.dispatcher.handled(["$p1", "$p2", "$p3"]) == set()
        assert await bot.updates(PROJECT) == []
        assert await bot.dispatcher.load_token() == "s1"  # not past unhandled events
        [problem] = health.problems()
        assert problem.startswith("base de données injoignable depuis 0 s (base SQLite "
                                  "verrouillée par un autre processus)")
        lock.execute("ROLLBACK")
        await wait_until(lambda: _token_is(bot, "s2"))
    finally:
        rt.stopping.set()
        await asyncio.wait_for(running, 5)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1"), ("$p2", "séance 2"),
                                          ("$p3", "séance 3")]
    assert await answers(bot) == [
        ("$p1", "✅"), ("$p1", "Mise à jour n° 1"), ("$p2", "✅"), ("$p2", "Mise à jour n° 2"),
        ("$p3", "✅"), ("$p3", "Mise à jour n° 3")]  # in order, each once
    assert await bot.dispatcher.handled(["$p1", "$p2", "$p3"]) == {"$p1", "$p2", "$p3"}
    assert health.problems() == []


async def _token_is(bot: Bot, token: str) -> bool:
    return await bot.dispatcher.load_token() == token


async def test_a_stop_during_the_outage_keeps_the_token_and_the_restart_handles_each_once(
        bot: Bot, lock: sqlite3.Connection, health: Health) -> None:
    """$p1 was handled before the crash, $p2 was held by the outage when the bot stopped:
    the token stays where it was, so the next start gets both again; the ledger skips
    $p1, and $p2 is handled, once."""
    first_point = parse_event(ROOM, point(1).source, "@traam-bot:localhost", ())
    assert first_point is not None
    await bot.dispatcher.on_event(first_point, FakeRoom(room_id=ROOM))
    resp = batch("s2", [point(1), point(2)])
    lock.execute("BEGIN EXCLUSIVE")
    first = runtime_for(bot, resp, health)
    running = asyncio.ensure_future(first.run())
    await asyncio.sleep(0.3)
    first.stopping.set()
    await asyncio.wait_for(running, 5)  # it stops without waiting for the database
    lock.execute("ROLLBACK")
    assert await bot.dispatcher.load_token() == "s1"
    assert await bot.dispatcher.handled(["$p1", "$p2"]) == {"$p1"}

    again = runtime_for(bot, resp, health)
    running = asyncio.ensure_future(again.run())
    try:
        await wait_until(lambda: _token_is(bot, "s2"))
    finally:
        again.stopping.set()
        await asyncio.wait_for(running, 5)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1"), ("$p2", "séance 2")]
    assert await answers(bot) == [("$p1", "✅"), ("$p1", "Mise à jour n° 1"),
                                  ("$p2", "✅"), ("$p2", "Mise à jour n° 2")]


# ------------------------------------------------------------------ the outbox sender
async def test_the_sender_records_a_send_once_the_database_is_back_without_resending(
        bot: Bot, health: Health, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sent while the database was out of reach: the row waits (queue held) until its
    outcome can be written; the homeserver is not asked again meanwhile."""
    await owe_answer(bot, "$q1", "Réponse 1")
    transport = FakeTransport(Clock())
    delivery = delivery_of(bot)
    sender = sender_of(bot, transport, delivery)
    sender.patience = Patience(sender.stopping, fast_backoff, health)
    recorded, real_sent = [], delivery.sent
    seen_down: list[list[str]] = []

    async def sent_after_an_outage(*args: Any) -> None:
        recorded.append(args)
        if len(recorded) <= 3:
            raise StoreUnavailable("ConnectionRefusedError")
        seen_down.append(health.problems())
        await real_sent(*args)

    monkeypatch.setattr(delivery, "sent", sent_after_an_outage)
    await run_until(sender, lambda: all_done(bot))
    assert len(transport.attempts) == 2  # ✅ and the reply, each sent once
    assert len(recorded) == 3 + 2
    assert [r.status for r in await rows(bot)] == [SENT, SENT]
    assert seen_down[0] == ["base de données injoignable depuis 0 s (ConnectionRefusedError)"]
    assert health.problems() == []


async def test_the_sweep_waits_out_the_database_and_is_the_health_probe(
        bot: Bot, health: Health, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """An idle bot's only regular read: it notices the outage (health), retries with
    backoff, then queues what is owed."""
    await owe_answer(bot, "$q1", "Réponse 1", reaction=None)
    delivery = delivery_of(bot)
    sender = sender_of(bot, FakeTransport(Clock()), delivery)
    sender.patience = Patience(sender.stopping, fast_backoff, health)
    real_pending, seen = delivery.pending, []

    async def pending_after_an_outage() -> list[Any]:
        seen.append(health.problems())
        if len(seen) <= 2:
            raise StoreUnavailable("ConnectionRefusedError")
        return await real_pending()

    monkeypatch.setattr(delivery, "pending", pending_after_an_outage)
    await sender._sweep()
    await sender.stop()
    down = ["base de données injoignable depuis 0 s (ConnectionRefusedError)"]
    assert seen == [[], down, down] and health.problems() == []
    assert "lecture de la file d’envoi en attente" in caplog.text
    assert "Traceback" not in caplog.text
    assert sender._known  # the owed row was queued


# ------------------------------------------------------------------------- the start
def start_settings(tmp_path: Path) -> Any:
    """The bot's settings, over a SQLite file in tmp_path and the shipped directory."""
    return settings_for(tmp_path).model_copy(
        update={"directory": str(REPO / "config" / "traam.yaml")})


async def test_the_start_waits_for_the_database_with_a_french_line(
        tmp_path: Path, health: Health, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """`run` with the database down: no exit, a French log line per attempt, the health
    degraded meanwhile; the start goes on once it answers."""
    from traam_bot import app

    real_upgrade, seen = app.upgrade, []

    async def upgrade_once_it_answers(url: str) -> None:
        seen.append(health.problems())
        if len(seen) <= 2:
            raise StoreUnavailable("postgresql : ConnectionRefusedError")
        await real_upgrade(url)

    monkeypatch.setattr(app, "upgrade", upgrade_once_it_answers)
    monkeypatch.setattr(retry, "Backoff", lambda cap: fast_backoff())
    db = await app.wait_for_database(start_settings(tmp_path), health, asyncio.Event())
    assert db is not None
    await db.close()
    down = ["base de données injoignable depuis 0 s (postgresql : ConnectionRefusedError)"]
    assert seen == [[], down, down]
    assert health.problems() == []
    assert caplog.text.count("base de données injoignable (postgresql : "
                             "ConnectionRefusedError) : démarrage du bot en attente") == 2


async def test_a_stop_while_waiting_for_the_database_at_start_is_clean(
        tmp_path: Path, health: Health, monkeypatch: pytest.MonkeyPatch) -> None:
    from traam_bot import app

    async def down(_url: str) -> None:
        raise StoreUnavailable("postgresql : ConnectionRefusedError")

    monkeypatch.setattr(app, "upgrade", down)
    stop = asyncio.Event()
    waiting = asyncio.ensure_future(app.wait_for_database(start_settings(tmp_path), health, stop))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    stop.set()
    assert await asyncio.wait_for(waiting, 5) is None
