"""RoomView over nio's room state, and the invite policy."""

from __future__ import annotations

from nio import MatrixRoom

from traam_bot.matrix.send import Sender


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


def invite_allowed(inviter: str | None, allowed_servers: tuple[str, ...]) -> bool:
    """Exact match on the server part: "evil-localhost" is not "localhost"."""
    return bool(inviter) and server_of(inviter or "") in allowed_servers


class NioRoomView:
    """Answers handlers' questions about a room; power levels are read fresh from the server."""

    def __init__(self, room: MatrixRoom | None, room_id: str, sender: Sender,
                 is_direct: bool) -> None:
        self._room = room
        self.room_id = room_id
        self._sender = sender
        self.is_direct = is_direct
        self._levels: dict | None = None

    def is_member(self, user_id: str) -> bool:
        return self._room is not None and user_id in self._room.users

    def display_name(self, user_id: str) -> str:
        if self._room is not None:
            user = self._room.users.get(user_id)
            if user is not None and user.display_name:
                return str(user.display_name)
        return user_id.split(":", 1)[0].lstrip("@")

    async def _power_levels(self) -> dict | None:
        if self._levels is None:
            self._levels = await self._sender.state_event(self.room_id, "m.room.power_levels")
        return self._levels

    async def power_level(self, user_id: str) -> int | None:
        levels = await self._power_levels()
        if not isinstance(levels, dict):
            return None  # unknown state: deny, never allow
        users = levels.get("users") or {}
        try:
            return int(users.get(user_id, levels.get("users_default", 0)))
        except (TypeError, ValueError):
            return None

    async def can_notify_room(self, user_id: str) -> bool:
        levels = await self._power_levels()
        level = await self.power_level(user_id)
        if not isinstance(levels, dict) or level is None:
            return False
        needed = (levels.get("notifications") or {}).get("room", 50)
        return level >= int(needed)


def is_direct_room(room: MatrixRoom | None) -> bool:
    """A room with the bot and one person is a direct chat."""
    return room is not None and room.member_count <= 2
