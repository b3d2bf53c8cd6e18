"""The single-instance lock, on SQLite (a lock file) and PostgreSQL (an advisory lock on a
connection of its own): a second holder is refused and told who holds it; a holder that
dies (SIGKILL: nothing released on the way out) leaves the lock free."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from traam_bot.domain.instance import InstanceOwner
from traam_bot.services import instance as single_instance
from traam_bot.services.instance import InstanceLock, LockState, SingleInstance, lock_patience
from traam_bot.store.database import sqlite_file
from traam_bot.store.instance_lock import AdvisoryLock, FileLock, NoLock, open_instance_lock

REPO = Path(__file__).resolve().parents[2]
STARTED = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
A = InstanceOwner("a" * 32, "hôte-a", 1111, STARTED)
B = InstanceOwner("b" * 32, "hôte-b", 2222, STARTED + timedelta(hours=1))

HOLDER = """
import asyncio, os, sys
from datetime import UTC, datetime
from traam_bot.domain.instance import InstanceOwner
from traam_bot.store.instance_lock import open_instance_lock

async def main() -> None:
    lock = open_instance_lock(sys.argv[1])
    print((await lock.acquire()).value, flush=True)
    await lock.record(InstanceOwner("c" * 32, "hôte-enfant", os.getpid(), datetime.now(UTC)))
    print("recorded", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
async def locks(db_url: str) -> AsyncIterator[list[InstanceLock]]:
    """Locks opened by the test (each as another process would), all closed at the end."""
    opened: list[InstanceLock] = []
    try:
        yield opened
    finally:
        for lock in opened:
            await lock.close()


def another(url: str, opened: list[InstanceLock]) -> InstanceLock:
    lock = open_instance_lock(url)
    opened.append(lock)
    return lock


@pytest.fixture
def holder_process(db_url: str) -> Iterator[subprocess.Popen[str]]:
    """A real process that takes the lock, records itself, and waits to be killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, db_url], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_each_database_gets_its_kind_of_lock(tmp_path: Path) -> None:
    assert isinstance(open_instance_lock(f"sqlite+aiosqlite:///{tmp_path}/t.db"), FileLock)
    assert isinstance(open_instance_lock("sqlite+aiosqlite:///:memory:"), NoLock)
    assert isinstance(open_instance_lock("sqlite+aiosqlite:///file:x?mode=memory&uri=true"),
                      NoLock)
    assert isinstance(open_instance_lock("postgresql+asyncpg://u@127.0.0.1:1/db"), AdvisoryLock)


async def test_a_second_holder_is_refused_and_told_who_holds_it(
        db_url: str, locks: list[InstanceLock]) -> None:
    first, second = another(db_url, locks), another(db_url, locks)
    assert await second.holder() is None  # nobody recorded yet
    assert await first.acquire() is LockState.TAKEN
    await first.record(A)
    assert await first.acquire() is LockState.TAKEN  # still ours: asking again is harmless

    assert await second.acquire() is LockState.BUSY
    assert await second.holder() == A
    assert await second.acquire() is LockState.BUSY  # and again, while it polls

    now = STARTED + timedelta(minutes=5)
    assert await first.check(A, now)  # the heartbeat goes into the owner row
    assert await second.holder() == InstanceOwner(A.instance_id, A.host, A.pid, STARTED, now)

    await first.close()
    assert await second.acquire() is LockState.TAKEN
    await second.record(B)  # overwrites the row: heartbeat starts afresh
    assert await another(db_url, locks).holder() == B
    assert await another(db_url, locks).acquire() is LockState.BUSY


async def test_a_killed_holder_leaves_the_lock_free(
        db_url: str, locks: list[InstanceLock], holder_process: subprocess.Popen[str]) -> None:
    out = holder_process.stdout
    assert out is not None
    lines = [await asyncio.to_thread(out.readline) for _ in range(2)]
    assert lines == ["taken\n", "recorded\n"], holder_process.stderr.read()  # type: ignore[union-attr]
    mine = another(db_url, locks)
    assert await mine.acquire() is LockState.BUSY
    stale = await mine.holder()
    assert stale is not None and (stale.host, stale.pid) == ("hôte-enfant", holder_process.pid)

    holder_process.send_signal(signal.SIGKILL)
    await asyncio.to_thread(holder_process.wait)
    state = LockState.BUSY
    for _ in range(50):  # PostgreSQL ends the session when it sees the socket closed
        state = await mine.acquire()
        if state is LockState.TAKEN:
            break
        await asyncio.sleep(0.1)
    assert state is LockState.TAKEN
    assert await mine.holder() == stale  # the dead owner's row: information, overwritten next
    await mine.record(B)
    assert await mine.holder() == B


@pytest.mark.backend("sqlite")
async def test_the_lock_file_is_private_and_beside_the_database(
        db_url: str, locks: list[InstanceLock]) -> None:
    database = sqlite_file(db_url)
    assert database is not None
    os.umask(0o022)  # whatever the umask, the file is the owner's only
    try:
        assert await another(db_url, locks).acquire() is LockState.TAKEN
    finally:
        os.umask(0o077)
    path = database.with_name(database.name + ".lock")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ------------------------------------------------------------------ PostgreSQL only
async def terminate_backend_of(url: str, lock: AdvisoryLock) -> None:
    """What a database restart does to the lock's connection: the server ends it."""
    pid = lock._session_pid
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await engine.dispose()


def postgres_only(lock: InstanceLock) -> AdvisoryLock:
    """The tests below are marked backend("postgresql"): their lock is an advisory one."""
    assert isinstance(lock, AdvisoryLock)
    return lock


@pytest.mark.backend("postgresql")
async def test_a_cut_lock_connection_is_noticed_then_the_lock_taken_back(
        db_url: str, locks: list[InstanceLock]) -> None:
    first = postgres_only(another(db_url, locks))
    assert await first.acquire() is LockState.TAKEN
    await first.record(A)
    await terminate_backend_of(db_url, first)
    assert not await first.check(A, STARTED)  # the lock went with its connection
    assert not await first.check(A, STARTED)  # and stays reported lost until taken back
    assert await first.acquire() is LockState.TAKEN  # nobody else wanted it
    assert await first.check(A, STARTED)


@pytest.mark.backend("postgresql")
async def test_a_lock_taken_meanwhile_by_another_is_busy_not_stale(
        db_url: str, locks: list[InstanceLock]) -> None:
    first = postgres_only(another(db_url, locks))
    second = another(db_url, locks)
    assert await first.acquire() is LockState.TAKEN
    await terminate_backend_of(db_url, first)
    assert await second.acquire() is LockState.TAKEN  # a standby was quicker
    await second.record(B)
    assert not await first.check(A, STARTED)
    assert await first.acquire() is LockState.BUSY
    assert await first.holder() == B


@pytest.mark.backend("postgresql")
async def test_our_own_lost_session_still_holding_the_lock_is_stale(
        db_url: str, locks: list[InstanceLock]) -> None:
    """A check that timed out: the old connection may still hold the lock for a moment.
    That is not another instance (no reason to stop): the lock is taken once it is gone."""
    first = postgres_only(another(db_url, locks))
    assert await first.acquire() is LockState.TAKEN
    old = first._conn
    first._conn, first._held = None, False  # as after a timed-out check, not yet closed
    first._previous_pid = first._session_pid
    assert await first.acquire() is LockState.STALE
    assert old is not None
    await old.close()
    state = LockState.STALE
    for _ in range(50):
        state = await first.acquire()
        if state is not LockState.STALE:
            break
        await asyncio.sleep(0.1)
    assert state is LockState.TAKEN


# ------------------------------------------------- the running bot's watch, on PostgreSQL
def watching(lock: AdvisoryLock, stop: asyncio.Event) -> SingleInstance:
    return SingleInstance(lock, A, ZoneInfo("Europe/Paris"), lock_patience(stop),
                          lambda: STARTED)


@pytest.mark.backend("postgresql")
async def test_the_watch_takes_a_cut_lock_back(
        db_url: str, locks: list[InstanceLock], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "CHECK_SECONDS", 0.05)
    first = postgres_only(another(db_url, locks))
    stop = asyncio.Event()
    instance = watching(first, stop)
    assert await instance.claim(standby=False) and await instance.record()
    old = first._session_pid
    watch = asyncio.ensure_future(instance.watch(stop))
    try:
        await terminate_backend_of(db_url, first)  # as a restart of the server would
        for _ in range(100):
            if first._held and first._session_pid != old:
                break
            await asyncio.sleep(0.05)
        assert first._held and first._session_pid != old
        assert await another(db_url, locks).acquire() is LockState.BUSY
        assert not stop.is_set() and instance.lost is None
    finally:
        stop.set()
        await watch


@pytest.mark.backend("postgresql")
async def test_the_watch_stops_the_bot_when_another_instance_took_the_lock(
        db_url: str, locks: list[InstanceLock], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "CHECK_SECONDS", 0.05)
    first = postgres_only(another(db_url, locks))
    stop = asyncio.Event()
    instance = watching(first, stop)
    assert await instance.claim(standby=False) and await instance.record()
    await terminate_backend_of(db_url, first)
    standby = another(db_url, locks)
    assert await standby.acquire() is LockState.TAKEN  # the standby was quicker
    await standby.record(B)
    await asyncio.wait_for(instance.watch(stop), 10)
    assert stop.is_set()
    assert instance.lost is not None and "hôte « hôte-b », pid 2222" in str(instance.lost)
