"""A PostgreSQL outage is waited out, never a reason to exit (SPEC §8).

The scenario of the issue: the bot (a real `traam-bot run` process, `http` on) runs on its
own PostgreSQL, which is stopped for 60 s while a team member sends three `!point`. The
process stays up and `GET /health` says, in French, that the database is unreachable;
once PostgreSQL is back every `!point` is stored once, acknowledged once (✅) and answered
once, and `/health` answers `ok` again.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import yaml

from tests.faults.helpers import http_get
from tests.faults.postgres import ThrowawayPostgres, free_port
from tests.faults.test_outages import Owed, at, linked_team_room, owed_in_history
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient

OUTAGE = 60.0  # seconds without PostgreSQL, as in the issue
SEND_AT = (0.0, 20.0, 40.0)  # the three !point, in seconds from the start of the outage
HEALTH_AT = 45.0  # when /health is asked during the outage
RECOVERY = 90.0  # after the restart: one capped retry (30 s), the sends, with margin
QUIET = 5.0  # once all is there, nothing more may come for this long (late duplicates)


async def parked(pg: ThrowawayPostgres, timeout: float = 30) -> None:
    """Until the bot's sync token has not moved for 2 s: it has handled its last batch and
    waits in its long poll, so the first !point reaches it (and its database) at once."""
    conn = await asyncpg.connect(pg.dsn)
    try:
        last, since = None, 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            token = await conn.fetchval("SELECT value FROM bot_state WHERE key = 'sync_token'")
            if token != last:
                last, since = token, loop.time()
            elif loop.time() - since >= 2:
                return
            await asyncio.sleep(0.25)
    finally:
        await conn.close()
    raise AssertionError("the bot kept syncing")


async def stored_counts(pg: ThrowawayPostgres, tag: str) -> dict[str, int]:
    conn = await asyncpg.connect(pg.dsn)
    try:
        rows = await conn.fetch("SELECT event_id, count(*) AS n FROM updates WHERE text LIKE $1 "
                                "GROUP BY event_id", f"%{tag}%")
    finally:
        await conn.close()
    return {r["event_id"]: r["n"] for r in rows}


def bot_on_postgres(sandbox: Sandbox, pg: ThrowawayPostgres, port: int) -> BotSubprocess:
    config = yaml.safe_load(sandbox.config_path.read_text(encoding="utf-8"))
    config["database"] = {"url": pg.url}
    config["http"] = {"bind": "127.0.0.1", "port": port}
    path = sandbox.workdir / "bot-postgres.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    path.chmod(0o600)
    return BotSubprocess(path, sandbox.workdir / "bot-postgres.log")


async def answered(user: UserClient, room: str, bot_id: str, sent: list[str],
                   deadline: float) -> Owed:
    """The bot's ✅ and replies per !point, once all are there and QUIET s passed with
    nothing more (or at the deadline)."""
    loop = asyncio.get_running_loop()
    while True:
        owed = await owed_in_history(user, room, bot_id)
        if owed.complete(sent) or loop.time() > deadline:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(QUIET)
    return await owed_in_history(user, room, bot_id)


async def test_a_postgresql_outage_is_waited_out_and_loses_and_doubles_nothing(
        sandbox: Sandbox, postgres: ThrowawayPostgres, coord: UserClient,
        equipe: UserClient) -> None:
    port = free_port()
    child = bot_on_postgres(sandbox, postgres, port)
    await child.start(timeout=60, settle=0)
    loop = asyncio.get_running_loop()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        assert await http_get(port) == (200, "ok")
        tag = f"base-{uuid.uuid4().hex[:8]}"
        await parked(postgres)
        await asyncio.to_thread(postgres.stop)
        start, sent = loop.time(), []
        try:
            for n, offset in enumerate(SEND_AT, 1):
                await at(start, offset)
                sent.append(await equipe.send(room, f"!point {tag} {n} : séance {n}"))
            await at(start, HEALTH_AT)
            during = await http_get(port)
            alive_during = child.running
            await at(start, OUTAGE)
        finally:
            await asyncio.to_thread(postgres.start)
        owed = await answered(equipe, room, sandbox.bot_id, sent, loop.time() + RECOVERY)
        after = await http_get(port)
        alive_after = child.running
    finally:
        await asyncio.to_thread(child.terminate)
    log = child.log_path.read_text(encoding="utf-8", errors="replace")
    tail = "\n".join(log.splitlines()[-25:])
    assert alive_during and alive_after, f"the bot exited during the outage:\n{tail}"
    assert during[0] == 503 and "base de données injoignable depuis" in during[1], during
    # the first !point met the outage in the dispatcher: held and retried, not dropped
    assert f"événement {sent[0]} de {room} en attente" in log, tail
    # the single-instance lock went with its connection, and was taken back (no standby)
    assert "verrou d’instance perdu" in log and "verrou d’instance repris" in log, tail
    stored = await stored_counts(postgres, tag)
    counts = [(stored.get(e, 0), owed.reactions.get(e, 0), owed.replies.get(e, 0))
              for e in sent]
    assert counts == [(1, 1, 1)] * 3, f"(stored, ✅, replies) per !point: {counts}\n{tail}"
    assert after == (200, "ok"), f"{after}\n{tail}"
