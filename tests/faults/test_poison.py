"""A poison event: a handler that raises on one particular event (issue 9, case 4).

The real bot runs through `tests.faults.poison_launcher`, which makes `!point` raise when
its text holds 💣. The error must be logged with the event id; the sender gets a short
French apology; the following events flow; and the failed event is marked handled
together with its apology, so that a replay (the bot restarted from a sync token taken
before it) neither retries it nor apologises twice. Nothing is silently dropped.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

from sqlalchemy import make_url

from tests.faultproxy import FaultProxy
from tests.faults.helpers import (
    linked_team_room,
    owed_in_history,
    owed_problems,
    stored_counts,
)
from tests.faults.poison_launcher import POISON
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox, UserClient, replies_to

APOLOGY = "Désolé"
REPLAYED_SYNCS = 2  # the restart's first sync (the replay) answered and handled


def sync_token(sandbox: Sandbox, value: str | None = None) -> str | None:
    """The bot's saved sync token (`bot_state`), replaced by `value` when given."""
    db = make_url(sandbox.settings.database.url).database
    with sqlite3.connect(str(db), timeout=10) as conn:
        if value is not None:
            conn.execute("UPDATE bot_state SET value = ? WHERE key = 'sync_token'", (value,))
        row = conn.execute("SELECT value FROM bot_state WHERE key = 'sync_token'").fetchone()
    return row[0] if row else None


async def test_a_poison_event_is_apologised_for_once_and_the_next_ones_flow(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    child = BotSubprocess(sandbox.config_path, sandbox.workdir / "poison.log",
                          module="tests.faults.poison_launcher")
    await child.start()
    loop = asyncio.get_running_loop()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"poison-{uuid.uuid4().hex[:8]}"
        before = await equipe.send(room, f"!point {tag} 1 : avant")
        await equipe.wait_reply(room, before, timeout=60)
        token = sync_token(sandbox)  # saved before the poison was sent: a replay has it
        assert token
        poison = await equipe.send(room, f"!point {tag} 2 : {POISON} plante le bot")
        after = await equipe.send(room, f"!point {tag} 3 : après")
        apology = await equipe.wait_reply(room, poison, timeout=60)
        await equipe.wait_reply(room, after, timeout=60)

        child.kill()  # a crash, then a restart from the old token: the poison comes back
        sync_token(sandbox, token)
        restarted = loop.time()
        await child.start(settle=0)
        deadline = loop.time() + 90
        while len([r for r in proxy.since(restarted, "sync") if r.mode == "pass"]) \
                < REPLAYED_SYNCS + 1:
            assert loop.time() < deadline, "the restarted bot did not sync"
            await asyncio.sleep(0.5)
        await asyncio.sleep(5)  # an apology or answer sent again would show by now
        owed = await owed_in_history(equipe, room, sandbox.bot_id)
        assert child.running, "the bot stopped"
    finally:
        await asyncio.to_thread(child.terminate)

    text = str((apology.get("content") or {}).get("body", ""))
    print(f"apology: {text!r}")
    assert APOLOGY in text and len(text) < 300, text
    history = [e for e in equipe.events.get(room, []) if replies_to(e, poison)]
    assert len({e["event_id"] for e in history}) == 1, history
    assert owed.replies.get(poison) == 1, "the apology is sent once, also after the replay"
    assert owed.reactions.get(poison, 0) == 0, "no ✅ for an update that was not stored"
    assert not owed_problems(owed, stored_counts(sandbox, tag), [before, after]), owed
    errors = [ln for ln in child.log().splitlines() if poison in ln and " ERROR " in ln]
    assert len(errors) == 1, f"error lines naming {poison}: {errors}"
    # the traceback is in the log, frames and type; its message, which may quote what
    # someone wrote (here the poison's text), only at DEBUG
    assert "RuntimeError (message masqué)" in child.log(), "the traceback is in the log"
    assert 'poison_launcher.py", line' in child.log()
    assert "RuntimeError: poison" not in child.log() and POISON not in child.log()
