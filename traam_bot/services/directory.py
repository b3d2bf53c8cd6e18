"""Directory use cases: cached projects, contacts and room links over the repository."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.records import ImportReport
from traam_bot.domain.search import ProjectIndex

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


class DirectoryService:
    """Reads come from memory (the bot is the only writer); writes go through the repo."""

    def __init__(self) -> None:
        self.index = ProjectIndex(())
        self.contacts: list[Contact] = []
        self._all: dict[str, Project] = {}
        self._links: dict[str, str] = {}

    async def refresh(self, uow: UnitOfWork) -> None:
        projects = await uow.directory.projects(include_archived=True)
        self._all = {p.id: p for p in projects}
        self.index = ProjectIndex(p for p in projects if not p.archived)
        self.contacts = await uow.directory.contacts()
        self._links = {link.room_id: link.project_id for link in await uow.directory.links()}

    async def import_directory(self, uow: UnitOfWork, directory: Directory) -> ImportReport:
        report = await uow.directory.import_directory(directory)
        await self.refresh(uow)
        return report

    @property
    def projects(self) -> list[Project]:
        return [p for p in self._all.values() if not p.archived]

    def project(self, project_id: str) -> Project | None:
        return self._all.get(project_id)

    def project_for_room(self, room_id: str) -> Project | None:
        pid = self._links.get(room_id)
        return self._all.get(pid) if pid else None

    def rooms_of(self, project_id: str) -> list[str]:
        return [room for room, pid in self._links.items() if pid == project_id]

    def configured_project(self, aliases: tuple[str, ...]) -> Project | None:
        """The project whose `room:` in the directory names one of these aliases/ids."""
        wanted = {a.lower() for a in aliases}
        return next((p for p in self.projects if p.room and p.room.lower() in wanted), None)

    async def link(self, uow: UnitOfWork, room_id: str, project_id: str, by: str,
                   now: datetime, label: str | None = None) -> str | None:
        """Link a room to a project (the cache follows once committed); returns the
        project it was linked to before, if any."""
        previous = await uow.directory.link_room(room_id, project_id, by, now, label)
        uow.after_commit(lambda: self._links.__setitem__(room_id, project_id))
        return previous

