"""RoomView over nio's room state, the invite policy, and what membership events say."""

from __future__ import annotations

from typing import Any

from nio import AsyncClient, MatrixRoom

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
        self._creators: frozenset[str] = frozenset()

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
            state = await self._sender.room_state(self.room_id) or []
            levels = next((e for e in state if e.get("type") == "m.room.power_levels"), None)
            create = next((e for e in state if e.get("type") == "m.room.create"), None)
            if levels is not None:
                self._levels = dict(levels.get("content") or {})
                self._creators = creators_with_top_power(create)
        return self._levels

    async def power_level(self, user_id: str) -> int | None:
        levels = await self._power_levels()
        if not isinstance(levels, dict):
            return None  # unknown state: deny, never allow
        if user_id in self._creators:
            return CREATOR_LEVEL
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


CREATOR_LEVEL = 2**53 - 1  # room v12: creators outrank every power level


def creators_with_top_power(create: dict | None) -> frozenset[str]:
    """Room versions 12+ give their creators infinite power and omit them from `users`."""
    if not create:
        return frozenset()
    content = create.get("content") or {}
    version = str(content.get("room_version", "1"))
    if not (version.isdigit() and int(version) >= 12) and version != "org.matrix.hydra.11":
        return frozenset()
    extra = content.get("additional_creators") or []
    return frozenset([create.get("sender", ""), *[c for c in extra if isinstance(c, str)]])


def room_label(client: AsyncClient, room_id: str) -> str:
    """How people know a room: its alias, else its name, else its id."""
    room = client.rooms.get(room_id)
    if room is None:
        return room_id
    return room.canonical_alias or room.name or room_id


def is_direct_room(room: MatrixRoom | None) -> bool:
    """A direct chat: the bot and one person in a room without a name (as clients make them).

    A named room with two members is a team room still being set up, not a direct chat.
    """
    return room is not None and room.member_count <= 2 and not room.name


def room_aliases(client: AsyncClient, room_id: str) -> tuple[str, ...]:
    """The names a room goes by: its id, canonical alias and alternative aliases."""
    room = client.rooms.get(room_id)
    if room is None:
        return (room_id,)
    names = [room_id, room.canonical_alias or "", *getattr(room, "alt_aliases", [])]
    return tuple(n for n in names if n)


def is_own_join(src: dict[str, Any], me: str) -> bool:
    """The bot's own arrival in a room (not a later profile change, which is also "join")."""
    previous = ((src.get("unsigned") or {}).get("prev_content") or {}).get("membership")
    return (src.get("type") == "m.room.member" and src.get("state_key") == me
            and (src.get("content") or {}).get("membership") == "join" and previous != "join")


def own_membership_left(events: list[Any], me: str) -> bool:
    return any(e.source.get("type") == "m.room.member" and e.source.get("state_key") == me
               and (e.source.get("content") or {}).get("membership") in ("leave", "ban")
               for e in events)
