"""Posting on the bot's own initiative: room messages and direct chats with a user."""

from __future__ import annotations

import logging

from nio import AsyncClient, MatrixRoom, RoomCreateResponse
from nio.api import RoomPreset

from traam_bot.domain.model import Reply, RoomUnavailable
from traam_bot.matrix.send import Sender, SendError, notice_content

log = logging.getLogger(__name__)

LOST = ("M_FORBIDDEN", "M_NOT_FOUND")


class Messenger:
    def __init__(self, client: AsyncClient, sender: Sender) -> None:
        self.client = client
        self.sender = sender
        self._direct: dict[str, str] = {}  # user id -> DM room id

    async def post(self, room_id: str, reply: Reply, key: str, *, ping_room: bool = False,
                   msgtype: str = "m.text") -> str:
        """A visible message (m.text) in a room; "@room" notifies only when ping_room."""
        ids = []
        for i, part in enumerate(reply.messages()):
            content = notice_content(part, None, msgtype)
            if ping_room and i == 0:
                content["m.mentions"] = {"room": True}
            try:
                ids.append(await self.sender.send(room_id, "m.room.message", content,
                                                  f"{key}:{i}"))
            except SendError as err:
                if err.status in LOST:
                    raise RoomUnavailable(room_id) from err
                raise
        return ids[0]

    async def direct(self, user_id: str, reply: Reply, key: str) -> tuple[str, str]:
        """Send in the direct chat with `user_id`, opening one if there is none."""
        room_id = await self.direct_room(user_id)
        return room_id, await self.post(room_id, reply, key, msgtype="m.notice")

    async def direct_room(self, user_id: str) -> str:
        known = self._direct.get(user_id)
        if known and known in self.client.rooms:
            return known
        for room in self.client.rooms.values():
            if room.member_count == 2 and user_id in room.users:
                self._direct[user_id] = room.room_id
                return room.room_id
        resp = await self.client.room_create(is_direct=True, invite=[user_id],
                                             preset=RoomPreset.trusted_private_chat)
        if not isinstance(resp, RoomCreateResponse):
            raise RoomUnavailable(f"direct chat with {user_id}: {resp}")
        log.info("opened a direct chat with %s: %s", user_id, resp.room_id)
        # nio only knows a room once a sync delivers it, and this may run inside a sync
        # handler: register the (unencrypted) room now, the next sync fills in its state.
        self.client.rooms.setdefault(resp.room_id,
                                     MatrixRoom(resp.room_id, self.client.user_id, False))
        self._direct[user_id] = resp.room_id
        return resp.room_id
