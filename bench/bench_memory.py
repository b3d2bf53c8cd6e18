"""Resident memory of a running bot (SPEC §7): under 150 MB.

The bot is `traam-bot run` in a child process (BotSubprocess) on a throwaway Synapse
with the 120-project synthetic directory of bench_burst. VmRSS from /proc/<pid>/status
is read once the bot is connected (plus 1 s), and again after the `!point` bursts
(1,200 updates, 2,400 events sent); VmHWM (the peak) is reported alongside. The verdict
is on the larger of the two readings and the peak.

When bench_burst ran earlier in the same `python -m bench`, its readings (taken on its
own bot process) are reused rather than paying for another burst; otherwise a
traam-bot-only burst is run here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench import bench_burst

BUDGET_MB = 150


def run() -> dict[str, Any]:
    source = "bench_burst (même passage)"
    if "bot_memory" not in bench_burst.LAST:
        asyncio.run(bench_burst.measure(with_echo=False))
        source = "burst traam-bot seul"
    memory = dict(bench_burst.LAST["bot_memory"])
    bursts = sum(r["bot"] == "traam-bot" for r in bench_burst.LAST["rounds"])
    worst = max(memory.values())
    return {"name": "memory", "source": source, "bursts": bursts, **memory,
            "budget_mb": BUDGET_MB,
            "checks": [{"label": "mémoire résidente du bot (RSS)",
                        "measured": f"{memory['startup_mb']:.0f} Mo au démarrage, "
                                    f"{memory['after_burst_mb']:.0f} Mo après "
                                    f"{bursts} × 600 points (pic {memory['peak_mb']:.0f} Mo)",
                        "budget": f"< {BUDGET_MB} Mo", "ok": worst < BUDGET_MB}]}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1, ensure_ascii=False))
