"""The sync loop and sender against fake nio clients: backoff, handler failures, 429,
and the bookkeeping of room keys withheld from the bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import ClientConnectionError
from nio import (
    LocalProtocolError,
    MegolmEvent,
    RoomKeyRequestError,
    RoomSendError,
    RoomSendResponse,
    SyncError,
    UnknownToDeviceEvent,
)

from tests.unit.harness import FakeRoom, make_bot, migrated_template
from traam_bot.commands.dispatcher import Dispatcher
from traam_bot.domain import backoff
from traam_bot.domain.notices import notice_key, withheld_notice
from traam_bot.matrix.calls import Backoff
from traam_bot.matrix.runtime import Runtime
from traam_bot.matrix.send import Sender
from traam_bot.matrix.withheld import (
    Undecryptable,
    Withheld,
    WithheldKeys,
    parse_withheld,
)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    b = Backoff(base=1.0, cap=60.0)
    delays = [b.next() for _ in range(10)]
    for n, d in enumerate(delays):
        ceiling = min(60.0, 2 ** n)
        assert ceiling / 2 <= d <= ceiling
    assert max(delays) <= 60.0
    b.reset()
    assert b.next() <= 1.0


class FailingSyncClient:
    """Answers every sync with an error value, like a proxy returning 502."""

    user_id = "@traam-bot:localhost"

    def __init__(self) -> None:
        self.calls = 0

    async def sync(self, **_kw: Any) -> SyncError:
        self.calls += 1
        return SyncError("Bad Gateway", "502")


class NullSink:
    async def load_token(self) -> str | None:
        return "s1"


async def test_sync_errors_back_off_instead_of_looping(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FailingSyncClient()
    rt = Runtime(client, NullSink(), ("localhost",))  # type: ignore[arg-type]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 8:
            rt.stopping.set()

    monkeypatch.setattr(rt, "_sleep", fake_sleep)
    # the jitter (×0.5 to ×1) at its top, so that the bounds below hold on every run
    monkeypatch.setattr(backoff.random, "uniform", lambda _low, high: high)
    await asyncio.wait_for(rt.run(), 5)
    assert client.calls == 8  # one sync per backoff period, never a tight loop
    assert slept[0] <= 1.0 and slept[-1] >= 32.0  # 1, 2, 4, … up to the cap
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert all(d <= 60.0 for d in slept)


async def test_a_failing_handler_is_logged_and_does_not_stop_anything(
        caplog: pytest.LogCaptureFixture) -> None:
    rt = Runtime(FailingSyncClient(), NullSink(), ("localhost",))  # type: ignore[arg-type]

    async def boom() -> None:
        raise RuntimeError("handler bug")

    await rt._guard(boom, "!room:localhost", "$event")
    # its type and where, not its message: it may quote the event's text (test_logs_privacy)
    assert "$event" in caplog.text and "RuntimeError (message masqué)" in caplog.text
    assert "handler bug" not in caplog.text and "test_runtime.py" in caplog.text


class RateLimitedClient:
    olm = None  # no E2EE: reactions go through room_send too

    def __init__(self, failures: list[Any]) -> None:
        self.failures = failures
        self.txns: list[str] = []

    async def room_send(self, room_id: str, event_type: str, content: dict, tx_id: str,
                        ignore_unverified_devices: bool) -> Any:
        self.txns.append(tx_id)
        if self.failures:
            return self.failures.pop(0)
        return RoomSendResponse("$sent", room_id)


async def test_a_429_is_a_wait_of_what_the_server_asks_then_the_same_txn_succeeds() -> None:
    limited = RoomSendError("Too many requests", "M_LIMIT_EXCEEDED", retry_after_ms=7000)
    client = RateLimitedClient([limited])
    sender = Sender(client)  # type: ignore[arg-type]
    first = await sender.attempt("!r:localhost", "m.room.message", {}, "txn-1")
    assert (first.event_id, first.refused, first.wait) == (None, None, 7.0)
    second = await sender.attempt("!r:localhost", "m.room.message", {}, "txn-1")
    assert second.event_id == "$sent"
    assert client.txns == ["txn-1", "txn-1"]  # the retry reuses the transaction id


async def test_forbidden_is_refused_for_good() -> None:
    client = RateLimitedClient([RoomSendError("not in room", "M_FORBIDDEN")])
    outcome = await Sender(client).attempt("!r:localhost", "m.room.message", {}, "t")  # type: ignore[arg-type]
    assert (outcome.refused, outcome.wait) == ("M_FORBIDDEN", None)
    assert outcome.error == "M_FORBIDDEN not in room" and len(client.txns) == 1


# ------------------------------------------------------------------ withheld room keys
ROOM, OTHER_ROOM = "!salon:localhost", "!autre:localhost"
ALICE, MALLORY = "@alice:localhost", "@mallory:localhost"
ALICE_KEY = "alice-curve25519"


def withheld_source(session: str = "S1", room: str = ROOM, sender: str = ALICE,
                    code: str = "m.unverified", kind: str = "m.room_key.withheld",
                    **extra: Any) -> dict[str, Any]:
    content = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": session,
               "sender_key": ALICE_KEY, "code": code, "reason": "Device not verified"}
    return {"type": kind, "sender": sender, "content": content | extra}


def undecryptable(event_id: str = "$e1", session: str = "S1", room: str = ROOM,
                  sender: str = ALICE) -> Undecryptable:
    return Undecryptable(room, event_id, sender, session, ALICE_KEY)


@pytest.mark.parametrize("kind", ["m.room_key.withheld", "org.matrix.room_key.withheld"])
def test_parse_withheld(kind: str) -> None:
    notice = parse_withheld(withheld_source(kind=kind))
    assert notice == Withheld(sender=ALICE, room_id=ROOM, session_id="S1", code="m.unverified",
                              reason="Device not verified", sender_key=ALICE_KEY)


@pytest.mark.parametrize("source", [
    {"type": "m.room_key_request", "sender": ALICE, "content": {"room_id": ROOM}},
    withheld_source(code="m.no_olm", room_id=None, session_id=None),  # names no session
    withheld_source(session_id=""),
    {"type": "m.room_key.withheld", "sender": ALICE, "content": "oops"},
    {"type": "m.room_key.withheld", "content": withheld_source()["content"]},
    {},
])
def test_parse_withheld_ignores_other_and_malformed_events(source: dict[str, Any]) -> None:
    assert parse_withheld(source) is None


def test_withheld_then_message_is_explained() -> None:
    keys = WithheldKeys()
    notice = parse_withheld(withheld_source())
    assert notice is not None
    assert keys.add(notice) == []
    assert keys.explain(undecryptable()) == notice
    assert keys.explain(undecryptable(session="S2")) is None
    assert keys.explain(undecryptable(room=OTHER_ROOM)) is None


def test_message_then_withheld_returns_the_waiting_messages_once() -> None:
    keys = WithheldKeys()
    first, second = undecryptable("$e1"), undecryptable("$e2")
    for event in (first, second, first):  # seen twice (a replay): kept once
        assert keys.explain(event) is None
        keys.wait(event)
    keys.wait(undecryptable("$other", session="S2"))
    notice = parse_withheld(withheld_source())
    assert notice is not None
    assert keys.add(notice) == [first, second]
    assert keys.add(notice) == []  # forgotten once explained
    assert keys.waiting() == 1


def test_only_the_session_sender_can_withhold_it() -> None:
    keys = WithheldKeys()
    keys.wait(undecryptable())
    spoof = parse_withheld(withheld_source(sender=MALLORY))
    assert spoof is not None
    assert keys.add(spoof) == [] and keys.explain(undecryptable()) is None
    wrong_key = parse_withheld(withheld_source(sender_key="another-device"))
    assert wrong_key is not None
    assert keys.add(wrong_key) == []
    assert keys.waiting() == 1  # still waiting for the real sender's notice
    real = parse_withheld(withheld_source())
    assert real is not None
    assert keys.add(real) == [undecryptable()]
    assert keys.add(spoof) == [] and keys.explain(undecryptable()) == real  # not hidden


def test_withheld_memory_is_bounded() -> None:
    keys = WithheldKeys(limit=3)
    for n in range(10):
        notice = parse_withheld(withheld_source(session=f"S{n}"))
        assert notice is not None
        keys.add(notice)
        keys.wait(undecryptable(f"$w{n}", session=f"W{n}"))
    for n in range(5):
        keys.wait(undecryptable(f"$same{n}", session="SAME"))
    assert len(keys) == 3 and keys.waiting() <= 6
    assert keys.explain(undecryptable(session="S9")) is not None
    assert keys.explain(undecryptable(session="S0")) is None  # the oldest is forgotten


def test_notice_key_fits_the_state_table_and_differs_per_room() -> None:
    long_room = "!" + "x" * 240 + ":example.org"
    assert len(notice_key(long_room)) <= 100
    assert notice_key(ROOM) == notice_key(ROOM) != notice_key(OTHER_ROOM)


@pytest.mark.parametrize(("code", "because", "hint"), [
    ("m.unverified", "(appareils non vérifiés exclus)", "vérifié par mon propre compte"),
    ("m.blacklisted", "(il a bloqué mon appareil)", "débloquez mon appareil"),
    ("m.unavailable", "clé.", "réglages de chiffrement de votre client"),
])
def test_withheld_notice_is_french_and_escapes_the_name(code: str, because: str,
                                                        hint: str) -> None:
    reply = withheld_notice('<b>Alice</b> @room', code)
    assert reply.plain.startswith("Je n’ai pas pu lire un message chiffré de <b>Alice</b>")
    assert because in reply.plain and hint in reply.plain
    assert "salon non chiffré" in reply.plain
    assert "&lt;b&gt;Alice&lt;/b&gt;" in reply.html and "<b>" not in reply.html
    assert "@room" not in reply.plain and reply.reaction is None and not reply.extra


@pytest.mark.parametrize(("name", "said"), [
    ("Alice", "chiffré d’Alice :"), ("émilie", "chiffré d’émilie :"),
    ("Bruno", "chiffré de Bruno :"), ("@bruno:localhost", "chiffré de @bruno:localhost :"),
])
def test_withheld_notice_elides_de_before_a_vowel(name: str, said: str) -> None:
    assert said in withheld_notice(name, "m.unverified").plain


class KeyClient:
    """What the runtime asks nio about undecryptable events."""

    user_id = "@traam-bot:localhost"

    def __init__(self, request_fails: BaseException | None = None) -> None:
        self.rooms: dict[str, Any] = {}
        self.requested: list[str] = []
        self.request_fails = request_fails

    async def request_room_key(self, event: MegolmEvent) -> Any:
        if event.session_id in self.requested:
            raise LocalProtocolError("A key sharing request is already sent out")
        self.requested.append(event.session_id)
        if self.request_fails is not None:
            raise self.request_fails
        return RoomKeyRequestError("nope", "M_UNKNOWN")


class WithheldSink:
    def __init__(self) -> None:
        self.told: list[tuple[str, str, str]] = []
        self.events: list[Any] = []

    async def on_key_withheld(self, room: Any, sender: str, code: str) -> None:
        self.told.append((room.room_id, sender, code))

    async def joined_at(self, room_id: str) -> int | None:
        return None

    async def handled(self, event_ids: list[str]) -> set[str]:
        return set()

    async def on_event(self, event: Any, room: Any) -> None:
        self.events.append(event)


def megolm(event_id: str = "$e1", session: str = "S1", room: str = ROOM,
           sender: str = ALICE) -> MegolmEvent:
    return MegolmEvent.from_dict({
        "type": "m.room.encrypted", "event_id": event_id, "sender": sender,
        "origin_server_ts": 1, "room_id": room,
        "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA",
                    "sender_key": ALICE_KEY, "session_id": session, "device_id": "ALICEDEV"}})


def to_device(source: dict[str, Any]) -> UnknownToDeviceEvent:
    return UnknownToDeviceEvent.from_dict(source)


def sync(to_device_events: list[Any], timeline: dict[str, list[Any]]) -> Any:
    timelines = {room: SimpleNamespace(timeline=SimpleNamespace(
        events=events, limited=False, prev_batch=None)) for room, events in timeline.items()}
    return SimpleNamespace(to_device_events=to_device_events, rooms=SimpleNamespace(
        invite={}, leave={}, join=timelines))


async def process(rt: Runtime, resp: Any) -> None:
    await rt._process(resp, history=False, replay=False)
    for pending in rt._receipts.values():
        pending.cancel()


def withheld_runtime(client: KeyClient | None = None) -> tuple[Runtime, KeyClient, WithheldSink]:
    client = client or KeyClient()
    sink = WithheldSink()
    return Runtime(client, sink, ("localhost",)), client, sink  # type: ignore[arg-type]


async def test_withheld_in_the_same_sync_tells_the_room_once_and_requests_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    rt, client, sink = withheld_runtime()
    caplog.set_level(logging.WARNING)
    await process(rt, sync([to_device(withheld_source())],
                           {ROOM: [megolm("$e1"), megolm("$e2")]}))
    assert sink.told == [(ROOM, ALICE, "m.unverified")]
    assert client.requested == [] and sink.events == []  # nothing read, nothing handled
    line = next(r.getMessage() for r in caplog.records if "withheld from the bot" in r.message)
    assert ALICE in line and ROOM in line and "S1" in line and "m.unverified" in line
    await process(rt, sync([], {ROOM: [megolm("$e3")]}))
    assert len(sink.told) == 1


async def test_withheld_in_a_later_sync_explains_the_earlier_message() -> None:
    rt, client, sink = withheld_runtime()
    await process(rt, sync([], {ROOM: [megolm("$e1"), megolm("$e2")]}))
    assert sink.told == [] and client.requested == ["S1"]  # asked once per session
    await process(rt, sync([to_device(withheld_source())], {}))
    assert sink.told == [(ROOM, ALICE, "m.unverified")]


async def test_each_room_is_told_once() -> None:
    rt, _client, sink = withheld_runtime()
    await process(rt, sync([to_device(withheld_source()),
                            to_device(withheld_source("S2", room=OTHER_ROOM))], {}))
    await process(rt, sync([], {ROOM: [megolm()], OTHER_ROOM: [megolm("$o", "S2", OTHER_ROOM)]}))
    await process(rt, sync([to_device(withheld_source("S3"))], {ROOM: [megolm("$x", "S3")]}))
    assert sorted(sink.told) == [(OTHER_ROOM, ALICE, "m.unverified"),
                                 (ROOM, ALICE, "m.unverified")]


async def test_a_spoofed_withheld_tells_nobody() -> None:
    rt, client, sink = withheld_runtime()
    await process(rt, sync([to_device(withheld_source(sender=MALLORY))], {ROOM: [megolm()]}))
    assert sink.told == [] and client.requested == ["S1"]


@pytest.mark.parametrize("failure", [RuntimeError("olm store closed"), ClientConnectionError()])
async def test_a_failing_key_request_does_not_stop_anything(failure: BaseException) -> None:
    rt, client, sink = withheld_runtime(KeyClient(request_fails=failure))
    await process(rt, sync([], {ROOM: [megolm("$e1"), megolm("$e2", "S2")]}))
    assert client.requested == ["S1", "S2"] and sink.told == []


async def test_the_dispatcher_tells_a_room_once_across_restarts(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    template = await migrated_template(tmp_path_factory.mktemp("template"))
    room = FakeRoom(room_id=ROOM, members={ALICE: "Alice Martin"})
    async with make_bot(tmp_path, template) as bot:
        for _restart in range(2):
            dispatcher = Dispatcher(bot.services, bot.router, bot.units)
            await dispatcher.on_key_withheld(room, ALICE, "m.unverified")
            await dispatcher.on_key_withheld(room, ALICE, "m.unverified")
        [notice] = await bot.owed()
        async with bot.units() as uow:
            assert await uow.state.get(notice_key(ROOM)) is not None
    assert notice.room_id == ROOM and notice.in_reply_to is None
    assert "Je n’ai pas pu lire un message chiffré d’Alice Martin" in notice.body
