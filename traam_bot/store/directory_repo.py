"""Projects, contacts and room links: import of the directory file and lookups."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.records import ImportReport, RoomLink
from traam_bot.store.models import ContactRow, ProjectRow, ProjectYearRow, RoomLinkRow


def contact_of(row: ContactRow) -> Contact:
    return Contact(id=row.id, name=row.name, role=row.role, email=row.email,
                   matrix_id=row.matrix_id, archived=row.archived)


def _sync_rows(rows: dict, items: list, model: type, report: ImportReport, prefix: str) -> None:
    """Upsert `items` (domain objects) into `rows` (existing ORM rows by id)."""
    names = [f.name for f in fields(items[0])] if items else []
    wanted = set()
    for position, item in enumerate(items):
        wanted.add(item.id)
        values = {n: getattr(item, n) for n in names}
        values["position"] = position
        row = rows.get(item.id)
        if row is None:
            rows[item.id] = model(**values)
            report.added.append(prefix + item.id)
            continue
        diff = {k: v for k, v in values.items() if getattr(row, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(row, k, v)
            report.updated.append(prefix + item.id)
        else:
            report.unchanged += 1
    for key, row in rows.items():
        if key not in wanted and not row.archived:
            row.archived = True
            report.archived.append(prefix + key)


_ENTRY_FIELDS = ("academie", "discipline", "theme", "phase", "region", "room")


def entry_of(row: ProjectYearRow) -> Project:
    return Project(id=row.project_id, academie=row.academie, discipline=row.discipline,
                   theme=row.theme, phase=row.phase, year=row.year, region=row.region,
                   room=row.room, archived=row.archived)


def _entry_label(project: Project, default_year: str) -> str:
    return f"projet {project.id}" + ("" if project.year == default_year else
                                     f" ({project.year})")


def _sync_entries(rows: dict[tuple[str, str], ProjectYearRow], directory: Directory,
                  report: ImportReport) -> None:
    """Upsert the file's (project, year) entries; within the years the file lists, an
    entry it no longer lists is archived. Other years are left as they are: importing a
    new year keeps the previous ones, their updates and their room links."""
    wanted = set()
    for position, project in enumerate(directory.projects):
        key = (project.id, project.year)
        wanted.add(key)
        values = {n: getattr(project, n) for n in _ENTRY_FIELDS}
        values.update(archived=False, position=position)
        label = _entry_label(project, directory.year)
        row = rows.get(key)
        if row is None:
            rows[key] = ProjectYearRow(project_id=project.id, year=project.year, **values)
            report.added.append(label)
            continue
        diff = {k: v for k, v in values.items() if getattr(row, k) != v}
        for k, v in diff.items():
            setattr(row, k, v)
        if set(diff) - {"position"}:  # a neighbour withdrawn is no change of this entry
            report.updated.append(label)
        else:
            report.unchanged += 1
    years = set(directory.years)
    for key, row in rows.items():
        if key[1] in years and key not in wanted and not row.archived:
            row.archived = True
            report.archived.append(_entry_label(entry_of(row), directory.year))


def _mirror(projects: dict[str, ProjectRow], entries: list[ProjectYearRow]) -> list[ProjectRow]:
    """Each project row carries its newest year's entry; returns the rows to add."""
    newest: dict[str, ProjectYearRow] = {}
    for e in entries:
        if e.project_id not in newest or e.year > newest[e.project_id].year:
            newest[e.project_id] = e
    added = []
    for pid, e in newest.items():
        values = {n: getattr(e, n) for n in (*_ENTRY_FIELDS, "year", "archived", "position")}
        row = projects.get(pid)
        if row is None:
            added.append(ProjectRow(id=pid, **values))
            continue
        for k, v in values.items():
            if getattr(row, k) != v:
                setattr(row, k, v)
    return added


class DirectoryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def import_directory(self, directory: Directory) -> ImportReport:
        """Upsert by (id, year); entries missing from the years the file lists are
        archived, never deleted; years the file does not list are kept untouched."""
        report = ImportReport()
        s = self.session
        projects = {r.id: r for r in (await s.scalars(select(ProjectRow))).all()}
        entries = {(r.project_id, r.year): r
                   for r in (await s.scalars(select(ProjectYearRow))).all()}
        contacts = {r.id: r for r in (await s.scalars(select(ContactRow))).all()}
        _sync_entries(entries, directory, report)
        s.add_all(_mirror(projects, list(entries.values())))
        await s.flush()  # the projects an entry refers to exist before the entry
        s.add_all([r for r in entries.values() if r not in s])
        _sync_rows(contacts, list(directory.contacts), ContactRow, report, "contact ")
        s.add_all([r for r in contacts.values() if r not in s])
        report.years = sorted({year for _pid, year in entries})
        return report

    async def projects(self, include_archived: bool = False) -> list[Project]:
        """Every (project, year) entry, by year then directory order."""
        q = select(ProjectYearRow).order_by(ProjectYearRow.year, ProjectYearRow.position,
                                            ProjectYearRow.project_id)
        if not include_archived:
            q = q.where(ProjectYearRow.archived.is_(False))
        s = self.session
        return [entry_of(r) for r in (await s.scalars(q)).all()]

    async def contacts(self) -> list[Contact]:
        q = select(ContactRow).where(ContactRow.archived.is_(False)).order_by(ContactRow.position)
        s = self.session
        return [contact_of(r) for r in (await s.scalars(q)).all()]

    async def link_room(self, room_id: str, project_id: str, by: str, at: datetime,
                        label: str | None = None) -> str | None:
        """Link a room to a project; returns the project it was linked to before, if any."""
        s = self.session
        row = await s.get(RoomLinkRow, room_id)
        previous = row.project_id if row else None
        if row is None:
            s.add(RoomLinkRow(room_id=room_id, project_id=project_id, linked_by=by,
                              linked_at=at, label=label))
        else:
            row.project_id, row.linked_by, row.linked_at = project_id, by, at
            row.label = label or row.label
        return previous

    async def rooms_by_project(self) -> dict[str, list[str]]:
        """project id -> the names its rooms had when linked (or their ids), sorted."""
        s = self.session
        rows = (await s.scalars(select(RoomLinkRow))).all()
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r.project_id, []).append(r.label or r.room_id)
        return {pid: sorted(names) for pid, names in found.items()}

    async def links(self) -> list[RoomLink]:
        """Every linked room, by room id."""
        s = self.session
        rows = (await s.scalars(select(RoomLinkRow).order_by(RoomLinkRow.room_id))).all()
        return [RoomLink(room_id=r.room_id, project_id=r.project_id, linked_by=r.linked_by,
                         linked_at=r.linked_at, label=r.label) for r in rows]
