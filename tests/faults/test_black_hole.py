"""A homeserver that accepts connections and never answers (issue 9, case 2).

A black hole is worse than an error: nothing fails, every request just waits. The sync
long poll lasts 30 s, so a sync with no answer 15 s after that is dead: the bot must give
it up and sync again, at the latest 2 × (30 s + 15 s) = 90 s after it began, and a send
must not wait forever either. Starting into a black hole must end within a bounded time
with the start-up contract of SPEC §3 (one French line, « serveur Matrix injoignable … »,
non-zero exit, a supervisor restarts it); the first sync of a start, which asks for the
full state (and which nio sends without any client-side timeout), must be watched too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.faultproxy import FaultProxy, Seen
from tests.faults.helpers import linked_team_room, owed_problems, stored_counts, until_owed
from traam_bot.devtools.sandbox import Sandbox, UserClient
from traam_bot.matrix.calls import Backoff

SYNC_TIMEOUT = 30.0  # the long poll's server-side timeout (matrix/runtime.py)
WATCHDOG_LIMIT = 2 * (SYNC_TIMEOUT + 15)  # the bound on a dead request: 90 s
START_LIMIT = WATCHDOG_LIMIT  # a start into a black hole ends within this
WATCHDOG_LINE = "did not answer"  # the bot's warning when it gives a request up
HANDLING = 30.0  # after the way is clear: handling, the sender's turn, margin for a busy host


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not after {timeout:.0f} s")
        await asyncio.sleep(0.2)


def swallowed(proxy: FaultProxy, since: float, kind: str) -> list[Seen]:
    return [r for r in proxy.since(since, kind) if r.mode == "blackhole"]


def given_up_after(proxy: FaultProxy, hole: Seen) -> float | None:
    """Seconds from a swallowed request to the next one of the same kind on the same path
    (a send is retried with the same transaction id), None when there is none yet."""
    later = [r for r in proxy.since(hole.at, hole.kind) if r is not hole
             and (hole.kind == "sync" or r.path == hole.path)]
    return later[0].at - hole.at if later else None


async def test_a_black_hole_while_running(sandbox: Sandbox, proxy: FaultProxy,
                                          coord: UserClient, equipe: UserClient) -> None:
    """The parked sync brings a `!point`; its ✅ and the next sync fall into the hole;
    once both are seen the way is clear again, but those two requests still hang until
    the bot gives them up: it must, and retry, within WATCHDOG_LIMIT."""
    child = await sandbox.start_bot_subprocess()
    loop = asyncio.get_running_loop()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"trou-{uuid.uuid4().hex[:8]}"
        await proxy.wait_inflight("sync", timeout=45, parked=2)
        start = loop.time()
        proxy.set_mode("blackhole")
        try:
            sent = [await equipe.send(room, f"!point {tag} 1 : avant le trou noir")]
            await until(lambda: bool(swallowed(proxy, start, "sync")
                                     and swallowed(proxy, start, "send")), 60,
                        "a sync and a send swallowed")
        finally:
            proxy.set_mode("pass")
        end = loop.time()
        sent.append(await equipe.send(room, f"!point {tag} 2 : après le trou noir"))
        holes = swallowed(proxy, start, "sync")[:1] + swallowed(proxy, start, "send")[:1]
        await until(lambda: all(given_up_after(proxy, h) is not None for h in holes),
                    WATCHDOG_LIMIT + 15, "the swallowed requests given up and retried")

        def last_send() -> float:
            return max([end, *(r.at for r in proxy.since(end, "send"))])

        owed = await until_owed(equipe, [room], sandbox.bot_id, sent, last_send,
                                deadline=loop.time() + Backoff().cap + HANDLING)
        assert child.running, "the bot stopped"
    finally:
        await asyncio.to_thread(child.terminate)
    for hole in holes:
        waited = given_up_after(proxy, hole)
        print(f"{hole.kind} swallowed at +{hole.at - start:.1f} s, retried {waited:.1f} s later")
        assert waited is not None and waited <= WATCHDOG_LIMIT, (hole, waited)
    assert WATCHDOG_LINE in child.log(), "no warning about the request given up"
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join(problems)


async def test_a_start_into_a_black_hole(sandbox: Sandbox, proxy: FaultProxy,
                                         coord: UserClient, equipe: UserClient) -> None:
    """First nothing answers: `run` says the server is unreachable and exits. Then only
    syncs fall into the hole: the bot connects, its first (full-state) sync is swallowed,
    and the watchdog must sync again; a `!point` sent meanwhile is answered."""
    room = await linked_team_room_with_bot(sandbox, coord, equipe)
    child = sandbox.bot_subprocess
    assert child is not None
    loop = asyncio.get_running_loop()
    proxy.set_mode("blackhole")
    began = loop.time()
    try:
        with pytest.raises(RuntimeError, match="did not connect") as failed:
            await child.start(timeout=START_LIMIT + 30, settle=0)
    finally:
        proxy.set_mode("pass")
    took = loop.time() - began
    last = [ln for ln in str(failed.value).splitlines() if ln.strip()][-1]
    print(f"start into a black hole: exit after {took:.1f} s: {last}")
    assert child.proc is not None and child.proc.returncode not in (0, None, -9), last
    assert "injoignable" in last and "pas de réponse" in last, last
    assert "credentials.json" not in last, last  # the session is fine: keep it
    assert took <= START_LIMIT, f"the start took {took:.0f} s to give up"

    tag = f"demarrage-{uuid.uuid4().hex[:8]}"
    start = loop.time()
    proxy.set_mode("blackhole", kinds=("sync",))
    try:
        await child.start(timeout=60, settle=0)
        sent = [await equipe.send(room, f"!point {tag} 1 : pendant le trou noir")]
        await until(lambda: bool(swallowed(proxy, start, "sync")), 60, "a sync swallowed")
    finally:
        proxy.set_mode("pass")
    end = loop.time()
    hole = swallowed(proxy, start, "sync")[0]
    try:
        await until(lambda: given_up_after(proxy, hole) is not None, WATCHDOG_LIMIT + 15,
                    "the first sync given up and retried")
        owed = await until_owed(equipe, [room], sandbox.bot_id, sent,
                                lambda: max([end, *(r.at for r in proxy.since(end, "send"))]),
                                deadline=loop.time() + Backoff().cap + HANDLING)
    finally:
        await asyncio.to_thread(child.terminate)
    print(f"first sync swallowed, retried {given_up_after(proxy, hole):.1f} s later")
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join(problems)


async def linked_team_room_with_bot(sandbox: Sandbox, coord: UserClient,
                                    equipe: UserClient) -> str:
    """A linked team room made with the bot running (logged in once), then stopped."""
    child = await sandbox.start_bot_subprocess()
    try:
        return await linked_team_room(sandbox, coord, equipe)
    finally:
        await asyncio.to_thread(child.terminate)
