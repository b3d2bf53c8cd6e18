"""Several school years in one database, on SQLite and (when configured) PostgreSQL:
importing a new year keeps the previous one with its updates and room links, a project
continuing into Année 2 keeps its id, hence its room and its history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.store.conftest import BACKENDS, reset_postgres
from tests.store_units import each
from traam_bot.config.directory import parse_directory
from traam_bot.domain.model import Directory
from traam_bot.domain.records import NewUpdate
from traam_bot.store.database import Database, upgrade
from traam_bot.store.models import ProjectRow

NSI, HISTOIRE, LETTRES = "besancon-nsi", "dijon-histoire", "besancon-lettres"
ROOM = "!nsi:localhost"
OLD_DAY = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
NEW_DAY = datetime(2025, 11, 10, 9, 0, tzinfo=UTC)


def project(pid: str, **extra: Any) -> dict[str, Any]:
    academie, discipline = pid.split("-")
    return {"id": pid, "academie": academie.capitalize(), "discipline": discipline.upper(),
            "theme": f"Thème {discipline}", **extra}


def directory(year: str, *projects: dict[str, Any]) -> Directory:
    return parse_directory({"region": "Bourgogne-Franche-Comté", "year": year,
                            "projects": list(projects),
                            "contacts": [{"name": "Julie MARCHALAND", "role": "Référente",
                                          "email": "j@example.org"}]})


YEAR_1 = directory("2024-2025", project(NSI), project(HISTOIRE))
YEAR_2 = directory("2025-2026", project(NSI, phase="Année 2"), project(LETTRES))


def update(pid: str, event_id: str, at: datetime) -> NewUpdate:
    return NewUpdate(project_id=pid, author="@alice:localhost", author_name="Alice",
                     room_id=ROOM, event_id=event_id, text=f"point {event_id}", sections=(),
                     created_at=at)


def entries(projects: list[Any]) -> list[tuple[str, str, str, bool]]:
    return [(p.year, p.id, p.phase, p.archived) for p in projects]


async def project_row(db: Database, pid: str) -> tuple[str, str, bool]:
    async with db.session() as s:
        row = (await s.scalars(select(ProjectRow).where(ProjectRow.id == pid))).one()
        return row.year, row.phase, row.archived


async def test_importing_a_new_year_keeps_the_previous_one_with_its_updates(
        db: Database) -> None:
    repo = each(db, "directory")
    first = await repo.import_directory(YEAR_1)
    assert first.added == [f"projet {NSI}", f"projet {HISTOIRE}", "contact julie-marchaland"]
    assert first.years == ["2024-2025"]
    await repo.link_room(ROOM, NSI, "@coord:localhost", OLD_DAY)
    await each(db, "updates").record(update(NSI, "$nsi-1", OLD_DAY))
    await each(db, "updates").record(update(HISTOIRE, "$hist-1", OLD_DAY))

    report = await repo.import_directory(YEAR_2)
    assert report.added == [f"projet {NSI}", f"projet {LETTRES}"]  # the 2025-2026 entries
    assert (report.updated, report.archived) == ([], [])  # 2024-2025 is not touched
    assert report.years == ["2024-2025", "2025-2026"]

    assert entries(await repo.projects(include_archived=True)) == [
        ("2024-2025", NSI, "Année 1", False), ("2024-2025", HISTOIRE, "Année 1", False),
        ("2025-2026", NSI, "Année 2", False), ("2025-2026", LETTRES, "Année 1", False)]
    # Année 2 continues Année 1: one project, its room link and its updates kept
    assert [(link.room_id, link.project_id) for link in await repo.links()] == [(ROOM, NSI)]
    await each(db, "updates").record(update(NSI, "$nsi-2", NEW_DAY))
    assert [(u.event_id, u.number) for u in await each(db, "updates").list([NSI])] == [
        ("$nsi-1", 1), ("$nsi-2", 2)]
    assert [u.event_id for u in await each(db, "updates").list([HISTOIRE])] == ["$hist-1"]
    assert await project_row(db, NSI) == ("2025-2026", "Année 2", False)  # newest year
    assert await project_row(db, HISTOIRE) == ("2024-2025", "Année 1", False)


async def test_a_year_listed_again_archives_only_its_own_missing_entries(db: Database) -> None:
    repo = each(db, "directory")
    both = directory("2025-2026", *[{**p, "year": "2024-2025"}
                                    for p in (project(NSI), project(HISTOIRE))],
                     project(NSI, phase="Année 2"), project(LETTRES))
    assert both.years == ("2024-2025", "2025-2026")
    await repo.import_directory(both)

    without_histoire = directory("2025-2026", {**project(NSI), "year": "2024-2025"},
                                 project(NSI, phase="Année 2"), project(LETTRES))
    report = await repo.import_directory(without_histoire)
    assert report.archived == [f"projet {HISTOIRE} (2024-2025)"]
    assert (report.added, report.updated, report.unchanged) == ([], [], 4)
    assert entries(await repo.projects()) == [
        ("2024-2025", NSI, "Année 1", False), ("2025-2026", NSI, "Année 2", False),
        ("2025-2026", LETTRES, "Année 1", False)]
    assert await project_row(db, HISTOIRE) == ("2024-2025", "Année 1", True)

    restored = await repo.import_directory(both)
    assert restored.updated == [f"projet {HISTOIRE} (2024-2025)"]
    assert not (await project_row(db, HISTOIRE))[2]


async def test_importing_an_old_year_again_leaves_the_newer_one_alone(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(YEAR_1)
    await repo.import_directory(YEAR_2)
    again = await repo.import_directory(YEAR_1)
    assert (again.added, again.updated, again.archived, again.unchanged) == ([], [], [], 3)
    assert [p.id for p in await repo.projects() if p.year == "2025-2026"] == [NSI, LETTRES]
    assert await project_row(db, NSI) == ("2025-2026", "Année 2", False)


@pytest.fixture(params=BACKENDS)
async def url_at_0005(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    else:
        url = postgres_url
        await reset_postgres(url)
    await upgrade(url, "0005")
    return url


async def test_projects_stored_before_school_years_keep_their_year(url_at_0005: str) -> None:
    engine = create_async_engine(url_at_0005, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO projects (id, academie, discipline, theme, phase, year, region, "
                "room, archived, position) VALUES "
                "('p-nsi', 'Besançon', 'NSI', 'Égalité', 'Année 1', '2024-2025', 'BFC', "
                "'#nsi:localhost', FALSE, 3), "
                "('p-old', 'Dijon', 'EPS', 'Retiré', 'Année 1', '2024-2025', 'BFC', NULL, "
                "TRUE, 4)"))
    finally:
        await engine.dispose()
    await upgrade(url_at_0005)

    db = Database(url_at_0005)
    try:
        repo = each(db, "directory")
        assert [(p.year, p.id, p.theme, p.room, p.archived) for p in
                await repo.projects(include_archived=True)] == [
            ("2024-2025", "p-nsi", "Égalité", "#nsi:localhost", False),
            ("2024-2025", "p-old", "Retiré", None, True)]
        report = await repo.import_directory(directory("2025-2026", project(NSI)))
        assert report.years == ["2024-2025", "2025-2026"]  # the old year is kept
    finally:
        await db.close()
