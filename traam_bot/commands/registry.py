"""Commands declared once (name, aliases, usage, help, permission); dispatch and help.

A command is either one handler (`registry.command`) or a group of declared subcommands
(`registry.group`, then `group.subcommand` / `group.argument`): `!rappel ajouter|liste|suppr`.
Help lines, usage errors (missing or unknown subcommand, missing argument) and refusals are
generated from these declarations; handlers only do the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from traam_bot.domain.model import Incoming, Reply, RoomView
from traam_bot.domain.render import Code, Doc, text_reply
from traam_bot.domain.text import fold

if TYPE_CHECKING:
    from traam_bot.services.container import Services
    from traam_bot.store.unit_of_work import UnitOfWork

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
    uow: UnitOfWork  # the event's unit of work: every read and write of the handler

    @property
    def sender(self) -> str:
        return self.incoming.sender


Handler = Callable[[Context], Awaitable[Reply]]


@dataclass(frozen=True)
class SubcommandSpec:
    """One subcommand of a group; `name == ""` is the group's bare argument (!relance <quand>)."""

    command: str  # the group's name, e.g. "rappel"
    name: str
    aliases: tuple[str, ...]
    usage: str  # arguments after the subcommand, e.g. "<quand> : <message>"
    help: str
    handler: Handler
    permission: Permission = Permission.ALL
    examples: tuple[str, ...] = ()  # without the prefix, e.g. "rappel liste"
    rooms_only: bool = False  # refused in a direct chat, and left out of help there
    direct_permission: Permission | None = None  # in a direct chat, when it differs
    default_in_direct: bool = False  # what the bare command does in a direct chat

    @property
    def title(self) -> str:
        """"rappel ajouter"; "relance" for the bare argument."""
        return f"{self.command} {self.name}".strip()

    @property
    def words(self) -> str:
        """What follows the command: "ajouter <quand> : <message>", "<quand>", "liste"."""
        return f"{self.name} {self.usage}".strip()

    def usage_line(self, prefix: str) -> str:
        return f"{prefix}{self.title} {self.usage}".strip()

    def permission_in(self, room: RoomView) -> Permission:
        if room.is_direct and self.direct_permission is not None:
            return self.direct_permission
        return self.permission

    @property
    def needs_argument(self) -> bool:
        return self.usage.startswith("<")


@dataclass
class Subcommands:
    """The declared subcommands of one command, in declaration order."""

    command: str
    specs: list[SubcommandSpec] = field(default_factory=list)
    _by_name: dict[str, SubcommandSpec] = field(default_factory=dict)

    def subcommand(self, name: str, *, aliases: tuple[str, ...] = (), usage: str = "",
                   help: str, permission: Permission = Permission.ALL,
                   examples: tuple[str, ...] = (), rooms_only: bool = False,
                   direct_permission: Permission | None = None,
                   default_in_direct: bool = False) -> Callable[[Handler], Handler]:
        """Declares `!<command> <name> <usage>`; the handler gets `ctx.args` = the rest."""
        if not name.strip() or " " in name:
            raise ValueError(f"subcommand name must be one word: {name!r}")
        return self._declare(name, aliases, usage, help, permission, examples, rooms_only,
                             direct_permission, default_in_direct)

    def argument(self, *, usage: str, help: str, permission: Permission = Permission.ALL,
                 examples: tuple[str, ...] = (), rooms_only: bool = False,
                 direct_permission: Permission | None = None,
                 ) -> Callable[[Handler], Handler]:
        """Declares `!<command> <usage>`: any first word that is not a subcommand's name."""
        if self.argument_spec is not None:
            raise ValueError(f"{self.command}: argument declared twice")
        return self._declare("", (), usage, help, permission, examples, rooms_only,
                             direct_permission, False)

    def _declare(self, name: str, aliases: tuple[str, ...], usage: str, help: str,
                 permission: Permission, examples: tuple[str, ...], rooms_only: bool,
                 direct_permission: Permission | None, default_in_direct: bool,
                 ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            spec = SubcommandSpec(self.command, name, aliases, usage, help, fn, permission,
                                  examples, rooms_only, direct_permission, default_in_direct)
            for example in examples:
                if fold(example) != fold(spec.title) and not fold(example).startswith(
                        fold(spec.title) + " "):
                    raise ValueError(f"example of {spec.title} does not use it: {example}")
            if default_in_direct and any(s.default_in_direct for s in self.specs):
                raise ValueError(f"{self.command}: two defaults in a direct chat")
            for key in (name, *aliases) if name else ():
                if fold(key) in self._by_name:
                    raise ValueError(f"subcommand declared twice: {self.command} {key}")
                self._by_name[fold(key)] = spec
            self.specs.append(spec)
            return fn
        return register

    @property
    def argument_spec(self) -> SubcommandSpec | None:
        return next((s for s in self.specs if not s.name), None)

    @property
    def named(self) -> list[SubcommandSpec]:
        return [s for s in self.specs if s.name]

    def find(self, word: str) -> SubcommandSpec | None:
        """Exact match on a name or alias (case- and accent-insensitive), never a prefix."""
        return self._by_name.get(fold(word))

    @property
    def usage(self) -> str:
        return " | ".join(s.words for s in self.specs)

    @property
    def examples(self) -> tuple[str, ...]:
        return tuple(e for s in self.specs for e in s.examples)

    def resolve(self, args: str, is_direct: bool) -> tuple[SubcommandSpec, str]:
        """The subcommand and its own arguments; UsageError when missing or unknown."""
        parts = args.split(maxsplit=1)
        word = parts[0] if parts else ""
        rest = parts[1] if len(parts) == 2 else ""
        if not word:
            default = next((s for s in self.specs if s.default_in_direct), None)
            if is_direct and default is not None:
                return default, ""
            raise UsageError(self.missing_message())
        spec = self.find(word)
        if spec is not None:
            return spec, rest.strip()
        if self.argument_spec is not None:
            return self.argument_spec, args.strip()
        raise UsageError(f"Sous-commande inconnue : « {word} ». Sous-commandes possibles : "
                         f"{_or_list([s.name for s in self.named])}.")

    def missing_message(self) -> str:
        names = _or_list([s.name for s in self.named])
        if self.argument_spec is not None:
            return f"Indiquez {self.argument_spec.usage} ou {names}."
        return f"Sous-commande attendue : {names}."


def _or_list(words: list[str]) -> str:
    """["ajouter", "liste", "suppr"] -> "ajouter, liste ou suppr"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} ou {words[-1]}"


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
    subcommands: Subcommands | None = None  # a group: usage and examples come from it

    def usage_line(self, prefix: str) -> str:
        usage = self.subcommands.usage if self.subcommands is not None else self.usage
        return f"{prefix}{self.name} {usage}".strip()

    @property
    def all_examples(self) -> tuple[str, ...]:
        return self.subcommands.examples if self.subcommands is not None else self.examples


@dataclass
class Registry:
    specs: list[CommandSpec] = field(default_factory=list)
    _by_name: dict[str, CommandSpec] = field(default_factory=dict)

    def command(self, name: str, *, aliases: tuple[str, ...] = (), usage: str = "",
                help: str, permission: Permission = Permission.ALL,
                examples: tuple[str, ...] = (), rooms_only: bool = False,
                ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._add(CommandSpec(name, aliases, usage, help, fn, permission, examples,
                                  rooms_only))
            return fn
        return register

    def group(self, name: str, *, aliases: tuple[str, ...] = ()) -> Subcommands:
        """A command made of subcommands, each declared on the returned object."""
        subcommands = Subcommands(name)

        async def dispatch(ctx: Context) -> Reply:
            return await run_subcommand(spec, ctx)

        spec = CommandSpec(name, aliases, "", "", dispatch, subcommands=subcommands)
        self._add(spec)
        return subcommands

    def _add(self, spec: CommandSpec) -> None:
        for key in (spec.name, *spec.aliases):
            if fold(key) in self._by_name:
                raise ValueError(f"command name declared twice: {key}")
            self._by_name[fold(key)] = spec
        self.specs.append(spec)

    def find(self, name: str) -> CommandSpec | None:
        """Exact match on a name or alias (case- and accent-insensitive), never a prefix."""
        return self._by_name.get(fold(name))


async def is_moderator(ctx: Context) -> bool:
    """Admins anywhere; otherwise power level >= 50 read from the room (unknown -> no)."""
    if ctx.sender in ctx.services.settings.admins:
        return True
    level = await ctx.room.power_level(ctx.sender)
    return level is not None and level >= MODERATOR_LEVEL


async def permitted(permission: Permission, ctx: Context) -> bool:
    services = ctx.services
    if permission is Permission.ALL or ctx.sender in services.settings.admins:
        return True
    if permission is Permission.REFERENT:
        return ctx.sender in services.settings.referents
    return await is_moderator(ctx)


async def allowed(spec: CommandSpec, ctx: Context) -> bool:
    return await permitted(spec.permission, ctx)


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


def refused(title: str, permission: Permission, prefix: str) -> Reply:
    return text_reply(f"Désolé, {prefix}{title} est réservé aux {permission.value}.",
                      reaction="❌")


def usage_reply(message: str, usage_line: str, examples: tuple[str, ...], prefix: str) -> Reply:
    doc = Doc().para(message).para("Usage : ", Code(usage_line))
    for example in examples:
        doc.item(Code(prefix + example))
    return doc.reply()


async def _invoke(handler: Handler, ctx: Context, usage_line: str,
                  examples: tuple[str, ...]) -> Reply:
    try:
        return await handler(ctx)
    except UsageError as err:
        return usage_reply(str(err), usage_line, examples, ctx.prefix)
    except Refusal as err:
        return err.doc.reply()


async def run_command(registry: Registry, spec: CommandSpec, ctx: Context) -> Reply:
    """Permission, then the handler; usage errors and refusals become French replies."""
    if not await allowed(spec, ctx):
        return refused(spec.name, spec.permission, ctx.prefix)
    return await _invoke(spec.handler, ctx, spec.usage_line(ctx.prefix), spec.all_examples)


async def run_subcommand(spec: CommandSpec, ctx: Context) -> Reply:
    """A group's dispatch: which subcommand, where, who, which arguments; then its handler."""
    assert spec.subcommands is not None
    try:
        sub, rest = spec.subcommands.resolve(ctx.args, ctx.room.is_direct)
    except UsageError as err:
        return usage_reply(str(err), spec.usage_line(ctx.prefix), spec.all_examples, ctx.prefix)
    if sub.rooms_only and ctx.room.is_direct:
        return text_reply(f"{ctx.prefix}{sub.title} s’utilise dans le salon concerné, pas en "
                          "message direct.")
    permission = sub.permission_in(ctx.room)
    if not await permitted(permission, ctx):
        return refused(sub.title, permission, ctx.prefix)
    line = sub.usage_line(ctx.prefix)
    if sub.needs_argument and not rest:
        return usage_reply(f"Il manque {sub.usage} après {ctx.prefix}{sub.title}.", line,
                           sub.examples, ctx.prefix)
    return await _invoke(sub.handler, replace(ctx, args=rest), line, sub.examples)


def unknown_command(name: str, prefix: str) -> Reply:
    return text_reply("Commande inconnue : ", Code(prefix + name),
                      f". Tapez {prefix}aide pour voir les commandes disponibles.")


def _aliases(*groups: list[str]) -> str:
    shown = [", ".join(g) for g in groups if g]
    return f" (ou {' ; '.join(shown)})" if shown else ""


async def help_lines(spec: CommandSpec, ctx: Context) -> list[tuple[str, str, str]]:
    """(usage line, aliases, help) for what this user may run here: one per subcommand."""
    top = [ctx.prefix + a for a in spec.aliases]
    if spec.subcommands is None:
        if spec.rooms_only and ctx.room.is_direct:
            return []
        if spec.permission is not Permission.ALL and not await allowed(spec, ctx):
            return []
        return [(spec.usage_line(ctx.prefix), _aliases(top), spec.help)]
    lines = []
    for sub in spec.subcommands.specs:
        if sub.rooms_only and ctx.room.is_direct:
            continue
        permission = sub.permission_in(ctx.room)
        if permission is not Permission.ALL and not await permitted(permission, ctx):
            continue
        lines.append((sub.usage_line(ctx.prefix), _aliases(top, list(sub.aliases)), sub.help))
    return lines


async def help_reply(registry: Registry, ctx: Context) -> Reply:
    """Commands this user may run here, generated from the declarations."""
    doc = Doc().para("Commandes disponibles ici :")
    for spec in registry.specs:
        for usage, aliases, help in await help_lines(spec, ctx):
            doc.item(Code(usage), f"{aliases} — {help}")
    doc.para("Vous pouvez aussi me poser une question en français, par exemple : "
             "« Quels sont les projets de l’académie de Dijon ? » ou "
             "« Qui est la référente TraAM ? ».")
    return doc.reply()
