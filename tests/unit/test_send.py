"""Reply -> m.notice content, reactions and transaction ids (pure parts of matrix/send.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from nio import RoomSendResponse

from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.render import Doc
from traam_bot.matrix.send import Sender, notice_content, reaction_content, txn_id

ROOM = "!salon:localhost"
REPLY = Reply(plain="2 projets", html="<p>2 projets</p>")


def answered(thread_root: str | None = None) -> Incoming:
    return Incoming(room_id=ROOM, event_id="$question", sender="@alice:localhost",
                    body="!projets dijon", timestamp=datetime(2025, 12, 1, tzinfo=UTC),
                    thread_root=thread_root)


def test_notice_without_answered_message() -> None:
    assert notice_content(REPLY, None) == {
        "msgtype": "m.notice",
        "body": "2 projets",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p>2 projets</p>",
        "m.mentions": {},
    }


def test_notice_replies_to_the_answered_message() -> None:
    content = notice_content(REPLY, answered())
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert content["body"] == "2 projets"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "<p>2 projets</p>"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$question"}}


def test_notice_in_a_thread_stays_in_the_thread_as_a_real_reply() -> None:
    content = notice_content(REPLY, answered(thread_root="$root"))
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$question"},
    }
    assert content["m.mentions"] == {}


@pytest.mark.parametrize("msgtype", ["m.notice", "m.text"])
def test_msgtype_can_be_chosen(msgtype: str) -> None:
    assert notice_content(REPLY, None, msgtype)["msgtype"] == msgtype


def test_content_is_not_shared_between_calls() -> None:
    first = notice_content(REPLY, answered())
    first["m.mentions"]["user_ids"] = ["@x:localhost"]
    assert notice_content(REPLY, answered())["m.mentions"] == {}


def test_reaction_content() -> None:
    assert reaction_content("$question", "✅") == {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": "$question", "key": "✅"}
    }


def test_txn_id_is_deterministic_and_url_safe() -> None:
    first = txn_id("$question", "msg", "0")
    assert first == txn_id("$question", "msg", "0")
    assert re.fullmatch(r"traam-[0-9a-f]{32}", first)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("$q", "msg", "0"), ("$q", "msg", "1")),
        (("$q", "msg", "0"), ("$r", "msg", "0")),
        (("$q", "msg", "0"), ("$q", "reaction", "0")),
        (("$q", "reaction", "✅"), ("$q", "reaction", "❌")),
        (("ab", "c"), ("a", "bc")),  # parts are separated, not concatenated
        (("a",), ("a", "")),
    ],
)
def test_txn_id_differs_per_part(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert txn_id(*a) != txn_id(*b)


class RecordingClient:
    """Stands in for nio.AsyncClient.room_send: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], str]] = []

    async def room_send(self, room_id: str, message_type: str, content: dict[str, Any],
                        tx_id: str, ignore_unverified_devices: bool = False) -> RoomSendResponse:
        self.sent.append((room_id, message_type, content, tx_id))
        return RoomSendResponse(f"$sent{len(self.sent)}", room_id)


async def test_sender_reply_sends_reaction_then_parts_with_distinct_stable_txns() -> None:
    doc = Doc()
    for i in range(30):
        doc.item(f"ligne {i}")
    reply = doc.reply(reaction="✅", limit=200)
    assert len(reply.messages()) > 2

    client = RecordingClient()
    ids = await Sender(client).reply(ROOM, reply, answered(), key="$question")  # type: ignore[arg-type]

    kinds = [event_type for _room, event_type, _c, _t in client.sent]
    assert kinds == ["m.reaction"] + ["m.room.message"] * len(reply.messages())
    assert client.sent[0][2] == reaction_content("$question", "✅")
    bodies = [content["body"] for _r, kind, content, _t in client.sent if kind != "m.reaction"]
    assert bodies == [m.plain for m in reply.messages()]
    txns = [t for *_rest, t in client.sent]
    assert len(set(txns)) == len(txns)
    assert ids == [f"$sent{i}" for i in range(2, len(client.sent) + 1)]

    again = RecordingClient()
    await Sender(again).reply(ROOM, reply, answered(), key="$question")  # type: ignore[arg-type]
    assert [t for *_rest, t in again.sent] == txns  # a resend is deduplicated by the server
