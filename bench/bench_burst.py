"""Burst of `!point` (SPEC §7): 600 updates from 120 team rooms at once, vs the echo bot.

One throwaway Synapse (Sandbox) with a synthetic directory of 120 projects, each naming
its team room by alias (`#bench-NNN:localhost`): the bot links a room when it joins it.
Six team users own 20 rooms each; traam-bot runs as `traam-bot run` (BotSubprocess), the
echo bot (bench/echo_bot.py) in its own process and its own 120 rooms. In a burst every
user sends its 100 `!point` messages at once (5 per room, all requests in flight
together), and we wait until every message has its answers: ✅ reaction + reply from
traam-bot (1,200 events), or the echo (600 events).

Time per bot-sent event = (origin_server_ts of the last answer − that of the first
message) / answers: the same homeserver clock, from the burst's first message to its
last answer. Bursts alternate echo, traam, traam, echo (ABBA: drift from the growing
homeserver database cancels out). After each traam burst: every message stored exactly
once in the bot's SQLite (UpdatesRepo) and acknowledged once (one ✅, one reply saying
"enregistrée", nothing more 3 s later). Budget: ≤ 1.1 × the echo bot's time per event.
The bot's resident memory after startup and after the bursts is kept for bench_memory.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench._matrix import BenchUser, cpu_s, echo_bot, in_reply_to, reaction_target, rss_mb
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.store.database import Database
from traam_bot.store.unit_of_work import UnitsOfWork

N_ROOMS, PER_ROOM, N_USERS = 120, 5, 6
RATIO_BUDGET = 1.1
# echo and traam-bot around the middle (positions average out); echo-react is informative
ORDER = ("echo", "traam-bot", "echo-react", "traam-bot", "echo")
REACTS = {"traam-bot": True, "echo": False, "echo-react": True}
PASSWORD = "equipe-bench-local"
DISCIPLINES = ("NSI", "Lettres", "EPS", "Technologie", "Mathématiques", "SVT")
LAST: dict[str, Any] = {}  # the last measure() result, for bench_memory in the same run


def write_directory(path: Path, server: str) -> Path:
    projects = [{"id": f"bench-{i:03d}", "academie": ("Besançon", "Dijon")[i % 2],
                 "discipline": DISCIPLINES[i % len(DISCIPLINES)],
                 "theme": f"Projet synthétique n° {i}", "phase": "Année 1",
                 "room": f"#bench-{i:03d}:{server}"} for i in range(N_ROOMS)]
    contacts = [{"name": "Contact Banc", "role": "Référente TraAM", "email": "banc@example.org"}]
    doc = {"region": "Région de test", "year": "2025-2026", "projects": projects,
           "contacts": contacts}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def make_rooms(users: list[BenchUser], bot_id: str, tag: str,
                     aliased: bool) -> list[list[str]]:
    """N_ROOMS rooms, user k owning rooms k, k+N_USERS…; returns each user's rooms."""
    async def create(i: int) -> str:
        return await users[i % N_USERS].create_room(
            f"{tag} {i:03d}", [bot_id], alias=f"bench-{i:03d}" if aliased else None)

    ids: list[str] = []
    for start in range(0, N_ROOMS, 12):  # 12 creations in flight: fast, not a storm
        ids += await asyncio.gather(*(create(i) for i in range(start, min(N_ROOMS, start + 12))))
    owned: list[list[str]] = [ids[k::N_USERS] for k in range(N_USERS)]
    def all_joined(user: BenchUser, rooms: list[str]) -> bool:
        return all(user.joined(r, bot_id) for r in rooms)

    for user, rooms in zip(users, owned, strict=True):
        await user.wait(functools.partial(all_joined, user, rooms), 120)
    return owned


Answers = tuple[Counter[str], Counter[str], list[dict[str, Any]]]


def answers(user: BenchUser, rooms: list[str], bot_id: str) -> Answers:
    """(replies per event id, ✅ per event id, the bot's answer events) in `rooms`."""
    replies: Counter[str] = Counter()
    reactions: Counter[str] = Counter()
    evs: list[dict[str, Any]] = []
    for room in rooms:
        for e in user.room_events(room):
            if e.get("sender") != bot_id:
                continue
            if (target := reaction_target(e)) is not None:
                reactions[target] += 1
                evs.append(e)
            elif e.get("type") == "m.room.message" and (target := in_reply_to(e)):
                replies[target] += 1
                evs.append(e)
    return replies, reactions, evs


async def burst(users: list[BenchUser], owned: list[list[str]], bot_id: str, round_no: int,
                reacts: bool, pids: dict[str, int]) -> dict[str, Any]:
    texts = [f"!point Fait : séance {k + 1} du tour {round_no} avec les élèves." for k in
             range(PER_ROOM)]
    cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
    start = time.monotonic()
    sent = await asyncio.gather(*(
        asyncio.gather(*(u.send(room, t) for room in rooms for t in texts))
        for u, rooms in zip(users, owned, strict=True)))
    posted_s = time.monotonic() - start
    expected = N_ROOMS * PER_ROOM * (2 if reacts else 1)

    def done(u: BenchUser, rooms: list[str], mine: list[str]) -> bool:
        replies, reactions, _ = answers(u, rooms, bot_id)
        return all(replies[i] and (reactions[i] or not reacts) for i in mine)

    for u, rooms, mine in zip(users, owned, sent, strict=True):
        await u.wait(functools.partial(done, u, rooms, mine), timeout=600)
    wall_s = time.monotonic() - start
    cpu = {f"cpu_{name}_s": round(cpu_s(pid) - cpu0[name], 1) for name, pid in pids.items()}
    await asyncio.sleep(3)  # anything sent twice would show up now
    ids = {i for group in sent for i in group}
    replies: Counter[str] = Counter()
    reactions: Counter[str] = Counter()
    evs: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    for u, rooms in zip(users, owned, strict=True):
        r, a, e = answers(u, rooms, bot_id)
        replies, reactions, evs = replies + r, reactions + a, evs + e
        questions += [e for room in rooms for e in u.room_events(room) if e["event_id"] in ids]
    evs = [e for e in evs if (in_reply_to(e) or reaction_target(e)) in ids]
    first = min(q["origin_server_ts"] for q in questions)
    span_ms = max(e["origin_server_ts"] for e in evs) - first
    return {"messages": len(ids), "answers": len(evs), "expected_answers": expected,
            "span_s": round(span_ms / 1000, 2), "per_event_ms": round(span_ms / expected, 2),
            "send_span_s": round((max(q["origin_server_ts"] for q in questions) - first) / 1000,
                                 2),
            "posted_s": round(posted_s, 2), "wall_s": round(wall_s, 2),
            "replied_once": all(replies[i] == 1 for i in ids),
            "acknowledged_once": all(reactions[i] == 1 for i in ids) if reacts else None,
            "recorded_replies": sum("enregistrée" in (e["content"].get("body") or "")
                                    for e in evs if e["type"] == "m.room.message"),
            **cpu, "_ids": ids}


async def stored_once(db_url: str, ids: set[str]) -> dict[str, Any]:
    db = Database(db_url)
    try:
        async with UnitsOfWork(db)() as uow:
            updates = await uow.updates.list()
    finally:
        await db.close()
    counts = Counter(u.event_id for u in updates if u.event_id in ids)
    return {"stored": sum(counts.values()), "stored_exactly_once":
            len(counts) == len(ids) and all(c == 1 for c in counts.values())}


async def measure(with_echo: bool = True) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="traam-bench-burst-"))
    directory = write_directory(work / "annuaire-bench.yaml", "localhost")
    order = ORDER if with_echo else ("traam-bot",)
    extra = sorted(set(order) - {"traam-bot"})
    result: dict[str, Any] = {"name": "burst", "rooms": N_ROOMS, "per_room": PER_ROOM,
                              "users": N_USERS, "order": list(order), "rounds": []}
    async with Sandbox(directory=directory) as sb:
        users = [BenchUser() for _ in range(N_USERS)]
        echos = []
        try:
            bot = await sb.start_bot_subprocess()
            assert bot.proc is not None
            rss: dict[str, float] = {"startup_mb": round(rss_mb(bot.proc.pid), 1)}
            for k, u in enumerate(users):
                uid = await sb.synapse.aregister(f"equipe-bench-{k}", PASSWORD)
                await u.login(sb.synapse.url, uid, PASSWORD)
            bots, pids = {"traam-bot": sb.bot_id}, {"traam-bot": bot.proc.pid}
            for name in extra:
                bots[name] = await sb.synapse.aregister(name, PASSWORD)
                echos.append(await echo_bot(sb.synapse.url, bots[name], PASSWORD, sb.workdir,
                                            react=REACTS[name]).start())
                pids[name] = echos[-1].pid
            synapse_pid = sb.synapse._proc.pid  # type: ignore[union-attr]  # CPU only
            rooms = {name: await make_rooms(users, uid, name, aliased=name == "traam-bot")
                     for name, uid in bots.items()}
            await asyncio.sleep(2)  # the joins are handled (links recorded) before the burst
            for n, name in enumerate(order, start=1):
                r = await burst(users, rooms[name], bots[name], n, REACTS[name],
                                {"bot": pids[name], "synapse": synapse_pid})
                ids = r.pop("_ids")
                if name == "traam-bot":
                    r |= await stored_once(sb.settings.database.url, ids)
                result["rounds"].append({"bot": name, **r})
            rss["after_burst_mb"] = round(rss_mb(bot.proc.pid), 1)
            rss["peak_mb"] = round(_peak_mb(bot.proc.pid), 1)
            result["bot_memory"] = rss
        finally:
            for u in users:
                await u.close()
            for child in echos:
                child.stop()
            shutil.rmtree(work, ignore_errors=True)
    LAST.clear()
    LAST.update(result)
    return result


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run() -> dict[str, Any]:
    result = asyncio.run(measure())
    per = {name: [r["per_event_ms"] for r in result["rounds"] if r["bot"] == name]
           for name in REACTS}
    mean = {name: sum(v) / len(v) for name, v in per.items() if v}
    ours, echo, echo_react = mean["traam-bot"], mean["echo"], mean.get("echo-react")
    result |= {"traam_per_event_ms": round(ours, 2), "echo_per_event_ms": round(echo, 2),
               "echo_react_per_event_ms": echo_react and round(echo_react, 2)}
    traam_rounds = [r for r in result["rounds"] if r["bot"] == "traam-bot"]
    correct = all(r["stored_exactly_once"] and r["replied_once"] and r["acknowledged_once"]
                  and r["recorded_replies"] == N_ROOMS * PER_ROOM for r in traam_rounds)
    result["checks"] = [
        {"label": "burst : temps par événement envoyé vs écho", "measured": f"{ours:.2f} ms",
         "budget": f"≤ {RATIO_BUDGET} × {echo:.2f} ms = {RATIO_BUDGET * echo:.2f} ms",
         "ok": ours <= RATIO_BUDGET * echo},
        {"label": "burst : 600 points enregistrés et acquittés une fois",
         "measured": ", ".join(f"{r['stored']} stockés" for r in traam_rounds),
         "budget": "600 par burst, chacun 1 ✅ + 1 réponse", "ok": correct},
    ]
    if echo_react is not None:  # same two events per message as traam-bot: for information
        result["checks"].append(
            {"label": "burst : vs écho + ✅ (indicatif)", "measured": f"{ours:.2f} ms",
             "budget": f"écho + ✅ : {echo_react:.2f} ms ({ours / echo_react:.2f} ×)",
             "ok": None})
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1, ensure_ascii=False))
