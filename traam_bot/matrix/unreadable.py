"""Messages the bot cannot read: withheld room keys logged and told to the room once, other
missing keys requested."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from nio import AsyncClient, LocalProtocolError, MegolmEvent

from traam_bot.domain.model import RoomView
from traam_bot.matrix.calls import checked
from traam_bot.matrix.rooms import NioRoomView, is_direct_room
from traam_bot.matrix.send import Sender
from traam_bot.matrix.withheld import Undecryptable, Withheld, WithheldKeys, parse_withheld

log = logging.getLogger(__name__)


class WithheldSink(Protocol):
    async def on_key_withheld(self, room: RoomView, sender: str, code: str) -> None: ...


class Unreadable:
    def __init__(self, client: AsyncClient, sink: WithheldSink, sender: Sender,
                 guard: Callable[[Callable[[], Awaitable[Any]], str, str],
                                 Awaitable[None]]) -> None:
        self.client = client
        self.sink = sink
        self.sender = sender
        self.guard = guard
        self.withheld = WithheldKeys()
        self._told: set[str] = set()  # rooms told about a withheld key in this run

    async def on_to_device(self, events: list[Any]) -> None:
        """Withheld-key notices (unencrypted to-device events unknown to nio)."""
        for ev in events:
            notice = parse_withheld(getattr(ev, "source", None) or {})
            if notice is None:
                continue
            log.warning("room key withheld from the bot: sender %s, room %s, session %s, "
                        "code %s", notice.sender, notice.room_id, notice.session_id,
                        notice.code or "-")
            for event in self.withheld.add(notice):  # messages that arrived before it
                await self._tell_withheld(event, notice)

    async def undecryptable(self, ev: MegolmEvent, room_id: str, view: RoomView) -> None:
        event = Undecryptable(room_id, ev.event_id, ev.sender, ev.session_id,
                              ev.sender_key or "")
        notice = self.withheld.explain(event)
        if notice is not None:
            await self._tell_withheld(event, notice, view)
            return
        log.warning("cannot decrypt %s in %s from %s (no room key yet)", ev.event_id,
                    room_id, ev.sender)
        self.withheld.wait(event)
        ev.room_id = ev.room_id or room_id  # backfilled events may lack it; the request needs it
        await self._request_key(ev)

    async def _tell_withheld(self, event: Undecryptable, notice: Withheld,
                             view: RoomView | None = None) -> None:
        log.warning("cannot decrypt %s in %s: %s withheld the room key (%s)", event.event_id,
                    event.room_id, event.sender, notice.code or "-")
        if event.room_id in self._told:
            return
        self._told.add(event.room_id)  # the sink remembers it across restarts
        if view is None:
            room = self.client.rooms.get(event.room_id)
            view = NioRoomView(room, event.room_id, self.sender, is_direct_room(room))
        await self.guard(partial(self.sink.on_key_withheld, view, event.sender, notice.code),
                         event.room_id, event.event_id)

    async def _request_key(self, ev: MegolmEvent) -> None:
        """Ask for a missing key the way nio offers (once per session: nio refuses more)."""
        try:
            await checked(lambda: self.client.request_room_key(ev))
        except LocalProtocolError:
            pass  # already requested
        except Exception:
            log.exception("room key request failed for %s", ev.event_id)
