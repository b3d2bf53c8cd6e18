"""Homeserver outages between the bot and Synapse: nothing owed is lost or doubled (SPEC §8).

The scenario of the issue: a reverse proxy in front of Synapse answers 502 for a minute.
The bot was parked in a sync long poll when the outage began; a team member sends three
`!point` (straight to Synapse: users do not go through the bot's proxy), the first one at
once, so that it reaches the bot on the sync that was already in flight while everything
the bot then sends fails. After the outage each update must be stored once, acknowledged
once (✅) and answered once, and the bot must have retried its sync a handful of times,
not thousands (exponential backoff up to 60 s).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import yaml

from tests.faultproxy import FaultProxy
from tests.faults.helpers import (
    Owed,
    at,
    linked_team_room,
    owed_in_history,
    restart_until_connected,
    stored_counts,
)
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient

OUTAGE = 60.0  # seconds of 502, as in the issue
SEND_AT = (0.0, 20.0, 40.0)  # the three !point, in seconds from the start of the outage
KILL_AT = 45.0  # SIGKILL of the bot subprocess, after the three messages, mid-outage
MAX_SYNCS = 12  # backoff 1, 2, 4 … 60 s with jitter: at most 8 sync attempts in 60 s
MAX_REQUESTS = 200  # everything the bot tried during the outage: a hot loop makes thousands
RECOVERY = 120.0  # after the outage: one capped backoff (60 s) plus handling, with margin
QUIET = 10.0  # the bot is done when it has synced again and sent nothing for this long


async def outage_with_three_points(proxy: FaultProxy, equipe: UserClient, room: str, tag: str,
                                   during: Callable[[float], Awaitable[None]] | None = None,
                                   ) -> tuple[list[str], float, float]:
    """502 for OUTAGE seconds with the three !point sent along SEND_AT; `during(start)` runs
    alongside (a restart). Returns the event ids, the outage's start and end (loop time)."""
    # the bot parked in its long poll (not one about to return): the first !point reaches
    # it on that sync, which began before the outage and still completes
    await proxy.wait_inflight("sync", timeout=45, parked=2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    proxy.set_mode("502")
    side = asyncio.ensure_future(during(start)) if during is not None else None
    try:
        sent = []
        for n, offset in enumerate(SEND_AT, 1):
            await at(start, offset)
            sent.append(await equipe.send(room, f"!point {tag} {n} : séance {n} pendant la panne"))
        await at(start, OUTAGE)
        proxy.set_mode("pass")
        end = loop.time()
        if side is not None:
            await side
    finally:
        proxy.set_mode("pass")
        if side is not None and not side.done():
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)
    return sent, start, end


async def settle(proxy: FaultProxy, sandbox: Sandbox, equipe: UserClient, room: str,
                 sent: list[str], recovered_from: float) -> Owed:
    """Wait until every ✅ and reply is there and the bot has sent nothing for QUIET/2 s
    (late duplicates would show), or until the bot has synced twice since the outage and
    sent nothing for QUIET s (it is not going to send what is missing), or RECOVERY s."""
    loop = asyncio.get_running_loop()
    deadline = recovered_from + RECOVERY
    while True:
        owed = await owed_in_history(equipe, room, sandbox.bot_id)
        now = loop.time()
        synced = [r for r in proxy.since(recovered_from, "sync") if r.mode == "pass"]
        sends = proxy.since(recovered_from, "send")
        quiet_since = max([recovered_from, *(r.at for r in sends)])
        if owed.complete(sent) and now - quiet_since >= QUIET / 2:
            return owed
        if len(synced) >= 2 and now - quiet_since >= QUIET:
            return owed
        if now > deadline:
            return owed
        await asyncio.sleep(0.5)


def exactly_once_problems(sandbox: Sandbox, owed: Owed, sent: list[str], tag: str,
                          proxy: FaultProxy, start: float, end: float) -> list[str]:
    problems = []
    stored = stored_counts(sandbox, tag)
    for n, event_id in enumerate(sent, 1):
        rows, reactions = stored.get(event_id, 0), owed.reactions.get(event_id, 0)
        replies = owed.replies.get(event_id, 0)
        if (rows, reactions, replies) != (1, 1, 1):
            problems.append(f"!point n°{n} ({event_id}): stored {rows}×, ✅ {reactions}×, "
                            f"replies {replies}× (expected 1, 1, 1)")
    if set(stored) - set(sent):
        problems.append(f"stored for unknown events: {sorted(set(stored) - set(sent))}")
    during = [r for r in proxy.requests if start <= r.at < end]
    syncs = [r for r in during if r.kind == "sync"]
    if len(syncs) > MAX_SYNCS:
        problems.append(f"{len(syncs)} sync attempts during the {OUTAGE:.0f} s outage "
                        f"(at most {MAX_SYNCS})")
    if len(during) > MAX_REQUESTS:
        problems.append(f"{len(during)} requests during the outage (at most {MAX_REQUESTS})")
    return problems


def describe(proxy: FaultProxy, start: float, end: float) -> str:
    during = [r for r in proxy.requests if start <= r.at < end]
    kinds = {k: sum(1 for r in during if r.kind == k) for k in ("sync", "send", "other")}
    syncs = ", ".join(f"{r.at - start:.1f}" for r in during if r.kind == "sync")
    return f"requests during the outage: {kinds}; sync attempts at +[{syncs}] s"


async def test_a_502_outage_loses_and_doubles_nothing(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    bot = await sandbox.start_bot()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"panne-{uuid.uuid4().hex[:8]}"
        sent, start, end = await outage_with_three_points(proxy, equipe, room, tag)
        owed = await settle(proxy, sandbox, equipe, room, sent, end)
        assert bot.running, "the bot stopped during the outage"
    finally:
        await bot.stop()
    problems = exactly_once_problems(sandbox, owed, sent, tag, proxy, start, end)
    assert not problems, "\n".join([*problems, describe(proxy, start, end)])


async def test_a_502_outage_with_a_crash_in_the_middle(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    """Same outage; the bot (a subprocess) is SIGKILLed at +45 s and restarted like a
    supervisor would (`run` exits when the homeserver is unreachable at start, SPEC §3)."""
    child = await sandbox.start_bot_subprocess()
    exits: list[str] = []

    async def crash_and_restart(start: float) -> None:
        await at(start, KILL_AT)
        child.kill()
        await restart_until_connected(child, exits, start + OUTAGE + 60)

    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"crash-{uuid.uuid4().hex[:8]}"
        sent, start, end = await outage_with_three_points(proxy, equipe, room, tag,
                                                          during=crash_and_restart)
        owed = await settle(proxy, sandbox, equipe, room, sent, end)
        assert child.running, "the restarted bot stopped"
    finally:
        await asyncio.to_thread(child.terminate)  # off the loop: the proxy keeps serving
    problems = exactly_once_problems(sandbox, owed, sent, tag, proxy, start, end)
    assert not problems, "\n".join([*problems, describe(proxy, start, end),
                                    f"exits while restarting: {exits}"])


@pytest.mark.parametrize("mode", ["502", "refuse"])
@pytest.mark.parametrize("store", ["session", "first-start"])
async def test_a_start_during_an_outage_says_the_homeserver_is_unreachable(
        sandbox: Sandbox, proxy: FaultProxy, mode: str, store: str) -> None:
    """`run` exits with one clear line (SPEC §3), whether it restores its session (whoami)
    or logs in for the first time; a 502 is neither a refused token nor a refused login:
    telling the operator to delete credentials.json would cost the bot its device."""
    config = sandbox.config_path
    session = Path(sandbox.settings.matrix.store_path) / "credentials.json"
    if store == "session" and not session.exists():
        await (await sandbox.start_bot()).stop()  # log in once, through the proxy
    elif store == "first-start":
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["matrix"]["store_path"] = str(sandbox.workdir / f"store-{uuid.uuid4().hex[:8]}")
        config = sandbox.workdir / f"bot-{store}-{mode}.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        config.chmod(0o600)
    child = BotSubprocess(config, sandbox.workdir / f"bot-{store}-{mode}.log")
    proxy.set_mode(mode)
    try:
        with pytest.raises(RuntimeError, match="did not connect") as failed:
            await child.start(timeout=60, settle=0)
    finally:
        proxy.set_mode("pass")
        child.kill()
    assert child.proc is not None and child.proc.returncode not in (0, None, -9)
    last = [ln for ln in str(failed.value).splitlines() if ln.strip()][-1]
    assert "injoignable" in last and "credentials.json" not in last, last
