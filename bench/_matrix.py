"""Shared plumbing for the Matrix benchmarks: light user clients, bot processes, figures.

The bench users run a plain nio client without E2EE (every measured room is
unencrypted) and a background long-poll sync that records each timeline event with
the monotonic time it arrived, so that a wait never misses a reply sent meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, LoginResponse, RoomSendResponse, SyncResponse
from nio.api import RoomPreset

Event = dict[str, Any]
REPO_ROOT = Path(__file__).resolve().parent.parent
SYNC_FILTER = {"room": {"timeline": {"limit": 500}, "state": {"lazy_load_members": True},
                        "ephemeral": {"types": []}},
               "presence": {"types": []}, "account_data": {"types": []}}


def in_reply_to(event: Event) -> str | None:
    rel = (event.get("content") or {}).get("m.relates_to") or {}
    reply = rel.get("m.in_reply_to") if isinstance(rel, dict) else None
    return reply.get("event_id") if isinstance(reply, dict) else None


def reaction_target(event: Event, key: str = "✅") -> str | None:
    rel = (event.get("content") or {}).get("m.relates_to") or {}
    if event.get("type") == "m.reaction" and rel.get("key") == key:
        return rel.get("event_id")
    return None


class BenchUser:
    """A bench user: plain nio client, background sync, every timeline event kept."""

    def __init__(self) -> None:
        self.client: AsyncClient | None = None
        self.events: dict[str, list[Event]] = {}
        self._tick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def nio(self) -> AsyncClient:
        assert self.client is not None, "login() first"
        return self.client

    async def login(self, homeserver: str, user_id: str, password: str) -> BenchUser:
        config = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
        self.client = AsyncClient(homeserver, user_id, config=config)
        resp = await self.client.login(password, device_name="bench")
        if not isinstance(resp, LoginResponse):  # never print the response: it holds a token
            raise RuntimeError(f"login failed for {user_id}")
        await self._sync(0, full_state=True)
        self._task = asyncio.create_task(self._loop())
        return self

    async def _sync(self, timeout_ms: int, full_state: bool = False) -> None:
        resp = await self.nio.sync(timeout=timeout_ms, sync_filter=SYNC_FILTER,
                                   full_state=full_state or None)
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.2)
            return
        now = time.monotonic()
        for room_id, info in resp.rooms.join.items():
            seen = self.events.setdefault(room_id, [])
            seen.extend(dict(ev.source, room_id=room_id, arrived=now)
                        for ev in info.timeline.events)
        self._tick.set()
        self._tick = asyncio.Event()

    async def _loop(self) -> None:
        while True:
            await self._sync(30_000)

    async def wait(self, check: Callable[[], Any], timeout: float = 30) -> Any:
        """Return check()'s first truthy value, re-checked after every sync."""
        deadline = time.monotonic() + timeout
        while True:
            tick = self._tick
            result = check()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.nio.user_id}: nothing after {timeout:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)

    def room_events(self, room_id: str) -> list[Event]:
        return self.events.get(room_id, [])

    def joined(self, room_id: str, user_id: str) -> bool:
        return any(e.get("type") == "m.room.member" and e.get("state_key") == user_id
                   and (e.get("content") or {}).get("membership") == "join"
                   for e in self.room_events(room_id))

    async def create_room(self, name: str, invite: list[str], alias: str | None = None) -> str:
        resp = await self.nio.room_create(name=name, alias=alias, invite=invite,
                                          preset=RoomPreset.private_chat)
        room_id = getattr(resp, "room_id", None)
        if not room_id:
            raise RuntimeError(f"room creation failed: {getattr(resp, 'message', '?')}")
        return str(room_id)

    async def send(self, room_id: str, body: str) -> str:
        resp = await self.nio.room_send(room_id, "m.room.message",
                                        {"msgtype": "m.text", "body": body})
        if not isinstance(resp, RoomSendResponse):
            raise RuntimeError(f"send failed: {getattr(resp, 'message', '?')}")
        return str(resp.event_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.client is not None:
            await self.client.close()


class ChildBot:
    """A bot in a child process (its own session), its output in a log file."""

    def __init__(self, name: str, cmd: list[str], log_path: Path, ready_line: str,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.name, self.cmd, self.log_path, self.ready_line = name, cmd, log_path, ready_line
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 60) -> ChildBot:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=self.env, cwd=self.cwd)
        deadline = time.monotonic() + timeout
        while self.ready_line not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            await asyncio.sleep(0.1)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def echo_bot(homeserver: str, user_id: str, password: str, workdir: Path,
             react: bool = False) -> ChildBot:
    name = "echo-react" if react else "echo"
    cmd = [sys.executable, "-m", "bench.echo_bot", "--homeserver", homeserver,
           "--user", user_id, "--store", str(workdir / f"{name}-store")]
    cmd += ["--react"] if react else []
    return ChildBot(name, cmd, workdir / f"{name}.log", "echo-bot ready",
                    env={"ECHO_BOT_PASSWORD": password}, cwd=REPO_ROOT)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(samples: list[float]) -> dict[str, float]:
    """Median and 90th percentile (ms), plus the sample count."""
    p90 = statistics.quantiles(samples, n=10, method="inclusive")[8]
    return {"n": len(samples), "median_ms": round(statistics.median(samples), 1),
            "p90_ms": round(p90, 1), "min_ms": round(min(samples), 1)}
