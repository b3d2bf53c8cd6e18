"""The year's bilan for `traam-bot export`: projects with their rooms and every update."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.model import Update

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


async def collect(uow: UnitOfWork, year: str) -> list[ProjectRecord]:
    """One read of the room links and one pass over the updates, oldest first."""
    projects = [p for p in await uow.directory.projects(include_archived=True)
                if p.year == year]
    rooms = await uow.directory.rooms_by_project()
    updates: dict[str, list[Update]] = {p.id: [] for p in projects}
    for u in await uow.updates.list([p.id for p in projects]):
        updates[u.project_id].append(u)
    return [
        ProjectRecord(
            project=p,
            rooms=tuple(rooms.get(p.id, ())) or ((p.room,) if p.room else ()),
            updates=tuple(updates[p.id]),
        )
        for p in projects
    ]
