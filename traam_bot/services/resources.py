"""Resource use cases: record one (refusing a link the project already has), list, delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from traam_bot.domain.model import Incoming, Project, Redaction
from traam_bot.domain.resources import (
    NewResource,
    Resource,
    ResourceError,
    check_link,
    link_kind,
    same_link,
)

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


class ResourceService:
    async def add(self, uow: UnitOfWork, project: Project, incoming: Incoming, link: str,
                  title: str) -> Resource:
        """Record a resource for `project`; ResourceError when the link is refused or the
        project already has it."""
        link = check_link(link)
        for existing in await uow.resources.list([project.id]):
            if same_link(existing.url, link):
                raise ResourceError(
                    f"Ce lien est déjà enregistré pour le projet {project.label} : "
                    f"« {existing.title} », ajouté par {existing.author_name}.")
        return await uow.resources.add(NewResource(
            project_id=project.id, url=link, title=title, kind=link_kind(link),
            author=incoming.sender, author_name=incoming.sender_name or incoming.sender,
            room_id=incoming.room_id, event_id=incoming.event_id,
            created_at=incoming.timestamp))

    async def of_project(self, uow: UnitOfWork, project_id: str) -> list[Resource]:
        """Oldest first, as `!ressource liste` numbers them."""
        return await uow.resources.list([project_id])

    async def by_project(self, uow: UnitOfWork, project_ids: Sequence[str],
                         ) -> dict[str, list[Resource]]:
        grouped: dict[str, list[Resource]] = {pid: [] for pid in project_ids}
        for r in await uow.resources.list(list(project_ids)):
            grouped[r.project_id].append(r)
        return grouped

    async def delete(self, uow: UnitOfWork, resource: Resource) -> bool:
        return await uow.resources.delete(resource.id)

    async def apply_redaction(self, uow: UnitOfWork, redaction: Redaction) -> bool:
        """The message that added a resource was deleted: so is the resource (the room
        lets only its author or a moderator delete a message, as for `suppr`)."""
        return await uow.resources.delete_by_event(redaction.room_id, redaction.target)
