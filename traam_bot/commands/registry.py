"""Commands declared once (name, aliases, usage, help, permission); dispatch and help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from traam_bot.domain.model import Incoming, Reply, RoomView
from traam_bot.domain.render import Code, Doc, text_reply
from traam_bot.domain.text import fold

if TYPE_CHECKING:
    from traam_bot.services.container import Services

MODERATOR_LEVEL = 50


class Permission(Enum):
    ALL = "tous"
    MODERATOR = "modérateurs du salon et aux administrateurs"
    REFERENT = "référents et aux administrateurs"


class UsageError(Exception):
    """Raised by a handler: the message is shown, followed by the command's usage."""


class Refusal(Exception):
    """Raised by a handler: the message (text or document) is shown as is (permission,
    missing link, unknown project…)."""

    def __init__(self, message: str | Doc) -> None:
        self.doc = message if isinstance(message, Doc) else Doc().para(message)
        super().__init__(self.doc.plain())


@dataclass(frozen=True)
class Context:
    incoming: Incoming
    args: str
    room: RoomView
    services: Services
    now: datetime
    prefix: str

    @property
    def sender(self) -> str:
        return self.incoming.sender


Handler = Callable[[Context], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...]
    usage: str  # arguments, e.g. "[filtres…]"
    help: str
    handler: Handler
    permission: Permission = Permission.ALL
    examples: tuple[str, ...] = ()
    rooms_only: bool = False  # meaningless in a direct chat: left out of help there

    def usage_line(self, prefix: str) -> str:
        return f"{prefix}{self.name} {self.usage}".strip()


@dataclass
class Registry:
    specs: list[CommandSpec] = field(default_factory=list)
    _by_name: dict[str, CommandSpec] = field(default_factory=dict)

    def command(self, name: str, *, aliases: tuple[str, ...] = (), usage: str = "",
                help: str, permission: Permission = Permission.ALL,
                examples: tuple[str, ...] = (), rooms_only: bool = False,
                ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            spec = CommandSpec(name, aliases, usage, help, fn, permission, examples, rooms_only)
            for key in (name, *aliases):
                if fold(key) in self._by_name:
                    raise ValueError(f"command name declared twice: {key}")
                self._by_name[fold(key)] = spec
            self.specs.append(spec)
            return fn
        return register

    def find(self, name: str) -> CommandSpec | None:
        """Exact match on a name or alias (case- and accent-insensitive), never a prefix."""
        return self._by_name.get(fold(name))


async def is_moderator(ctx: Context) -> bool:
    """Admins anywhere; otherwise power level >= 50 read from the room (unknown -> no)."""
    if ctx.sender in ctx.services.settings.admins:
        return True
    level = await ctx.room.power_level(ctx.sender)
    return level is not None and level >= MODERATOR_LEVEL


async def allowed(spec: CommandSpec, ctx: Context) -> bool:
    services = ctx.services
    if spec.permission is Permission.ALL or ctx.sender in services.settings.admins:
        return True
    if spec.permission is Permission.REFERENT:
        return ctx.sender in services.settings.referents
    return await is_moderator(ctx)


def split_command(text: str, prefix: str) -> tuple[str, str] | None:
    """"!projets dijon" -> ("projets", "dijon"); None when not a command."""
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix):]
    if not rest or rest[0].isspace():
        return None
    name, _, args = rest.partition(" ")
    name, _, more = name.partition("\n")
    return name, (more + " " + args if more else args).strip()


async def run_command(registry: Registry, spec: CommandSpec, ctx: Context) -> Reply:
    """Permission, then the handler; usage errors and refusals become French replies."""
    if not await allowed(spec, ctx):
        return text_reply(f"Désolé, {ctx.prefix}{spec.name} est réservé aux "
                          f"{spec.permission.value}.", reaction="❌")
    try:
        return await spec.handler(ctx)
    except UsageError as err:
        doc = Doc().para(str(err)).para("Usage : ", Code(spec.usage_line(ctx.prefix)))
        for example in spec.examples:
            doc.item(Code(ctx.prefix + example))
        return doc.reply()
    except Refusal as err:
        return err.doc.reply()


def unknown_command(name: str, prefix: str) -> Reply:
    return text_reply("Commande inconnue : ", Code(prefix + name),
                      f". Tapez {prefix}aide pour voir les commandes disponibles.")


async def help_reply(registry: Registry, ctx: Context) -> Reply:
    """Commands this user may run here, generated from the declarations."""
    doc = Doc().para("Commandes disponibles ici :")
    for spec in registry.specs:
        if spec.rooms_only and ctx.room.is_direct:
            continue
        if spec.permission is not Permission.ALL and not await allowed(spec, ctx):
            continue
        alias = f" (ou {', '.join(ctx.prefix + a for a in spec.aliases)})" if spec.aliases else ""
        doc.item(Code(spec.usage_line(ctx.prefix)), f"{alias} — {spec.help}")
    doc.para("Vous pouvez aussi me poser une question en français, par exemple : "
             "« Quels sont les projets de l’académie de Dijon ? » ou "
             "« Qui est la référente TraAM ? ».")
    return doc.reply()
