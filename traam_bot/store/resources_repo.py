"""Resources of projects: added, listed per project (oldest first), deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.resources import NewResource, Resource
from traam_bot.store.models import ResourceRow


def resource_of(row: Any) -> Resource:
    return Resource(id=row.id, project_id=row.project_id, url=row.url, title=row.title,
                    kind=row.kind, author=row.author, author_name=row.author_name,
                    room_id=row.room_id, created_at=row.created_at)


class ResourcesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session  # the unit of work's: repositories never commit

    async def add(self, new: NewResource) -> Resource:
        row = ResourceRow(project_id=new.project_id, url=new.url, title=new.title,
                          kind=new.kind, author=new.author, author_name=new.author_name,
                          room_id=new.room_id, event_id=new.event_id,
                          created_at=new.created_at)
        self.session.add(row)
        await self.session.flush()
        return resource_of(row)

    async def list(self, project_ids: Sequence[str] | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   ) -> list[Resource]:
        """Oldest first: the order `!ressource liste` numbers them in."""
        q = select(ResourceRow).order_by(ResourceRow.created_at, ResourceRow.id)
        if project_ids is not None:
            q = q.where(ResourceRow.project_id.in_(list(project_ids)))
        if since is not None:
            q = q.where(ResourceRow.created_at >= since)
        if until is not None:
            q = q.where(ResourceRow.created_at < until)
        return [resource_of(r) for r in (await self.session.scalars(q)).all()]

    async def delete(self, resource_id: int) -> bool:
        res = await self.session.execute(delete(ResourceRow).where(ResourceRow.id == resource_id))
        return bool(getattr(res, "rowcount", 0))

    async def delete_by_event(self, room_id: str, event_id: str) -> bool:
        """Delete the resource added by that message in that room, if any."""
        res = await self.session.execute(delete(ResourceRow).where(
            ResourceRow.room_id == room_id, ResourceRow.event_id == event_id))
        return bool(getattr(res, "rowcount", 0))
