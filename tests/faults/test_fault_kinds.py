"""A minute without the homeserver, every way a reverse proxy can fail (issue 9, case 1).

The proxy in front of Synapse answers 502, then 503, then resets connections, then refuses
them, 15 s each, while a team member sends one `!point` at the start of each phase
(straight to Synapse). The bot (a subprocess, as in production) must retry its sync at
the pace of its backoff, not in a hot loop; once the proxy passes again it must be back
within one capped backoff period (60 s); and every `!point` must be stored, acknowledged
(✅) and answered exactly once.
"""

from __future__ import annotations

import asyncio
import uuid

from tests.faultproxy import FaultProxy
from tests.faults.helpers import (
    at,
    linked_team_room,
    most_attempts,
    owed_problems,
    stored_counts,
    until_owed,
)
from traam_bot.devtools.sandbox import Sandbox, UserClient
from traam_bot.domain.backoff import Backoff

PHASES = (("502", 15.0), ("503", 15.0), ("reset", 15.0), ("refuse", 15.0))
OUTAGE = sum(length for _mode, length in PHASES)
# One attempt of the sync loop is one request, or two when aiohttp retries a GET on a
# reused keep-alive connection that the proxy reset; plus the long poll that was parked
# when the outage began.
MAX_SYNC_REQUESTS = 2 * most_attempts(OUTAGE) + 1
MAX_REQUESTS = 200  # everything the bot tried during the outage: a hot loop makes thousands
CAP = Backoff().cap  # the longest pause between two attempts
HANDLING = 30.0  # after the first sync: handling, the sender's turn, margin for a busy host


async def test_every_fault_kind_for_a_minute(sandbox: Sandbox, proxy: FaultProxy,
                                             coord: UserClient, equipe: UserClient) -> None:
    child = await sandbox.start_bot_subprocess()
    loop = asyncio.get_running_loop()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"toutes-{uuid.uuid4().hex[:8]}"
        # parked in its long poll: the first !point reaches the bot on that sync
        await proxy.wait_inflight("sync", timeout=45, parked=2)
        start, sent, offset = loop.time(), [], 0.0
        try:
            for n, (mode, length) in enumerate(PHASES, 1):
                proxy.set_mode(mode)
                sent.append(await equipe.send(room, f"!point {tag} {n} : pendant « {mode} »"))
                offset += length
                await at(start, offset)
        finally:
            proxy.set_mode("pass")
        end = loop.time()

        def last_send() -> float:
            return max([end, *(r.at for r in proxy.since(end, "send"))])

        owed = await until_owed(equipe, [room], sandbox.bot_id, sent, last_send,
                                deadline=end + CAP + HANDLING)
        assert child.running, "the bot stopped during the outage"
    finally:
        await asyncio.to_thread(child.terminate)  # off the loop: the proxy keeps serving

    during = [r for r in proxy.requests if start <= r.at < end]
    syncs = [r for r in during if r.kind == "sync"]
    timeline = ", ".join(f"{r.mode}@+{r.at - start:.1f}" for r in syncs)
    assert 3 <= len(syncs) <= MAX_SYNC_REQUESTS, (
        f"{len(syncs)} sync requests in {OUTAGE:.0f} s (backoff allows {MAX_SYNC_REQUESTS}):"
        f" {timeline}")
    assert len(during) <= MAX_REQUESTS, f"{len(during)} requests during the outage"
    assert {r.mode for r in syncs} >= {"502", "503"}, timeline
    back = [r for r in proxy.since(end, "sync") if r.mode == "pass"]
    print(f"sync requests during the outage: {timeline}; back "
          f"{back[0].at - end if back else None} s after it")
    assert back and back[0].at - end <= CAP + 5, (
        f"first sync {back[0].at - end if back else None} s after the outage (cap {CAP} s)")
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join([*problems, f"syncs during the outage: {timeline}"])
