"""The bot on a real Synapse: invites, commands, questions, replies, restarts, encryption."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import ask, body, html, room_with_bot, silence
from traam_bot.devtools.sandbox import BotProcess, Sandbox
from traam_bot.devtools.userclient import UserClient
from traam_bot.domain.typography import typeset


@pytest.fixture(scope="module")
async def dm(sandbox: Sandbox, coord: UserClient) -> str:
    return await room_with_bot(coord, sandbox.bot_id, direct=True)


async def test_reply_shape(sandbox: Sandbox, coord: UserClient, dm: str) -> None:
    event_id = await coord.send(dm, "!aide")
    reply = await coord.wait_reply(dm, event_id)
    content = reply["content"]
    assert reply["sender"] == sandbox.bot_id
    assert content["msgtype"] == "m.notice"
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == event_id
    assert content["m.mentions"] == {}
    assert content["format"] == "org.matrix.custom.html"
    for command in ("!aide", "!projets", "!projet", "!contacts", "!point", "!bilan"):
        assert command in content["body"]
    assert "<ul>" in content["formatted_body"]


@pytest.mark.parametrize(("command", "present", "absent"), [
    ("!projets dijon technologie", ["Technologie", "académie de Dijon"], ["EPS", "Lettres"]),
    ("!projets BESANCON", ["Arts plastiques", "Lettres", "Documentation", "NSI"], ["EPS"]),
    ("!projects eps", ["EPS", "Rendre les apprentissages plus explicites"], ["NSI"]),
    ("!projet lettres", ["Lettres — académie de Besançon", "Quels points de vigilance ?",
                         "Année 1", "Aucune mise à jour"], []),
    ("!projet xyzzy", ["Aucun projet ne correspond à « xyzzy »"], []),
    ("!projet tecnologie", ["Technologie"], []),
    ("!contacts", ["Floria DUFOUX", "Julie MARCHALAND",
                   "julie.marchaland@region-academique-bourgogne-franche-comte.fr"], []),
    ("!contact référente", ["Julie MARCHALAND", "Référente TraAM"], ["Floria"]),
    ("!foo", ["Commande inconnue", "!aide"], []),
    ("!projetsx", ["Commande inconnue"], []),
    ("!projet", ["Précisez le projet", "Usage"], []),
    ("Bonjour, quels sont les projets de l'académie de Dijon ?", ["EPS", "Technologie"],
     ["Lettres"]),
    ("Qui est la référente TraAM ?", ["Julie MARCHALAND"], ["Floria"]),
    ("qui contacter pour les traam", ["Floria DUFOUX", "Julie MARCHALAND"], []),
    ("C'est quoi les TraAM ?", ["travaux académiques mutualisés"], []),
    ("Quelle heure est-il ?", ["Je n’ai pas compris", "!aide"], []),
])
async def test_commands_and_questions(coord: UserClient, dm: str, command: str,
                                      present: list[str], absent: list[str]) -> None:
    reply = await ask(coord, dm, command)
    text = body(reply)
    for fragment in present:  # as the outbox sets them: narrow no-break spaces before « ? »
        assert typeset(fragment) in text
    for fragment in absent:
        assert fragment not in text


async def test_user_text_is_escaped(coord: UserClient, dm: str) -> None:
    reply = await ask(coord, dm, '!projet <script>alert(1)</script> @room')
    assert "<script>" not in html(reply)
    assert "&lt;script&gt;" in html(reply)
    assert "@room" not in body(reply)


async def test_group_room_chatter_is_left_alone_but_mentions_are_answered(
        sandbox: Sandbox, coord: UserClient) -> None:
    equipe = await sandbox.user("equipe")
    room = await room_with_bot(coord, sandbox.bot_id, invite=(equipe.user_id,), name="TraAM")
    await equipe.join(room)
    chatter = await equipe.send(room, "bonjour tout le monde, on parle des projets de Dijon ?")
    assert await silence(equipe, room, chatter)
    reply = await ask(equipe, room, "traam-bot: quels projets à Dijon ?",
                      mentions=[sandbox.bot_id])
    assert "Technologie" in body(reply)


async def test_thread_question_is_answered_in_the_thread(sandbox: Sandbox,
                                                         coord: UserClient, dm: str) -> None:
    root = await coord.send(dm, "Une question sur les contacts")
    in_thread = await coord.send(dm, "!contacts", thread_root=root)
    reply = await coord.wait_reply(dm, in_thread)
    relation = reply["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread" and relation["event_id"] == root


async def test_rich_reply_fallback_is_stripped(coord: UserClient, dm: str) -> None:
    first = await coord.send(dm, "!projets nsi")
    await coord.wait_reply(dm, first)
    quoted = "> <@traam-bot:localhost> 1 projet\n\n!projets eps"
    reply = await ask(coord, dm, quoted, reply_to=first)
    assert "EPS" in body(reply) and "NSI" not in body(reply)


async def test_encrypted_room_gets_encrypted_answers(sandbox: Sandbox, coord: UserClient) -> None:
    room = await room_with_bot(coord, sandbox.bot_id, encrypted=True, direct=False,
                               name="Chiffré")
    reply = await ask(coord, room, "!projets nsi")
    assert reply.get("decrypted") is True  # it travelled as m.room.encrypted
    assert "NSI" in body(reply)


async def test_history_before_invite_is_never_answered(sandbox: Sandbox,
                                                       coord: UserClient) -> None:
    room = await coord.create_room(name="Avant le bot")
    early = await coord.send(room, "!aide")
    await coord.client.room_invite(room, sandbox.bot_id)
    await coord.wait_member(room, sandbox.bot_id, timeout=30)
    after = await coord.send(room, "!projets eps")
    assert "EPS" in body(await coord.wait_reply(room, after, timeout=30))
    assert await silence(coord, room, early, seconds=2)


async def test_restart_answers_missed_messages_once_and_nothing_twice(
        sandbox: Sandbox, coord: UserClient, dm: str) -> None:
    before = await coord.send(dm, "!projets lettres")
    await coord.wait_reply(dm, before)
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    while_down = await coord.send(dm, "!projets eps")
    invite_room = await coord.create_room(name="Invitation en attente",
                                          invite=[sandbox.bot_id])
    await sandbox.bot.start()
    reply = await coord.wait_reply(dm, while_down, timeout=30)
    assert "EPS" in body(reply)
    await coord.wait_member(invite_room, sandbox.bot_id, timeout=30)
    await sandbox.bot.restart()
    probe = await ask(coord, dm, "!contacts")
    assert "Julie" in body(probe)
    assert len(coord.replies(dm, before)) == 1
    assert len(coord.replies(dm, while_down)) == 1


async def test_invites_from_other_servers_are_refused(sandbox: Sandbox,
                                                      coord: UserClient) -> None:
    settings = sandbox.settings.model_copy(update={"allowed_servers": ("example.org",)})
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    strict = await BotProcess(settings).start()
    try:
        room = await coord.create_room(name="Refusé", invite=[sandbox.bot_id])
        left = await coord.wait_for(
            lambda e: e["room_id"] == room and e.get("type") == "m.room.member"
            and e.get("state_key") == sandbox.bot_id
            and (e.get("content") or {}).get("membership") == "leave", timeout=20)
        assert left, "the bot should reject an invite from a server not allowed"
    finally:
        await strict.stop()
        await sandbox.bot.start()
