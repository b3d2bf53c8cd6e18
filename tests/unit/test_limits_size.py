"""Every event the bot sends stays under Matrix's 64 KiB, whatever it is asked (SPEC §8):
answers to huge commands, long lists, reminders, prompts and digests, each outbox row
measured as the event content it becomes."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit import test_commands as base
from tests.unit.harness import ALICE, COORD, NOW, REFERENT, Bot, FakeRoom, make_bot
from tests.unit.limits_helpers import (
    MODERATOR_ROOM,
    assert_every_message_fits,
    messages,
    said,
    send,
)
from traam_bot.domain.limits import ECHO_CHARS, MAX_TEXT_CHARS

migrated = base.migrated  # the session-wide migrated template database

SIXTY_KB = 60 * 1024
EMOJI = "😀"  # 4 bytes in UTF-8, 12 as escaped JSON ("\ud83d\ude00"), in both bodies
DIRECT = FakeRoom(room_id="!dm:localhost", is_direct=True)


@pytest.fixture
async def bot(tmp_path: Path, migrated: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, migrated) as b:
        yield b


def words_of(size: int, seed: int = 9) -> str:
    """About `size` bytes of distinct lower-case words."""
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < size:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéèà") for _ in range(7))
        out.append(word)
        total += len(word.encode()) + 1
    return " ".join(out)


# ------------------------------------------------------------------ huge commands


@pytest.mark.parametrize("args", [words_of(SIXTY_KB), "dijon " * (SIXTY_KB // 6),
                                  "<b>&amp;</b> @room " * (SIXTY_KB // 19 + 1)],
                         ids=["distinct-words", "one-word-repeated", "markup"])
async def test_projets_with_60_kb_of_words_gets_an_answer_that_fits(bot: Bot, args: str) -> None:
    assert len(args.encode()) >= SIXTY_KB
    rows = await send(bot, "!projets " + args)
    assert_every_message_fits(rows)
    assert len(said(rows)) < 2_000  # a short answer, not the input echoed back


async def test_projets_with_too_many_words_says_the_limit(bot: Bot) -> None:
    rows = await send(bot, "!projets " + words_of(SIXTY_KB))
    assert "Trop de mots dans la recherche" in said(rows)
    assert "pour 30 au maximum" in said(rows)


async def test_a_theme_pasted_whole_finds_its_project(bot: Bot) -> None:
    theme = ("Les intelligences artificielles en lettres : quels usages ? Quelles plus-values "
             "pédagogiques ? Quels points de vigilance ?")
    assert "besancon-lettres-ia" in said(await send(bot, f"!projet {theme}"))


async def test_a_repeated_filter_word_still_finds_its_projects(bot: Bot) -> None:
    rows = await send(bot, "!projets " + "dijon " * 10_000)
    text = said(rows)
    assert text.startswith("2 projets pour « dijon » :")
    assert "dijon-eps-explicite" in text


@pytest.mark.parametrize("body", [
    "!" + "x" * SIXTY_KB,
    "!rappel " + "y" * SIXTY_KB,
    "!contacts " + "z " * (SIXTY_KB // 2),
    "!projet " + "w" * SIXTY_KB,
    "!projet " + words_of(SIXTY_KB),
    "!lier " + "v" * SIXTY_KB,
    "!bilan " + "u" * SIXTY_KB,
    "!point " + "t" * SIXTY_KB,
    "!rappel ajouter chaque lundi à 9h : " + "s" * SIXTY_KB,
    "!rappel ajouter " + "9" * SIXTY_KB + " : rien",
    "!relance " + "r" * SIXTY_KB,
    "!digest abonner " + "q" * SIXTY_KB,
    "!rappel suppr " + "1" * SIXTY_KB,
])
async def test_huge_commands_get_a_short_answer_that_fits(bot: Bot, body: str) -> None:
    rows = await send(bot, body)
    assert_every_message_fits(rows)
    text = said(rows)
    assert len(text) < 3_000, text[:300]
    assert "…" in text or len(body) - len(text) > SIXTY_KB // 2


async def test_unknown_command_echo_is_shortened(bot: Bot) -> None:
    rows = await send(bot, "!" + "x" * SIXTY_KB)
    text = said(rows)
    assert text == (f"Commande inconnue : !{'x' * ECHO_CHARS}… "
                    "Tapez !aide pour voir les commandes disponibles.")


async def test_unknown_project_echo_is_shortened(bot: Bot) -> None:
    rows = await send(bot, "!projet " + "w" * 500)
    assert f"Aucun projet ne correspond à « {'w' * ECHO_CHARS}… »." in said(rows)


async def test_a_huge_question_in_a_direct_chat_is_refused_briefly(bot: Bot) -> None:
    rows = await send(bot, words_of(SIXTY_KB), DIRECT)
    assert_every_message_fits(rows)
    assert "trop long pour que je le comprenne : 500 caractères au plus" in said(rows)


# ------------------------------------------------------------------ long answers are split


async def test_a_long_reminder_list_is_split_and_nothing_is_lost(bot: Bot) -> None:
    text = EMOJI * MAX_TEXT_CHARS  # one block alone is ~96 KB of escaped JSON
    for _ in range(3):
        assert "Rappel enregistré" in said(await send(
            bot, f"!rappel ajouter chaque lundi à 9h : {text}", sender=COORD))
    rows = await send(bot, "!rappel liste")
    assert_every_message_fits(rows)
    assert len(messages(rows)) >= 9
    assert said(rows).count(EMOJI) == 3 * MAX_TEXT_CHARS


async def test_a_long_bilan_is_split_and_nothing_is_lost(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    update = "Blocage : " + ("é" * 40 + " <b>&</b> ") * 79
    assert len(update) <= MAX_TEXT_CHARS
    for _ in range(12):
        assert "enregistrée" in said(await send(bot, f"!point {update}"))
    rows = await send(bot, "!bilan")
    assert_every_message_fits(rows)
    assert len(messages(rows)) > 1
    assert said(rows).count("<b>&</b>") == 12 * 79


async def test_fired_reminders_and_prompts_fit(bot: Bot) -> None:
    room = MODERATOR_ROOM
    await bot.link(room.room_id, "besancon-nsi-egalite")
    ping = "@room " + EMOJI * (MAX_TEXT_CHARS - 6)  # sent as typed: the Reply is built by hand
    await send(bot, f"!rappel ajouter dans 2 heures : {ping}")
    await send(bot, f"!rappel ajouter dans 2 heures : {EMOJI * MAX_TEXT_CHARS}")
    await send(bot, "!relance dans 2 heures")
    before = len(await bot.owed())
    assert await bot.services.schedules.run_due(NOW + timedelta(hours=2)) == 3
    rows = (await bot.owed())[before:]
    assert_every_message_fits(rows)
    assert said(rows).count(EMOJI) == 2 * MAX_TEXT_CHARS - 6
    assert [r.ping_room for r in rows].count(True) == 1  # the first part pings, once
    assert "Où en est l’équipe cette semaine ?" in said(rows)


async def test_a_digest_fits(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    for _ in range(30):
        await send(bot, "!point " + EMOJI * MAX_TEXT_CHARS, at=NOW - timedelta(hours=1))
    await send(bot, "!digest abonner quotidien", DIRECT, sender=REFERENT)
    rows = await send(bot, "!digest maintenant", sender=REFERENT)
    assert "Digest envoyé" in said(rows)
    digest = [r for r in await bot.owed() if r.user_id == REFERENT]
    assert_every_message_fits(digest)
    assert len(digest) > 1, digest[0].body[:500]


async def test_reaction_rows_are_left_alone(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    rows = await send(bot, "!point séance 2", sender=ALICE)
    assert [r.kind for r in rows] == ["reaction", "message"]


async def test_text_no_database_takes_is_stored_replaced(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    rows = await send(bot, "!point \ud800 Fait : séance\x00 2")
    assert "Mise à jour n° 1 enregistrée" in said(rows)
    assert [text for _event, text in await bot.updates("besancon-nsi-egalite")] == [
        "\ufffd Fait : séance\ufffd 2"]
