"""Reminders, prompts and digests on a real Synapse, including a restart across a reminder."""

from __future__ import annotations

import asyncio

from tests.e2e.helpers import ask, body, html, room_with_bot
from tests.store_units import each
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import Event, UserClient
from traam_bot.domain.typography import typeset
from traam_bot.store.database import Database

REMINDER = typeset("🔔 Rappel : ")


async def team_room(sandbox: Sandbox, coord: UserClient, equipe: UserClient,
                    project: str | None = None) -> str:
    room = await room_with_bot(coord, sandbox.bot_id, invite=(equipe.user_id,), name="Équipe")
    await equipe.join(room)
    if project:
        await ask(coord, room, f"!lier {project}")
    return room


def bot_texts(user: UserClient, room: str, bot_id: str, prefix: str) -> list[Event]:
    return [e for e in user.events.get(room, []) if e.get("sender") == bot_id
            and (e.get("content") or {}).get("msgtype") == "m.text"
            and body(e).startswith(prefix)]


async def wait_texts(user: UserClient, room: str, bot_id: str, prefix: str,
                     count: int = 1, timeout: float = 30) -> list[Event]:
    await user.wait_for(lambda e: len(bot_texts(user, room, bot_id, prefix)) >= count,
                        timeout=timeout)
    return bot_texts(user, room, bot_id, prefix)


async def test_reminder_is_posted_once(sandbox: Sandbox, coord: UserClient,
                                       equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    refused = await ask(equipe, room, "!rappel ajouter dans 3 secondes : pas pour moi")
    assert "réservé aux modérateurs" in body(refused)
    bad = await ask(coord, room, "!rappel ajouter le 31/02/2027 à 9h : impossible")
    assert "Date impossible" in body(bad) and "Exemple" in body(bad)
    done = await ask(coord, room, "!rappel ajouter dans 3 secondes : Réunion d’équipe <b>")
    assert typeset("Prochain envoi :") in body(done) and "2026" in body(done)
    posted = await wait_texts(coord, room, sandbox.bot_id, REMINDER)
    assert body(posted[0]) == typeset("🔔 Rappel : Réunion d’équipe <b>")
    assert "&lt;b&gt;" in html(posted[0])
    await asyncio.sleep(4)
    await coord.wait_for(lambda e: False, timeout=2)
    assert len(bot_texts(coord, room, sandbox.bot_id, REMINDER)) == 1

    await ask(coord, room, "!rappel ajouter chaque lundi à 9h : Point hebdo")
    listing = await ask(coord, room, "!rappel liste")
    assert "Point hebdo" in body(listing) and "lundi" in body(listing)
    deleted = await ask(coord, room, "!rappel suppr 1")
    assert "supprimé" in body(deleted)
    assert "Aucun rappel" in body(await ask(coord, room, "!remind liste"))


async def test_prompt_and_its_replies_become_updates(sandbox: Sandbox, coord: UserClient,
                                                     equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe, project="dijon-eps-explicite")
    confirm = await ask(coord, room, "!relance dans 2 secondes")
    assert "Relance programmée" in body(confirm)
    prompt = (await wait_texts(equipe, room, sandbox.bot_id, "Où en est l’équipe"))[0]
    in_thread = await equipe.send(room, "Séance vidéo faite avec les 4e",
                                  thread_root=prompt["event_id"])
    await equipe.wait_reaction(room, in_thread, "✅")
    quoted = "> <@traam-bot:localhost> Où en est…\n\nBesoin : des tablettes"
    as_reply = await equipe.send(room, quoted, reply_to=prompt["event_id"])
    await equipe.wait_reaction(room, as_reply, "✅")
    db = Database(sandbox.settings.database.url)
    try:
        stored = await each(db, "updates").list(["dijon-eps-explicite"])
        texts = {u.event_id: u.text for u in stored}
    finally:
        await db.close()
    assert texts[in_thread] == "Séance vidéo faite avec les 4e"
    assert texts[as_reply] == "Besoin : des tablettes"
    weekly = await ask(coord, room, "!prompt chaque vendredi à 16h")
    assert "vendredi" in body(weekly) and "Prochain envoi" in body(weekly)
    assert "hors vacances scolaires, zone A" in body(weekly)  # Dijon is in zone A
    calendar = await ask(equipe, room, "!calendrier")
    assert "Calendrier TraAM" in body(calendar) and "Vacances scolaires, zone A" in body(calendar)
    assert "Relances arrêtées" in body(await ask(coord, room, "!relance stop"))
    assert "Aucune relance" in body(await ask(coord, room, "!relance stop"))


async def test_digest_now_reaches_the_referent(sandbox: Sandbox, coord: UserClient,
                                               equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe, project="besancon-lettres-ia")
    await ask(equipe, room, "!point Blocage : <script>alert('x')</script> pas d’ENT")
    referente = await sandbox.user("referente")
    refused = await ask(equipe, await room_with_bot(equipe, sandbox.bot_id, direct=True),
                        "!digest maintenant")
    assert "réservé aux référents" in body(refused)
    dm = await room_with_bot(referente, sandbox.bot_id, direct=True)
    confirm = await ask(referente, dm, "!digest maintenant")
    assert "Digest envoyé à" in body(confirm) and "referente" in body(confirm)
    digests = await referente.wait_for(
        lambda e: e.get("sender") == sandbox.bot_id and "Digest TraAM" in body(e), timeout=30)
    assert digests
    digest = digests[-1]
    assert "Lettres" in body(digest)
    assert "&lt;script&gt;" in html(digest) and "<script>" not in html(digest)
    subscribe = await ask(referente, dm, "!digest abonner quotidien")
    assert "quotidien" in body(subscribe) and "prochain envoi" in body(subscribe)


async def test_reminder_missed_while_down_arrives_once_marked_late(
        sandbox: Sandbox, coord: UserClient, equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    await ask(coord, room, "!rappel ajouter dans 4 secondes : Dépôt des séquences")
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    await asyncio.sleep(66)  # longer than the one-minute tolerance: the bot was really down
    await sandbox.bot.start()
    posted = await wait_texts(coord, room, sandbox.bot_id, REMINDER)
    assert body(posted[0]) == typeset("🔔 Rappel : Dépôt des séquences (en retard)")
    await sandbox.bot.restart()
    await coord.wait_for(lambda e: False, timeout=4)
    assert len(bot_texts(coord, room, sandbox.bot_id, REMINDER)) == 1


async def test_kicked_room_pauses_its_reminders(sandbox: Sandbox, coord: UserClient,
                                                equipe: UserClient) -> None:
    room = await team_room(sandbox, coord, equipe)
    await ask(coord, room, "!rappel ajouter chaque jour à 9h : Café pédagogique")
    await coord.client.room_kick(room, sandbox.bot_id, reason="test")
    dm = await room_with_bot(coord, sandbox.bot_id, direct=True)
    for _ in range(20):
        listing = await ask(coord, dm, "!rappel liste")
        if "en pause" in body(listing):
            break
        await asyncio.sleep(0.5)
    assert "Café pédagogique" in body(listing) and "en pause" in body(listing)
