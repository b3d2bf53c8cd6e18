"""Directory use cases: cached projects, contacts and room links over the repository."""

from __future__ import annotations

from datetime import datetime

from traam_bot.config import Settings, load_directory
from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.search import ProjectIndex
from traam_bot.store.database import Database, upgrade
from traam_bot.store.directory_repo import DirectoryRepo, ImportReport


class DirectoryService:
    """Reads come from memory (the bot is the only writer); writes go through the repo."""

    def __init__(self, repo: DirectoryRepo) -> None:
        self.repo = repo
        self.index = ProjectIndex(())
        self.contacts: list[Contact] = []
        self._all: dict[str, Project] = {}
        self._links: dict[str, str] = {}

    async def refresh(self) -> None:
        projects = await self.repo.projects(include_archived=True)
        self._all = {p.id: p for p in projects}
        self.index = ProjectIndex(p for p in projects if not p.archived)
        self.contacts = await self.repo.contacts()
        self._links = await self.repo.links()

    async def import_directory(self, directory: Directory) -> ImportReport:
        report = await self.repo.import_directory(directory)
        await self.refresh()
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

    async def link(self, room_id: str, project_id: str, by: str, now: datetime,
                   label: str | None = None) -> str | None:
        previous = await self.repo.link_room(room_id, project_id, by, now, label)
        self._links[room_id] = project_id
        return previous


async def migrate_and_import(settings: Settings) -> tuple[Database, Directory, ImportReport]:
    """Read the directory file, apply the migrations, import the directory: what `run` and
    `directory import` both do first. The caller closes the returned database."""
    directory = load_directory(settings.directory)
    await upgrade(settings.database.url)
    db = Database(settings.database.url)
    try:
        report = await DirectoryRepo(db).import_directory(directory)
    except BaseException:
        await db.close()
        raise
    return db, directory, report
