"""Thirty rooms, one reminder each, all due at once, under a real `rc_message` (issue 9,
case 5; PITFALLS: 429 and paced fan-outs).

The product has no single post that goes to many rooms (a digest goes to each referent
by direct message), so the fan-out is the cheapest real one: 30 rooms whose reminders
fall due together. They are written into the bot's database while it is stopped (through
the product's own repository: 30 `!rappel ajouter` and their 60 answers would themselves
be rate-limited); at start the bot fires what is due and owes 30 messages to 30 rooms at
the same moment.

The rooms are made with relaxed limits; then Synapse restarts with its own default message
limit (RC_MESSAGE: 0.2 message/s in bursts of 10, as the issue asks). The delivery alone
then lasts 100 s at the very least (20 messages beyond the burst, one every 5 s); the test
files run side by side in `make test`, so that wait overlaps the others.

Each room must hold exactly one reminder; whenever Synapse answered 429, the bot's next
send to that room must come at least `retry_after_ms` later (the proxy records both); and
the fan-out must be paced, not a herd retrying together (before the bot took the 429s
from nio, 30 messages cost over 400 of them).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from nio import RoomMessagesResponse

from tests.faultproxy import FaultProxy
from tests.faults.helpers import new_rooms
from traam_bot.devtools.sandbox import Sandbox, UserClient
from traam_bot.domain.triggers import Trigger
from traam_bot.store.database import Database
from traam_bot.store.unit_of_work import UnitsOfWork

ROOMS = 30
RC_MESSAGE = {"per_second": 0.2, "burst_count": 10}  # Synapse's default rc_message
DELIVERY = 240.0  # 20 messages beyond the burst at one per 5 s, with room for a busy host
MAX_429 = 2 * ROOMS  # paced: about one 429 per message at most, never a herd


def room_of(path: str) -> str:
    """`/_matrix/client/v3/rooms/<room>/send/<type>/<txn>` -> the room id."""
    return path.split("/rooms/", 1)[1].split("/send/", 1)[0]


async def reminders_due_now(sandbox: Sandbox, rooms: list[str], owner: str,
                            tag: str) -> None:
    due = datetime.now(UTC) - timedelta(seconds=5)
    db = Database(sandbox.settings.database.url)
    try:
        async with UnitsOfWork(db)() as uow:
            for n, room in enumerate(rooms, 1):
                await uow.schedules.add(kind="reminder", room_id=room, owner=owner,
                                        message=f"{tag} salon {n}", trigger=Trigger(at=due),
                                        next_run=due, now=due)
    finally:
        await db.close()


async def reminders_in(user: UserClient, room: str, bot_id: str, tag: str) -> int:
    resp = await user.client.room_messages(room, start="", limit=100)
    if not isinstance(resp, RoomMessagesResponse):
        return 0  # asked again at the next turn
    return sum(1 for ev in resp.chunk
               if ev.source.get("sender") == bot_id
               and tag in str((ev.source.get("content") or {}).get("body", "")))


async def test_a_fan_out_to_thirty_rooms_honours_429(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient) -> None:
    child = await sandbox.start_bot_subprocess()
    loop = asyncio.get_running_loop()
    tag = f"cadence-{uuid.uuid4().hex[:8]}"
    began = loop.time()
    try:
        rooms = await new_rooms(sandbox, coord, ROOMS, "Cadence")
        await asyncio.to_thread(child.terminate)
        await asyncio.to_thread(sandbox.synapse.restart, {"rc_message": RC_MESSAGE})
        await reminders_due_now(sandbox, rooms, coord.user_id, tag)
        start = loop.time()
        print(f"set-up (rooms, Synapse restarted strict): {start - began:.1f} s")
        await child.start(settle=0)
        counts: list[int] = []
        while loop.time() < start + DELIVERY:
            counts = [await reminders_in(coord, room, sandbox.bot_id, tag) for room in rooms]
            if all(counts) and loop.time() - last_send(proxy, start) > 5:
                break
            await asyncio.sleep(3)
        took = last_send(proxy, start) - start
    finally:
        await asyncio.to_thread(child.terminate)

    sends = proxy.since(start, "send")
    limited = [a for a in proxy.answers if a.at >= start and a.kind == "send"
               and a.status == 429]
    print(f"{ROOMS} reminders: {len(sends)} send requests, {len(limited)} answered 429, "
          f"last send {took:.1f} s after the start")
    assert counts == [1] * ROOMS, Counter(counts)
    assert limited, "no 429: Synapse's rc_message was not in force, nothing was tested"
    early = []
    for answer in limited:
        assert answer.retry_after_ms is not None, answer
        room = room_of(answer.path)
        later = [r for r in sends if r.at > answer.at and room_of(r.path) == room]
        if later and later[0].at - answer.at < answer.retry_after_ms / 1000:
            early.append(f"{room}: 429 asked {answer.retry_after_ms} ms, next send "
                         f"{(later[0].at - answer.at) * 1000:.0f} ms later")
    assert not early, "\n".join(early)
    assert len(limited) <= MAX_429, f"{len(limited)} answers 429: a herd, not a pace"


def last_send(proxy: FaultProxy, since: float) -> float:
    return max([since, *(r.at for r in proxy.since(since, "send"))])
