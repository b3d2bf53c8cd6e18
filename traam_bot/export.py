"""`traam-bot export`: reads the year's projects and updates, writes Markdown or CSV."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from traam_bot.config import Settings, load_directory
from traam_bot.domain.export import ProjectRecord, render_csv, render_markdown
from traam_bot.domain.model import Update
from traam_bot.store.database import Database, upgrade
from traam_bot.store.directory_repo import DirectoryRepo
from traam_bot.store.updates_repo import UpdatesRepo


async def collect(db: Database, year: str) -> list[ProjectRecord]:
    repo = DirectoryRepo(db)
    projects = [p for p in await repo.projects(include_archived=True) if p.year == year]
    rooms = await repo.rooms_by_project()
    updates: dict[str, list[Update]] = {p.id: [] for p in projects}
    for u in await UpdatesRepo(db).list([p.id for p in projects]):  # oldest first
        updates[u.project_id].append(u)
    return [
        ProjectRecord(
            project=p,
            rooms=tuple(rooms.get(p.id, ())) or ((p.room,) if p.room else ()),
            updates=tuple(updates[p.id]),
        )
        for p in projects
    ]


async def export(settings: Settings, fmt: str, year: str | None, out: str | None) -> int:
    directory = load_directory(settings.directory)
    year = year or directory.year
    await upgrade(settings.database.url)
    db = Database(settings.database.url)
    try:
        records = await collect(db, year)
    finally:
        await db.close()
    if not records:
        print(f"traam-bot : aucun projet pour l'année {year}", file=sys.stderr)
        return 1
    if fmt == "csv":
        text = render_csv(records, settings.tz)
    else:
        text = render_markdown(directory.region, year, records, settings.tz)
    if out:
        await asyncio.to_thread(Path(out).write_text, text, encoding="utf-8")
        print(f"Bilan {year} écrit dans {out} ({len(records)} projets).")
    else:
        sys.stdout.write(text)
    return 0
