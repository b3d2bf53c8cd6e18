"""DirectRooms: a direct chat the bot opens is encrypted from its first event when the bot
has encryption, and nio knows the invitee at once (so the room key is shared with them)."""

from __future__ import annotations

from typing import Any

from nio import MatrixRoom, RoomCreateResponse

from traam_bot.matrix.direct import ENCRYPTION_STATE, DirectRooms

BOT, ALICE = "@traam-bot:localhost", "@alice:localhost"


class FakeClient:
    def __init__(self, olm: object | None) -> None:
        self.user_id = BOT
        self.olm = olm
        self.rooms: dict[str, MatrixRoom] = {}
        self.created: list[dict[str, Any]] = []

    async def room_create(self, **kwargs: Any) -> RoomCreateResponse:
        self.created.append(kwargs)
        return RoomCreateResponse(f"!dm{len(self.created)}:localhost")


async def test_the_bot_opens_an_encrypted_chat_and_knows_the_invitee() -> None:
    client = FakeClient(olm=object())
    direct = DirectRooms(client)  # type: ignore[arg-type]
    room_id = await direct.direct_room(ALICE)
    [created] = client.created
    assert created["is_direct"] is True and created["invite"] == [ALICE]
    assert list(created["initial_state"]) == [ENCRYPTION_STATE]
    assert ENCRYPTION_STATE["content"] == {"algorithm": "m.megolm.v1.aes-sha2"}
    room = client.rooms[room_id]
    assert room.encrypted is True
    assert set(room.users) == {BOT, ALICE} and set(room.invited_users) == {ALICE}
    assert await direct.direct_room(ALICE) == room_id  # found again, not opened twice
    assert len(client.created) == 1


async def test_without_encryption_the_chat_is_opened_in_the_clear() -> None:
    client = FakeClient(olm=None)
    room_id = await DirectRooms(client).direct_room(ALICE)  # type: ignore[arg-type]
    assert list(client.created[0]["initial_state"]) == []
    assert client.rooms[room_id].encrypted is False
