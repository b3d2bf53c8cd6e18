"""Update use cases: record idempotently, apply edits and redactions, compose bilans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.model import Edit, Incoming, Project, Redaction, Update
from traam_bot.domain.records import NewUpdate
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.resources import Resource
from traam_bot.domain.updates import (
    POINT_NAMES,
    UpdateTextError,
    bilan_doc,
    check_update_text,
    parse_sections,
    point_text,
    update_block,
)
from traam_bot.domain.years import record_year

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

RECENT_COUNT = 3


class UpdateService:
    def __init__(self, tz: ZoneInfo, metrics: Metrics = NO_METRICS) -> None:
        self.tz = tz
        self.metrics = metrics

    async def record(self, uow: UnitOfWork, project: Project, incoming: Incoming,
                     text: str) -> tuple[Update, bool]:
        """Store the update carried by `incoming`; a second call for the same event is a no-op."""
        update, created = await uow.updates.record(NewUpdate(
            project_id=project.id, author=incoming.sender,
            author_name=incoming.sender_name or incoming.sender, room_id=incoming.room_id,
            event_id=incoming.event_id, text=text, sections=parse_sections(text),
            created_at=incoming.timestamp))
        if created:
            self.metrics.update_stored()
        return update, created

    async def apply_edit(self, uow: UnitOfWork, edit: Edit, prefix: str, in_dm: bool,
                         now: datetime) -> Update | None:
        """Only the author's own edits of a recorded update count; last edit wins."""
        current = await uow.updates.by_event(edit.target)
        if current is None or current.author != edit.sender:
            return None
        try:
            text = check_update_text(point_text(edit.body, prefix, POINT_NAMES, in_dm), prefix)
        except UpdateTextError:
            return None  # an edit that empties or overflows the update keeps the old text
        return await uow.updates.edit(edit.target, text, parse_sections(text), now)

    async def apply_redaction(self, uow: UnitOfWork, redaction: Redaction) -> bool:
        return await uow.updates.delete(redaction.target)

    async def recent_doc(self, uow: UnitOfWork, project: Project) -> Doc:
        updates = await uow.updates.latest(project.id, RECENT_COUNT)
        doc = Doc().para(B("Dernières mises à jour :"))
        if not updates:
            return doc.para(I("Aucune mise à jour pour l’instant."))
        for update in updates:
            update_block(doc, update, self.tz)
        return doc

    async def bilan(self, uow: UnitOfWork, projects: Sequence[Project],
                    since: datetime | None, year: str | None = None,
                    years: Mapping[str, Sequence[str]] | None = None) -> Doc:
        """With `year`, only the updates and resources belonging to that school year
        (domain.years.record_year over each project's years in `years`, by project id)."""
        ids = [p.id for p in projects]

        def in_year(project_id: str, created_at: datetime) -> bool:
            return year is None or record_year(
                (years or {}).get(project_id, (year,)), created_at, self.tz) == year

        by_project: dict[str, list[Update]] = {p.id: [] for p in projects}
        for u in await uow.updates.list(ids, since=since):
            if in_year(u.project_id, u.created_at):
                by_project[u.project_id].append(u)
        resources: dict[str, list[Resource]] = {}
        for r in await uow.resources.list(ids, since=since):
            if in_year(r.project_id, r.created_at):
                resources.setdefault(r.project_id, []).append(r)
        return bilan_doc([(p, by_project[p.id]) for p in projects], since, self.tz, resources,
                         year)
