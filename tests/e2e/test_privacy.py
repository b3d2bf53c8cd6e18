"""Personal data on a real Synapse: `!mesdonnees` arrives by direct message with its JSON
file, encrypted (the direct chat the bot opens is encrypted from its first event, and the
invitee can read what was sent before they joined), and `!oublier`, once confirmed, leaves
no trace of the person in the bot's database."""

from __future__ import annotations

import json
from typing import Any

from nio.crypto.attachments import decrypt_attachment

from tests.e2e.helpers import ask, body, room_with_bot
from tests.store.test_privacy_repo import traces
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import Event, UserClient
from traam_bot.domain.privacy import FORGOTTEN
from traam_bot.domain.typography import typeset

PROJECT = "besancon-nsi-egalite"
POINT = "Fait : séance « données personnelles » en 1re"


async def file_in(user: UserClient, room: str, bot_id: str) -> Event:
    [event] = await user.wait_for(
        lambda e: e["room_id"] == room and e.get("sender") == bot_id
        and (e.get("content") or {}).get("msgtype") == "m.file", timeout=60)
    return event


async def read_file(user: UserClient, event: Event) -> dict[str, Any]:
    content = event["content"]
    assert content["filename"] == "mes-donnees-traam.json"
    assert content["info"]["mimetype"] == "application/json"
    if "file" in content:  # encrypted: the server holds ciphertext only
        file = content["file"]
        stored = await user.download(file["url"])
        data = decrypt_attachment(stored, file["key"]["k"], file["hashes"]["sha256"],
                                  file["iv"])
    else:
        data = await user.download(content["url"])
    assert len(data) == content["info"]["size"]
    parsed: dict[str, Any] = json.loads(data.decode("utf-8"))
    return parsed


def check_export(data: dict[str, Any], user: UserClient, others: tuple[str, ...]) -> None:
    assert data["identifiant_matrix"] == user.user_id
    assert [(u["projet"], u["texte"]) for u in data["points_d_etape"]] == [(PROJECT, POINT)]
    assert not any(other in json.dumps(data) for other in others)


async def test_mydata_by_direct_message_then_forget(sandbox: Sandbox, coord: UserClient,
                                                    equipe: UserClient) -> None:
    team = await room_with_bot(coord, sandbox.bot_id, invite=(equipe.user_id,), name="NSI")
    await equipe.join(team)
    await ask(coord, team, f"!lier {PROJECT}")
    assert "n° 1" in body(await ask(equipe, team, f"!point {POINT}"))

    # asked in the team room: a pointer there, the data in a direct chat the bot opens
    pointer = await ask(equipe, team, "!mesdonnees")
    assert body(pointer) == typeset(
        "Je vous envoie vos données en message direct (jamais dans un salon partagé).")
    dm = await equipe.wait_invite(timeout=60)
    await equipe.join(dm)
    summary = await equipe.wait_for(
        lambda e: e["room_id"] == dm and e.get("sender") == sandbox.bot_id
        and "Voici tout ce que je conserve" in body(e), timeout=60)
    assert summary[0]["decrypted"] is True  # sent before she joined, readable all the same
    assert typeset("séance « données personnelles »") in body(summary[0])
    opened = await file_in(equipe, dm, sandbox.bot_id)
    assert opened["decrypted"] is True and "url" not in opened["content"]
    check_export(await read_file(equipe, opened), equipe, (coord.user_id,))
    assert not [e for e in equipe.events.get(team, []) if e.get("sender") == sandbox.bot_id
                and (e.get("content") or {}).get("msgtype") == "m.file"]

    # asked in a direct chat of hers: the answer there, the file encrypted
    secret = await room_with_bot(equipe, sandbox.bot_id, direct=True, encrypted=True)
    answer = await ask(equipe, secret, "!mydata")
    assert answer["decrypted"] is True and "Points d’étape (1)" in body(answer)
    encrypted = await file_in(equipe, secret, sandbox.bot_id)
    assert encrypted["decrypted"] is True and "url" not in encrypted["content"]
    check_export(await read_file(equipe, encrypted), equipe, (coord.user_id,))

    # forgetting: the word cannot come first, then it is asked for and given
    early = await ask(equipe, secret, "!oublier confirmer")
    assert "Aucune demande d’effacement en attente" in body(early)
    question = await ask(equipe, secret, "!oublier")
    assert "!oublier confirmer" in body(question)
    done = await ask(equipe, secret, "!oublier confirmer")
    assert "C’est fait" in body(done)
    bilan = await ask(coord, team, "!bilan")
    assert FORGOTTEN in body(bilan) and typeset(POINT.split(" : ")[1]) in body(bilan)
    bot = sandbox.bot
    assert bot is not None and bot.units is not None
    name = equipe.client.rooms[team].user_name(equipe.user_id) or ""
    assert await traces(bot.units.db, equipe.user_id, *([name] if len(name) > 2 else [])) == []
