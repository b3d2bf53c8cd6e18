"""A loopback reverse proxy for tests that puts faults between a client and a homeserver.

::

    async with FaultProxy(synapse_url) as proxy:
        bot_config(homeserver=proxy.url)
        proxy.set_mode("502")          # every new request answered 502 at once
        ...
        proxy.set_mode("pass")
        assert proxy.count("502", "sync") <= 10

Modes (`MODES`), switched at any time with `set_mode`, apply to requests as they
*arrive*; a request already forwarded (a sync long poll, typically) completes as it
would have, except in "refuse" mode, which cuts every open connection:

- ``pass``: forward to the upstream: method, raw path and query, headers without the
  hop-by-hop ones, bodies streamed both ways, no timeout shorter than the 30 s sync long
  poll (an unreachable upstream gives a 502, like nginx);
- ``502`` / ``503``: answer that status with a small HTML page, never reach the upstream;
- ``reset``: close the connection abruptly (TCP RST) without any response;
- ``refuse``: stop listening and cut the open connections, so that new connections are
  refused by the kernel; any other mode listens again on the same port;
- ``blackhole``: accept the request and never answer (until the client gives up or the
  proxy closes);
- ``drop-response``: forward the request and read the upstream's whole answer (the
  homeserver has done the work), then reset the client's connection instead of answering:
  a response lost on the way back.

``set_mode(mode, kinds=("send",))`` applies a mode to those kinds of request only; the
others pass (not for "refuse", which is about the listening socket).

Every request is counted by (mode, kind) in `counts` and recorded in `requests`; a
refused connection never reaches the proxy and is not counted. `kind` is "sync",
"send" (``PUT /rooms/{room}/send/...``: messages and reactions) or "other". Every answer
the upstream gave (forwarded or dropped) is recorded in `answers`, with the
``retry_after_ms`` of a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from yarl import URL

MODES = ("pass", "502", "503", "reset", "refuse", "blackhole", "drop-response")
KINDS = ("sync", "send", "other")
# RFC 9110 §7.6.1 (plus the non-standard Proxy-Connection); Host is the upstream's own.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding",
                        "upgrade"})
# The sync long poll lasts up to 30 s; a proxy must wait well beyond it (nginx: 60 s+).
UPSTREAM_TIMEOUT = ClientTimeout(total=None, sock_connect=90, sock_read=300)
_SYNC = re.compile(r"^/_matrix/client/[^/]+/sync$")
_SEND = re.compile(r"^/_matrix/client/[^/]+/rooms/[^/]+/send/")
_PAGES = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable"}


def path_kind(path: str) -> str:
    """"sync", "send" (a room event: message, reaction) or "other"."""
    if _SYNC.match(path):
        return "sync"
    if _SEND.match(path):
        return "send"
    return "other"


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it; `at` is the event loop's clock at arrival."""

    at: float
    method: str
    path: str
    kind: str
    mode: str


@dataclass(frozen=True)
class Answer:
    """The upstream's answer to a forwarded request; `at` is the loop's clock when its
    headers arrived, `dropped` when the client never got it ("drop-response")."""

    at: float
    method: str
    path: str
    kind: str
    status: int
    retry_after_ms: int | None = None
    dropped: bool = False


def _retry_after_ms(body: bytes, headers: Any) -> int | None:
    """What a 429 asks: `retry_after_ms` in its JSON body, else a Retry-After header."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        value = json.loads(body).get("retry_after_ms")
        if isinstance(value, int):
            return value
    with contextlib.suppress(ValueError, TypeError):
        return int(float(headers.get("Retry-After")) * 1000)
    return None


def _forwarded(headers: Any) -> list[tuple[str, str]]:
    """Headers minus hop-by-hop ones, those named by Connection, and Host."""
    named = {token.strip().lower() for value in headers.getall("Connection", [])
             for token in value.split(",")}
    return [(k, v) for k, v in headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() not in named and k.lower() != "host"]


def _abort(transport: asyncio.BaseTransport | None) -> None:
    """Close a connection with a TCP reset: no response, no orderly FIN."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FaultProxy:
    """Reverse proxy on 127.0.0.1 (free port unless given) to `upstream`, with faults."""

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0,
                 mode: str = "pass", upstream_timeout: ClientTimeout = UPSTREAM_TIMEOUT) -> None:
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.upstream_timeout = upstream_timeout
        self._port = port
        self._mode = self._checked(mode)
        self._kinds: frozenset[str] | None = None  # the mode's kinds; None: every kind
        self.counts: Counter[tuple[str, str]] = Counter()
        self.requests: list[Seen] = []
        self.answers: list[Answer] = []
        self.inflight: Counter[str] = Counter()  # kind -> requests being forwarded now
        self._started: dict[int, tuple[str, float]] = {}  # forwarded now: kind, since when
        self._web: web.Server | None = None
        self._session: ClientSession | None = None
        self._sock: socket.socket | None = None
        self._server: asyncio.Server | None = None
        self._opening: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    # -- public API ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FaultProxy not started")
        return self._port

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str, kinds: Iterable[str] | None = None) -> None:
        """Switch at once (no await needed): the next request or connection sees it. With
        `kinds`, only requests of those kinds meet `mode`; the others pass."""
        mode = self._checked(mode)
        only = None if kinds is None else frozenset(kinds)
        if only is not None and (mode == "refuse" or not only <= set(KINDS)):
            raise ValueError(f"kinds {sorted(only)} with mode {mode!r}: kinds are "
                             f"{', '.join(KINDS)}, and 'refuse' applies to every connection")
        self._kinds = only
        previous, self._mode = self._mode, mode
        if mode == "refuse" and previous != "refuse":
            self._stop_listening()
        elif mode != "refuse" and previous == "refuse" and self._web is not None:
            self._listen()

    def count(self, mode: str | None = None, kind: str | None = None) -> int:
        """Requests received in `mode` (any when None) of `kind` (any when None)."""
        return sum(n for (m, k), n in self.counts.items()
                   if (mode is None or m == mode) and (kind is None or k == kind))

    def reset_counts(self) -> None:
        self.counts.clear()
        self.requests.clear()
        self.answers.clear()

    def since(self, at: float, kind: str | None = None) -> list[Seen]:
        """Requests that arrived at or after loop time `at` (of `kind` when given)."""
        return [r for r in self.requests if r.at >= at and (kind is None or r.kind == kind)]

    async def wait_inflight(self, kind: str, timeout: float = 10, count: int = 1,
                            parked: float = 0.0) -> None:
        """Until at least `count` requests of `kind` have been forwarded and unanswered for
        `parked` seconds or more (a sync long poll waiting on the homeserver, not one about
        to return); TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            if sum(1 for k, since in self._started.values()
                   if k == kind and now - since >= parked) >= count:
                return
            if now > deadline:
                raise TimeoutError(f"no {kind} request in flight for {parked:.0f} s "
                                   f"after {timeout:.0f} s")
            await asyncio.sleep(0.05)

    async def start(self) -> FaultProxy:
        self._session = ClientSession(
            connector=TCPConnector(limit=0), timeout=self.upstream_timeout,
            auto_decompress=False, skip_auto_headers=("User-Agent", "Accept-Encoding"))
        # handler_cancellation: a client hanging up cancels its upstream request too
        self._web = web.Server(self._handle, handler_cancellation=True, access_log=None)
        if self._mode != "refuse":
            self._listen()
            await asyncio.shield(self._opening)  # type: ignore[arg-type]
        elif not self._port:
            raise ValueError("a proxy started in 'refuse' mode needs an explicit port")
        return self

    async def close(self) -> None:
        self._closing.set()
        self._stop_listening()
        if self._web is not None:
            await self._web.shutdown(timeout=1)
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> FaultProxy:
        try:
            return await self.start()
        except BaseException:
            await self.close()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- listening -------------------------------------------------------------------
    @staticmethod
    def _checked(mode: str) -> str:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
        return mode

    def _listen(self) -> None:
        """Bind and listen now (connections queue in the backlog), serve from the next
        loop iteration: a client connecting right after `set_mode` is not refused."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._port = int(sock.getsockname()[1])
        self._sock = sock
        self._opening = asyncio.ensure_future(self._serve(sock))

    async def _serve(self, sock: socket.socket) -> None:
        assert self._web is not None
        server = await asyncio.get_running_loop().create_server(self._web, sock=sock)
        if self._sock is not sock:  # refused again before serving started
            server.close()
            return
        self._server = server

    def _stop_listening(self) -> None:
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        if self._server is not None:
            self._server.close()  # closes the listening socket now
        elif self._sock is not None:
            self._sock.close()
        self._server = self._sock = self._opening = None
        if self._web is not None:
            for handler in self._web.connections:  # a stopped server drops its clients
                _abort(handler.transport)

    # -- requests --------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        kind = path_kind(request.path)
        mode = self._mode if self._kinds is None or kind in self._kinds else "pass"
        self.counts[(mode, kind)] += 1
        self.requests.append(Seen(asyncio.get_running_loop().time(), request.method,
                                  request.path, kind, mode))
        if mode in ("502", "503"):
            status = int(mode)
            page = f"<html><body><h1>{_PAGES[status]}</h1></body></html>\n"
            return web.Response(status=status, text=page, content_type="text/html")
        if mode == "blackhole":
            await self._closing.wait()
        if mode not in ("pass", "drop-response") or self._closing.is_set():
            # reset (or refuse: a late arrival)
            _abort(request.transport)
            raise asyncio.CancelledError  # nothing more to do with this connection
        self.inflight[kind] += 1
        self._started[id(request)] = (kind, asyncio.get_running_loop().time())
        try:
            return await self._forward(request, kind, drop=mode == "drop-response")
        finally:
            self.inflight[kind] -= 1
            del self._started[id(request)]

    async def _forward(self, request: web.BaseRequest, kind: str,
                       drop: bool = False) -> web.StreamResponse:
        assert self._session is not None
        target = URL(self.upstream + request.raw_path, encoded=True)
        body = request.content if request.body_exists else None
        try:
            upstream = await self._session.request(
                request.method, target, headers=_forwarded(request.headers), data=body,
                allow_redirects=False)
        except (ClientError, OSError, TimeoutError):
            return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1>"
                                "</body></html>\n", content_type="text/html")
        async with upstream:
            at = asyncio.get_running_loop().time()
            data = None
            if drop or upstream.status == 429:  # small answers, read whole
                try:
                    data = await upstream.read()
                except (ClientError, OSError, TimeoutError):
                    _abort(request.transport)
                    raise asyncio.CancelledError from None
            retry = _retry_after_ms(data or b"", upstream.headers) \
                if upstream.status == 429 else None
            self.answers.append(Answer(at, request.method, request.path, kind,
                                       upstream.status, retry, dropped=drop))
            if drop:  # the homeserver did the work; its answer is lost on the way back
                _abort(request.transport)
                raise asyncio.CancelledError
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in _forwarded(upstream.headers):
                response.headers.add(key, value)
            await response.prepare(request)
            try:
                if data is not None:
                    await response.write(data)
                else:
                    async for chunk in upstream.content.iter_any():
                        await response.write(chunk)
            except (ClientError, OSError, TimeoutError):
                _abort(request.transport)  # the upstream broke mid-body: so does the client
                raise asyncio.CancelledError from None
            await response.write_eof()
            return response
