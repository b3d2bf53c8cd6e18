"""Which database errors count as an outage (waited out) rather than a bug (not), and
the helper that waits them out."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from traam_bot.domain.backoff import Backoff
from traam_bot.domain.health import Health
from traam_bot.services.retry import Interrupted, Patience
from traam_bot.services.units import StoreUnavailable
from traam_bot.store import database
from traam_bot.store.database import StoreError
from traam_bot.store.errors import is_unavailable, reason_of

NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


class PgError(Exception):
    """Stands for asyncpg's errors, which carry their SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def sqlite_error(message: str, code: str) -> sqlite3.OperationalError:
    err = sqlite3.OperationalError(message)
    err.sqlite_errorname = code  # type: ignore[attr-defined]
    return err


def wrapped(orig: BaseException, invalidated: bool = False) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(("error", "outage"), [
    (ConnectionRefusedError(111, "Connect call failed"), True),  # PostgreSQL down: raw socket
    (TimeoutError(), True),
    (wrapped(sqlite_error("database is locked", "SQLITE_BUSY")), True),
    (wrapped(sqlite_error("unable to open database file", "SQLITE_CANTOPEN")), True),
    (wrapped(PgError("57P01")), True),  # terminating connection due to administrator command
    (wrapped(PgError("08003")), True),  # connection does not exist
    (wrapped(PgError("57P03")), True),  # the database system is starting up
    (InterfaceError("SELECT 1", {}, Exception("closed"), connection_invalidated=True), True),
    (wrapped(sqlite_error("no such table: updates", "SQLITE_ERROR")), False),  # a bug
    (wrapped(sqlite_error('near "SELEC": syntax error', "SQLITE_ERROR")), False),
    (IntegrityError("INSERT", {}, PgError("23505")), False),  # unique violation: a bug
    (KeyError("oops"), False),
])
def test_only_an_unreachable_database_counts_as_an_outage(error: BaseException,
                                                          outage: bool) -> None:
    assert is_unavailable(error) is outage


def test_the_reason_names_the_driver_error_or_the_lock() -> None:
    assert reason_of(ConnectionRefusedError()) == "ConnectionRefusedError"
    locked = wrapped(sqlite_error("database is locked", "SQLITE_BUSY"))
    assert reason_of(locked) == "base SQLite verrouillée par un autre processus"
    inner = PgError("57P01")
    outer = PgError("08003")
    outer.__cause__ = inner
    assert reason_of(wrapped(outer)) == "PgError"


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


async def test_patience_retries_an_outage_and_passes_anything_else_on() -> None:
    patience, calls = Patience(asyncio.Event(), fast_backoff), []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise StoreUnavailable("ConnectionRefusedError")
        return "fait"

    assert await patience.run(flaky, "essai") == "fait"
    assert len(calls) == 4

    async def bug() -> None:
        calls.append(2)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        await patience.run(bug, "essai")
    assert calls.count(2) == 1  # a bug is not retried


async def test_patience_gives_up_only_when_the_bot_stops() -> None:
    stopping = asyncio.Event()
    patience = Patience(stopping, lambda: Backoff(base=3600, cap=3600))

    async def down() -> None:
        raise StoreUnavailable("ConnectionRefusedError")

    waiting = asyncio.ensure_future(patience.run(down, "essai"))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # an hour's backoff, cut short by the stop below
    stopping.set()
    with pytest.raises(Interrupted):
        await asyncio.wait_for(waiting, 2)


async def test_one_call_getting_through_wakes_the_others_at_once() -> None:
    """The database is back: work waiting on a long backoff elsewhere retries now, and the
    health is clear once every waiter is through."""
    health = Health(lambda: NOW)
    slow = Patience(asyncio.Event(), lambda: Backoff(base=3600, cap=3600), health)
    quick = Patience(asyncio.Event(), lambda: Backoff(base=0.01, cap=0.01), health)
    database_up = False

    async def write() -> str:
        if not database_up:
            raise StoreUnavailable("ConnectionRefusedError")
        return "écrit"

    waiting = asyncio.ensure_future(slow.run(write, "événement"))
    await asyncio.sleep(0.05)
    assert health.problems() and not waiting.done()
    database_up = True
    assert await quick.run(write, "lecture") == "écrit"  # went through at once: no news
    assert not waiting.done()
    database_up = False
    other = asyncio.ensure_future(quick.run(write, "lecture"))
    await asyncio.sleep(0.05)
    database_up = True
    assert await asyncio.wait_for(other, 2) == "écrit"  # through after waiting: news
    assert await asyncio.wait_for(waiting, 2) == "écrit"  # not an hour later
    assert health.problems() == []



@pytest.mark.parametrize(("error", "raised", "message"), [
    (PgError("57P03"), StoreUnavailable, "postgresql : PgError"),  # starting up, unwrapped
    (ConnectionRefusedError(111, "refused"), StoreUnavailable,
     "postgresql : ConnectionRefusedError"),
    (IntegrityError("ALTER", {}, PgError("23505")), StoreError,
     "base de données inutilisable (postgresql) : IntegrityError"),
])
async def test_migrating_tells_an_outage_from_a_broken_database(
        monkeypatch: pytest.MonkeyPatch, error: Exception, raised: type[Exception],
        message: str) -> None:
    """`run` waits for the first (StoreUnavailable), and stops on the second."""
    def fail(_url: str, _revision: str) -> None:
        raise error

    monkeypatch.setattr(database, "_upgrade_sync", fail)
    with pytest.raises(raised) as info:
        await database.upgrade("postgresql+asyncpg://bot@127.0.0.1:1/traam")
    assert str(info.value).startswith(message)
