"""The year's bilan for `traam-bot export`: projects with their rooms, every update and
every resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.model import Update
from traam_bot.domain.resources import Resource

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


async def collect(uow: UnitOfWork, year: str) -> list[ProjectRecord]:
    """One read of the room links, one pass over the updates and one over the resources,
    oldest first."""
    projects = [p for p in await uow.directory.projects(include_archived=True)
                if p.year == year]
    rooms = await uow.directory.rooms_by_project()
    updates: dict[str, list[Update]] = {p.id: [] for p in projects}
    for u in await uow.updates.list([p.id for p in projects]):
        updates[u.project_id].append(u)
    resources: dict[str, list[Resource]] = {p.id: [] for p in projects}
    for r in await uow.resources.list([p.id for p in projects]):
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
