"""Directory use cases: cached projects, contacts and room links over the repository.

Projects belong to school years: the directory keeps every (project, year) entry it was
given. By default the bot shows the current year (domain.years.current_year); other
years are archived: still reachable by naming the year (`!projets 2024-2025`,
`!bilan 2024-2025`, `traam-bot export --annee 2024-2025`). A project continuing into
Année 2 keeps its id, hence its room links and its updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.records import ImportReport
from traam_bot.domain.search import ProjectIndex
from traam_bot.domain.years import current_year

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


PARIS = ZoneInfo("Europe/Paris")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DirectoryService:
    """Reads come from memory (the bot is the only writer); writes go through the repo."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow,
                 tz: ZoneInfo = PARIS) -> None:
        self.clock = clock
        self.tz = tz
        self.contacts: list[Contact] = []
        self._years: dict[str, dict[str, Project]] = {}  # year -> project id -> entry
        self._indexes: dict[str, ProjectIndex] = {}  # built on first use, per year
        self._links: dict[str, str] = {}

    async def refresh(self, uow: UnitOfWork) -> None:
        years: dict[str, dict[str, Project]] = {}
        for p in await uow.directory.projects(include_archived=True):
            years.setdefault(p.year, {})[p.id] = p
        self._years, self._indexes = years, {}
        self.contacts = await uow.directory.contacts()
        self._links = {link.room_id: link.project_id for link in await uow.directory.links()}

    async def import_directory(self, uow: UnitOfWork, directory: Directory) -> ImportReport:
        report = await uow.directory.import_directory(directory)
        await self.refresh(uow)
        return report

    # ------------------------------------------------------------------ years

    @property
    def years(self) -> list[str]:
        """Every school year the directory knows, oldest first."""
        return sorted(self._years)

    @property
    def current_year(self) -> str | None:
        return current_year(self._years, self.clock().astimezone(self.tz).date())

    def years_of(self, project_id: str) -> list[str]:
        """The school years a project is listed in (withdrawn entries included)."""
        return [y for y in self.years if project_id in self._years[y]]

    def entries(self, project_id: str) -> list[Project]:
        """A project's entry for each of its years, oldest first."""
        return [self._years[y][project_id] for y in self.years_of(project_id)]

    def index_for(self, year: str | None) -> ProjectIndex:
        """The active projects of one school year, indexed for search."""
        key = year or ""
        if key not in self._indexes:
            self._indexes[key] = ProjectIndex(self._years.get(key, {}).values())
        return self._indexes[key]

    def projects_of(self, year: str) -> list[Project]:
        """A year's entries, withdrawn ones included, in directory order."""
        return list(self._years.get(year, {}).values())

    # ------------------------------------------------------------------ current year

    @property
    def index(self) -> ProjectIndex:
        return self.index_for(self.current_year)

    @property
    def projects(self) -> list[Project]:
        """The current year's active projects."""
        return [p for p in self.projects_of(self.current_year or "") if not p.archived]

    def project(self, project_id: str) -> Project | None:
        """The project's current-year entry, else its newest one marked archived."""
        current = self._years.get(self.current_year or "", {}).get(project_id)
        if current is not None:
            return current
        entries = self.entries(project_id)
        return replace(entries[-1], archived=True) if entries else None

    def project_for_room(self, room_id: str) -> Project | None:
        pid = self._links.get(room_id)
        return self.project(pid) if pid else None

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
