"""Direct chats with a user: found among the rooms, or opened by the bot."""

from __future__ import annotations

import logging

from nio import AsyncClient, MatrixRoom, RoomCreateResponse
from nio.api import RoomPreset

from traam_bot.domain.model import RoomUnavailable

log = logging.getLogger(__name__)

class DirectRooms:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._direct: dict[str, str] = {}  # user id -> DM room id

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
