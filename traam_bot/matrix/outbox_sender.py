"""The one sender: drains the outbox in order per room, with the row's transaction id,
retrying with backoff for as long as the homeserver is unreachable. Recording the outcome
of an attempt waits out a database outage (the row is not sent again meanwhile)."""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from traam_bot.domain.failures import log_failure
from traam_bot.domain.health import Health
from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.outbox import OutboxItem
from traam_bot.matrix.calls import Backoff
from traam_bot.matrix.pace import Pace
from traam_bot.matrix.send import Sender, content_of
from traam_bot.services.retry import DATABASE_CAP, Interrupted, Patience

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0  # also re-read the table: rows committed by a crashed run, say


class DeliveryPort(Protocol):
    """Where the sender reports (services.delivery.Delivery)."""

    async def pending(self) -> list[OutboxItem]: ...
    def too_old(self, item: OutboxItem) -> bool: ...
    async def sent(self, item: OutboxItem, event_id: str, room_id: str) -> None: ...
    async def attempted(self, item: OutboxItem, error: str) -> None: ...
    async def failed(self, item: OutboxItem, code: str, detail: str) -> None: ...
    async def expired(self, item: OutboxItem) -> None: ...


class Doorbell(Protocol):
    """What hands over rows as they are committed (services.outbox.Outbox)."""

    def listen(self, listener: Callable[[OutboxItem], asyncio.Future[None] | None]) -> None:
        ...


class OutboxSender:
    def __init__(self, delivery: DeliveryPort, doorbell: Doorbell, sender: Sender,
                 direct_room: Callable[[str], Awaitable[str]],
                 backoff: Callable[[], Backoff] = lambda: Backoff(cap=60.0),
                 health: Health | None = None,
                 db_backoff: Callable[[], Backoff] = lambda: Backoff(cap=DATABASE_CAP),
                 pace: Pace | None = None, metrics: Metrics = NO_METRICS) -> None:
        self.delivery = delivery
        self.metrics = metrics
        self.pace = pace or Pace()  # one for all rooms: the server limits the bot, not a room
        self.backoff = backoff
        self.doorbell = doorbell
        self.sender = sender
        self.direct_room = direct_room
        self.stopping = asyncio.Event()
        self.patience = Patience(self.stopping, db_backoff, health)  # the database
        self._queues: dict[str, list[OutboxItem]] = {}  # queue -> rows, oldest first
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._known: set[int] = set()  # row ids queued or in flight
        self._tried: dict[int, asyncio.Future[None]] = {}  # settled after a first attempt
        self._kicked = asyncio.Event()
        self._kicks = 0  # how many kicks so far: one during an attempt is not lost

    def kick(self) -> None:
        """The homeserver answers again (a sync went through): retry every waiting queue
        now instead of at the end of its backoff."""
        self._kicks += 1
        self._kicked.set()
        self._kicked = asyncio.Event()

    async def run(self, ready: asyncio.Event) -> None:
        """Until `stopping`: waits for `ready` (rooms known after the first sync), then
        sends what the table holds and whatever is committed afterwards."""
        await ready.wait()
        await self._sweep()
        self.doorbell.listen(self._enqueue)
        while not self.stopping.is_set():
            await self._pause(SWEEP_SECONDS, kicks=False)
            await self._sweep()

    def _settle(self, row_id: int) -> None:
        tried = self._tried.pop(row_id, None)
        if tried is not None and not tried.done():
            tried.set_result(None)

    async def stop(self) -> None:
        self.stopping.set()
        for row_id in list(self._tried):
            self._settle(row_id)
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()  # what is unsent stays in the table for the next start
        await asyncio.gather(*workers, return_exceptions=True)

    def depth(self) -> int:
        """How many rows wait to be sent (metrics)."""
        return sum(len(queue) for queue in self._queues.values())

    def oldest_pending(self) -> datetime | None:
        """When the oldest row still waiting to be sent was committed (health)."""
        heads = [queue[0].created_at for queue in self._queues.values() if queue]
        return min(heads, default=None)

    async def _sweep(self) -> None:
        """Queue what the table holds; waits the database out (which makes this periodic
        read the health's probe of an idle bot's database)."""
        try:
            items = await self.patience.run(self.delivery.pending, "lecture de la file d’envoi")
        except Interrupted:
            return
        except Exception as exc:  # a row that fails to load may be quoted: DEBUG only
            log_failure(log, exc, "outbox could not be read; retrying later")
            return
        for item in items:
            self._enqueue(item)

    def _enqueue(self, item: OutboxItem) -> asyncio.Future[None] | None:
        """Queue a committed row; the future settles once it has been tried."""
        if item.id in self._known:
            return None
        self._known.add(item.id)
        tried = self._tried[item.id] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(item.room_key, [])
        bisect.insort(queue, item, key=lambda i: i.id)
        if item.room_key not in self._workers:
            task = asyncio.create_task(self._drain(item.room_key))
            self._workers[item.room_key] = task
            task.add_done_callback(partial(self._worker_done, item.room_key))
        return tried

    def _worker_done(self, key: str, task: asyncio.Task[None]) -> None:
        if self._workers.get(key) is task:
            del self._workers[key]
        error = None if task.cancelled() else task.exception()
        if error is not None:  # its message may quote a row's text: DEBUG only
            log_failure(log, error, "outbox worker for %s died", key)
        if self._queues.get(key) and not self.stopping.is_set():
            self._workers[key] = asyncio.create_task(self._drain(key))  # rows came meanwhile

    async def _drain(self, key: str) -> None:
        """One queue (room), in order: the head row blocks the rest until it is done."""
        queue, backoff = self._queues[key], self.backoff()
        while queue and not self.stopping.is_set():
            item, kicks = queue[0], self._kicks
            try:
                wait = await self._one(item)
            except Interrupted:
                return  # stopping: the row stays pending in the table
            except Exception as exc:  # the message may quote the row's text: DEBUG only
                log_failure(log, exc, "outbox row %s: unexpected error; retrying", item.id)
                wait = 0.0
            self._settle(item.id)
            if wait is None:
                queue.pop(0)
                self._known.discard(item.id)
                backoff.reset()
            elif self._kicks != kicks or await self._pause(wait or backoff.next()):
                backoff.reset()  # kicked (the homeserver is back): retry now
        if not queue:
            self._queues.pop(key, None)

    async def _one(self, item: OutboxItem) -> float | None:
        """None when the row is finished (sent, refused or expired); otherwise how long to
        wait before the next attempt (0: the caller's backoff decides)."""
        record = partial(self.patience.run, what=f"ligne {item.id} de la file d’envoi")
        if self.delivery.too_old(item):
            await record(partial(self.delivery.expired, item))
            return None
        out = item.outgoing
        room_id = out.room_id
        if room_id is None:
            assert out.user_id is not None
            try:
                room_id = await self.direct_room(out.user_id)
            except Exception as exc:
                log.warning("direct chat with %s not available yet (%s)", out.user_id,
                            type(exc).__name__)
                return 0.0
        async with self.pace.turn():  # a file's upload and its event: one turn
            if out.kind == "file":
                outcome = await self.sender.attempt_file(room_id, out, item.txn_id)
            else:
                outcome = await self.sender.attempt(room_id, *content_of(out), item.txn_id)
        if outcome.wait is not None:  # 429: every room holds back, this one at least `wait`
            self.pace.limited(outcome.wait)
        if outcome.event_id is not None:
            self.metrics.sent()
            await record(partial(self.delivery.sent, item, outcome.event_id, room_id))
            return None
        self.metrics.send_error(outcome.refused or _code(outcome.error))
        if outcome.refused is not None:
            await record(partial(self.delivery.failed, item, outcome.refused, outcome.error))
            return None
        log.warning("send of outbox row %s to %s failed (%s); retrying", item.id, room_id,
                    outcome.error)
        await record(partial(self.delivery.attempted, item, outcome.error))
        return outcome.wait or 0.0

    async def _pause(self, seconds: float, kicks: bool = True) -> bool:
        """Sleep up to `seconds` (until stopped); True when cut short by a kick."""
        kicked = self._kicked
        waiters = {asyncio.ensure_future(self.stopping.wait())}
        if kicks:
            waiters.add(asyncio.ensure_future(kicked.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        return kicks and kicked.is_set() and not self.stopping.is_set()


def _code(error: str) -> str:
    """The Matrix error code (M_…) that `error` names, else "network" (metrics label)."""
    for word in error.replace(":", " ").replace("(", " ").replace(")", " ").split():
        if word.startswith("M_"):
            return word
    return "M_LIMIT_EXCEEDED" if error.startswith("429") else "network"
