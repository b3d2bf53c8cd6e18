"""Reply -> m.notice content, reactions and transaction ids (pure parts of matrix/send.py),
and what goes on the wire in encrypted rooms (a real nio client whose HTTP is recorded)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientConnectionError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedMembersError,
    MatrixRoom,
    MegolmEvent,
    RoomSendError,
    RoomSendResponse,
)
from nio.crypto import OlmDevice

from traam_bot.domain.model import Reply
from traam_bot.domain.outbox import Outgoing
from traam_bot.matrix import send as send_module
from traam_bot.matrix.send import Outcome, Sender, content_of, reaction_content
from traam_bot.store.outbox_repo import txn_id

ROOM = "!salon:localhost"
REPLY = Reply(plain="2 projets", html="<p>2 projets</p>")


def reply_row(thread_root: str | None = None, answered: bool = True,
              msgtype: str = "m.notice") -> Outgoing:
    """The outbox row of REPLY, answering $question (in a thread when `thread_root`)."""
    return Outgoing(kind="message", room_id=ROOM, body=REPLY.plain, html=REPLY.html,
                    msgtype=msgtype, in_reply_to="$question" if answered else None,
                    thread_root=thread_root)


def test_notice_without_answered_message() -> None:
    assert content_of(reply_row(answered=False)) == ("m.room.message", {
        "msgtype": "m.notice",
        "body": "2 projets",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p>2 projets</p>",
        "m.mentions": {},
    })


def test_notice_replies_to_the_answered_message() -> None:
    _kind, content = content_of(reply_row())
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert content["body"] == "2 projets"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "<p>2 projets</p>"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$question"}}


def test_notice_in_a_thread_stays_in_the_thread_as_a_real_reply() -> None:
    _kind, content = content_of(reply_row(thread_root="$root"))
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$question"},
    }
    assert content["m.mentions"] == {}


@pytest.mark.parametrize("msgtype", ["m.notice", "m.text"])
def test_msgtype_can_be_chosen(msgtype: str) -> None:
    assert content_of(reply_row(msgtype=msgtype))[1]["msgtype"] == msgtype


def test_content_is_not_shared_between_calls() -> None:
    first = content_of(reply_row())[1]
    first["m.mentions"]["user_ids"] = ["@x:localhost"]
    assert content_of(reply_row())[1]["m.mentions"] == {}


def test_reaction_content() -> None:
    assert reaction_content("$question", "✅") == {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": "$question", "key": "✅"}
    }


def test_txn_id_is_deterministic_and_url_safe() -> None:
    first = txn_id("event:$question:reaction:✅")
    assert first == txn_id("event:$question:reaction:✅")
    assert re.fullmatch(r"traam-[0-9a-f]{32}", first)


@pytest.mark.parametrize(("a", "b"), [
    ("event:$q:0", "event:$q:1"),
    ("event:$q:0", "event:$r:0"),
    ("event:$q:reaction:✅", "event:$q:reaction:❌"),
    ("schedule:1:2025-12-01T09:00", "schedule:1:2025-12-01T09:01"),
])
def test_txn_id_differs_per_cause(a: str, b: str) -> None:
    assert txn_id(a) != txn_id(b)


class RecordingClient:
    """Stands in for nio.AsyncClient.room_send: records what would be sent."""

    olm = None  # no E2EE: every type goes through room_send

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], str]] = []

    async def room_send(self, room_id: str, message_type: str, content: dict[str, Any],
                        tx_id: str, ignore_unverified_devices: bool = False) -> RoomSendResponse:
        self.sent.append((room_id, message_type, content, tx_id))
        return RoomSendResponse(f"$sent{len(self.sent)}", room_id)


def reaction_row(room_id: str, event_id: str, key: str) -> tuple[str, dict[str, Any], str]:
    """A reaction's event type, content and transaction id, as its outbox row gives them."""
    event_type, content = content_of(Outgoing(kind="reaction", room_id=room_id,
                                              in_reply_to=event_id, reaction_key=key))
    return event_type, content, txn_id(f"event:{event_id}:reaction:{key}")


async def attempts(sender: Sender, room_id: str, event_id: str, key: str,
                   tries: int = 10) -> list[Outcome]:
    """Attempts at a reaction, as the outbox sender makes them, until it is sent or refused."""
    outcomes: list[Outcome] = []
    for _ in range(tries):
        outcomes.append(await sender.attempt(room_id, *reaction_row(room_id, event_id, key)))
        if outcomes[-1].event_id is not None or outcomes[-1].refused is not None:
            return outcomes
    raise AssertionError(f"never sent nor refused: {outcomes}")


async def react(sender: Sender, room_id: str, event_id: str, key: str) -> str:
    """A reaction as the outbox sender sends one (content and txn id from the outbox row)."""
    event_type, content = content_of(Outgoing(kind="reaction", room_id=room_id,
                                              in_reply_to=event_id, reaction_key=key))
    outcome = await sender.attempt(room_id, event_type, content,
                                   txn_id(f"event:{event_id}:reaction:{key}"))
    assert outcome.event_id is not None, outcome
    return outcome.event_id


def test_outbox_rows_become_the_events_clients_expect() -> None:
    reaction = content_of(Outgoing(kind="reaction", room_id=ROOM, in_reply_to="$q",
                                   reaction_key="✅"))
    assert reaction == ("m.reaction", reaction_content("$q", "✅"))
    kind, message = content_of(Outgoing(kind="message", room_id=ROOM, body="a", html="<p>a</p>",
                                        in_reply_to="$question", thread_root="$root"))
    assert kind == "m.room.message"
    assert message == {
        "msgtype": "m.notice", "body": "a", "format": "org.matrix.custom.html",
        "formatted_body": "<p>a</p>", "m.mentions": {},
        "m.relates_to": {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": False,
                         "m.in_reply_to": {"event_id": "$question"}}}
    _kind, ping = content_of(Outgoing(kind="message", room_id=ROOM, body="@room", html="",
                                      msgtype="m.text", ping_room=True))
    assert ping["m.mentions"] == {"room": True} and ping["msgtype"] == "m.text"
    assert "m.relates_to" not in ping


# ---------------------------------------------------------------- encrypted rooms
BOT = "@traam-bot:localhost"
RELATION = {"rel_type": "m.annotation", "event_id": "$question", "key": "✅"}


class Wire:
    """A real nio client (olm store on disk) whose HTTP requests are recorded, not sent."""

    def __init__(self, store: Path, encrypted: bool = True) -> None:
        self.client = AsyncClient("http://127.0.0.1:9", BOT, store_path=str(store),
                                  config=AsyncClientConfig(encryption_enabled=True,
                                                           store_sync_tokens=False))
        self.client.restore_login(BOT, "BOTDEVICE", "secret-token")
        room = MatrixRoom(ROOM, BOT, encrypted=encrypted)
        room.members_synced = True
        self.client.rooms[ROOM] = room
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.answers: list[Any] = []  # queued answers to PUT /send, then success
        self.client._send = self._send  # type: ignore[method-assign]

    def share(self) -> None:
        """The megolm session is shared already (what share_group_session ends with)."""
        assert self.client.olm is not None
        self.client.olm.create_outbound_group_session(ROOM)
        self.client.olm.outbound_group_sessions[ROOM].shared = True

    async def _send(self, _cls: type, method: str, path: str, data: Any = None,
                    response_data: Any = None, **_kw: Any) -> Any:
        self.requests.append((method, path.split("?")[0], json.loads(data or "{}")))
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return RoomSendResponse(f"$sent{len(self.requests)}", ROOM)

    def sent_types(self) -> list[str]:
        return [path.split("/send/")[1].split("/")[0] for _m, path, _d in self.requests
                if "/send/" in path]

    def decrypt(self, content: dict[str, Any]) -> dict[str, Any]:
        """Decrypt what was sent, as a member of the room would."""
        event = MegolmEvent.from_dict({
            "type": "m.room.encrypted", "event_id": "$on-the-wire", "sender": BOT,
            "origin_server_ts": 0, "room_id": ROOM, "content": content})
        clear = self.client.decrypt_event(event)
        return dict(clear.source)


@pytest.fixture
async def wire(tmp_path: Path) -> AsyncIterator[Wire]:
    w = Wire(tmp_path)
    yield w
    await w.client.close()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(send_module.asyncio, "sleep", fake_sleep)
    return waits


async def test_nio_alone_would_send_a_reaction_in_clear(wire: Wire) -> None:
    """Why send.py encrypts reactions itself (if nio changes, this test says so)."""
    wire.share()
    await wire.client.room_send(ROOM, "m.reaction", reaction_content("$question", "✅"),
                                tx_id="t")
    assert wire.sent_types() == ["m.reaction"]


async def test_reaction_in_an_encrypted_room_is_encrypted_with_its_relation_in_clear(
        wire: Wire) -> None:
    wire.share()
    event_id = await react(Sender(wire.client), ROOM, "$question", "✅")
    assert event_id == "$sent1"
    [(method, path, content)] = wire.requests
    assert method == "PUT"
    assert path.endswith("/send/m.room.encrypted/" + txn_id("event:$question:reaction:✅"))
    assert content["algorithm"] == "m.megolm.v1.aes-sha2" and content["ciphertext"]
    assert content["m.relates_to"] == RELATION  # servers aggregate reactions on it
    assert "✅" not in json.dumps({k: v for k, v in content.items() if k != "m.relates_to"})
    clear = wire.decrypt(content)
    assert clear["type"] == "m.reaction"
    assert clear["content"]["m.relates_to"] == RELATION


async def test_reply_reaction_is_encrypted_and_messages_too(wire: Wire) -> None:
    wire.share()
    sender = Sender(wire.client)
    await react(sender, ROOM, "$question", "✅")
    outcome = await sender.attempt(ROOM, *content_of(Outgoing(
        kind="message", room_id=ROOM, body="Point n° 1", html="<p>Point n° 1</p>",
        in_reply_to="$question")), "txn-msg")
    assert outcome.event_id is not None
    assert wire.sent_types() == ["m.room.encrypted", "m.room.encrypted"]
    assert wire.decrypt(wire.requests[0][2])["type"] == "m.reaction"


async def test_an_edit_is_encrypted_by_nio_with_its_relation_in_clear(wire: Wire) -> None:
    """Checked rather than assumed: m.room.message with m.replace goes through nio."""
    wire.share()
    relation = {"rel_type": "m.replace", "event_id": "$question"}
    content = {"msgtype": "m.notice", "body": "* corrigé", "m.relates_to": relation,
               "m.new_content": {"msgtype": "m.notice", "body": "corrigé"}}
    assert (await Sender(wire.client).attempt(ROOM, "m.room.message", content,
                                              "txn-edit")).event_id is not None
    [(_m, path, sent)] = wire.requests
    assert path.endswith("/send/m.room.encrypted/txn-edit")
    assert sent["m.relates_to"] == relation and "m.new_content" not in sent
    clear = wire.decrypt(sent)
    assert clear["type"] == "m.room.message"
    assert clear["content"]["m.new_content"]["body"] == "corrigé"


async def test_reaction_in_a_clear_room_stays_clear(tmp_path: Path) -> None:
    wire = Wire(tmp_path, encrypted=False)
    try:
        await react(Sender(wire.client), ROOM, "$question", "✅")
        assert wire.sent_types() == ["m.reaction"]
        assert wire.requests[0][2] == reaction_content("$question", "✅")
    finally:
        await wire.client.close()


async def test_reaction_prepares_the_room_like_nio_does(wire: Wire,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Members loaded, keys queried, then the session shared with unverified devices."""
    client, calls = wire.client, []
    client.rooms[ROOM].members_synced = False

    async def joined_members(room_id: str) -> object:
        calls.append("members")
        client.rooms[room_id].members_synced = True
        return object()

    async def keys_query() -> object:
        calls.append("keys")
        return object()

    async def share_group_session(room_id: str, ignore_unverified_devices: bool) -> object:
        calls.append(f"share {ignore_unverified_devices}")
        wire.share()
        return object()

    monkeypatch.setattr(client, "joined_members", joined_members)
    monkeypatch.setattr(client, "keys_query", keys_query)
    monkeypatch.setattr(type(client), "should_query_keys", property(lambda _self: True))
    monkeypatch.setattr(client, "share_group_session", share_group_session)
    await react(Sender(client), ROOM, "$question", "✅")
    assert calls == ["members", "keys", "share True"]
    assert wire.sent_types() == ["m.room.encrypted"]


async def test_a_session_being_shared_is_awaited_not_shared_twice(
        wire: Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    client = wire.client
    sharing = asyncio.Event()
    client.sharing_session[ROOM] = sharing

    async def must_not_share(*_a: Any, **_kw: Any) -> None:
        raise AssertionError("a second share of the same session")

    monkeypatch.setattr(client, "share_group_session", must_not_share)

    async def other_send_finishes_sharing() -> None:
        await asyncio.sleep(0.01)
        wire.share()
        client.sharing_session.pop(ROOM)
        sharing.set()

    helper = asyncio.ensure_future(other_send_finishes_sharing())
    await react(Sender(client), ROOM, "$question", "✅")
    await helper
    assert wire.sent_types() == ["m.room.encrypted"]


async def test_failed_preparation_is_retried_with_the_same_txn(
        wire: Wire, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> None:
    """A rate-limited member list, a lost connection while sharing, an unshared session."""
    client = wire.client
    client.rooms[ROOM].members_synced = False
    answers: list[Any] = [JoinedMembersError("slow down", "M_LIMIT_EXCEEDED", 3000), object()]
    shares: list[Any] = [ClientConnectionError(), "fail silently", "ok"]

    async def joined_members(room_id: str) -> object:
        answer = answers.pop(0)
        if not isinstance(answer, JoinedMembersError):
            client.rooms[room_id].members_synced = True
        return answer

    async def share_group_session(room_id: str, ignore_unverified_devices: bool) -> object:
        outcome = shares.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "ok":
            wire.share()
        return object()  # "fail silently": nothing shared, encrypt() refuses

    monkeypatch.setattr(client, "joined_members", joined_members)
    monkeypatch.setattr(client, "share_group_session", share_group_session)
    wire.answers = [RoomSendError("slow down", "M_LIMIT_EXCEEDED", 1500)]
    outcomes = await attempts(Sender(client), ROOM, "$question", "✅")
    assert outcomes[-1].event_id == "$sent2"
    # what the server asked, for the member list then for the send; the outbox sender
    # waits that long (its own backoff otherwise)
    assert [o.wait for o in outcomes[:-1]] == [3.0, None, None, 1.5]
    assert all(o.refused is None and o.error for o in outcomes[:-1])
    txn = txn_id("event:$question:reaction:✅")
    assert [p.rsplit("/", 1)[1] for _m, p, _d in wire.requests] == [txn, txn]
    assert not no_sleep  # an attempt never sleeps: waiting is the outbox sender's


@pytest.mark.parametrize("status", ["M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE"])
async def test_permanent_errors_of_an_encrypted_reaction_are_not_retried(
        wire: Wire, status: str, no_sleep: list[float]) -> None:
    wire.share()
    wire.answers = [RoomSendError("no", status)]
    [outcome] = await attempts(Sender(wire.client), ROOM, "$question", "✅")
    assert outcome.refused == status and len(wire.requests) == 1 and not no_sleep


async def test_a_forbidden_member_list_is_permanent(wire: Wire,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    wire.client.rooms[ROOM].members_synced = False

    async def joined_members(_room_id: str) -> JoinedMembersError:
        return JoinedMembersError("not in room", "M_FORBIDDEN")

    monkeypatch.setattr(wire.client, "joined_members", joined_members)
    [outcome] = await attempts(Sender(wire.client), ROOM, "$question", "✅")
    assert outcome.refused == "M_FORBIDDEN" and not wire.requests


async def test_an_unknown_room_is_not_found(wire: Wire) -> None:
    [outcome] = await attempts(Sender(wire.client), "!ailleurs:localhost", "$question", "✅")
    assert outcome.refused == "M_NOT_FOUND"


async def test_a_failed_key_claim_does_not_leave_the_room_blocked(wire: Wire) -> None:
    """nio marks the room as "sharing its key" before claiming one-time keys and clears the
    mark only later, inside its try/finally: a claim that fails (timeout, broken connection)
    would leave the mark, and every later send to the room would wait on it forever."""
    alice = OlmDevice("@alice:localhost", "ALICEDEV",
                      {"ed25519": "a" * 43, "curve25519": "b" * 43})
    assert wire.client.olm is not None
    wire.client.olm.device_store.add(alice)
    wire.client.rooms[ROOM].add_member("@alice:localhost", "Alice", None)
    assert wire.client.get_missing_sessions(ROOM)  # the share starts with a key claim
    wire.answers = [ClientConnectionError("reset")]  # ... which fails
    sender = Sender(wire.client, attempt_timeout=2)
    content = {"msgtype": "m.notice", "body": "Point n° 1"}
    failed = await sender.attempt(ROOM, "m.room.message", content, "txn-1")
    assert failed.event_id is None and failed.error == "ClientConnectionError"
    assert ROOM not in wire.client.sharing_session
    again = await sender.attempt(ROOM, "m.room.message", content, "txn-1")
    assert again.event_id is not None, again  # not "TimeoutError": nothing waits forever
