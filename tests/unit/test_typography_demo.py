"""The demo's conversation (`make demo`, devtools.demo_script) played through the real bot
wiring without a homeserver: every message the bot sends passes the typography checker
(the demo itself checks the same rules on what Synapse delivers, see devtools.demo)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.unit.harness import NOW, FakeRoom, make_bot, migrated_template
from traam_bot.devtools.demo import Demo, _summary
from traam_bot.devtools.demo_script import MENTION, SCENARIO, SEND
from traam_bot.devtools.sandbox import COORDINATOR, MEMBER, REFERENT
from traam_bot.domain.model import Incoming
from traam_bot.domain.render import sendable
from traam_bot.domain.typography import violations

USERS = {name: f"@{name}:localhost" for name in (COORDINATOR, MEMBER, REFERENT)}


def room_for(where: str, who: str) -> FakeRoom:
    if where.startswith("dm"):
        user = USERS[who]
        return FakeRoom(room_id=f"!{where}:localhost", is_direct=True,
                        members={user: who}, levels={user: 100})
    return FakeRoom(room_id=f"!{where}:localhost",
                    members={u: n for n, u in USERS.items()},
                    levels={USERS[COORDINATOR]: 100, USERS[MEMBER]: 0})


async def demo_messages(tmp_path: Path) -> list[str]:
    template = await migrated_template(tmp_path)
    sent: list[str] = []
    steps = [s for s in SCENARIO if s.kind in (SEND, MENTION)]
    async with make_bot(tmp_path, template) as bot:
        async with bot.units() as uow:
            await bot.services.digests.ensure_defaults(uow, (USERS[REFERENT],), NOW)
        for n, step in enumerate(steps, 1):
            room = room_for(step.where, step.who)
            bot.rooms[room.room_id] = room
            incoming = Incoming(room_id=room.room_id, event_id=f"$d{n}", sender=USERS[step.who],
                                body=step.what, timestamp=NOW - timedelta(minutes=len(steps) - n),
                                is_direct=room.is_direct, mentions_bot=step.kind == MENTION,
                                sender_name=step.who)
            reply = await bot.ask(incoming, room)
            sent += [m.plain for m in sendable(reply)] if reply else []
        sent += [o.body for o in await bot.owed() if o.kind == "message"]
    return sent


async def test_every_reply_of_the_demo_follows_french_typography(tmp_path: Path) -> None:
    sent = await demo_messages(tmp_path)
    assert len(sent) >= 20  # the scenario did run
    assert {text: violations(text) for text in sent if violations(text)} == {}


def test_the_demo_fails_loudly_on_a_misprinted_message(capsys) -> None:  # type: ignore[no-untyped-def]
    demo = Demo(sandbox=None, users={})  # type: ignore[arg-type]
    demo.bot_says("Commandes disponibles ici :")
    demo.bot_says(f"Commandes disponibles ici{chr(0xA0)}:")
    assert demo.misprinted == 1
    assert "typographie" in capsys.readouterr().out
    assert _summary(demo, 1.0) == 1
