"""Shared steps for the end-to-end tests: rooms with the bot, asking and waiting."""

from __future__ import annotations

import asyncio
from typing import Any

from traam_bot.devtools.userclient import Event, UserClient, replies_to


async def room_with_bot(user: UserClient, bot_id: str, *, invite: tuple[str, ...] = (),
                        direct: bool = False, encrypted: bool = False, name: str | None = None,
                        power_levels: dict[str, Any] | None = None) -> str:
    room = await user.create_room(name=name, invite=[bot_id, *invite], direct=direct,
                                  encrypted=encrypted, power_levels=power_levels)
    await user.wait_member(room, bot_id, timeout=30)
    return room


async def ask(user: UserClient, room: str, text: str, **kw: Any) -> Event:
    event_id = await user.send(room, text, **kw)
    return await user.wait_reply(room, event_id, timeout=30)


async def silence(user: UserClient, room: str, event_id: str, seconds: float = 4) -> bool:
    """True when nothing answered `event_id` within `seconds`."""
    await user.wait_for(lambda e: e["room_id"] == room and replies_to(e, event_id), seconds)
    return not user.replies(room, event_id)


def body(event: Event) -> str:
    return str((event.get("content") or {}).get("body", ""))


def html(event: Event) -> str:
    return str((event.get("content") or {}).get("formatted_body", ""))


async def join_invite(user: UserClient, room: str) -> None:
    await user.join(room)
    await asyncio.sleep(0)


def reactions_to(user: UserClient, room: str, event_id: str, key: str = "✅") -> list[Event]:
    return [e for e in user.events.get(room, []) if e.get("type") == "m.reaction"
            and ((e.get("content") or {}).get("m.relates_to") or {}).get("event_id") == event_id
            and ((e.get("content") or {}).get("m.relates_to") or {}).get("key") == key]
