"""Commands declared once (name, aliases, usage, help, permission); dispatch and help.

A command is either one handler (`registry.command`) or a group of declared subcommands
(`registry.group`, then `group.subcommand` / `group.argument`): `!rappel ajouter|liste|suppr`.
Help lines, usage errors (missing or unknown subcommand, missing argument) and refusals are
generated from these declarations; handlers only do the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from traam_bot.commands.context import (
    MODERATOR_LEVEL,
    Context,
    Handler,
    Permission,
    Refusal,
    UsageError,
)
from traam_bot.commands.subcommands import Subcommands
from traam_bot.domain.limits import ECHO_CHARS
from traam_bot.domain.model import Reply
from traam_bot.domain.render import Code, Doc, text_reply
from traam_bot.domain.text import fold, shorten


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
    """"!projets dijon" -> ("projets", "dijon"): the name ends at the first space of any
    kind (tab, line break, no-break space…); None when not a command."""
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix):]
    if not rest or rest[0].isspace():
        return None
    parts = rest.split(maxsplit=1)
    return parts[0], parts[1].strip() if len(parts) == 2 else ""


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
    shown = shorten(name, ECHO_CHARS)
    stop = " " if shown.endswith("…") else ". "
    return text_reply("Commande inconnue : ", Code(prefix + shown),
                      f"{stop}Tapez {prefix}aide pour voir les commandes disponibles.")


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
