"""The tests' fault-injecting proxy, against a tiny local aiohttp upstream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import (
    ClientConnectorError,
    ClientOSError,
    ClientSession,
    ClientTimeout,
    ServerDisconnectedError,
    TCPConnector,
    web,
)
from yarl import URL

from tests.faultproxy import FaultProxy, path_kind
from tests.local_http import serving

SYNC = "/_matrix/client/v3/sync"
SEND = "/_matrix/client/v3/rooms/%21room%3Alocalhost/send/m.room.message/txn-1"
LIMITED = "/_matrix/client/v3/rooms/%21busy%3Alocalhost/send/m.room.message/txn-2"


@dataclass
class Upstream:
    url: str = ""
    seen: list[web.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()

    async def echo(request: web.Request) -> web.Response:
        state.seen.append(request)
        body = await request.read()
        state.bodies.append(body)
        return web.json_response(
            {"method": request.method, "raw_path": request.raw_path, "size": len(body),
             "headers": {k.lower(): v for k, v in request.headers.items()}},
            headers={"X-Upstream": "yes"})

    async def slow_sync(request: web.Request) -> web.Response:  # a long poll, released later
        state.seen.append(request)
        await state.release.wait()
        return web.json_response({"next_batch": "s2"})

    async def stream(request: web.Request) -> web.StreamResponse:
        state.seen.append(request)
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first;")
        await state.release.wait()  # the client reads "first;" before this is released
        await response.write(b"second")
        return response

    async def limited(request: web.Request) -> web.Response:  # Synapse's 429
        state.seen.append(request)
        return web.json_response({"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests",
                                  "retry_after_ms": 1234}, status=429)

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get(SYNC, slow_sync)
    app.router.add_put(URL(LIMITED, encoded=True).path, limited)  # routes match decoded
    app.router.add_get("/stream", stream)
    app.router.add_route("*", "/{tail:.*}", echo)
    async with serving(app) as url:
        state.url = url
        try:
            yield state
        finally:
            state.release.set()


@pytest.fixture
async def proxy(upstream: Upstream) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(upstream.url) as p:
        yield p


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    # a fresh connection per request: each one meets the mode of its own time
    async with ClientSession(connector=TCPConnector(force_close=True),
                             timeout=ClientTimeout(total=10)) as session:
        yield session


def test_path_kinds() -> None:
    assert path_kind(SYNC) == path_kind("/_matrix/client/r0/sync") == "sync"
    assert path_kind(SEND) == "send"
    assert path_kind("/_matrix/client/v3/rooms/!r:x/send/m.reaction/t") == "send"
    assert path_kind("/_matrix/client/v3/sendToDevice/m.room_key/t") == "other"
    assert path_kind("/_matrix/client/v3/account/whoami") == "other"


async def test_pass_forwards_method_path_query_headers_and_body(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession) -> None:
    assert proxy.url.startswith("http://127.0.0.1:") and proxy.port != 0
    chunk, chunks = b"x" * 65536, 48  # 3 MiB, chunked: beyond aiohttp's 1 MiB read limit

    async def body() -> AsyncIterator[bytes]:
        for _ in range(chunks):
            yield chunk
    headers = {"Authorization": "Bearer t0k", "X-Custom": "1", "Connection": "X-Drop",
               "X-Drop": "gone", "Proxy-Authorization": "secret", "Content-Type": "text/plain"}
    target = URL(f"{proxy.url}{SEND}?a=1&b=%2F", encoded=True)  # as nio quotes room ids
    async with http.put(target, data=body(), headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["X-Upstream"] == "yes"
        got = await resp.json()
    assert got["method"] == "PUT" and got["size"] == len(chunk) * chunks
    assert got["raw_path"] == f"{SEND}?a=1&b=%2F"  # room id and query left encoded
    assert got["headers"]["authorization"] == "Bearer t0k"
    assert got["headers"]["x-custom"] == "1"
    assert "x-drop" not in got["headers"] and "proxy-authorization" not in got["headers"]
    assert got["headers"]["host"] == upstream.url.removeprefix("http://")
    assert proxy.counts == {("pass", "send"): 1}


async def test_pass_streams_the_response(proxy: FaultProxy, upstream: Upstream,
                                         http: ClientSession) -> None:
    async with http.get(f"{proxy.url}/stream") as resp:
        assert await resp.content.readexactly(6) == b"first;"  # before the rest exists
        upstream.release.set()
        assert await resp.read() == b"second"


async def test_long_polls_are_not_cut_and_finish_across_mode_changes(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession) -> None:
    assert proxy.upstream_timeout.total is None
    assert (proxy.upstream_timeout.sock_read or 1e9) >= 90
    poll = asyncio.ensure_future(http.get(f"{proxy.url}{SYNC}?timeout=30000"))
    await proxy.wait_inflight("sync", timeout=5)
    proxy.set_mode("502")  # applies to new requests; the parked long poll completes
    async with http.get(f"{proxy.url}{SYNC}") as refused:
        assert refused.status == 502
    upstream.release.set()
    resp = await poll
    assert resp.status == 200 and (await resp.json())["next_batch"] == "s2"
    assert proxy.inflight["sync"] == 0
    assert proxy.counts == {("pass", "sync"): 1, ("502", "sync"): 1}


@pytest.mark.parametrize("status", [502, 503])
async def test_error_modes_answer_at_once_without_the_upstream(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession, status: int) -> None:
    proxy.set_mode(str(status))
    for path in (SYNC, SEND, "/_matrix/client/v3/account/whoami"):
        async with http.put(proxy.url + path, json={"a": 1}) as resp:
            assert resp.status == status
            assert "text/html" in resp.headers["Content-Type"]
    assert upstream.seen == []
    assert proxy.count(str(status)) == 3
    assert proxy.count(str(status), "sync") == proxy.count(kind="send") == 1
    proxy.set_mode("pass")
    async with http.get(f"{proxy.url}/x") as resp:
        assert resp.status == 200


async def test_reset_closes_without_a_response(proxy: FaultProxy, upstream: Upstream,
                                               http: ClientSession) -> None:
    proxy.set_mode("reset")
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"GET /x HTTP/1.1\r\nHost: proxy\r\n\r\n")
    await writer.drain()
    with pytest.raises(ConnectionResetError):  # a TCP RST, not even an orderly close
        await asyncio.wait_for(reader.read(), 5)
    writer.close()
    with pytest.raises((ServerDisconnectedError, ClientOSError)):
        async with http.get(f"{proxy.url}/x") as resp:
            await resp.read()
    assert upstream.seen == []
    assert set(proxy.counts) == {("reset", "other")}  # aiohttp's client retries a GET once
    proxy.set_mode("pass")
    async with http.get(f"{proxy.url}/x") as resp:
        assert resp.status == 200


async def test_refuse_stops_listening_and_pass_reopens_the_same_port(
        proxy: FaultProxy, upstream: Upstream) -> None:
    url, port = proxy.url, proxy.port
    # a keep-alive connection opened before the refusal is cut too
    async with ClientSession(timeout=ClientTimeout(total=10)) as keep:
        async with keep.get(f"{url}/x") as resp:
            assert resp.status == 200
        proxy.set_mode("refuse")
        with pytest.raises((ServerDisconnectedError, ClientOSError)):
            async with keep.get(f"{url}/x") as resp:
                await resp.read()
        for _ in range(3):  # and new connections are refused by the kernel
            with pytest.raises(ClientConnectorError) as refused:
                async with keep.get(f"{url}/x") as resp:
                    await resp.read()
            assert isinstance(refused.value.os_error, ConnectionRefusedError)
        proxy.set_mode("pass")
        assert (proxy.url, proxy.port) == (url, port)
        async with keep.get(f"{url}/x") as resp:  # no await between: served at once
            assert resp.status == 200
    assert proxy.count("refuse") == 0  # refused connections never reach the proxy
    assert proxy.count("pass") == 2


async def test_refuse_cuts_a_parked_long_poll(proxy: FaultProxy, http: ClientSession) -> None:
    poll = asyncio.ensure_future(http.get(f"{proxy.url}{SYNC}"))
    await proxy.wait_inflight("sync", timeout=5)
    proxy.set_mode("refuse")
    with pytest.raises((ServerDisconnectedError, ClientOSError)):
        await poll
    await asyncio.sleep(0.1)  # the cancelled upstream request unwinds
    assert proxy.inflight["sync"] == 0


async def test_blackhole_never_answers(proxy: FaultProxy, upstream: Upstream,
                                       http: ClientSession) -> None:
    proxy.set_mode("blackhole")
    with pytest.raises(TimeoutError):
        async with http.get(f"{proxy.url}{SYNC}", timeout=ClientTimeout(total=0.5)) as resp:
            await resp.read()
    assert upstream.seen == [] and proxy.counts == {("blackhole", "sync"): 1}
    proxy.set_mode("pass")
    async with http.get(f"{proxy.url}/x") as resp:
        assert resp.status == 200
    assert [r.mode for r in proxy.since(0)] == ["blackhole", "pass"]


async def test_an_unreachable_upstream_is_a_502(http: ClientSession) -> None:
    async with FaultProxy("http://127.0.0.1:9") as proxy:  # discard port: nothing listens
        async with http.get(f"{proxy.url}/x") as resp:
            assert resp.status == 502
        assert proxy.counts == {("pass", "other"): 1}


async def test_close_releases_blackholed_requests(upstream: Upstream,
                                                  http: ClientSession) -> None:
    proxy = await FaultProxy(upstream.url, mode="blackhole").start()
    hanging = asyncio.ensure_future(http.get(f"{proxy.url}/x"))
    for _ in range(100):
        if proxy.count("blackhole"):
            break
        await asyncio.sleep(0.02)
    await asyncio.wait_for(proxy.close(), 5)
    with pytest.raises((ServerDisconnectedError, ClientOSError)):
        await asyncio.wait_for(hanging, 5)
    with pytest.raises(ValueError, match="unknown mode"):
        proxy.set_mode("500")


async def test_drop_response_lets_the_upstream_act_and_resets_the_client(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession) -> None:
    """A response lost on the way back: the homeserver did the work, the client sees a
    broken connection and no answer."""
    proxy.set_mode("drop-response")
    with pytest.raises((ServerDisconnectedError, ClientOSError)):
        async with http.put(proxy.url + SEND, json={"body": "hello"}) as resp:
            await resp.read()
    # forwarded and answered every time (aiohttp's client retries a PUT once), never returned
    tries = len(upstream.seen)
    assert tries in (1, 2) and {r.method for r in upstream.seen} == {"PUT"}
    assert upstream.bodies == [b'{"body": "hello"}'] * tries
    sent = URL(SEND, encoded=True).path  # paths are recorded decoded, as in `requests`
    assert [(a.path, a.status, a.dropped) for a in proxy.answers] == [(sent, 200, True)] * tries
    assert proxy.counts == {("drop-response", "send"): tries}
    proxy.set_mode("pass")
    async with http.put(proxy.url + SEND, json={"body": "again"}) as resp:
        assert resp.status == 200
    assert [a.dropped for a in proxy.answers] == [True] * tries + [False]


async def test_a_mode_can_target_one_kind_of_request(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession) -> None:
    proxy.set_mode("drop-response", kinds=("send",))
    async with http.get(f"{proxy.url}/_matrix/client/v3/account/whoami") as resp:
        assert resp.status == 200  # not a send: passes
    with pytest.raises((ServerDisconnectedError, ClientOSError)):
        async with http.put(proxy.url + SEND, json={}) as resp:
            await resp.read()
    assert proxy.count("pass", "other") == 1 and proxy.count(kind="send") in (1, 2)
    assert proxy.count("drop-response", "send") == proxy.count(kind="send")
    proxy.set_mode("503", kinds=["sync"])
    async with http.get(proxy.url + SYNC) as resp:
        assert resp.status == 503
    async with http.put(proxy.url + SEND, json={}) as resp:
        assert resp.status == 200
    with pytest.raises(ValueError, match="refuse"):
        proxy.set_mode("refuse", kinds=("send",))
    with pytest.raises(ValueError, match="kinds"):
        proxy.set_mode("502", kinds=("sends",))
    proxy.set_mode("502")  # no kinds: every request again
    async with http.put(proxy.url + SEND, json={}) as resp:
        assert resp.status == 502


async def test_a_429_is_forwarded_and_recorded_with_its_retry_after(
        proxy: FaultProxy, upstream: Upstream, http: ClientSession) -> None:
    async with http.put(proxy.url + LIMITED, json={}) as resp:
        assert resp.status == 429
        assert (await resp.json())["retry_after_ms"] == 1234  # the body reaches the client
    async with http.put(proxy.url + SEND, json={}) as resp:
        assert resp.status == 200
    assert [(a.kind, a.status, a.retry_after_ms) for a in proxy.answers] == [
        ("send", 429, 1234), ("send", 200, None)]
    assert proxy.answers[0].at >= proxy.requests[0].at
