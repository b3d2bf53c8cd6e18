"""Nothing waits forever on the homeserver: a sync or a send that never answers (a proxy
that accepts connections and stays silent) is given up and tried again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import RoomSendResponse, SyncError

from traam_bot.matrix import runtime as runtime_module
from traam_bot.matrix import send as send_module
from traam_bot.matrix import session
from traam_bot.matrix.runtime import Runtime
from traam_bot.matrix.send import Sender


class NullSink:
    async def load_token(self) -> str | None:
        return "s1"


def test_every_request_is_bounded_and_failures_come_back_at_once(tmp_path: Any) -> None:
    client = session.new_client("http://127.0.0.1:9", "@bot:localhost", str(tmp_path))
    assert client.config.request_timeout == session.REQUEST_TIMEOUT == 45.0
    assert client.config.max_timeouts == 0  # no silent immediate retry inside nio


class HangingSyncClient:
    """The first sync never answers (a black hole); the next ones answer 502."""

    user_id = "@traam-bot:localhost"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.cancelled = False
        self.called = asyncio.Event()

    async def sync(self, **kw: Any) -> SyncError:
        self.calls.append(kw)
        self.called.set()
        if len(self.calls) == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        return SyncError("Bad Gateway", "502")


async def test_a_sync_that_never_answers_is_given_up_and_retried(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """nio sends the first (full-state) sync of a start without any client-side timeout:
    the loop's watchdog gives it up after the long poll plus 15 s, then backs off."""
    assert runtime_module.SYNC_WATCHDOG == 45.0
    monkeypatch.setattr(runtime_module, "SYNC_WATCHDOG", 0.05)
    client = HangingSyncClient()
    rt = Runtime(client, NullSink(), ("localhost",))  # type: ignore[arg-type]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            rt.stopping.set()

    monkeypatch.setattr(rt, "_sleep", fake_sleep)
    await asyncio.wait_for(rt.run(), 5)
    assert client.cancelled and len(client.calls) == 2
    assert client.calls[0]["full_state"] is True and client.calls[0]["timeout"] == 30_000
    assert len(slept) == 2 and slept[0] <= 1.0  # backed off like any failed sync
    assert "did not answer within" in caplog.text


async def test_a_stop_during_a_hanging_sync_ends_the_loop_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    client = HangingSyncClient()
    rt = Runtime(client, NullSink(), ("localhost",))  # type: ignore[arg-type]
    running = asyncio.ensure_future(rt.run())
    await asyncio.wait_for(client.called.wait(), 2)
    rt.stopping.set()
    await asyncio.wait_for(running, 2)
    assert client.cancelled and len(client.calls) == 1


class HangingSendClient:
    """A send that never answers, then one that does."""

    olm = None

    def __init__(self) -> None:
        self.txns: list[str] = []

    async def room_send(self, room_id: str, event_type: str, content: dict, tx_id: str,
                        ignore_unverified_devices: bool) -> Any:
        self.txns.append(tx_id)
        if len(self.txns) == 1:
            await asyncio.Event().wait()
        return RoomSendResponse("$sent", room_id)


async def test_a_send_that_never_answers_is_given_up_and_retried_with_its_txn() -> None:
    assert send_module.ATTEMPT_TIMEOUT == 90.0
    client = HangingSendClient()
    sender = Sender(client, attempt_timeout=0.05)  # type: ignore[arg-type]
    outcome = await asyncio.wait_for(
        sender.attempt("!r:localhost", "m.room.message", {}, "txn-1"), 2)
    assert (outcome.event_id, outcome.refused, outcome.error) == (None, None, "TimeoutError")
    again = await sender.attempt("!r:localhost", "m.room.message", {}, "txn-1")
    assert again.event_id == "$sent" and client.txns == ["txn-1", "txn-1"]
