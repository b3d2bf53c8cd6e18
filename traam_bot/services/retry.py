"""Waiting out a database outage: the work is retried, whole, with backoff, until it goes
through or the bot stops. Used wherever the running bot touches the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from traam_bot.domain.backoff import Backoff
from traam_bot.domain.health import Health
from traam_bot.services.units import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
DATABASE_CAP = 30.0  # seconds: a recovered database is noticed within half a minute


class Interrupted(Exception):
    """The bot is stopping while the work waited for the database: it was not done (and
    nothing of it was committed); whoever holds it lets it go, the next start redoes it."""


class Patience:
    """Retries a unit of work (a coroutine factory: each attempt is a fresh call) for as
    long as it raises StoreUnavailable, until `stopping` is set. `health` knows the
    database unreachable while such work waits, and tells every Patience sharing it when
    one waiting call got through: the others cut their backoff short."""

    def __init__(self, stopping: asyncio.Event,
                 backoff: Callable[[], Backoff] = lambda: Backoff(cap=DATABASE_CAP),
                 health: Health | None = None) -> None:
        self.stopping = stopping
        self.backoff = backoff
        self.health = health
        self._back = asyncio.Event()  # replaced at each news of the database's return
        if health is not None:
            health.on_database_back(self._database_back)

    def _database_back(self) -> None:
        self._back.set()
        self._back = asyncio.Event()

    async def run(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """`call()`'s result; Interrupted when the bot stops before it could succeed.
        Any other exception is the caller's (a bug is not waited out)."""
        backoff, waiting, through = self.backoff(), object(), False  # `waiting`: this call
        try:
            while True:
                if self.stopping.is_set():
                    raise Interrupted(what)
                try:
                    result = await call()
                except StoreUnavailable as exc:
                    if self.health is not None:
                        self.health.database_down(exc.reason, waiting)
                    delay = backoff.next()
                    log.warning("base de données injoignable (%s) : %s en attente, nouvel "
                                "essai dans %.1f s", exc.reason, what, delay)
                    await self.pause(delay)
                    continue
                if backoff.failures:
                    log.info("base de données de nouveau joignable : %s repris après %d "
                             "essais", what, backoff.failures + 1)
                through = True
                return result
        finally:
            if self.health is not None and through:
                self.health.database_back(waiting)
            elif self.health is not None:
                self.health.database_forget(waiting)

    async def pause(self, seconds: float) -> None:
        """Sleep up to `seconds`, less if the bot stops or the database is back meanwhile."""
        waiters = {asyncio.ensure_future(self.stopping.wait()),
                   asyncio.ensure_future(self._back.wait())}
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
