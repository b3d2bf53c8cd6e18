"""`python -m bench [digest search latency burst memory startup]`: run the benchmarks (SPEC §7).

Each benchmark module has `run() -> dict`. A result either lists its verdicts under
"checks" ({label, measured, budget, ok}; ok None = for information) or carries
"median_ms" and "budget_ms" (the pure benchmarks). Prints a table, writes every result
to bench/results/latest.json, and exits 1 when a budget is missed or a benchmark fails,
2 on an unknown name. Benchmarks, not tests: timings depend on the machine.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

NAMES = ("digest", "search", "latency", "burst", "memory", "startup")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def checks_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    if "checks" in result:
        return list(result["checks"])
    median, budget = result.get("median_ms"), result.get("budget_ms")
    return [{"label": result.get("name", "?"), "measured": f"{median} ms",
             "budget": f"< {budget} ms" if budget is not None else "—",
             "ok": None if budget is None else median < budget}]


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else "OK" if ok else "ÉCHEC"


def table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("mesure", "valeur", "budget / référence", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    wanted = argv or list(NAMES)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        print(f"benchmark inconnu : {', '.join(unknown)} (au choix : {' '.join(NAMES)})",
              file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    rows: list[tuple[str, str, str, str]] = []
    failed = False
    for name in wanted:
        print(f"… {name}", flush=True)
        start = time.monotonic()
        try:
            result = importlib.import_module(f"bench.bench_{name}").run()
        except Exception as exc:  # one broken benchmark must not hide the others
            traceback.print_exc()
            result = {"name": name, "error": f"{type(exc).__name__}: {exc}",
                      "checks": [{"label": name, "measured": "erreur", "ok": False,
                                  "budget": f"{type(exc).__name__}: {exc}"[:80]}]}
        result["duration_s"] = round(time.monotonic() - start, 1)
        results[name] = result
        for check in checks_of(result):
            failed |= check["ok"] is False
            rows.append((check["label"], str(check["measured"]), str(check["budget"]),
                         verdict(check["ok"])))
        print(f"  {name} : {result['duration_s']} s", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {"date": datetime.now().astimezone().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "results": results}
    RESULTS.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n",
                       encoding="utf-8")
    print()
    print(table(rows))
    print(f"\nrésultats : {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
