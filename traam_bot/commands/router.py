"""Decides what an incoming message is: a command, a question, or chatter to leave alone."""

from __future__ import annotations

from traam_bot.commands import directory, schedules, updates
from traam_bot.commands.registry import (
    Context,
    Registry,
    run_command,
    split_command,
    unknown_command,
)
from traam_bot.domain.model import Incoming, Reply, RoomView
from traam_bot.services.container import Services


def build_registry() -> Registry:
    registry = Registry()
    directory.register(registry)
    updates.register(registry)
    schedules.register(registry)
    return registry


class Router:
    def __init__(self, services: Services, registry: Registry | None = None) -> None:
        self.services = services
        self.registry = registry or build_registry()

    def context(self, incoming: Incoming, room: RoomView, args: str = "") -> Context:
        return Context(incoming=incoming, args=args, room=room, services=self.services,
                       now=self.services.clock(), prefix=self.services.settings.command_prefix)

    async def handle(self, incoming: Incoming, room: RoomView) -> Reply | None:
        prefix = self.services.settings.command_prefix
        parts = split_command(incoming.body, prefix)
        if parts is not None:
            name, args = parts
            spec = self.registry.find(name)
            if spec is None:
                return unknown_command(name, prefix)
            return await run_command(self.registry, spec, self.context(incoming, room, args))
        linked = self.services.directory.project_for_room(incoming.room_id)
        prompts = self.services.schedules
        answers_prompt = (prompts.is_prompt(incoming.thread_root)
                          or prompts.is_prompt(incoming.reply_to))
        if linked and answers_prompt:
            return await updates.prompt_answer(self.context(incoming, room), linked)
        if incoming.mentions_bot or (room.is_direct and linked is None):
            if not incoming.body:
                return directory.capabilities(prefix)
            return directory.answer_question(self.context(incoming, room))
        return None
