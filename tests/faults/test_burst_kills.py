"""SIGKILL in the middle of a burst, three times (issue 9, case 3; SPEC §7 and §8).

A team member sends 100 `!point`, 5 in each of 20 rooms linked to a project, interleaved
across the rooms; meanwhile the bot subprocess is killed (SIGKILL: nothing saved on the
way out) at random moments and restarted, three times. In the end every update is stored
exactly once in the bot's database and every `!point` has exactly one ✅ and one reply in
its room's history on the server.

The kill moments come from a seeded random: the seed is printed (run with `-s`), and
`TRAAM_FAULTS_SEED=<seed>` replays the same moments.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid

from tests.faultproxy import FaultProxy
from tests.faults.helpers import (
    linked_rooms,
    owed_problems,
    restart_until_connected,
    stored_counts,
    until_owed,
)
from traam_bot.devtools.sandbox import Sandbox, UserClient

ROOMS, PER_ROOM = 20, 5
GAP = 0.05  # between two sends of the burst: 100 messages over 20 to 40 s on this host
KILLS = 3
KILL_AFTER = (1.0, 6.0)  # seconds from the (re)start to the next kill, drawn at random
DRAIN = 180.0  # after the last restart: 200 answers to send, on a busy host


async def test_three_sigkills_during_a_burst_lose_and_double_nothing(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    seed = int(os.environ.get("TRAAM_FAULTS_SEED") or random.randrange(2 ** 32))
    print(f"TRAAM_FAULTS_SEED={seed}")
    rng = random.Random(seed)
    child = await sandbox.start_bot_subprocess()
    loop = asyncio.get_running_loop()
    exits: list[str] = []
    kills: list[float] = []
    try:
        rooms = await linked_rooms(sandbox, coord, equipe, ROOMS, "Rafale")
        tag = f"rafale-{uuid.uuid4().hex[:8]}"
        sent: list[str] = []
        owner: dict[str, str] = {}
        start = loop.time()

        async def burst() -> None:
            for k in range(1, PER_ROOM + 1):
                for r, room in enumerate(rooms, 1):
                    event_id = await equipe.send(room, f"!point {tag} salon {r}, n° {k}")
                    sent.append(event_id)
                    owner[event_id] = room
                    await asyncio.sleep(GAP)

        async def crashes() -> None:
            for _ in range(KILLS):
                await asyncio.sleep(rng.uniform(*KILL_AFTER))
                child.kill()
                kills.append(loop.time() - start)
                await restart_until_connected(child, exits, loop.time() + 120)

        await asyncio.gather(burst(), crashes())
        print(f"burst of {len(sent)} in {loop.time() - start:.1f} s; "
              f"SIGKILL at +{', +'.join(f'{k:.1f}' for k in kills)} s; failed starts: {exits}")

        def last_send() -> float:
            return max([start, *(r.at for r in proxy.since(start, "send"))])

        owed = await until_owed(equipe, rooms, sandbox.bot_id, sent, last_send,
                                deadline=loop.time() + DRAIN, quiet=8.0, poll=3.0)
        assert child.running, "the restarted bot stopped"
    finally:
        await asyncio.to_thread(child.terminate)
    assert len(sent) == ROOMS * PER_ROOM
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join([f"seed {seed}, kills at {kills}", *problems[:20],
                                    f"({len(problems)} problems)"])
