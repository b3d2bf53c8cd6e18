"""The sync loop and sender against fake nio clients: backoff, handler failures, 429."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import RoomSendError, RoomSendResponse, SyncError

from traam_bot.domain.model import Reply
from traam_bot.matrix import send as send_module
from traam_bot.matrix.runtime import Backoff, Runtime
from traam_bot.matrix.send import Sender, SendError


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
    await asyncio.wait_for(rt.run(), 5)
    assert client.calls == 8  # one sync per backoff period, never a tight loop
    assert slept[0] <= 1.0 and slept[-1] >= 32.0  # 1, 2, 4, … up to the cap
    assert all(d <= 60.0 for d in slept)


async def test_a_failing_handler_is_logged_and_does_not_stop_anything(
        caplog: pytest.LogCaptureFixture) -> None:
    rt = Runtime(FailingSyncClient(), NullSink(), ("localhost",))  # type: ignore[arg-type]

    async def boom() -> None:
        raise RuntimeError("handler bug")

    await rt._guard(boom(), "!room:localhost", "$event")
    assert "$event" in caplog.text and "handler bug" in caplog.text


class RateLimitedClient:
    def __init__(self, failures: list[Any]) -> None:
        self.failures = failures
        self.txns: list[str] = []

    async def room_send(self, room_id: str, event_type: str, content: dict, tx_id: str,
                        ignore_unverified_devices: bool) -> Any:
        self.txns.append(tx_id)
        if self.failures:
            return self.failures.pop(0)
        return RoomSendResponse("$sent", room_id)


async def test_429_waits_what_the_server_asks_then_succeeds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(send_module.asyncio, "sleep", fake_sleep)
    limited = RoomSendError("Too many requests", "M_LIMIT_EXCEEDED", retry_after_ms=7000)
    client = RateLimitedClient([limited])
    event_id = await Sender(client).send("!r:localhost", "m.room.message", {}, "txn-1")  # type: ignore[arg-type]
    assert event_id == "$sent"
    assert 7.0 <= waits[0] <= 7.25
    assert client.txns == ["txn-1", "txn-1"]  # the retry reuses the transaction id


async def test_forbidden_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send_module.asyncio, "sleep", lambda _s: asyncio.sleep(0))
    client = RateLimitedClient([RoomSendError("not in room", "M_FORBIDDEN")])
    with pytest.raises(SendError) as err:
        await Sender(client).send("!r:localhost", "m.room.message", {}, "t")  # type: ignore[arg-type]
    assert err.value.status == "M_FORBIDDEN" and len(client.txns) == 1


async def test_reply_parts_and_reaction_have_stable_transaction_ids() -> None:
    client = RateLimitedClient([])
    sender = Sender(client)  # type: ignore[arg-type]
    reply = Reply(plain="a", html="a", reaction="✅", extra=(Reply(plain="b", html="b"),))
    from traam_bot.domain.model import Incoming
    from traam_bot.matrix.events import ts_to_datetime

    incoming = Incoming(room_id="!r:localhost", event_id="$q", sender="@u:localhost",
                        body="!x", timestamp=ts_to_datetime(0))
    await sender.reply("!r:localhost", reply, incoming, key="$q")
    first = list(client.txns)
    await sender.reply("!r:localhost", reply, incoming, key="$q")
    assert len(first) == 3 and client.txns[3:] == first  # a replay after a crash is deduplicated

