"""Reply latency (SPEC §7): `!projets dijon` to traam-bot vs a bare nio echo bot vs a peer.

One throwaway Synapse (Sandbox, real directory), three bots each in its own process and
its own unencrypted two-member room with the same user: traam-bot (`traam-bot run`),
the echo bot (bench/echo_bot.py, asked the same `!projets dijon`) and the closest peer on
the same stack, matrix-reminder-bot from PyPI answering `!list` (own venv in
bench/.peer-venv, created on first use; skipped with the reason when it cannot be).

Method: N rounds; in each, every bot is asked once, in a shuffled order, one question at
a time (nothing else in flight), 0.2 s apart. Latency = origin_server_ts of the reply −
origin_server_ts of the question: both stamped by the same homeserver clock, so the
figure is "question accepted → bot woken by its sync → bot works → reply reaches the
server", free of the measuring client's own sync delay (1 ms resolution). The
client-side time (send returned → reply seen by the user's long-poll sync) is reported
alongside. Three unmeasured warm-up questions per bot first.
Bars: traam-bot median ≤ 1.05 × echo median; traam-bot median ≤ peer median.
"""

from __future__ import annotations

import asyncio
import functools
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench._matrix import REPO_ROOT, BenchUser, ChildBot, echo_bot, in_reply_to, summary
from traam_bot.devtools.sandbox import COORDINATOR, Sandbox

N = 50
WARMUP = 3
PAUSE = 0.2
RATIO_BUDGET = 1.05
QUESTION = "!projets dijon"
PEER_VENV = REPO_ROOT / "bench" / ".peer-venv"
PEER_PACKAGE = "matrix-reminder-bot==0.4.0"
PEER_PASSWORD, ECHO_PASSWORD = "rappel-bench-local", "echo-bench-local"


def ensure_peer_venv() -> str | None:
    """Create bench/.peer-venv with matrix-reminder-bot; None when ready, else the reason."""
    exe = PEER_VENV / "bin" / "matrix-reminder-bot"
    if exe.exists():
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                        PEER_PACKAGE], check=True, capture_output=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        return f"installation de {PEER_PACKAGE} impossible ({' '.join(tail) or exc})"
    except subprocess.TimeoutExpired:
        return f"installation de {PEER_PACKAGE} trop longue (> 10 min)"
    return None if exe.exists() else "exécutable matrix-reminder-bot absent après installation"


def peer_bot(homeserver: str, user_id: str, workdir: Path) -> ChildBot:
    """matrix-reminder-bot with its YAML config (shape of its sample.config.yaml)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = {
        "command_prefix": "!",
        "matrix": {"user_id": user_id, "user_password": PEER_PASSWORD,
                   "homeserver_url": homeserver, "device_id": "BENCHPEER",
                   "device_name": "reminder-bot"},
        "storage": {"database": f"sqlite://{workdir / 'bot.db'}",
                    "store_path": str(workdir / "store")},
        "reminders": {"timezone": "Europe/Paris"},
        "allowlist": {"enabled": False, "regexes": []},
        "blocklist": {"enabled": False, "regexes": []},
        "logging": {"level": "INFO", "console_logging": {"enabled": True},
                    "file_logging": {"enabled": False}},  # as traam-bot
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    cmd = [str(PEER_VENV / "bin" / "matrix-reminder-bot"), str(path)]
    return ChildBot("matrix-reminder-bot", cmd, workdir / "peer.log", "Startup complete",
                    cwd=workdir)


async def ask(user: BenchUser, room: str, bot_id: str, text: str) -> tuple[float, float]:
    """(server-side ms, client-side ms) for one question and the bot's next message."""
    event_id = await user.send(room, text)
    sent = time.monotonic()

    def answered() -> tuple[dict[str, Any], dict[str, Any]] | None:
        events = user.room_events(room)
        idx = next((i for i, e in enumerate(events) if e.get("event_id") == event_id), None)
        if idx is None:
            return None
        for e in events[idx + 1:]:
            if e.get("sender") == bot_id and e.get("type") == "m.room.message" and (
                    in_reply_to(e) in (event_id, None)):
                return events[idx], e
        return None

    question, reply = await user.wait(answered, timeout=30)
    server_ms = float(reply["origin_server_ts"] - question["origin_server_ts"])
    return server_ms, (reply["arrived"] - sent) * 1000


async def measure(n: int = N) -> dict[str, Any]:
    result: dict[str, Any] = {"name": "latency", "question": QUESTION, "n": n}
    peer_reason = await asyncio.to_thread(ensure_peer_venv)
    async with Sandbox() as sb:
        hs = sb.synapse.url
        ids = {"traam-bot": sb.bot_id,
               "echo": await sb.synapse.aregister("echo", ECHO_PASSWORD)}
        children: list[ChildBot] = []
        user = BenchUser()
        try:
            await sb.start_bot_subprocess()
            children.append(await echo_bot(hs, ids["echo"], ECHO_PASSWORD, sb.workdir).start())
            if peer_reason is None:
                ids["peer"] = await sb.synapse.aregister("rappel", PEER_PASSWORD)
                try:
                    children.append(await peer_bot(hs, ids["peer"], sb.workdir / "peer").start())
                except RuntimeError as exc:
                    peer_reason = f"démarrage impossible : {str(exc).splitlines()[-1]}"
                    del ids["peer"]
            await user.login(hs, sb.user_ids[COORDINATOR], sb.passwords[COORDINATOR])
            rooms = {name: await user.create_room(f"latence {name}", [uid])
                     for name, uid in ids.items()}
            for name, room in rooms.items():
                await user.wait(functools.partial(user.joined, room, ids[name]), timeout=60)
            texts = {name: "!list" if name == "peer" else QUESTION for name in ids}
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ids}
            rng = random.Random(7)
            for i in range(WARMUP + n):
                order = list(ids)
                rng.shuffle(order)
                for name in order:
                    sample = await ask(user, rooms[name], ids[name], texts[name])
                    if i >= WARMUP:
                        samples[name].append(sample)
                    await asyncio.sleep(PAUSE)
        finally:
            await user.close()
            for child in children:
                child.stop()
    for name, values in samples.items():
        result[name] = {"server": summary([s for s, _ in values]),
                        "client": summary([c for _, c in values])}
    result["peer_note"] = peer_reason
    return result


def run(n: int = N) -> dict[str, Any]:
    result = asyncio.run(measure(n))
    ours, echo = result["traam-bot"]["server"]["median_ms"], result["echo"]["server"]["median_ms"]
    checks = [{"label": "latence médiane vs écho", "measured": f"{ours:.0f} ms",
               "budget": f"≤ {RATIO_BUDGET} × {echo:.0f} ms = {RATIO_BUDGET * echo:.1f} ms",
               "ok": ours <= RATIO_BUDGET * echo}]
    if "peer" in result:
        peer = result["peer"]["server"]["median_ms"]
        checks.append({"label": "latence médiane vs matrix-reminder-bot",
                       "measured": f"{ours:.0f} ms", "budget": f"≤ {peer:.0f} ms",
                       "ok": ours <= peer})
    else:
        checks.append({"label": "latence vs matrix-reminder-bot", "measured": "—",
                       "budget": f"pair non mesuré : {result['peer_note']}", "ok": None})
    result["checks"] = checks
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else N), indent=1,
                     ensure_ascii=False))
