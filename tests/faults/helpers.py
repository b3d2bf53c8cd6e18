"""Shared steps of the fault tests: rooms linked to a project, the timeline, restarts, and
what the bot owes read back from the server's room history and from its database."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import aiohttp
from nio import JoinResponse, RoomCreateResponse
from nio.api import RoomPreset
from sqlalchemy import make_url

from tests.e2e.helpers import ask, room_with_bot
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient
from traam_bot.domain.backoff import Backoff

PROJECT = "besancon-nsi-egalite"
RESTART_PAUSE = 5.0  # a supervisor's pause between restarts (systemd RestartSec=5)


@dataclass
class Owed:
    """What the bot owes for each `!point` it was sent: ✅ and replies, from the history."""

    reactions: dict[str, int] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)

    def complete(self, event_ids: list[str]) -> bool:
        return all(self.reactions.get(e, 0) >= 1 and self.replies.get(e, 0) >= 1
                   for e in event_ids)


async def owed_in_history(user: UserClient, room: str, bot_id: str) -> Owed:
    """The bot's ✅ reactions and replies per target event, read from the room's history on
    the server (not from the user's own, limited, sync)."""
    owed, token = Owed(), ""
    for _ in range(20):
        resp = await user.client.room_messages(room, start=token, limit=100)
        for ev in getattr(resp, "chunk", []):
            src = ev.source
            content = src.get("content") or {}
            rel = content.get("m.relates_to") or {}
            if src.get("sender") != bot_id:
                continue
            if src.get("type") == "m.reaction" and rel.get("key") == "✅":
                owed.reactions[rel["event_id"]] = owed.reactions.get(rel["event_id"], 0) + 1
            target = (rel.get("m.in_reply_to") or {}).get("event_id")
            if src.get("type") == "m.room.message" and target:
                owed.replies[target] = owed.replies.get(target, 0) + 1
        if not getattr(resp, "chunk", None) or not resp.end:
            break
        token = resp.end
    return owed


def stored_counts(sandbox: Sandbox, tag: str) -> dict[str, int]:
    """event id -> rows in the bot's `updates` table, for the updates carrying `tag`."""
    db = make_url(sandbox.settings.database.url).database
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute("SELECT event_id, count(*) FROM updates WHERE text LIKE ? "
                            "GROUP BY event_id", (f"%{tag}%",)).fetchall()
    return {event_id: n for event_id, n in rows}


async def linked_team_room(sandbox: Sandbox, coord: UserClient, equipe: UserClient) -> str:
    room = await room_with_bot(coord, sandbox.bot_id, invite=(equipe.user_id,),
                               name="TraAM NSI (pannes)")
    await equipe.join(room)
    await ask(coord, room, f"!lier {PROJECT}")
    return room


async def at(start: float, offset: float) -> None:
    """Sleep until `offset` seconds after loop time `start`: the scenario's timeline."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start + offset - loop.time()))


async def restart_until_connected(child: BotSubprocess, exits: list[str],
                                  deadline: float) -> None:
    """Start the bot again and again (RESTART_PAUSE apart) until it connects; each failed
    start's last log line goes to `exits`."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await child.start(timeout=max(1.0, deadline - loop.time()), settle=0)
            return
        except RuntimeError as exc:
            lines = [ln for ln in str(exc).splitlines() if ln.strip()]
            exits.append(lines[-1] if lines else "?")
            if loop.time() > deadline:
                raise
        await asyncio.sleep(RESTART_PAUSE)  # a supervisor's pacing, not a guess




async def new_rooms(sandbox: Sandbox, creator: UserClient, count: int, name: str,
                    members: tuple[UserClient, ...] = (), timeout: float = 120) -> list[str]:
    """`count` rooms made by `creator` with the bot and `members` in them: created and
    joined in a row, then waited for together (the bot joins them in parallel)."""
    invite = [sandbox.bot_id, *(m.user_id for m in members)]
    rooms = []
    for n in range(1, count + 1):
        resp = await creator.client.room_create(name=f"{name} {n}", invite=invite,
                                                preset=RoomPreset.private_chat)
        assert isinstance(resp, RoomCreateResponse), resp
        rooms.append(resp.room_id)
    for member in members:
        for room in rooms:
            assert isinstance(await member.client.join(room), JoinResponse), room
    for room in rooms:  # one sync usually brings them all
        await creator.wait_member(room, sandbox.bot_id, timeout=timeout)
        for member in members:
            await member.wait_member(room, member.user_id, timeout=timeout)
    return rooms


async def linked_rooms(sandbox: Sandbox, coord: UserClient, equipe: UserClient, count: int,
                       name: str, timeout: float = 120) -> list[str]:
    """`count` rooms with the bot and `equipe`, each linked with `!lier` (asked in a row,
    answers awaited together)."""
    rooms = await new_rooms(sandbox, coord, count, name, (equipe,), timeout)
    asked = [await coord.send(room, f"!lier {PROJECT}") for room in rooms]
    for room, event_id in zip(rooms, asked, strict=True):
        await coord.wait_reply(room, event_id, timeout=timeout)
    return rooms


async def owed_in_rooms(user: UserClient, rooms: list[str], bot_id: str) -> Owed:
    """`owed_in_history` over several rooms (event ids are unique across rooms)."""
    owed = Owed()
    for room in rooms:
        one = await owed_in_history(user, room, bot_id)
        owed.reactions.update(one.reactions)
        owed.replies.update(one.replies)
    return owed


def owed_problems(owed: Owed, stored: dict[str, int], sent: list[str],
                  replies: int = 1) -> list[str]:
    """Each event stored once, acknowledged once (✅) and answered `replies` times; nothing
    stored for an event that was not sent."""
    problems = []
    for n, event_id in enumerate(sent, 1):
        got = (stored.get(event_id, 0), owed.reactions.get(event_id, 0),
               owed.replies.get(event_id, 0))
        if got != (1, 1, replies):
            problems.append(f"message n°{n} ({event_id}): stored {got[0]}×, ✅ {got[1]}×, "
                            f"replies {got[2]}× (expected 1, 1, {replies})")
    if set(stored) - set(sent):
        problems.append(f"stored for unknown events: {sorted(set(stored) - set(sent))}")
    return problems


async def until_owed(user: UserClient, rooms: list[str], bot_id: str, sent: list[str],
                     last_send: Callable[[], float], deadline: float, quiet: float = 5.0,
                     poll: float = 1.0) -> Owed:
    """Read the histories until every message has its ✅ and reply and the bot has sent
    nothing for `quiet` seconds (a late duplicate would show), or loop time `deadline`."""
    loop = asyncio.get_running_loop()
    while True:
        owed = await owed_in_rooms(user, rooms, bot_id)
        now = loop.time()
        if (owed.complete(sent) and now - last_send() >= quiet) or now > deadline:
            return owed
        await asyncio.sleep(poll)


def most_attempts(window: float) -> int:
    """How many attempts the sync loop's backoff (`traam_bot.matrix.calls.Backoff`) allows
    in `window` seconds of failures: the first at once, then every delay at its shortest
    (jitter at its bottom)."""
    backoff, elapsed, attempts = Backoff(), 0.0, 1
    with mock.patch("traam_bot.domain.backoff.random.uniform", lambda low, high: low):
        while (elapsed := elapsed + backoff.next()) <= window:
            attempts += 1
    return attempts


async def http_get(port: int, path: str = "/health") -> tuple[int, str]:
    """A real HTTP request to the bot's `http` listener: status and body."""
    async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=5)) as r:
        return r.status, await r.text()
