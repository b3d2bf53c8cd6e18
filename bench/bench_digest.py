"""Digest rendering benchmark (SPEC §7): 120 projects × 2,000 updates, budget 200 ms.

The store holds 120 × 2,000 updates spread over a school year (one every ~3 h per
project; a tenth of the teams fell silent three weeks ago); the weekly digest covers the
last 7 days. All those updates are passed to `compose_digest`, so its defensive period
filter is timed too (`median_ms`); `period_only_median_ms` times what the real caller
passes, only the period's updates. Timed: `compose_digest(...)` + `doc.reply()`.

`python bench/bench_digest.py --all-in-period` also times the degenerate case where all
240,000 updates fall in the period (no budget: ~130 MB of text, thousands of messages).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from traam_bot.domain.digest import Upcoming, compose_digest
from traam_bot.domain.model import Project, Section, Update

N_PROJECTS = 120
PER_PROJECT = 2_000
REPEAT = 5
BUDGET_MS = 200
TZ = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # a Monday, 8h00 in Paris
SINCE = NOW - timedelta(days=7)
SCHOOL_YEAR = timedelta(weeks=40)
ACADEMIES = ("Besançon", "Dijon", "Aix-Marseille", "Lyon", "Grenoble", "Orléans-Tours")
DISCIPLINES = ("NSI", "Lettres", "EPS", "Technologie", "Mathématiques", "Histoire-géographie",
               "Documentation", "Arts plastiques", "SVT", "Physique-chimie")
SENTENCE = ("Fait : séance sur les algorithmes de tri avec les élèves de première, "
            "travail en binômes puis mise en commun au tableau. À faire : évaluation "
            "formative la semaine prochaine et retour aux élèves sur leurs productions. ")


def make_projects() -> list[Project]:
    return [
        Project(id=f"projet-{i:03d}", academie=ACADEMIES[i % len(ACADEMIES)],
                discipline=DISCIPLINES[i // len(ACADEMIES) % len(DISCIPLINES)],
                theme="Thème synthétique", phase="Année 1", year="2025-2026")
        for i in range(N_PROJECTS)
    ]


def make_updates(projects: list[Project], end: datetime) -> list[Update]:
    """PER_PROJECT updates per project, oldest first, the last one just before `end`."""
    step = SCHOOL_YEAR / PER_PROJECT
    blocker = (Section("blocage", "pas de salle informatique disponible cette semaine"),)
    updates: list[Update] = []
    for n in range(PER_PROJECT):
        at = end - (PER_PROJECT - n) * step
        for i, p in enumerate(projects):
            uid = n * len(projects) + i
            updates.append(Update(
                id=uid, project_id=p.id, number=n + 1, author=f"@prof{i}:example.org",
                author_name=f"Professeur {i}", room_id=f"!{p.id}:example.org",
                event_id=f"$ev{uid}", text=f"{SENTENCE[:190]} (n° {n + 1})",
                created_at=at + timedelta(seconds=i),
                sections=blocker if uid % 20 == 0 else ()))
    return updates


def make_upcoming(projects: list[Project]) -> list[Upcoming]:
    """A weekly prompt per project and a few reminders, some outside the window."""
    items = [Upcoming(NOW + timedelta(days=i % 9, hours=1), "relance", p.discipline, "")
             for i, p in enumerate(projects)]
    items += [Upcoming(NOW + timedelta(hours=5 * k), "rappel", "TraAM NSI", "Réunion d’équipe")
              for k in range(40)]
    return items


def _time(projects: list[Project], updates: list[Update], upcoming: list[Upcoming],
          since: datetime | None) -> tuple[float, int]:
    last: dict[str, datetime] = {}
    for u in updates:
        last[u.project_id] = max(u.created_at, last.get(u.project_id, u.created_at))
    samples, messages = [], 0
    for _ in range(REPEAT):
        start = time.perf_counter()
        doc = compose_digest(projects=projects, updates=updates, last_update=last,
                             upcoming=upcoming, since=since, now=NOW, tz=TZ)
        reply = doc.reply()
        samples.append((time.perf_counter() - start) * 1000)
        messages = len(reply.messages())
    return statistics.median(samples), messages


def run() -> dict:
    projects = make_projects()
    # a tenth of the teams went quiet three weeks ago
    updates = [u for u in make_updates(projects, NOW)
               if int(u.project_id[-3:]) % 10 or u.created_at < NOW - timedelta(days=21)]
    upcoming = make_upcoming(projects)
    median, messages = _time(projects, updates, upcoming, SINCE)
    # what the real caller passes: only the period's updates, already filtered by the store
    period = [u for u in updates if u.created_at >= SINCE]
    period_only, _ = _time(projects, period, upcoming, SINCE)
    return {"name": "digest 120×2000", "median_ms": round(median, 1), "budget_ms": BUDGET_MS,
            "updates_passed": len(updates), "updates_in_period": len(period),
            "messages": messages, "period_only_median_ms": round(period_only, 1)}


def run_all_in_period() -> dict:
    projects = make_projects()
    updates = make_updates(projects, NOW)
    median, messages = _time(projects, updates, make_upcoming(projects), None)
    return {"name": "digest 120×2000, all in period", "median_ms": round(median, 1),
            "budget_ms": None, "updates_in_period": len(updates), "messages": messages}


if __name__ == "__main__":
    print(run())
    if "--all-in-period" in sys.argv:
        print(run_all_in_period())
