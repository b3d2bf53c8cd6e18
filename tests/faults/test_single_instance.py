"""Single instance and warm standby on PostgreSQL (SPEC §8).

Two real `traam-bot run` processes share one configuration (same PostgreSQL, same key
store, same `http` port): the active one, and a `--standby` that waits on the advisory
lock without touching Matrix or the port. A third plain `run` is refused. The active bot
is SIGKILLed right after answering a `!point`; two more `!point` are sent at once; the
standby takes over within 30 s (from the kill to its takeover line) and each `!point` is
stored once, acknowledged once (✅) and answered once, read from the room's history on
the server.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid

import asyncpg

from tests.faults.helpers import http_get
from tests.faults.postgres import ThrowawayPostgres, free_port
from tests.faults.test_database_outage import answered, bot_on_postgres, stored_counts
from tests.faults.test_outages import linked_team_room
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient

TAKEOVER = 30.0  # SPEC §8: from the active instance's death to the standby's takeover
REFUSAL = 30.0  # a second plain `run`: Python start-up, the lock, the line
RECOVERY = 60.0  # after the kill: the takeover, the start, the two answers


async def owner_pid(pg: ThrowawayPostgres) -> int | None:
    conn = await asyncpg.connect(pg.dsn)
    try:
        return await conn.fetchval("SELECT pid FROM instance_owner")  # type: ignore[no-any-return]
    finally:
        await conn.close()


async def exit_code(child: BotSubprocess, timeout: float) -> int | None:
    """The child's exit code once it exits, None if it still runs after `timeout` s."""
    assert child.proc is not None
    try:
        return await asyncio.to_thread(child.proc.wait, timeout)
    except subprocess.TimeoutExpired:
        return None


async def test_a_standby_takes_over_a_killed_bot_and_each_point_is_answered_once(
        sandbox: Sandbox, postgres: ThrowawayPostgres, coord: UserClient,
        equipe: UserClient) -> None:
    port = free_port()
    active = bot_on_postgres(sandbox, postgres, port)
    workdir = sandbox.workdir
    standby = BotSubprocess(active.config_path, workdir / "bot-standby.log", args=["--standby"])
    second = BotSubprocess(active.config_path, workdir / "bot-second.log")
    loop = asyncio.get_running_loop()
    try:
        await active.start(timeout=60, settle=0)
        assert active.proc is not None
        standby.launch()
        second.launch()
        await standby.wait_log("relève : une autre instance tient la base de données", 60)
        room = await linked_team_room(sandbox, coord, equipe)

        # a plain second `run` is refused at once, naming the active instance
        assert await exit_code(second, REFUSAL) not in (0, None)
        refused = second.log_path.read_text(encoding="utf-8")
        for fragment in ("traam-bot : une autre instance du bot tourne déjà sur cette base "
                         "de données (hôte « ", f"pid {active.proc.pid}, depuis le ",
                         "« traam-bot run --standby »"):
            assert fragment in refused, refused

        tag = f"releve-{uuid.uuid4().hex[:8]}"
        sent = [await equipe.send(room, f"!point {tag} 1 : avant la relève")]
        await equipe.wait_reaction(room, sent[0], "✅", timeout=30)
        await equipe.wait_reply(room, sent[0], timeout=30)
        waiting = standby.log_path.read_text(encoding="utf-8")
        assert f"pid {active.proc.pid}" in waiting and standby.running, waiting

        active.kill()  # a crash: the server ends its session, and the advisory lock with it
        killed = loop.time()
        for n in (2, 3):
            sent.append(await equipe.send(room, f"!point {tag} {n} : pendant la relève"))
        await standby.wait_log("celle-ci prend le relais", TAKEOVER + 5)
        took = loop.time() - killed
        owed = await answered(equipe, room, sandbox.bot_id, sent, killed + RECOVERY)
        assert await http_get(port) == (200, "ok")  # the port was left free by the standby
        assert await owner_pid(postgres) == (standby.proc.pid if standby.proc else None)
    finally:
        for child in (active, second):
            child.kill()
        exit_standby = await asyncio.to_thread(standby.terminate)
    log = standby.log_path.read_text(encoding="utf-8", errors="replace")
    tail = "\n".join(log.splitlines()[-25:])
    assert took <= TAKEOVER, f"takeover after {took:.1f} s\n{tail}"
    stored = await stored_counts(postgres, tag)
    counts = [(stored.get(e, 0), owed.reactions.get(e, 0), owed.replies.get(e, 0))
              for e in sent]
    assert counts == [(1, 1, 1)] * 3, f"(stored, ✅, replies) per !point: {counts}\n{tail}"
    assert exit_standby == 0, tail
