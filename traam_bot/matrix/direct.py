"""Direct chats with a user: found among the rooms, or opened by the bot, encrypted from
its first event, as Element and Tchap open theirs."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, MatrixRoom, RoomCreateResponse
from nio.api import RoomPreset

from traam_bot.domain.model import RoomUnavailable

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE: dict[str, Any] = {"type": "m.room.encryption", "state_key": "",
                                    "content": {"algorithm": MEGOLM}}


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
        encrypted = self.client.olm is not None
        resp = await self.client.room_create(
            is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION_STATE] if encrypted else [])
        if not isinstance(resp, RoomCreateResponse):
            raise RoomUnavailable(f"direct chat with {user_id}: {resp}")
        log.info("opened a direct chat with %s: %s", user_id, resp.room_id)
        self._register(resp.room_id, user_id, encrypted)
        self._direct[user_id] = resp.room_id
        return resp.room_id

    def _register(self, room_id: str, user_id: str, encrypted: bool) -> None:
        """nio only knows a room once a sync delivers it, and this may run inside a sync
        handler: register it now, with the invitee as an invited member, so that the first
        messages are encrypted and their room key is shared with the invitee's devices
        (`shared` history lets them read what came before they joined); the next sync
        fills in the rest of its state."""
        room = self.client.rooms.setdefault(
            room_id, MatrixRoom(room_id, self.client.user_id, encrypted))
        room.add_member(self.client.user_id, None, None)
        room.add_member(user_id, None, None, invited=True)  # nio keeps invited members
        # when it loads the joined ones before a first encrypted send, then tracks their
        # devices and shares the room key with them
