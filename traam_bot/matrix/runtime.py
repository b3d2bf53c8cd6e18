"""The supervised sync loop: invites, joins, leaves, timeline events, withheld keys -> sink.

A batch is handled whole before the next sync and before its token is saved: an event
whose handling meets the database out of reach is retried (with backoff, holding its room
back), never skipped; a stop meanwhile leaves the token unsaved, so the next start
receives the batch again and the ledger tells what was already done."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from aiohttp import ClientError
from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinResponse,
    MegolmEvent,
    MessageDirection,
    RoomMessagesResponse,
    SyncResponse,
)

from traam_bot.domain.failures import log_failure
from traam_bot.domain.health import Health
from traam_bot.domain.model import Edit, Incoming, Redaction, RoomView
from traam_bot.matrix.calls import Backoff, checked, describe, upload_keys
from traam_bot.matrix.events import parse_event
from traam_bot.matrix.rooms import (
    NioRoomView,
    invite_allowed,
    is_direct_room,
    is_own_join,
    own_membership_left,
    room_aliases,
)
from traam_bot.matrix.send import Sender
from traam_bot.matrix.unreadable import Unreadable
from traam_bot.services.retry import Interrupted, Patience

log = logging.getLogger(__name__)

SYNC_FILTER = {
    "room": {
        "timeline": {"limit": 100},
        "state": {"lazy_load_members": False},
        "ephemeral": {"types": []},
    },
    "presence": {"types": []},
}


SYNC_TIMEOUT_MS = 30_000  # the long poll: the server answers within this when idle
# A sync still unanswered this long after it began is dead (a proxy that accepts and never
# answers): given up and retried. nio puts no client-side timeout on a full-state sync.
SYNC_WATCHDOG = SYNC_TIMEOUT_MS / 1000 + 15
RECEIPT_DELAY = 10.0
BACKFILL_PAGES = 10  # at most 1,000 missed events per room are fetched after a gap


class EventSink(Protocol):
    """What the application does with what arrives; the runtime only transports."""

    async def handled(self, event_ids: list[str]) -> set[str]: ...
    async def on_event(self, event: Incoming | Edit | Redaction, room: RoomView) -> None: ...
    async def on_joined(self, room_id: str, aliases: tuple[str, ...],
                        joined_at_ms: int) -> None: ...
    async def on_left(self, room_id: str) -> None: ...
    async def on_key_withheld(self, room: RoomView, sender: str, code: str) -> None:
        """A member's device keeps its room keys from the bot: tell the room (once)."""
        ...
    async def joined_at(self, room_id: str) -> int | None: ...
    async def load_token(self) -> str | None: ...
    async def save_token(self, token: str) -> None: ...


class Runtime:
    def __init__(self, client: AsyncClient, sink: EventSink, allowed_servers: tuple[str, ...],
                 display_names: tuple[str, ...] = (), concurrency: int = 128,
                 sender: Sender | None = None,
                 on_recovered: Callable[[], None] = lambda: None,
                 health: Health | None = None) -> None:
        self.client = client
        self.on_recovered = on_recovered  # the homeserver answers again after failures
        self.sink = sink
        self.sender = sender or Sender(client)
        self.allowed_servers = allowed_servers
        self.names = display_names
        self._limit = asyncio.Semaphore(concurrency)
        self.stopping = asyncio.Event()
        self.patience = Patience(self.stopping, health=health)  # the database, waited out
        self.health = health
        self.synced_once = asyncio.Event()
        self._receipts: dict[str, asyncio.Future[Any]] = {}  # room id -> pending receipt
        self.unreadable = Unreadable(client, sink, self.sender, self._guard)

    # ------------------------------------------------------------------ loop
    async def run(self) -> None:
        try:
            await self._loop()
        except Interrupted:
            pass  # stopped while the database was out of reach: the token was not saved
        finally:
            for pending in self._receipts.values():
                pending.cancel()  # courtesy only: not worth delaying a shutdown

    async def _loop(self) -> None:
        token = await self.patience.run(self.sink.load_token, "lecture du jeton de synchro")
        first, backoff = True, Backoff()
        while not self.stopping.is_set():
            resp = await self._sync_once(token, full_state=first and token is not None)
            if resp is None:
                return  # stop requested during the long poll
            if not isinstance(resp, SyncResponse):
                delay = backoff.next()
                log.warning("sync failed (%s); retrying in %.1f s", describe(resp), delay)
                await self._sleep(delay)
                continue
            if backoff.failures:
                self.on_recovered()
            backoff.reset()
            if self.health is not None:
                self.health.synced()
            await self._crypto_housekeeping()
            await self._process(resp, history=token is None, replay=first)
            if self.stopping.is_set():
                return  # part of the batch may be unhandled: keep the old token (ledger dedupes)
            token = resp.next_batch
            await self.patience.run(partial(self.sink.save_token, token),
                                    "enregistrement du jeton de synchro")
            first = False
            self.synced_once.set()

    async def _sync_once(self, token: str | None, full_state: bool) -> Any:
        """The sync's response or error; None when a stop was asked meanwhile."""
        task = asyncio.ensure_future(self.client.sync(
            timeout=SYNC_TIMEOUT_MS, since=token, full_state=full_state or None,
            sync_filter=SYNC_FILTER))
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({task, stop}, timeout=SYNC_WATCHDOG,
                                     return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task not in done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if stop in done:
                return None
            log.warning("sync did not answer within %.0f s: the homeserver does not respond "
                        "(le serveur Matrix ne répond pas)", SYNC_WATCHDOG)
            return TimeoutError()
        try:
            return task.result()
        except (ClientError, TimeoutError, OSError) as exc:
            return exc

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _crypto_housekeeping(self) -> None:
        c = self.client
        if c.should_upload_keys:
            await upload_keys(c)  # raises LostKeys rather than run mute
        if c.should_query_keys:
            await checked(c.keys_query)
        if c.should_claim_keys:
            await checked(lambda: c.keys_claim(c.get_users_for_key_claiming()))
        await checked(c.send_to_device_messages)

    # ------------------------------------------------------------ processing
    async def _process(self, resp: SyncResponse, history: bool, replay: bool) -> None:
        """Handle one sync batch. Only the first batch after a start can hold events that
        were already handled (the token is saved after each batch), so only that one is
        checked against the ledger; later batches skip the lookup on the reply path."""
        await self.unreadable.on_to_device(resp.to_device_events)
        for room_id, info in resp.rooms.invite.items():
            await self._on_invite(room_id, info.invite_state)
        for room_id, info in resp.rooms.leave.items():
            if own_membership_left(info.timeline.events, self.client.user_id):
                await self._guard(partial(self.sink.on_left, room_id), room_id)
        batches = []
        for room_id, info in resp.rooms.join.items():
            timeline = list(info.timeline.events)
            if info.timeline.limited and not history and info.timeline.prev_batch:
                timeline = await self._backfill(room_id, info.timeline.prev_batch) + timeline
                replay = True  # the gap may reach back to events handled before
            events = await self._new_events(room_id, timeline)
            if events and not history:
                batches.append((room_id, events))
        ids = [e.source["event_id"] for _r, evs in batches for e in evs
               if "event_id" in e.source]
        done = await self._handled(ids) if replay else set()
        await asyncio.gather(*(self._room_batch(r, evs, done) for r, evs in batches))

    async def _backfill(self, room_id: str, token: str) -> list[Any]:
        """The events of a gap (more new events than the sync's timeline limit, e.g. after
        a long stop) back to the last one already handled, oldest first."""
        joined = await self._joined_at(room_id) or 0
        found: list[Any] = []
        for _page in range(BACKFILL_PAGES):
            resp = await checked(lambda t=token: self.client.room_messages(  # type: ignore[misc]
                room_id, start=t, direction=MessageDirection.back, limit=100))
            if not isinstance(resp, RoomMessagesResponse) or not resp.chunk:
                break
            done = await self._handled(
                [e.source["event_id"] for e in resp.chunk if "event_id" in e.source])
            for ev in resp.chunk:  # newest first
                src = ev.source
                if src.get("event_id") in done or int(src.get("origin_server_ts") or 0) < joined:
                    return found[::-1]
                found.append(ev)
                if is_own_join(src, self.client.user_id):
                    return found[::-1]  # _new_events starts after it
            if not resp.end or resp.end == token:
                break
            token = resp.end
        log.info("backfilled %d events in %s", len(found), room_id)
        return found[::-1]

    async def _new_events(self, room_id: str, events: list[Any]) -> list[Any]:
        """Events after our own join; nothing from before the bot was in the room."""
        for i in range(len(events) - 1, -1, -1):
            src = events[i].source
            if is_own_join(src, self.client.user_id):
                ts = int(src.get("origin_server_ts") or 0)
                await self._guard(partial(self.sink.on_joined, room_id,
                                          room_aliases(self.client, room_id), ts), room_id)
                return events[i + 1:]
        joined = await self._joined_at(room_id)
        if joined is None:
            return events
        return [e for e in events if int(e.source.get("origin_server_ts") or 0) >= joined]

    async def _room_batch(self, room_id: str, events: list[Any], done: set[str]) -> None:
        try:
            await self._room_events(room_id, events, done)
        except Interrupted:
            pass  # stopping: the token is not saved, the rest comes back after a restart

    async def _room_events(self, room_id: str, events: list[Any], done: set[str]) -> None:
        """In order: an event the database keeps from being handled holds the ones after."""
        async with self._limit:
            room = self.client.rooms.get(room_id)
            view = NioRoomView(room, room_id, self.sender, is_direct_room(room))
            for ev in events:
                if self.stopping.is_set():
                    return  # the token is not saved, so these come back after restart
                if isinstance(ev, MegolmEvent):  # never marked handled: nothing was read
                    await self.unreadable.undecryptable(ev, room_id, view)
                    continue
                if ev.source.get("event_id") in done:
                    continue
                parsed = parse_event(room_id, ev.source, self.client.user_id, self.names)
                if parsed is not None:
                    await self._guard(partial(self.sink.on_event, parsed, view), room_id,
                                      parsed.event_id)
            if events:
                self._receipt(room_id, events[-1].source.get("event_id"))

    def _receipt(self, room_id: str, event_id: str | None) -> None:
        """Mark the room read up to what was handled once it has been quiet for
        RECEIPT_DELAY seconds: receipts are courtesy, during a burst the homeserver's
        capacity goes to replies."""
        if not event_id:
            return
        pending = self._receipts.pop(room_id, None)
        if pending is not None:
            pending.cancel()
        task = asyncio.ensure_future(self._send_receipt(room_id, event_id))
        self._receipts[room_id] = task
        task.add_done_callback(lambda t: self._receipts.pop(room_id, None)
                               if self._receipts.get(room_id) is t else None)

    async def _send_receipt(self, room_id: str, event_id: str) -> None:
        await asyncio.sleep(RECEIPT_DELAY)
        await checked(lambda: self.client.room_read_markers(room_id, event_id, event_id))

    async def _on_invite(self, room_id: str, invite_state: list[Any]) -> None:
        inviter = next((e.sender for e in invite_state if isinstance(e, InviteMemberEvent)
                        and e.state_key == self.client.user_id), None)
        if not invite_allowed(inviter, self.allowed_servers):
            log.info("refusing invite to %s from %s", room_id, inviter)
            await checked(lambda: self.client.room_leave(room_id))
            return
        for attempt in range(5):
            resp = await checked(lambda: self.client.join(room_id))
            if isinstance(resp, JoinResponse):
                log.info("joined %s (invited by %s)", room_id, inviter)
                return
            await self._sleep(min(30, 2 ** attempt))
        log.error("could not join %s", room_id)

    async def _guard(self, call: Callable[[], Awaitable[Any]], room_id: str,
                     event_id: str = "") -> None:
        """Run a sink call to its end: the database out of reach is waited out (Interrupted
        if the bot stops meanwhile); any other failure is logged and never stops the sync
        loop (the dispatcher has already answered it, see Dispatcher.on_event)."""
        try:
            await self.patience.run(call, f"événement {event_id} de {room_id}" if event_id
                                    else f"salon {room_id}")
        except Interrupted:
            raise
        except Exception as exc:  # the message may quote the event's text: DEBUG only
            log_failure(log, exc, "handler failed for event %s in %s", event_id or "-", room_id)

    async def _handled(self, event_ids: list[str]) -> set[str]:
        return await self.patience.run(partial(self.sink.handled, event_ids),
                                       "lecture du registre des événements traités")

    async def _joined_at(self, room_id: str) -> int | None:
        return await self.patience.run(partial(self.sink.joined_at, room_id),
                                       "lecture des salons rejoints")
