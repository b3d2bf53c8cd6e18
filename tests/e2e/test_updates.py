"""Team updates on a real Synapse: link, record, acknowledge, edit, redact, bilan, SIGKILL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import yaml

from tests.e2e.helpers import ask, body, html, reactions_to, room_with_bot
from tests.store_units import each
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox
from traam_bot.devtools.userclient import UserClient
from traam_bot.store.database import Database

PROJECT = "besancon-nsi-egalite"


async def team_room(sandbox: Sandbox, coord: UserClient, equipe: UserClient,
                    equipe_level: int = 0) -> str:
    levels = {"users": {equipe.user_id: equipe_level}}  # v12 rooms: creator is implicit
    room = await room_with_bot(coord, sandbox.bot_id, invite=(equipe.user_id,),
                               name="TraAM NSI", power_levels=levels)
    await equipe.join(room)
    return room


async def stored(sandbox: Sandbox) -> list:
    db = Database(sandbox.settings.database.url)
    try:
        return await each(db, "updates").list([PROJECT])
    finally:
        await db.close()


async def test_link_needs_a_moderator(sandbox: Sandbox, coord: UserClient,
                                      equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    refused = await ask(equipe, room, f"!lier {PROJECT}")
    assert "réservé aux modérateurs" in body(refused)
    moderated = await team_room(sandbox, coord, equipe, equipe_level=50)
    accepted = await ask(equipe, moderated, "!lier nsi")
    assert "NSI (académie de Besançon, besancon-nsi-egalite)" in body(accepted)
    moved = await ask(equipe, moderated, "!link lettres")
    assert "était lié au projet NSI" in body(moved) and "Lettres" in body(moved)
    # the creator of a (version 12) room outranks power levels without being listed
    own = await room_with_bot(equipe, sandbox.bot_id, name="Salon créé par l’équipe")
    assert "maintenant lié" in body(await ask(equipe, own, "!lier eps"))


async def test_point_edit_redact_and_bilan(sandbox: Sandbox, coord: UserClient,
                                           equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    await ask(coord, room, f"!lier {PROJECT}")
    unlinked = await team_room(sandbox, coord, equipe)
    assert "n’est lié à aucun projet" in body(await ask(equipe, unlinked, "!point test"))
    assert "Usage" in body(await ask(equipe, room, "!point"))
    assert "trop longue" in body(await ask(equipe, room, "!point " + "x" * 4001))

    point = await equipe.send(room, "!point Fait : séance 1\nBlocage : pas de tablettes")
    reply = await equipe.wait_reply(room, point)
    await equipe.wait_reaction(room, point, "✅")
    assert "n° 1" in body(reply) and "NSI (académie de Besançon)" in body(reply)
    hostile = await equipe.send(
        room, '!update <script>alert(1)</script> @room <a href="javascript:x">')
    await equipe.wait_reaction(room, hostile, "✅")

    await equipe.edit(room, point, "!point Fait : séance 1 et 2\nBlocage : pas de tablettes")
    await equipe.wait_reaction(room, point, "✏️")
    texts = {u.event_id: u.text for u in await stored(sandbox)}
    assert texts[point].startswith("Fait : séance 1 et 2")

    summary = await ask(equipe, room, "!bilan")
    assert "séance 1 et 2" in body(summary) and "Blocage" in body(summary)
    assert "&lt;script&gt;" in html(summary) and "<script>" not in html(summary)
    assert '<a href="javascript' not in html(summary)
    assert "@room" not in body(summary)

    await equipe.redact(room, hostile)
    for _ in range(50):
        if hostile not in {u.event_id for u in await stored(sandbox)}:
            break
        await asyncio.sleep(0.2)
    assert hostile not in {u.event_id for u in await stored(sandbox)}
    assert "1 mise à jour" in body(await ask(coord, room, "!summary nsi"))


async def test_point_in_a_direct_chat(sandbox: Sandbox, coord: UserClient,
                                      equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    await ask(coord, room, "!lier documentation")
    dm = await room_with_bot(equipe, sandbox.bot_id, direct=True)
    reply = await ask(equipe, dm, "!point documentation : atelier IA mené en 2de")
    assert "Documentation (académie de Besançon)" in body(reply)
    assert "Usage" in body(await ask(equipe, dm, "!point sans deux-points"))
    card = await ask(equipe, dm, "!projet documentation")
    assert "atelier IA mené en 2de" in body(card)


async def test_sigkill_during_a_burst_loses_and_duplicates_nothing(
        sandbox: Sandbox, coord: UserClient, equipe: UserClient) -> None:
    rooms = []
    for _ in range(10):
        room = await team_room(sandbox, coord, equipe)
        await ask(coord, room, f"!lier {PROJECT}")
        rooms.append(room)
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    child = BotSubprocess(sandbox.config_path, sandbox.workdir / "bot-child.log")
    await child.start()
    sent = []
    for n in range(5):
        for room in rooms:
            sent.append((room, await equipe.send(room, f"!point rafale {n} dans {room}")))
    child.kill()
    await child.start()
    for room, event_id in sent:
        await equipe.wait_reaction(room, event_id, "✅", timeout=60)
        await equipe.wait_reply(room, event_id, timeout=60)
    child.kill()  # and a second crash right after
    await child.start()
    await asyncio.sleep(3)
    await equipe.wait_for(lambda e: False, timeout=3)  # let late duplicates arrive, if any
    assert child.terminate() == 0

    burst = [u for u in await stored(sandbox) if u.text.startswith("rafale")]
    assert sorted(u.event_id for u in burst) == sorted(e for _r, e in sent)
    assert sorted(u.number for u in burst) == sorted(set(u.number for u in burst))
    for room, event_id in sent:
        assert len(reactions_to(equipe, room, event_id)) == 1
        assert len(equipe.replies(room, event_id)) == 1
    await sandbox.bot.start()


async def test_room_named_in_the_directory_is_linked_on_join(
        sandbox: Sandbox, coord: UserClient, tmp_path: Path) -> None:
    directory = yaml.safe_load(Path(sandbox.settings.directory).read_text(encoding="utf-8"))
    alias_name = f"traam-auto-{uuid.uuid4().hex[:8]}"
    for project in directory["projects"]:
        if project["id"] == "dijon-technologie-projet":
            project["room"] = f"#{alias_name}:localhost"
    path = tmp_path / "traam.yaml"
    path.write_text(yaml.safe_dump(directory, allow_unicode=True), encoding="utf-8")
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    await sandbox.bot.start(sandbox.settings.model_copy(update={"directory": str(path)}))
    try:
        created = await coord.client.room_create(name="Techno", alias=alias_name,
                                                 invite=[sandbox.bot_id])
        room = created.room_id
        await coord.wait_member(room, sandbox.bot_id, timeout=30)
        reply = await ask(coord, room, "!point premier point sans !lier")
        assert "Technologie (académie de Dijon)" in body(reply)
    finally:
        await sandbox.bot.stop()
        await sandbox.bot.start(sandbox.settings)


async def test_a_long_gap_while_down_is_backfilled(sandbox: Sandbox, coord: UserClient,
                                                   equipe: UserClient) -> None:
    """More messages than one sync returns (100 per room) arrive while the bot is down."""
    room = await team_room(sandbox, coord, equipe)
    await ask(coord, room, f"!lier {PROJECT}")
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    sent = [await equipe.send(room, f"!point trou {n}") for n in range(130)]
    await sandbox.bot.start()
    gap: list = []
    for _ in range(120):
        gap = [u for u in await stored(sandbox) if u.text.startswith("trou ")]
        if len(gap) >= len(sent):
            break
        await asyncio.sleep(0.5)
    assert sorted(u.event_id for u in gap) == sorted(sent)
    assert sorted(u.number for u in gap) == sorted({u.number for u in gap})
    # every message was acknowledged once, the oldest of the gap included; read the room's
    # history from the server (the user's own sync is limited, like the bot's). The
    # acknowledgements leave through the outbox after the updates are stored: wait for them.
    acks: dict[str, int] = {}
    for _ in range(60):
        acks = await reactions_in_history(equipe, room)
        if all(acks.get(event_id) for event_id in sent):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)  # anything sent twice would show now
    acks = await reactions_in_history(equipe, room)
    assert all(acks.get(event_id) == 1 for event_id in sent)


async def reactions_in_history(user: UserClient, room: str) -> dict[str, int]:
    """target event id -> number of ✅ reactions, from the room's full history."""
    counts: dict[str, int] = {}
    token = ""
    for _ in range(20):
        resp = await user.client.room_messages(room, start=token, limit=100)
        for ev in getattr(resp, "chunk", []):
            rel = (ev.source.get("content") or {}).get("m.relates_to") or {}
            if ev.source.get("type") == "m.reaction" and rel.get("key") == "✅":
                counts[rel["event_id"]] = counts.get(rel["event_id"], 0) + 1
        if not getattr(resp, "chunk", None) or not resp.end:
            break
        token = resp.end
    return counts
