"""The bot's health as `GET /health` tells it: what the sync loop, the database and the
outbox sender last reported, turned into French reasons when something is wrong.

The reporters hold this object and call its methods; the HTTP listener only reads it.
Metrics (a later issue) read the same state: `sync_age` and `outbox_age`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from traam_bot.domain.metrics import NO_METRICS, Metrics

# The sync long poll lasts 30 s: no successful sync for 75 s means two polls were lost.
SYNC_LIMIT = timedelta(seconds=75)
OUTBOX_LIMIT = timedelta(minutes=10)


def format_duration(span: timedelta) -> str:
    """12 s, 2 min 5 s, 1 h 4 min (French abbreviations, no zero part)."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


class Health:
    """Reported to by the sync loop (`synced`), the work that waits for the database
    (`database_down` while it waits, `database_back` once through, `database_forget` when
    given up) and the outbox sender (`outbox_oldest`, the creation time of the oldest row
    still waiting to be sent).

    The database counts as unreachable while some work waits for it, not merely after a
    failed query: a SQLite file locked by another process still answers reads, so a read
    going through proves nothing for the write that is waiting. When one waiting piece of
    work gets through, the others are told (`on_database_back`) and retry at once."""

    def __init__(self, clock: Callable[[], datetime], metrics: Metrics = NO_METRICS) -> None:
        self.clock = clock
        self.metrics = metrics  # counts every database error reported
        self.started_at = clock()
        self.last_sync: datetime | None = None
        self.database_error = ""  # the last reason reported
        self._waiting: dict[Hashable, datetime] = {}  # work waiting -> since when
        self.outbox_oldest: Callable[[], datetime | None] = lambda: None
        self._back_listeners: list[Callable[[], None]] = []

    def synced(self) -> None:
        self.last_sync = self.clock()

    def database_down(self, reason: str, waiting: Hashable = "database") -> None:
        """`waiting` (any key naming the work) could not reach the database."""
        self._waiting.setdefault(waiting, self.clock())
        self.database_error = reason
        self.metrics.database_error()

    def database_back(self, waiting: Hashable = "database") -> None:
        """`waiting` went through after waiting: whatever else waits may try again now."""
        if self._waiting.pop(waiting, None) is not None:
            for listener in self._back_listeners:
                listener()

    def database_forget(self, waiting: Hashable) -> None:
        """`waiting` was given up (the bot stops, or it failed otherwise)."""
        self._waiting.pop(waiting, None)

    def on_database_back(self, listener: Callable[[], None]) -> None:
        self._back_listeners.append(listener)

    @property
    def database_down_since(self) -> datetime | None:
        return min(self._waiting.values(), default=None)

    def sync_age(self, now: datetime) -> timedelta:
        """Since the last successful sync (or since the start, before the first one)."""
        return now - (self.last_sync or self.started_at)

    def outbox_age(self, now: datetime) -> timedelta | None:
        oldest = self.outbox_oldest()
        return None if oldest is None else now - oldest

    def problems(self) -> list[str]:
        """What is wrong, one French sentence each; empty when all is well."""
        now, found = self.clock(), []
        if self.database_down_since is not None:
            why = f" ({self.database_error})" if self.database_error else ""
            found.append("base de données injoignable depuis "
                         f"{format_duration(now - self.database_down_since)}{why}")
        age = self.sync_age(now)
        if age > SYNC_LIMIT:
            limit = format_duration(SYNC_LIMIT)
            if self.last_sync is None:
                found.append("aucune synchronisation réussie avec le serveur Matrix depuis le "
                             f"démarrage, il y a {format_duration(age)} (limite : {limit})")
            else:
                found.append("dernière synchronisation réussie avec le serveur Matrix il y a "
                             f"{format_duration(age)} (limite : {limit})")
        waiting = self.outbox_age(now)
        if waiting is not None and waiting > OUTBOX_LIMIT:
            found.append("le plus ancien message de la file d’envoi attend depuis "
                         f"{format_duration(waiting)} (limite : "
                         f"{format_duration(OUTBOX_LIMIT)})")
        return found
