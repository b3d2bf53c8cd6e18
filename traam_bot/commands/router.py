"""Decides what an incoming message is: a command, a question, or chatter to leave alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traam_bot.commands import (
    calendar,
    directory,
    privacy,
    privacy_notice,
    resources,
    schedules,
    updates,
)
from traam_bot.commands.registry import (
    Context,
    Registry,
    run_command,
    split_command,
    unknown_command,
)
from traam_bot.domain.model import Incoming, Reply, RoomView
from traam_bot.services.container import Services

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork


def build_registry() -> Registry:
    registry = Registry()
    directory.register(registry)
    updates.register(registry)
    resources.register(registry)
    schedules.register(registry)
    calendar.register(registry)
    privacy_notice.register(registry)
    privacy.register(registry)
    return registry


class Router:
    def __init__(self, services: Services, registry: Registry | None = None) -> None:
        self.services = services
        self.registry = registry or build_registry()

    def context(self, uow: UnitOfWork, incoming: Incoming, room: RoomView,
                args: str = "") -> Context:
        return Context(incoming=incoming, args=args, room=room, services=self.services,
                       now=self.services.clock(), prefix=self.services.settings.command_prefix,
                       uow=uow)

    async def handle(self, uow: UnitOfWork, incoming: Incoming, room: RoomView) -> Reply | None:
        prefix = self.services.settings.command_prefix
        parts = split_command(incoming.body, prefix)
        if parts is not None:
            name, args = parts
            spec = self.registry.find(name)
            if spec is None:
                return unknown_command(name, prefix)
            return await run_command(self.registry, spec, self.context(uow, incoming, room, args))
        linked = self.services.directory.project_for_room(incoming.room_id)
        if linked and await self._answers_prompt(uow, incoming):
            return await updates.prompt_answer(self.context(uow, incoming, room), linked)
        if incoming.mentions_bot or (room.is_direct and linked is None):
            if not incoming.body:
                return directory.capabilities(prefix)
            return directory.answer_question(self.context(uow, incoming, room))
        return None

    def addressed(self, incoming: Incoming, room: RoomView) -> bool:
        """Whether the author expects an answer from the bot: a command, a mention or a
        direct chat (team-room chatter is never answered, not even with an apology)."""
        return (split_command(incoming.body, self.services.settings.command_prefix) is not None
                or incoming.mentions_bot or room.is_direct)

    async def _answers_prompt(self, uow: UnitOfWork, incoming: Incoming) -> bool:
        """In a thread or a reply whose root is one of the bot's progress prompts."""
        prompts = self.services.schedules
        for event_id in {incoming.thread_root, incoming.reply_to} - {None}:
            if await prompts.prompt_project(uow, event_id) is not None:
                return True
        return False
