"""Single instance (SPEC §8): the database's lock is claimed before anything else is done
(a second `run` is refused, a `run --standby` waits for it), this process is recorded as
the owner, and the lock is watched while the bot runs: lost with the connection that held
it, it is taken back, or the bot stops when another instance got it meanwhile."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from traam_bot.domain.backoff import Backoff
from traam_bot.domain.health import Health
from traam_bot.domain.instance import (
    InstanceOwner,
    lost_notice,
    refusal,
    standby_notice,
    takeover_notice,
)
from traam_bot.services.retry import Interrupted, Patience

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # a standby tries the lock this often: takeover well within 30 s
CHECK_SECONDS = 5.0  # the running bot checks that it still holds the lock this often
# While the database is out of reach the lock is tried again at least this often (not the
# usual 30 s): once it is back, the instance that should hold the lock has it quickly.
RETRY_CAP = 10.0


class LockState(enum.Enum):
    TAKEN = "taken"  # this process holds the lock now
    BUSY = "busy"  # another process holds it
    STALE = "stale"  # held by this process's own previous connection, not yet closed


class InstanceLock(Protocol):
    """The store's lock (advisory lock, lock file) and the owner row beside it. Every
    method raises StoreUnavailable while the database is out of reach."""

    async def acquire(self) -> LockState: ...

    async def holder(self) -> InstanceOwner | None:
        """The recorded owner (None before anyone recorded itself)."""

    async def record(self, owner: InstanceOwner) -> None: ...

    async def check(self, owner: InstanceOwner, now: datetime) -> bool:
        """Still held? (False once the connection holding it is gone); writes the
        heartbeat on the way."""

    async def close(self) -> None:
        """Release the lock (the server or the OS also do it when the process dies)."""


class InstanceError(Exception):
    """The bot does not run (or stops) because of another instance: a line for the
    operator, and a non-zero exit."""


class AnotherInstance(InstanceError):
    """A plain `run` found the lock held."""


class LockLost(InstanceError):
    """The lock went with its connection and another instance took it meanwhile."""


def lock_patience(stop: asyncio.Event, health: Health | None = None) -> Patience:
    """The Patience for the lock: the bot's own, with backoff capped at RETRY_CAP."""
    return Patience(stop, lambda: Backoff(cap=RETRY_CAP), health=health)


class SingleInstance:
    def __init__(self, lock: InstanceLock, me: InstanceOwner, tz: ZoneInfo,
                 patience: Patience, clock: Callable[[], datetime]) -> None:
        self.lock, self.me, self.tz = lock, me, tz
        self.patience, self.clock = patience, clock
        self.lost: LockLost | None = None  # set when the watch stopped the bot

    async def claim(self, standby: bool) -> bool:
        """True once this process holds the lock; False when the bot stops first. With
        the lock held elsewhere, a plain `run` raises AnotherInstance, a standby polls."""
        seen: InstanceOwner | None = None
        waited = False
        try:
            while True:
                state = await self.patience.run(self.lock.acquire, "verrou d’instance")
                if state is LockState.TAKEN:
                    if waited:
                        log.info("%s", takeover_notice(seen, self.clock(), self.tz))
                    return True
                holder = await self.patience.run(self.lock.holder, "verrou d’instance")
                if not standby:
                    raise AnotherInstance(refusal(holder, self.clock(), self.tz))
                if not waited or _id(holder) != _id(seen):
                    log.info("%s", standby_notice(holder, self.clock(), self.tz))
                seen, waited = holder, True
                await self.patience.pause(POLL_SECONDS)
        except Interrupted:
            return False

    async def record(self) -> bool:
        """Write this process into the owner row (after the migrations: the table is
        theirs). False when the bot stops first, or when the lock went with its connection
        meanwhile and another instance has it (`lost` then says so)."""
        try:
            holder = await self._hold_and_record()
        except Interrupted:
            return False
        if holder is not None:
            self.lost = LockLost(lost_notice(holder[0], self.clock(), self.tz))
            log.error("%s", self.lost)
        return holder is None

    async def watch(self, stop: asyncio.Event) -> None:
        """Until `stop`: check the lock every CHECK_SECONDS (sooner when the database comes
        back); a lost lock is taken back, or `stop` is set with `lost` when another
        instance holds it now."""
        try:
            while not stop.is_set():
                await self.patience.pause(CHECK_SECONDS)
                if stop.is_set() or await self._still_held():
                    continue
                log.warning("verrou d’instance perdu (connexion à la base de données "
                            "coupée) : reprise en cours")
                if await self.record():
                    log.info("verrou d’instance repris")
                    continue
                stop.set()
        except Interrupted:
            pass  # the bot stops anyway

    async def _still_held(self) -> bool:
        try:
            return await self.lock.check(self.me, self.clock())
        except Exception:  # never let the watch die: the next check will tell
            log.exception("vérification du verrou d’instance impossible")
            return True

    async def _hold_and_record(self) -> tuple[InstanceOwner | None] | None:
        """None once the lock is held (taken again if need be) and this process recorded
        as its owner; else (the instance holding it,)."""
        async def attempt() -> LockState:
            state = await self.lock.acquire()  # at once when still held
            if state is LockState.TAKEN:
                await self.lock.record(self.me)  # a cut here loses the lock: both again
            return state

        while True:
            state = await self.patience.run(attempt, "verrou d’instance")
            if state is LockState.TAKEN:
                return None
            if state is LockState.BUSY:
                return (await self.patience.run(self.lock.holder, "verrou d’instance"),)
            await self.patience.pause(POLL_SECONDS)  # our old session is on its way out

    async def release(self) -> None:
        await self.lock.close()


def _id(owner: InstanceOwner | None) -> str | None:
    return owner.instance_id if owner is not None else None
