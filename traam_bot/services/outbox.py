"""What the bot owes: outbox rows written in the caller's unit of work, and the doorbell
that tells the sender once they are committed."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.outbox import OutboxItem, Outgoing
from traam_bot.domain.render import sendable

if TYPE_CHECKING:  # the unit of work is handed in; services never build one
    from traam_bot.store.unit_of_work import UnitOfWork


# takes a committed row; may return what settles once its first attempt is over
Listener = Callable[[OutboxItem], asyncio.Future[None] | None]


class Outbox:
    """Adds outbox rows in a unit of work; after the commit, hands them to the sender."""

    def __init__(self) -> None:
        self._ready: deque[OutboxItem] = deque()  # committed before anyone listened
        self._listener: Listener | None = None

    def listen(self, listener: Listener) -> None:
        """Hand every committed row to `listener` at once, at commit time (the sender, so
        that a reply leaves without waiting for the next turn of a polling loop); rows
        committed before it listened are handed over now."""
        self._listener = listener
        while self._ready:
            listener(self._ready.popleft())

    async def owe(self, uow: UnitOfWork, out: Outgoing, key: str,
                  now: datetime) -> OutboxItem | None:
        item = await uow.outbox.add(out, key, now)
        if item is not None:
            uow.after_commit(lambda: self._ring(uow, item))
        return item

    def _ring(self, uow: UnitOfWork, item: OutboxItem) -> None:
        if self._listener is None:
            self._ready.append(item)
            return
        leaving = self._listener(item)
        if leaving is not None:
            uow.in_flight.append(leaving)

    # ------------------------------------------------------------ what is owed
    async def reply(self, uow: UnitOfWork, room_id: str, reply: Reply,
                    answered: Incoming | None, key: str, now: datetime,
                    msgtype: str = "m.notice") -> None:
        """An answer: its reaction on the answered message first, then its parts in order
        (each typeset and within the size of an event: `sendable`)."""
        if reply.reaction and answered is not None:
            await self.react(uow, room_id, answered.event_id, reply.reaction, now,
                             key=f"{key}:reaction:{reply.reaction}")
        for i, part in enumerate(sendable(reply)):
            await self.owe(uow, Outgoing(
                kind="message", room_id=room_id, body=part.plain, html=part.html,
                msgtype=msgtype,
                in_reply_to=answered.event_id if answered else None,
                thread_root=answered.thread_root if answered else None),
                f"{key}:msg:{i}", now)
        for j, file in enumerate(reply.attachments):  # after the text that presents them
            await self.attach(uow, f"{key}:{j}", now, filename=file.filename,
                              mimetype=file.mimetype, data=file.data, room_id=room_id,
                              in_reply_to=answered.event_id if answered else None,
                              thread_root=answered.thread_root if answered else None)

    async def react(self, uow: UnitOfWork, room_id: str, event_id: str, emoji: str,
                    now: datetime, key: str | None = None) -> None:
        await self.owe(uow, Outgoing(kind="reaction", room_id=room_id, in_reply_to=event_id,
                                     reaction_key=emoji),
                       key or f"{event_id}:reaction:{emoji}", now)

    async def post(self, uow: UnitOfWork, reply: Reply, key: str, now: datetime, *,
                   room_id: str | None = None, user_id: str | None = None,
                   msgtype: str = "m.text", ping_room: bool = False,
                   firing_id: int | None = None, schedule_id: int | None = None,
                   notify: str | None = None, prompt_project: str | None = None,
                   label: str = "") -> None:
        """A message of the bot's own (reminder, prompt, digest, notice): in a room, or in
        the direct chat with `user_id` (opened by the sender if there is none); each part
        typeset and within the size of an event (`sendable`), then its files."""
        for i, part in enumerate(sendable(reply)):
            await self.owe(uow, Outgoing(
                kind="message", room_id=room_id, user_id=user_id, body=part.plain,
                html=part.html, msgtype=msgtype, ping_room=ping_room and i == 0,
                firing_id=firing_id, schedule_id=schedule_id, notify=notify,
                prompt_project=prompt_project if i == 0 else None, label=label),
                f"{key}:{i}", now)
        for j, file in enumerate(reply.attachments):
            await self.attach(uow, f"{key}:{j}", now, filename=file.filename,
                              mimetype=file.mimetype, data=file.data, room_id=room_id,
                              user_id=user_id)

    async def attach(self, uow: UnitOfWork, key: str, now: datetime, *, filename: str,
                     mimetype: str, data: str, room_id: str | None = None,
                     user_id: str | None = None, in_reply_to: str | None = None,
                     thread_root: str | None = None) -> None:
        """A file (text content, UTF-8): in a room, or in the direct chat with `user_id`;
        uploaded by the sender (encrypted in an encrypted room), then sent as m.file."""
        if room_id is None and user_id is None:
            raise ValueError("a file goes to a room or to a user")
        await self.owe(uow, Outgoing(
            kind="file", room_id=room_id, user_id=user_id, filename=filename,
            mimetype=mimetype, data=data, in_reply_to=in_reply_to, thread_root=thread_root),
            f"{key}:file", now)
