"""Rate limits: a room send's 429 comes back to the bot instead of nio's silent retries,
and every room's sends slow down together after one (the limit is the bot's, as a user)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from nio import AsyncClient, AsyncClientConfig

from tests.local_http import serving
from traam_bot.matrix import pace as pace_module
from traam_bot.matrix.pace import Pace, surface_rate_limits
from traam_bot.matrix.send import Sender

ROOM = "!equipe:localhost"


@pytest.fixture
async def homeserver() -> AsyncIterator[tuple[str, list[str]]]:
    """Answers the first send 429 (retry after 1.5 s), the next ones with an event."""
    seen: list[str] = []

    async def send(request: web.Request) -> web.Response:
        seen.append(request.path)
        if len(seen) == 1:
            return web.json_response({"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many "
                                      "Requests", "retry_after_ms": 1500}, status=429)
        return web.json_response({"event_id": "$sent"})

    app = web.Application()
    app.router.add_put("/_matrix/client/v3/rooms/{room}/send/{type}/{txn}", send)
    async with serving(app) as url:
        yield url, seen


async def test_a_room_sends_429_comes_back_with_the_wait_asked(
        homeserver: tuple[str, list[str]], tmp_path: Path) -> None:
    url, seen = homeserver
    client = AsyncClient(url, "@bot:localhost", device_id="DEV", store_path=str(tmp_path),
                         config=AsyncClientConfig(encryption_enabled=False))
    client.restore_login("@bot:localhost", "DEV", "token")
    try:
        plain = await Sender(client).attempt(ROOM, "m.room.message", {"body": "x"}, "txn-1")
        assert plain.event_id == "$sent" and len(seen) == 2  # nio retried by itself (1.5 s)
        seen.clear()
        surface_rate_limits(client)
        limited = await Sender(client).attempt(ROOM, "m.room.message", {"body": "x"}, "txn-2")
        assert (limited.event_id, limited.wait) == (None, 1.5) and len(seen) == 1
        assert "429" in limited.error
        again = await Sender(client).attempt(ROOM, "m.room.message", {"body": "x"}, "txn-2")
        assert again.event_id == "$sent" and seen[-1].endswith("/txn-2")
    finally:
        await client.close()


async def test_pace_is_free_until_a_429_then_waits_and_lets_one_through_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    pace = Pace()
    began = loop.time()
    async with pace.turn(), pace.turn():  # calm: rooms send in parallel
        pass
    assert loop.time() - began < 0.1
    pace.limited(0.3)
    assert not pace.calm
    inside: list[tuple[int, float]] = []

    async def send(n: int) -> None:
        async with pace.turn():
            inside.append((n, loop.time()))
            await asyncio.sleep(0.01)  # another turn could start meanwhile
            assert inside[-1][0] == n  # nobody else got in
    await asyncio.gather(*(send(n) for n in range(3)))
    assert [n for n, _at in inside] == [0, 1, 2]
    assert inside[0][1] - began >= 0.3  # the time asked
    gaps = [b - a for (_n, a), (_m, b) in pairwise(inside)]
    assert all(gap >= 0.3 for gap in gaps), gaps  # then the server's pace, one by one
    monkeypatch.setattr(pace_module, "CALM", 0.0)
    assert pace.calm  # calm again after a while without 429


async def test_the_outbox_holds_every_room_after_a_429(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room B's send comes after room A's 429 (same user): it waits the time asked."""
    from traam_bot.domain.outbox import Outgoing
    from traam_bot.matrix.outbox_sender import OutboxSender
    from traam_bot.matrix.send import Outcome

    loop = asyncio.get_running_loop()
    attempts: list[tuple[str, float]] = []

    class Transport:
        async def attempt(self, room_id: str, *_a: Any) -> Outcome:
            attempts.append((room_id, loop.time()))
            if len(attempts) == 1:
                return Outcome(error="429 M_LIMIT_EXCEEDED", wait=0.3)
            return Outcome(event_id=f"$e{len(attempts)}")

    class Delivery:
        def too_old(self, _item: Any) -> bool:
            return False

        async def sent(self, *_a: Any) -> None: ...
        async def attempted(self, *_a: Any) -> None: ...

    sender = OutboxSender(Delivery(), None, Transport(), None)  # type: ignore[arg-type]
    item = Outgoing(kind="message", room_id="!a:localhost", body="x", html="x")
    first = await sender._one(type("Row", (), {"outgoing": item, "id": 1, "txn_id": "t1"}))
    assert first == 0.3  # room A waits what was asked
    other = Outgoing(kind="message", room_id="!b:localhost", body="y", html="y")
    assert await sender._one(type("Row", (), {"outgoing": other, "id": 2, "txn_id": "t2"})) \
        is None
    (_a, limited_at), (room_b, sent_at) = attempts
    assert room_b == "!b:localhost" and sent_at - limited_at >= 0.3
