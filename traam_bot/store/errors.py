"""Which database errors mean "out of reach for now" (wait and retry) rather than "this
work is wrong" (a bug: retrying would block the bot for nothing). Only the store knows the
drivers' errors; the rest of the bot sees StoreUnavailable."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from traam_bot.services.units import StoreUnavailable

# SQLite result codes of a database held or gone: another process's write lock outlasting
# busy_timeout (BUSY, LOCKED), the file or its folder unreachable (CANTOPEN, IOERR…).
SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR",
                    "SQLITE_PROTOCOL")
SQLITE_MESSAGES = ("database is locked", "database table is locked", "unable to open database")
# PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-03 (server shutting down,
# crashed, starting up), 53300 (too many connections).
PG_TRANSIENT_PREFIXES = ("08", "57P0", "53300")


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc`, or what it wraps, says the database cannot be reached right now."""
    return any(_transient(err) for err in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, then what it wraps (SQLAlchemy's `orig`, else the cause), outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not f for f in found) and len(found) < 10:
        found.append(current)
        wrapped = current.orig if isinstance(current, DBAPIError) else None
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
    return found


def _transient(err: BaseException) -> bool:
    if isinstance(err, StoreUnavailable | PoolTimeout | OSError):  # OSError: refused, reset,
        return True  # timed out (asyncpg connects with raw sockets: nothing wraps those)
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    sqlite_code = getattr(err, "sqlite_errorname", None)
    if isinstance(sqlite_code, str):
        return sqlite_code.startswith(SQLITE_TRANSIENT)
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(PG_TRANSIENT_PREFIXES)
    text = str(err).lower()
    return any(m in text for m in SQLITE_MESSAGES) or "connection is closed" in text


def missing_database(exc: BaseException) -> bool:
    """PostgreSQL's "database … does not exist" (SQLSTATE 3D000): a setup to fix, not wait for."""
    return any(getattr(err, "sqlstate", None) == "3D000" for err in _chain(exc))


def reason_of(exc: BaseException) -> str:
    """A short description for logs and the health page: the driver's own error."""
    chain = _chain(exc)
    if any(m in str(err).lower() for err in chain for m in SQLITE_MESSAGES[:2]):
        return "base SQLite verrouillée par un autre processus"
    return type(chain[-1]).__name__


def unavailable(exc: BaseException) -> StoreUnavailable:
    if isinstance(exc, StoreUnavailable):
        return exc
    return StoreUnavailable(reason_of(exc))
