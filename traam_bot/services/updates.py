"""Update use cases: record idempotently, apply edits and redactions, compose bilans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Edit, Incoming, Project, Redaction, Update
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.updates import (
    POINT_NAMES,
    UpdateTextError,
    bilan_doc,
    check_update_text,
    parse_sections,
    point_text,
    update_block,
)
from traam_bot.services.directory import DirectoryService
from traam_bot.store.updates_repo import NewUpdate, UpdatesRepo

RECENT_COUNT = 3


class UpdateService:
    def __init__(self, repo: UpdatesRepo, directory: DirectoryService, tz: ZoneInfo) -> None:
        self.repo = repo
        self.directory = directory
        self.tz = tz

    async def record(self, project: Project, incoming: Incoming, text: str) -> tuple[Update, bool]:
        """Store the update carried by `incoming`; a second call for the same event is a no-op."""
        return await self.repo.record(NewUpdate(
            project_id=project.id, author=incoming.sender,
            author_name=incoming.sender_name or incoming.sender, room_id=incoming.room_id,
            event_id=incoming.event_id, text=text, sections=parse_sections(text),
            created_at=incoming.timestamp))

    async def apply_edit(self, edit: Edit, prefix: str, in_dm: bool, now: datetime,
                         ) -> Update | None:
        """Only the author's own edits of a recorded update count; last edit wins."""
        current = await self.repo.by_event(edit.target)
        if current is None or current.author != edit.sender:
            return None
        try:
            text = check_update_text(point_text(edit.body, prefix, POINT_NAMES, in_dm), prefix)
        except UpdateTextError:
            return None  # an edit that empties or overflows the update keeps the old text
        return await self.repo.edit(edit.target, text, parse_sections(text), now)

    async def apply_redaction(self, redaction: Redaction) -> bool:
        return await self.repo.delete(redaction.target)

    async def recent_doc(self, project: Project) -> Doc:
        updates = await self.repo.latest(project.id, RECENT_COUNT)
        doc = Doc().para(B("Dernières mises à jour :"))
        if not updates:
            return doc.para(I("Aucune mise à jour pour l’instant."))
        for update in updates:
            update_block(doc, update, self.tz)
        return doc

    async def bilan(self, projects: Sequence[Project], since: datetime | None) -> Doc:
        updates = await self.repo.list([p.id for p in projects], since=since)
        by_project: dict[str, list[Update]] = {p.id: [] for p in projects}
        for u in updates:
            by_project[u.project_id].append(u)
        return bilan_doc([(p, by_project[p.id]) for p in projects], since, self.tz)
