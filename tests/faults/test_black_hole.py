"""A homeserver that accepts connections and never answers (issue 9, case 2).

A black hole is worse than an error: nothing fails, every request just waits. The sync
long poll lasts 30 s, so a sync with no answer 15 s after that is dead: the bot must give
it up and sync again, at the latest 2 × (30 s + 15 s) = 90 s after it began, and a send
must not wait forever either. Starting into a black hole must end within a bounded time
with the start-up contract of SPEC §3 (one French line, « serveur Matrix injoignable … »,
non-zero exit, a supervisor restarts it).

A third scenario runs beside them, as long: the homeserver gone (connections refused) for
longer than the health limit of SPEC §8 (75 s without a successful sync). `GET /health`,
asked over real HTTP, goes from 200 to 503 with the French reason, and back to 200 once the
server answers again; `/metrics` shows the sync age meanwhile.

The scenarios run in one test, side by side, each through its own proxy: every wait here
is a timeout of the bot's (45 s, 75 s), and waiting them one after the other would triple
the cost of the suite.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
import yaml

from tests.faultproxy import FaultProxy, Seen
from tests.faults.helpers import (
    http_get,
    linked_team_room,
    owed_problems,
    stored_counts,
    until_owed,
)
from tests.faults.postgres import free_port
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient, write_bot_config
from traam_bot.domain.health import SYNC_LIMIT

SYNC_TIMEOUT = 30.0  # the long poll's server-side timeout (matrix/runtime.py)
WATCHDOG_LIMIT = 2 * (SYNC_TIMEOUT + 15)  # the bound on a dead request: 90 s
START_LIMIT = WATCHDOG_LIMIT  # a start into a black hole ends within this
WATCHDOG_LINE = "did not answer"  # the bot's warning when it gives a request up
HANDLING = 30.0  # after the way is clear: handling, the sender's turn, margin for a busy host
BACKOFF_CAP = 60.0  # the sync loop's longest pause between attempts (domain/backoff.py)


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


async def test_black_holes_at_start_and_after_connecting(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    room = await linked_team_room_with_bot(sandbox, coord, equipe)
    async with FaultProxy(sandbox.synapse.url, mode="blackhole") as hole, \
            FaultProxy(sandbox.synapse.url) as gone:
        await asyncio.gather(a_start_into_a_black_hole(sandbox, hole),
                             a_black_hole_after_connecting(sandbox, proxy, equipe, room),
                             a_homeserver_gone_shows_in_health(sandbox, gone))


async def a_start_into_a_black_hole(sandbox: Sandbox, hole: FaultProxy) -> None:
    """A first start (login) where nothing answers: `run` says that the server does not
    answer and exits, within START_LIMIT. Its own store, database and log: the other
    scenario's bot runs meanwhile."""
    data = yaml.safe_load(sandbox.config_path.read_text(encoding="utf-8"))
    data["matrix"]["homeserver"] = hole.url
    data["matrix"]["store_path"] = str(sandbox.workdir / "store-hole")
    data["database"]["url"] = f"sqlite+aiosqlite:///{sandbox.workdir / 'hole.db'}"
    config = sandbox.workdir / "bot-hole.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config.chmod(0o600)
    child = BotSubprocess(config, sandbox.workdir / "bot-hole.log")
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        with pytest.raises(RuntimeError, match="did not connect") as failed:
            await child.start(timeout=START_LIMIT + 30, settle=0)
    finally:
        child.kill()
    took = loop.time() - began
    last = [ln for ln in str(failed.value).splitlines() if ln.strip()][-1]
    print(f"start into a black hole: exit after {took:.1f} s: {last}")
    assert hole.count("blackhole") >= 1, "the start never reached the proxy"
    assert child.proc is not None and child.proc.returncode not in (0, None, -9), last
    assert "injoignable" in last and "pas de réponse" in last, last
    assert "mot de passe" not in last, last  # nothing refused the login: it never answered
    assert took <= START_LIMIT, f"the start took {took:.0f} s to give up"


async def a_black_hole_after_connecting(sandbox: Sandbox, proxy: FaultProxy,
                                        equipe: UserClient, room: str) -> None:
    """The bot connects (whoami, keys: they pass) but its first sync, the full-state one
    that nio sends without any timeout, is swallowed; a `!point` waits on the server.
    The watchdog must give that sync up and sync again: the `!point` arrives, and its ✅
    is swallowed in turn, so the send must be given up and retried (same transaction).
    Each swallowed request hangs until the bot gives it up: the way is cleared as soon as
    it has been swallowed, and the bot must retry within WATCHDOG_LIMIT."""
    child = sandbox.bot_subprocess
    assert child is not None
    loop = asyncio.get_running_loop()
    tag = f"trou-{uuid.uuid4().hex[:8]}"
    start = loop.time()
    proxy.set_mode("blackhole", kinds=("sync",))
    try:
        await child.start(timeout=60, settle=0)
        sent = [await equipe.send(room, f"!point {tag} 1 : pendant le trou noir")]
        await until(lambda: bool(swallowed(proxy, start, "sync")), 60, "a sync swallowed")
        proxy.set_mode("blackhole", kinds=("send",))
        await until(lambda: bool(swallowed(proxy, start, "send")), WATCHDOG_LIMIT + 15,
                    "the sync given up, the !point received and its ✅ swallowed")
        proxy.set_mode("pass")
        end = loop.time()
        holes = swallowed(proxy, start, "sync")[:1] + swallowed(proxy, start, "send")[:1]
        await until(lambda: all(given_up_after(proxy, h) is not None for h in holes),
                    WATCHDOG_LIMIT + 15, "the swallowed send given up and retried")
        owed = await until_owed(equipe, [room], sandbox.bot_id, sent,
                                lambda: max([end, *(r.at for r in proxy.since(end, "send"))]),
                                deadline=loop.time() + HANDLING)
        assert child.running, "the bot stopped"
    finally:
        proxy.set_mode("pass")
        await asyncio.to_thread(child.terminate)
    for hole in holes:
        waited = given_up_after(proxy, hole)
        print(f"{hole.kind} swallowed at +{hole.at - start:.1f} s, retried {waited:.1f} s later")
        assert waited is not None and waited <= WATCHDOG_LIMIT, (hole, waited)
    assert WATCHDOG_LINE in child.log(), "no warning about the sync given up"
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join(problems)


async def a_homeserver_gone_shows_in_health(sandbox: Sandbox, gone: FaultProxy) -> None:
    """A bot of its own (its account, store, database, `http` listener) reaches Synapse
    through `gone`, which refuses connections for longer than SYNC_LIMIT. /health answers
    200 before, 503 with the reason once the last successful sync is older than the limit
    (never before), and 200 again after the server is back (one capped backoff later)."""
    password = "sante-mot-de-passe"
    user_id = await sandbox.synapse.aregister("bot-sante", password)
    port = free_port()
    config = write_bot_config(
        sandbox.workdir / "bot-sante.yaml", gone.url, user_id, password,
        f"sqlite+aiosqlite:///{sandbox.workdir / 'sante.db'}", sandbox.workdir / "store-sante",
        admins=[], referents=[], directory=sandbox.directory)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["http"] = {"bind": "127.0.0.1", "port": port}
    config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    child = BotSubprocess(config, sandbox.workdir / "bot-sante.log")
    loop = asyncio.get_running_loop()
    limit = SYNC_LIMIT.total_seconds()
    try:
        await child.start(timeout=60, settle=0)
        await gone.wait_inflight("sync", timeout=45, parked=2)
        before = await http_get(port)
        gone.set_mode("refuse")  # the sync in flight is cut: its last success was before
        start = loop.time()
        last_ok = max(a.at for a in gone.answers if a.kind == "sync" and a.status == 200)
        statuses: list[tuple[float, int, str]] = []
        while not statuses or statuses[-1][1] == 200:
            assert loop.time() - start < limit + 30, f"still healthy: {statuses[-3:]}"
            await asyncio.sleep(1)
            statuses.append((loop.time() - start, *await http_get(port)))
        unhealthy_at, _, reason = statuses[-1]
        metrics = (await http_get(port, "/metrics"))[1]
        gone.set_mode("pass")
        back = loop.time()
        while (after := await http_get(port))[0] != 200:
            assert loop.time() - back < BACKOFF_CAP + 30, f"still unhealthy: {after}"
            await asyncio.sleep(1)
        recovered_in = loop.time() - back
        assert child.running, "the bot stopped"
    finally:
        gone.set_mode("pass")
        await asyncio.to_thread(child.terminate)
    print(f"/health: 503 {unhealthy_at:.0f} s into the outage, 200 again {recovered_in:.0f} s "
          "after it")
    assert before == (200, "ok"), before
    # the bot's last sync went through once its answer arrived, not before
    assert start + unhealthy_at >= last_ok + limit, f"503 before the limit: {statuses}"
    assert "dernière synchronisation réussie avec le serveur Matrix il y a" in reason, reason
    assert "limite : 1 min 15 s" in reason, reason
    sync_age = [float(line.split()[-1]) for line in metrics.splitlines()
                if line.startswith("traam_bot_sync_age_seconds ")]
    assert sync_age and sync_age[0] > limit, metrics
    assert after == (200, "ok"), after


async def linked_team_room_with_bot(sandbox: Sandbox, coord: UserClient,
                                    equipe: UserClient) -> str:
    """A linked team room made with the bot running (logged in once), then stopped."""
    child = await sandbox.start_bot_subprocess()
    try:
        return await linked_team_room(sandbox, coord, equipe)
    finally:
        await asyncio.to_thread(child.terminate)
