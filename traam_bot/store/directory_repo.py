"""Projects, contacts and room links: import of the directory file and lookups."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.records import ImportReport, RoomLink
from traam_bot.store.models import ContactRow, ProjectRow, RoomLinkRow


def project_of(row: ProjectRow) -> Project:
    return Project(id=row.id, academie=row.academie, discipline=row.discipline, theme=row.theme,
                   phase=row.phase, year=row.year, region=row.region, room=row.room,
                   archived=row.archived)


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


class DirectoryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def import_directory(self, directory: Directory) -> ImportReport:
        """Upsert by id; entries missing from the file are archived, never deleted."""
        report = ImportReport()
        s = self.session
        projects = {r.id: r for r in (await s.scalars(select(ProjectRow))).all()}
        contacts = {r.id: r for r in (await s.scalars(select(ContactRow))).all()}
        _sync_rows(projects, list(directory.projects), ProjectRow, report, "projet ")
        _sync_rows(contacts, list(directory.contacts), ContactRow, report, "contact ")
        s.add_all([r for r in projects.values() if r not in s])
        s.add_all([r for r in contacts.values() if r not in s])
        return report

    async def projects(self, include_archived: bool = False) -> list[Project]:
        q = select(ProjectRow).order_by(ProjectRow.year, ProjectRow.position, ProjectRow.id)
        if not include_archived:
            q = q.where(ProjectRow.archived.is_(False))
        s = self.session
        return [project_of(r) for r in (await s.scalars(q)).all()]

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
