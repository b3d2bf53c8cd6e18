"""The single-instance lock and the owner row beside it.

PostgreSQL: a session-level advisory lock on a fixed key, held by a connection of its own
(never one of the units of work's pool) for the life of the process. SQLite: an exclusive
`flock` on `<database>.lock`. Either is released by the server or the OS when its holder
dies, so a crash never blocks a restart; the `instance_owner` row only says who holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from traam_bot.config.private import FILE_MODE, private_dir, tighten
from traam_bot.domain.instance import InstanceOwner
from traam_bot.services.instance import InstanceLock, LockState
from traam_bot.services.units import StoreUnavailable
from traam_bot.store.database import StoreError, make_engine, sqlite_file
from traam_bot.store.errors import is_unavailable, unavailable
from traam_bot.store.models import InstanceOwnerRow

# One key for every traam-bot: advisory locks are per database, so two bots on two
# databases of the same server never meet.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"traam-bot single instance").digest()[:8],
                          "big", signed=True)
OWNER_ID = 1  # the owner table's only row
CHECK_TIMEOUT = 10.0  # seconds: a lock connection that does not answer is taken as lost
# Server side: a holder whose host vanished (no FIN ever comes) is noticed in about 25 s.
KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
              "SET tcp_keepalives_count = 3")
HOLDER_PID = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid::bigint = :hi AND objid::bigint = :lo")


def open_instance_lock(url: str) -> InstanceLock:
    """The lock for this database: advisory (PostgreSQL), a lock file (SQLite file), none
    for in-memory and URI SQLite databases (tests: nothing to share)."""
    if make_url(url).get_backend_name() == "postgresql":
        return AdvisoryLock(url)
    path = sqlite_file(url)
    return NoLock() if path is None else FileLock(url, path)


def _owner(row: Any) -> InstanceOwner | None:
    if row is None:
        return None
    return InstanceOwner(row.instance_id, row.host, row.pid, row.started_at, row.heartbeat_at)


def _record_statement(dialect: str, owner: InstanceOwner) -> Any:
    values = {"id": OWNER_ID, "instance_id": owner.instance_id, "host": owner.host[:255],
              "pid": owner.pid, "started_at": owner.started_at, "heartbeat_at": None}
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(InstanceOwnerRow).values(**values)
    return stmt.on_conflict_do_update(index_elements=["id"],
                                      set_={k: v for k, v in values.items() if k != "id"})


async def _read_owner(conn: AsyncConnection) -> InstanceOwner | None:
    """The owner row; None when there is none, or no table yet (a database that the
    holder has not migrated yet)."""
    try:
        result = await conn.execute(select(InstanceOwnerRow).where(
            InstanceOwnerRow.id == OWNER_ID))
        return _owner(result.first())
    except DBAPIError as exc:
        if is_unavailable(exc):
            raise
        return None


@contextlib.contextmanager
def _outage_as_unavailable() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if not is_unavailable(exc) or isinstance(exc, StoreUnavailable):
            raise
        raise unavailable(exc) from exc


def _heartbeat(owner: InstanceOwner, now: datetime) -> Any:
    return (update(InstanceOwnerRow).where(InstanceOwnerRow.instance_id == owner.instance_id)
            .values(heartbeat_at=now))


class AdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated autocommit connection (no transaction left
    open while it is held)."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool,
                                                       isolation_level="AUTOCOMMIT")
        self._conn: AsyncConnection | None = None
        self._held = False
        self._session_pid: int | None = None  # server process of the holding connection
        self._previous_pid: int | None = None  # …of the one lost, maybe not yet closed

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            try:
                for statement in KEEPALIVES:
                    await conn.execute(text(statement))
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        """Close the connection, hard: a lost lock's connection must not linger."""
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.invalidate(), 5)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)

    async def _guard(self, work: Any) -> Any:
        """`work`'s result; the database out of reach drops the connection (a lock it
        held is gone with it) and raises StoreUnavailable."""
        try:
            return await work
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self._previous_pid = self._session_pid if self._held else self._previous_pid
            await self._drop()
            if isinstance(exc, StoreUnavailable):
                raise
            raise unavailable(exc) from exc

    async def acquire(self) -> LockState:
        if self._held:
            return LockState.TAKEN
        return await self._guard(self._acquire())  # type: ignore[no-any-return]

    async def _acquire(self) -> LockState:
        conn = await self._connection()
        if await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}):
            self._held = True
            self._session_pid = await conn.scalar(text("SELECT pg_backend_pid()"))
            return LockState.TAKEN
        if self._previous_pid is not None:
            holder = await conn.scalar(HOLDER_PID, {"hi": (LOCK_KEY >> 32) & 0xFFFFFFFF,
                                                    "lo": LOCK_KEY & 0xFFFFFFFF})
            if holder == self._previous_pid:
                return LockState.STALE
        return LockState.BUSY

    async def holder(self) -> InstanceOwner | None:
        async def read() -> InstanceOwner | None:
            return await _read_owner(await self._connection())
        return await self._guard(read())  # type: ignore[no-any-return]

    async def record(self, owner: InstanceOwner) -> None:
        async def write() -> None:
            conn = await self._connection()
            await conn.execute(_record_statement("postgresql", owner))
        await self._guard(write())

    async def check(self, owner: InstanceOwner, now: datetime) -> bool:
        """The heartbeat, written on the lock's own connection: it fails when that
        connection (and with it the lock) is gone."""
        if self._conn is None or not self._held:
            return False
        try:
            await asyncio.wait_for(self._conn.execute(_heartbeat(owner, now)), CHECK_TIMEOUT)
        except Exception as exc:
            if not (isinstance(exc, TimeoutError) or is_unavailable(exc)):
                raise
            self._previous_pid = self._session_pid
            await self._drop()
            return False
        return True

    async def close(self) -> None:
        await self._drop()  # the server releases a session's advisory locks as it ends
        await self.engine.dispose()


class FileLock:
    """`flock(LOCK_EX | LOCK_NB)` on `<database>.lock` (created 0600), kept open for the
    life of the process. The owner row goes through a small engine of its own."""

    def __init__(self, url: str, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.url = url
        self._fd: int | None = None
        self._engine: AsyncEngine | None = None

    def _try(self) -> LockState:
        if self._fd is None:
            try:
                private_dir(self.path.parent)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                   FILE_MODE)
            except OSError as exc:
                raise StoreError(f"verrou d’instance impossible à créer : {self.path} "
                                 f"({exc.strerror})") from exc
            tighten([self.path])
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return LockState.BUSY
        return LockState.TAKEN

    async def acquire(self) -> LockState:
        return await asyncio.to_thread(self._try)

    def _db(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    async def holder(self) -> InstanceOwner | None:
        with _outage_as_unavailable():
            async with self._db().connect() as conn:
                return await _read_owner(conn)

    async def record(self, owner: InstanceOwner) -> None:
        with _outage_as_unavailable():
            async with self._db().begin() as conn:
                await conn.execute(_record_statement("sqlite", owner))

    async def check(self, owner: InstanceOwner, now: datetime) -> bool:
        """A lock file's lock lasts as long as its descriptor: only the heartbeat is
        written, and skipped while the database is busy."""
        with contextlib.suppress(Exception):
            async with self._db().begin() as conn:
                await conn.execute(_heartbeat(owner, now))
        return self._fd is not None

    async def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor releases the lock
        if self._engine is not None:
            await self._engine.dispose()


class NoLock:
    """In-memory and URI SQLite databases: one process only by construction."""

    async def acquire(self) -> LockState:
        return LockState.TAKEN

    async def holder(self) -> InstanceOwner | None:
        return None

    async def record(self, owner: InstanceOwner) -> None:
        return None

    async def check(self, owner: InstanceOwner, now: datetime) -> bool:
        return True

    async def close(self) -> None:
        return None
