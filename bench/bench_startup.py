"""Start-up time (SPEC §7): process start → first answered message, under 3 s warm.

One throwaway Synapse (Sandbox, real directory; its start is not counted) and a user,
the coordinator, with a direct chat (two members, no name, unencrypted) with each bot
account. Every round spawns `python -m traam_bot run --config …` as a child process
and stops it with SIGTERM once it has answered, waiting for its exit (SIGKILL after
30 s); the next round starts only then, so at most one bot runs at a time.

Clock: t0 = time.time() on this machine just before the spawn; t1 = origin_server_ts
of the bot's answer, stamped by Synapse, which runs on the same machine and reads the
same wall clock (1 ms resolution). Start-up = t1 − t0: "process start → Python,
imports, migrations, directory, session, first sync, the command, the answer accepted
by the server". The time the user's long-poll sync sees the answer (monotonic clock,
from the same spawn) is reported alongside.

- Warm (the normal restart, the bar): the bot account's store_path and database are
  kept from its previous run. The user sends `!projets dijon` while the bot is NOT
  running, then the bot is spawned; it finds the question in its first sync (saved
  token) and answers it.
- Cold (first start ever, for information): a fresh bot account each time, with a
  fresh store_path and a fresh database: migrations, directory import, login (new
  device), key upload, cross-signing identity created and the device signed. A bot
  never answers what was said in a room before it was there (the first sync without a
  token is history), so the user invites it to a new direct chat before the spawn and
  sends `!projets dijon` as soon as its sync shows the bot's join; the user's reaction
  (sync wakes up, question sent: about 100 ms here) is inside the figure. "Join" (t0 →
  the join's origin_server_ts) and "question" (t0 → the question's) are reported
  alongside, and for every round the steps the bot's log confirms (login, identity
  created… or session restored).

The first cold round is the sandbox bot's own first start, whose store and database
the warm rounds then keep. Rounds alternate cold, warm, cold, warm… so that Synapse,
whose database grows a little with each new account, weighs alike on both. Python's
files are in the page cache in both cases: "cold" is the bot's first start, not the
machine's. N = 5 of each, medians reported; the verdict is on the warm median.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio.api import RoomPreset

from bench._matrix import BenchUser, Event, in_reply_to
from traam_bot.devtools.sandbox import COORDINATOR, REFERENT, Sandbox, write_bot_config

N = 5
BUDGET_MS = 3000
QUESTION = "!projets dijon"
ANSWER_TIMEOUT = 60.0  # spawn → answer
STOP_TIMEOUT = 30.0  # SIGTERM → exit, then SIGKILL
PAUSE = 0.5  # between rounds
COLD_PASSWORD = "bot-froid-local"


@dataclass
class Account:
    """A bot account with its config, log and direct chat with the user."""

    user_id: str
    config: Path
    log: Path
    room: str = ""


class Bot:
    """One `traam-bot run` child process (own session), its output appended to a log."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.proc: subprocess.Popen[bytes] | None = None
        self.offset = 0
        self.t0_wall = self.t0_mono = 0.0
        self.stop_s = 0.0
        self.returncode: int | None = None

    def spawn(self) -> None:
        cmd = [sys.executable, "-m", "traam_bot", "run", "--config", str(self.account.config)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.offset = self.account.log.stat().st_size if self.account.log.exists() else 0
        with open(self.account.log, "ab") as log:
            self.t0_wall, self.t0_mono = time.time(), time.monotonic()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=env)

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def log_tail(self, chars: int = 3000) -> str:
        with open(self.account.log, "rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")[-chars:]

    async def stop(self) -> None:
        """SIGTERM, wait for the exit (bounded), SIGKILL the group if it does not come."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            self.returncode = None if proc is None else proc.returncode
            return
        start = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.to_thread(proc.wait)
        self.stop_s = time.monotonic() - start
        self.returncode = proc.returncode


async def wait_for(user: BenchUser, bot: Bot, check: Any, what: str) -> Any:
    """user.wait(check) until the answer deadline, failing at once if the bot exits."""
    deadline = bot.t0_mono + ANSWER_TIMEOUT

    def or_exited() -> Any:
        return check() or ("exited" if bot.exited() else None)

    try:
        result = await user.wait(or_exited, timeout=max(0.1, deadline - time.monotonic()))
    except TimeoutError:
        raise RuntimeError(f"{what}: nothing after {ANSWER_TIMEOUT:.0f} s\n"
                           + bot.log_tail()) from None
    if result == "exited":
        raise RuntimeError(f"{what}: the bot exited ({bot.proc and bot.proc.returncode})\n"
                           + bot.log_tail())
    return result


def answer_to(user: BenchUser, account: Account, question_id: str) -> Event | None:
    """The bot's first message after the question (a reply to it, or a plain message)."""
    events = user.room_events(account.room)
    idx = next((i for i, e in enumerate(events) if e.get("event_id") == question_id), None)
    if idx is None:
        return None
    for e in events[idx + 1:]:
        if (e.get("sender") == account.user_id and e.get("type") == "m.room.message"
                and in_reply_to(e) in (question_id, None)):
            return e
    return None


def join_of(user: BenchUser, account: Account) -> Event | None:
    return next((e for e in user.room_events(account.room)
                 if e.get("type") == "m.room.member" and e.get("state_key") == account.user_id
                 and (e.get("content") or {}).get("membership") == "join"), None)


async def open_direct_chat(user: BenchUser, bot_id: str) -> str:
    """A direct chat as clients make it: private, no name, is_direct, two members."""
    resp = await user.nio.room_create(is_direct=True, invite=[bot_id],
                                      preset=RoomPreset.trusted_private_chat)
    room_id = getattr(resp, "room_id", None)
    if not room_id:
        raise RuntimeError(f"room creation failed: {getattr(resp, 'message', '?')}")
    return str(room_id)


# What the bot's log says it did, to check that a cold start was one (and a warm one not).
STEPS = {"login": "new device", "session_restored": "session restored",
         "directory_imported": "directory imported",
         "identity_created": "Identité de signature croisée créée",
         "device_signed": "signé par l’identité de signature croisée",
         "cross_signing_failed": "Signature croisée impossible"}


def sample(bot: Bot, user: BenchUser, question_id: str, answer: Event,
           extra: dict[str, float] | None = None) -> dict[str, Any]:
    t0_ms = bot.t0_wall * 1000
    question = next(e for e in user.room_events(bot.account.room)
                    if e.get("event_id") == question_id)
    log = bot.log_tail(chars=1_000_000)
    return {"startup_ms": round(float(answer["origin_server_ts"]) - t0_ms, 1),
            "client_ms": round((answer["arrived"] - bot.t0_mono) * 1000, 1),
            "question_ms": round(float(question["origin_server_ts"]) - t0_ms, 1),
            **(extra or {}), "stop_s": round(bot.stop_s, 2), "exit_code": bot.returncode,
            "steps": sorted(step for step, line in STEPS.items() if line in log)}


async def cold_round(user: BenchUser, account: Account) -> dict[str, Any]:
    """First start ever: invite pending, spawn, question once joined, answer."""
    account.room = await open_direct_chat(user, account.user_id)
    bot = Bot(account)
    try:
        bot.spawn()
        join = await wait_for(user, bot, lambda: join_of(user, account), "cold: join")
        question_id = await user.send(account.room, QUESTION)
        answer = await wait_for(user, bot, lambda: answer_to(user, account, question_id),
                                "cold: answer")
    finally:
        await bot.stop()
    join_ms = round(float(join["origin_server_ts"]) - bot.t0_wall * 1000, 1)
    return sample(bot, user, question_id, answer, {"join_ms": join_ms})


async def warm_round(user: BenchUser, account: Account) -> dict[str, Any]:
    """Normal restart: the question waits while the bot is down; spawn; answer."""
    question_id = await user.send(account.room, QUESTION)
    bot = Bot(account)
    try:
        bot.spawn()
        answer = await wait_for(user, bot, lambda: answer_to(user, account, question_id),
                                "warm: answer")
    finally:
        await bot.stop()
    return sample(bot, user, question_id, answer)


def cold_account(sb: Sandbox, user_id: str, password: str, name: str) -> Account:
    """A bot config with its own, new store_path and database."""
    workdir = sb.workdir / "startup" / name
    config = write_bot_config(
        workdir / "bot.yaml", sb.synapse.url, user_id, password,
        f"sqlite+aiosqlite:///{workdir / 'traam.db'}", workdir / "store",
        admins=[sb.user_ids[COORDINATOR]], referents=[sb.user_ids[REFERENT]],
        directory=sb.directory)
    return Account(user_id, config, workdir / "bot.log")


def stats(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 1), "min_ms": round(min(values), 1),
            "max_ms": round(max(values), 1)}


async def measure(n: int = N) -> dict[str, Any]:
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    async with Sandbox() as sb:
        user = BenchUser()
        try:
            await user.login(sb.synapse.url, sb.user_ids[COORDINATOR], sb.passwords[COORDINATOR])
            main = cold_account(sb, sb.bot_id, sb.bot_password, "traam-bot")
            for i in range(n):
                account = main if i == 0 else cold_account(
                    sb, await sb.synapse.aregister(f"traam-froid-{i}", COLD_PASSWORD),
                    COLD_PASSWORD, f"froid-{i}")
                cold.append(await cold_round(user, account))
                await asyncio.sleep(PAUSE)
                warm.append(await warm_round(user, main))
                await asyncio.sleep(PAUSE)
        finally:
            await user.close()
    return {"name": "startup", "question": QUESTION, "n": n,
            "warm": {**stats([s["startup_ms"] for s in warm]),
                     "client": stats([s["client_ms"] for s in warm]), "samples": warm},
            "cold": {**stats([s["startup_ms"] for s in cold]),
                     "client": stats([s["client_ms"] for s in cold]),
                     "join": stats([s["join_ms"] for s in cold]), "samples": cold}}


def run(n: int = N) -> dict[str, Any]:
    result = asyncio.run(measure(n))
    warm, cold = result["warm"], result["cold"]
    unclean = [s["exit_code"] for s in warm["samples"] + cold["samples"] if s["exit_code"]]
    result["checks"] = [
        {"label": f"démarrage à chaud → 1re réponse, médiane (N = {n})",
         "measured": f"{warm['median_ms']:.0f} ms",
         "budget": f"< {BUDGET_MS} ms (min {warm['min_ms']:.0f}, max {warm['max_ms']:.0f})",
         "ok": warm["median_ms"] < BUDGET_MS},
        {"label": f"démarrage à froid → 1re réponse, médiane (N = {n})",
         "measured": f"{cold['median_ms']:.0f} ms",
         "budget": f"indicatif (salon rejoint à {cold['join']['median_ms']:.0f} ms)",
         "ok": None},
    ]
    if unclean:
        result["checks"].append({"label": "arrêt du bot sur SIGTERM", "measured":
                                 f"codes de sortie {unclean}", "budget": "0", "ok": False})
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else N), indent=1,
                     ensure_ascii=False))
