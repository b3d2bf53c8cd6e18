"""Files through the outbox on a real Synapse: committed by the running bot's services,
uploaded (encrypted in an encrypted room), sent as m.file, downloaded and read back."""

from __future__ import annotations

import json
import uuid
from typing import Any

from nio.crypto.attachments import decrypt_attachment

from tests.e2e.helpers import ask, room_with_bot
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import Event, UserClient

FILENAME = "mes-donnees-traam.json"
MIMETYPE = "application/json"
# accents, typographic quotes and a non-BMP character: the size is counted in UTF-8 bytes
DATA = json.dumps({"utilisateur": "@coordinatrice:localhost",
                   "mises_à_jour": [{"projet": "besancon-nsi-egalite",
                                     "texte": "Séance « débranchée » 🧩"}]},
                  ensure_ascii=False, indent=2)


async def attach(sandbox: Sandbox, room: str, **kw: Any) -> None:
    """Commit a file row through the running bot's own outbox (its doorbell rings)."""
    bot = sandbox.bot
    assert bot is not None and bot.services is not None and bot.units is not None
    services = bot.services
    async with bot.units() as uow:
        await services.outbox.attach(uow, f"test:{uuid.uuid4().hex}", services.clock(),
                                     filename=FILENAME, mimetype=MIMETYPE, data=DATA,
                                     room_id=room, **kw)


async def file_event(user: UserClient, room: str, bot_id: str) -> Event:
    found = await user.wait_for(
        lambda e: e["room_id"] == room and e.get("sender") == bot_id
        and (e.get("content") or {}).get("msgtype") == "m.file", timeout=30)
    assert len(found) == 1, found
    return found[0]


def check_description(content: dict[str, Any]) -> None:
    assert content["body"] == content["filename"] == FILENAME
    assert content["info"] == {"mimetype": MIMETYPE, "size": len(DATA.encode())}
    assert len(DATA.encode()) > len(DATA)  # the size is in bytes, not characters
    assert content["m.mentions"] == {}


async def test_a_file_in_a_clear_room_is_uploaded_and_linked(sandbox: Sandbox,
                                                             coord: UserClient) -> None:
    room = await room_with_bot(coord, sandbox.bot_id, name="Export en clair")
    question = await coord.send(room, "!aide")
    await coord.wait_reply(room, question, timeout=30)  # the bot knows the room by now
    await attach(sandbox, room, in_reply_to=question)
    event = await file_event(coord, room, sandbox.bot_id)
    assert event["type"] == "m.room.message" and event["decrypted"] is False
    content = event["content"]
    check_description(content)
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": question}}
    assert "file" not in content and content["url"].startswith("mxc://")
    assert await coord.download(content["url"]) == DATA.encode()


async def test_a_file_in_an_encrypted_room_is_uploaded_encrypted(sandbox: Sandbox,
                                                                 coord: UserClient) -> None:
    room = await room_with_bot(coord, sandbox.bot_id, encrypted=True, name="Export chiffré")
    await ask(coord, room, "!aide")  # the bot knows the room (and that it is encrypted)
    await attach(sandbox, room)
    event = await file_event(coord, room, sandbox.bot_id)
    assert event["decrypted"] is True  # the event itself travelled encrypted
    assert event["encrypted_source"]["type"] == "m.room.encrypted"
    assert FILENAME not in json.dumps(event["encrypted_source"])
    content = event["content"]
    check_description(content)
    assert "url" not in content and "m.relates_to" not in content
    file = content["file"]
    assert file["v"] == "v2" and file["url"].startswith("mxc://")
    assert file["key"]["alg"] == "A256CTR" and file["key"]["kty"] == "oct"
    assert set(file["key"]["key_ops"]) == {"encrypt", "decrypt"} and file["key"]["ext"]
    stored = await coord.download(file["url"])
    assert len(stored) == len(DATA.encode())
    assert DATA.encode() != stored and b"besancon" not in stored  # the server has ciphertext
    clear = decrypt_attachment(stored, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
    assert clear == DATA.encode()
