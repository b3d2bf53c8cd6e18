"""What the limit tests share: sending one event through the dispatcher, reading what it
owes, and checking that every message fits in a Matrix event (SPEC §8 "Limits")."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

from tests.unit.harness import ALICE, NOW, Bot, FakeRoom
from traam_bot.domain.model import Incoming
from traam_bot.domain.outbox import Outgoing
from traam_bot.domain.render import MAX_MESSAGE_BYTES
from traam_bot.domain.typography import NBSP, NNBSP
from traam_bot.matrix.send import content_of

MATRIX_EVENT_LIMIT = 65_536
# megolm: {"type", "content", "room_id"} encrypted, then base64 (x 4/3), in an event that also
# names the algorithm, the sender key, the session and the device, signed by the server
ENCRYPTION_SLACK = 2_048

MODERATOR_ROOM = FakeRoom(levels={ALICE: 50})
_EVENTS = itertools.count()


async def send(bot: Bot, body: str, room: FakeRoom = MODERATOR_ROOM,
               sender: str = ALICE, at: datetime = NOW) -> list[Outgoing]:
    """One message through the dispatcher (one unit of work); the rows it owes."""
    before = len(await bot.owed())
    message = Incoming(room_id=room.room_id, event_id=f"$limits{next(_EVENTS)}", sender=sender,
                       body=body, timestamp=at, is_direct=room.is_direct)
    await bot.dispatcher.on_event(message, room)
    return (await bot.owed())[before:]


def messages(rows: list[Outgoing]) -> list[Outgoing]:
    return [row for row in rows if row.kind == "message"]


def said(rows: list[Outgoing]) -> str:
    """What the messages say, their no-break spaces read as spaces (the typography itself
    is tested in test_typography; these tests are about limits)."""
    text = "\n".join(row.body for row in messages(rows))
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def event_sizes(row: Outgoing) -> tuple[int, int, int]:
    """The content's JSON as nio encrypts it (non-ASCII escaped), as Synapse counts it in
    clear (UTF-8), and a bound of the encrypted event it becomes."""
    _type, content = content_of(row)
    escaped = len(json.dumps(content, separators=(",", ":")).encode())
    utf8 = len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())
    encrypted = 4 * (escaped + 200) // 3 + ENCRYPTION_SLACK
    return escaped, utf8, encrypted


def assert_every_message_fits(rows: list[Outgoing]) -> None:
    sent = messages(rows)
    assert sent, "an answer is owed"
    for row in sent:
        assert row.body.strip()
        escaped, utf8, encrypted = event_sizes(row)
        assert utf8 <= escaped <= MAX_MESSAGE_BYTES, (utf8, escaped)
        assert encrypted < MATRIX_EVENT_LIMIT, encrypted
