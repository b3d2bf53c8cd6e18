"""The year's bilan for `traam-bot export`: projects with their rooms, every update and
every resource."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.model import Update
from traam_bot.domain.resources import Resource
from traam_bot.domain.years import current_year, record_year

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

PARIS = ZoneInfo("Europe/Paris")


async def known_years(uow: UnitOfWork, today: date) -> tuple[str | None, list[str]]:
    """(the current school year, every year stored), for the export's default year."""
    years = sorted({p.year for p in await uow.directory.projects(include_archived=True)})
    return current_year(years, today), years


async def collect(uow: UnitOfWork, year: str, tz: ZoneInfo = PARIS) -> list[ProjectRecord]:
    """One read of the room links, one pass over the updates and one over the resources,
    oldest first. A project listed in several years shows, in each year's bilan, the
    updates and resources of that year only (domain.years.record_year)."""
    entries = await uow.directory.projects(include_archived=True)
    years_of: dict[str, list[str]] = {}
    for entry in entries:
        years_of.setdefault(entry.id, []).append(entry.year)
    projects = [p for p in entries if p.year == year]
    rooms = await uow.directory.rooms_by_project()
    updates: dict[str, list[Update]] = {p.id: [] for p in projects}
    for u in await uow.updates.list([p.id for p in projects]):
        if record_year(years_of[u.project_id], u.created_at, tz) == year:
            updates[u.project_id].append(u)
    resources: dict[str, list[Resource]] = {p.id: [] for p in projects}
    for r in await uow.resources.list([p.id for p in projects]):
        if record_year(years_of[r.project_id], r.created_at, tz) == year:
            resources[r.project_id].append(r)
    return [
        ProjectRecord(
            project=p,
            rooms=tuple(rooms.get(p.id, ())) or ((p.room,) if p.room else ()),
            updates=tuple(updates[p.id]),
            resources=tuple(resources[p.id]),
        )
        for p in projects
    ]
