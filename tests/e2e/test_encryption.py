"""E2EE trust on a real Synapse: encrypted reactions, and room keys withheld from the bot."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from nio import ToDeviceMessage, ToDeviceResponse
from nio.crypto import OlmDevice

from tests.e2e.helpers import ask, body, room_with_bot
from tests.store_units import each
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import Event, UserClient
from traam_bot.domain.typography import typeset
from traam_bot.store.database import Database

PROJECT = "besancon-nsi-egalite"
NOTICE = "Je n’ai pas pu lire un message chiffré"


def check_encrypted_reaction(event: Event, bot_id: str, target: str, key: str) -> None:
    """Decrypted to an m.reaction; on the wire m.room.encrypted with the relation in clear."""
    relation = {"rel_type": "m.annotation", "event_id": target, "key": key}
    assert event["sender"] == bot_id
    assert event["decrypted"] is True and event["type"] == "m.reaction"
    assert event["content"]["m.relates_to"] == relation
    outer = event["encrypted_source"]
    assert outer["type"] == "m.room.encrypted"
    assert outer["content"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert outer["content"]["ciphertext"]
    assert outer["content"]["m.relates_to"] == relation  # for the server's aggregations


async def test_reactions_in_an_encrypted_room_are_encrypted(sandbox: Sandbox,
                                                            coord: UserClient) -> None:
    room = await room_with_bot(coord, sandbox.bot_id, encrypted=True, name="TraAM chiffré")
    await ask(coord, room, f"!lier {PROJECT}")
    point = await coord.send(room, "!point Fait : séance 1 en salon chiffré")
    reply = await coord.wait_reply(room, point, timeout=30)
    assert reply["decrypted"] is True and "n° 1" in body(reply)
    check_encrypted_reaction(await coord.wait_reaction(room, point, "✅", timeout=30),
                             sandbox.bot_id, point, "✅")

    edit = await coord.edit(room, point, "!point Fait : séances 1 et 2 en salon chiffré")
    check_encrypted_reaction(await coord.wait_reaction(room, point, "✏️", timeout=30),
                             sandbox.bot_id, point, "✏️")
    # the edit the bot read had travelled encrypted too, its relation in clear
    [sent_edit] = [e for e in coord.events[room] if e.get("event_id") == edit]
    assert sent_edit["encrypted_source"]["type"] == "m.room.encrypted"
    assert sent_edit["encrypted_source"]["content"]["m.relates_to"] == {
        "rel_type": "m.replace", "event_id": point}


# ---------------------------------------------------------------- withheld keys
async def devices_of(user: UserClient, user_id: str) -> list[OlmDevice]:
    """`user_id`'s devices as `user` knows them (keys queried as needed)."""
    client = user.client
    for _ in range(40):
        devices = list(client.device_store.active_user_devices(user_id))
        if devices:
            return devices
        if client.olm is not None:
            client.olm.users_for_key_query.add(user_id)
        await user.sync(250)  # queries the keys
    raise TimeoutError(f"no device known for {user_id}")


async def withhold(user: UserClient, room: str, devices: list[OlmDevice],
                   code: str = "m.unverified") -> str:
    """What matrix-rust-sdk clients send a device excluded from the room's current session."""
    client = user.client
    assert client.olm is not None
    session_id = client.olm.outbound_group_sessions[room].id
    content = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": session_id,
               "sender_key": client.olm.account.identity_keys["curve25519"],
               "code": code, "reason": "The sender disabled sending keys to this device."}
    for device in devices:
        resp = await client.to_device(ToDeviceMessage("m.room_key.withheld", device.user_id,
                                                      device.id, content))
        assert isinstance(resp, ToDeviceResponse), getattr(resp, "message", resp)
    return str(session_id)


def notices(user: UserClient, room: str, bot_id: str) -> list[Event]:
    return [e for e in user.events.get(room, []) if is_withheld_notice(e, room, bot_id)]


def is_withheld_notice(event: Event, room: str, bot_id: str) -> bool:
    content: dict[str, Any] = event.get("content") or {}
    return (event["room_id"] == room and event.get("sender") == bot_id
            and content.get("msgtype") == "m.notice" and NOTICE in body(event))


async def until_logged(user: UserClient, caplog: pytest.LogCaptureFixture, text: str,
                       seconds: float = 30) -> None:
    """Keep the user syncing until the bot (in this process) logged `text`."""
    for _ in range(int(seconds * 2)):
        if text in caplog.text:
            return
        await user.sync(500)
    raise TimeoutError(f"the bot never logged {text!r}")


async def test_withheld_keys_are_reported_once_per_room(
        sandbox: Sandbox, equipe: UserClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    bot = sandbox.bot_id
    room = await room_with_bot(equipe, bot, encrypted=True, name="Appareils vérifiés seulement")
    devices = await devices_of(equipe, bot)
    for device in devices:  # nio then leaves the bot out of the room's megolm session
        equipe.client.blacklist_device(device)

    first = await equipe.send(room, "!projets nsi")
    await until_logged(equipe, caplog, f"cannot decrypt {first}")  # the notice comes later
    session = await withhold(equipe, room, devices)
    found = await equipe.wait_for(lambda e: is_withheld_notice(e, room, bot), timeout=30)
    assert len(found) == 1
    notice = found[0]
    assert notice["decrypted"] is True  # the bot still writes to the room encrypted
    assert body(notice).startswith(typeset(f"{NOTICE} d’equipe :"))
    assert "appareils non vérifiés exclus" in body(notice)
    assert "salon non chiffré" in body(notice)
    assert "m.relates_to" not in notice["content"] and notice["content"]["m.mentions"] == {}
    logged = [r.getMessage() for r in caplog.records if "withheld from the bot" in r.message]
    assert any(equipe.user_id in line and room in line and session in line
               and "m.unverified" in line for line in logged)

    second = await equipe.send(room, "!projets eps")  # same session, still withheld
    await until_logged(equipe, caplog, f"cannot decrypt {second}")
    await equipe.wait_for(lambda e: False, timeout=3)  # a second notice would arrive now
    assert len(notices(equipe, room, bot)) == 1

    # across a restart: the withheld notice comes again, before a third message
    assert sandbox.bot is not None
    await sandbox.bot.restart()
    await withhold(equipe, room, devices)
    third = await equipe.send(room, "!contacts")
    await until_logged(equipe, caplog, f"cannot decrypt {third}")
    await equipe.wait_for(lambda e: False, timeout=3)
    assert len(notices(equipe, room, bot)) == 1

    assert not any(equipe.replies(room, e) for e in (first, second, third))  # unreadable
    db = Database(sandbox.settings.database.url)
    try:  # never marked handled: nothing was read
        assert await each(db, "state").handled([first, second, third]) == set()
    finally:
        await db.close()
