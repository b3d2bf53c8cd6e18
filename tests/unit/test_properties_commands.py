"""Properties of how a message becomes a command, over thousands of random and hostile
inputs: the splitter (command name, arguments), the lookup of names and subcommands, and
the whole bot (router, services, SQLite), which answers every message briefly, in French,
in events that fit, and never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit import test_commands as base
from tests.unit.harness import ALICE, COORD, NOW, REFERENT, Bot, FakeRoom, make_bot
from tests.unit.limits_helpers import assert_every_message_fits, send
from tests.unit.strategies import french_or_hostile, hostile_text, sized
from traam_bot.commands.context import UsageError
from traam_bot.commands.registry import split_command
from traam_bot.commands.router import build_registry
from traam_bot.domain.outbox import SENT

# unidecode warns about the lone surrogates fed on purpose (the bot replaces them first)
pytestmark = pytest.mark.filterwarnings("ignore:Surrogate character:RuntimeWarning")

migrated = base.migrated  # the session-wide migrated template database

REGISTRY = build_registry()
NAMES = sorted({name for spec in REGISTRY.specs for name in (spec.name, *spec.aliases)})
SUBCOMMANDS = sorted({name for spec in REGISTRY.specs if spec.subcommands
                      for sub in spec.subcommands.specs for name in (sub.name, *sub.aliases)
                      if name})
ARGUMENT_WORDS = [
    *SUBCOMMANDS, "chaque lundi à 9h", "dans 2 heures", "le 15/12/2027 à 14h", 'cron "* * * * *"',
    'cron "0 9 * * 1"', ":", " : ", "depuis", "depuis 01/01/0001", "depuis 01/12/2025", "nsi",
    "dijon", "besancon-nsi-egalite", "Fait :", "Blocage :", "quotidien", "hebdo", "1", "0",
    "²", "@room", "<b>x</b>", "«", "»", "référente", "IA",
]
PREFIXES = st.sampled_from(["!", "?", "traam!", "!!", "€"])
SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u3000", " \n ", ""])


# ------------------------------------------------------------------ the splitter


@sized(700)
@given(prefix=PREFIXES, text=french_or_hostile(NAMES + ARGUMENT_WORDS))
@example(prefix="!", text="!projets\tdijon")
@example(prefix="!", text="!projets\u00a0dijon")
@example(prefix="!", text="!point\nFait : séance 2\nÀ faire : séance 3")
@example(prefix="!", text="! projets")
@example(prefix="!!", text="!!")
def test_split_command_finds_one_word_then_its_arguments(prefix: str, text: str) -> None:
    parts = split_command(text, prefix)
    rest = text[len(prefix):]
    if not text.startswith(prefix) or not rest or rest[0].isspace():
        assert parts is None
        return
    assert parts is not None
    name, args = parts
    assert name and not any(c.isspace() for c in name), repr(name)
    assert args == args.strip()
    assert rest.split() == (name + " " + args).split()


@sized(200)
@given(prefix=PREFIXES, name=st.sampled_from(NAMES) | hostile_text(), sep=SEPARATORS,
       args=hostile_text())
def test_a_command_name_followed_by_any_space_is_found(prefix: str, name: str, sep: str,
                                                       args: str) -> None:
    parts = split_command(prefix + name + sep + args, prefix)
    if not name or name[0].isspace() or any(c.isspace() for c in name) or (not sep and args):
        return  # not a clean name + separator + arguments: the property above covers it
    assert parts == (name, args.strip())
    REGISTRY.find(name)  # any name: looked up without raising


@sized(200)
@given(group=st.sampled_from([s for s in REGISTRY.specs if s.subcommands]),
       args=french_or_hostile(ARGUMENT_WORDS), is_direct=st.booleans())
def test_subcommands_resolve_or_say_why_in_french(group, args: str, is_direct: bool) -> None:
    try:
        sub, rest = group.subcommands.resolve(args, is_direct)
    except UsageError as err:
        message = str(err)
        assert message.strip() and len(message) < 300, message
        return
    assert sub in group.subcommands.specs
    assert rest == rest.strip() and rest in args


# ------------------------------------------------------------------ the whole bot


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, migrated: Path) -> Iterator[
        tuple[asyncio.AbstractEventLoop, Bot]]:
    """One bot for every example, on an event loop of its own (hypothesis drives a plain
    function, and the examples share the bot's database)."""
    loop = asyncio.new_event_loop()
    context = make_bot(tmp_path_factory.mktemp("fuzz"), migrated)
    bot = loop.run_until_complete(context.__aenter__())
    loop.run_until_complete(bot.link(LINKED.room_id, "besancon-nsi-egalite"))
    yield loop, bot
    loop.run_until_complete(context.__aexit__(None, None, None))
    loop.close()


LINKED = FakeRoom(room_id="!nsi:localhost", levels={ALICE: 50})
ROOMS = [FakeRoom(), FakeRoom(levels={ALICE: 50}), LINKED,
         FakeRoom(room_id="!dm:localhost", is_direct=True)]


async def _answer(bot: Bot, body: str, room: FakeRoom, sender: str) -> list:
    rows = await send(bot, body, room, sender)
    async with bot.units() as uow:  # delivered: the next example starts from an empty outbox
        for item in await uow.outbox.pending():
            await uow.outbox.finish(item.id, SENT, NOW)
    return rows


@sized(100)
@given(name=st.sampled_from(NAMES) | hostile_text(), sep=SEPARATORS,
       args=french_or_hostile(ARGUMENT_WORDS), room=st.sampled_from(ROOMS),
       sender=st.sampled_from([ALICE, COORD, REFERENT]), prefixed=st.booleans())
@example(name="bilan", sep=" ", args="depuis 01/01/0001", room=ROOMS[0], sender=ALICE,
         prefixed=True)
@example(name="rappel", sep=" ", args="suppr ²", room=ROOMS[1], sender=ALICE, prefixed=True)
@example(name="point", sep=" ", args="\ud800 Fait : x", room=LINKED, sender=ALICE, prefixed=True)
@example(name="projets", sep=" ", args="\ud800", room=ROOMS[3], sender=ALICE, prefixed=False)
def test_the_bot_answers_any_message_briefly_and_never_raises(
        fuzzed: tuple[asyncio.AbstractEventLoop, Bot], name: str, sep: str, args: str,
        room: FakeRoom, sender: str, prefixed: bool) -> None:
    loop, bot = fuzzed
    body = ("!" if prefixed else "") + name + sep + args
    rows = loop.run_until_complete(_answer(bot, body, room, sender))
    if any(row.kind == "message" for row in rows):
        assert_every_message_fits(rows)
    assert len(rows) <= 12, [row.body[:80] for row in rows]
