"""Subcommands declared like commands (`!rappel ajouter|liste|suppr`): name, aliases,
usage, help and permission each; resolved from the arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from traam_bot.commands.context import Handler, Permission, UsageError
from traam_bot.domain.limits import ECHO_CHARS
from traam_bot.domain.model import RoomView
from traam_bot.domain.text import fold, shorten


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
        raise UsageError(f"Sous-commande inconnue : « {shorten(word, ECHO_CHARS)} ». "
                         "Sous-commandes possibles : "
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
