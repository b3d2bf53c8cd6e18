"""What the bot answers to free-text questions of issue 11 §5, through the real wiring:
counts computed from the directory, « aucun projet … » instead of a list, programme facts,
a friendly word for greetings and thanks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.conftest import SEED_IDS
from tests.unit.harness import ALICE, NOW, Bot, FakeRoom, make_bot, migrated_template
from traam_bot.domain.model import Incoming
from traam_bot.domain.render import sendable
from traam_bot.domain.typography import violations

DM = FakeRoom(room_id="!dm:localhost", is_direct=True, members={ALICE: "Alice"})
NOT_UNDERSTOOD = "n’ai pas compris"


@pytest.fixture(scope="session")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return await migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def bot(tmp_path: Path, migrated: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, migrated, "!") as bot:
        yield bot


async def ask(bot: Bot, question: str) -> tuple[str, list[str]]:
    """The plain answer and the project ids it lists."""
    reply = await bot.ask(Incoming(room_id=DM.room_id, event_id="$q", sender=ALICE,
                                   body=question, timestamp=NOW, is_direct=True), DM)
    assert reply is not None
    for message in sendable(reply):
        assert violations(message.plain) == [], message.plain
    plain = "\n".join(m.plain for m in reply.messages())
    ids = sorted(set(re.findall(r"<code>([a-z0-9-]+)</code>", reply.html)) & set(SEED_IDS))
    return plain, ids


async def test_a_count_is_computed_from_the_directory(bot: Bot) -> None:
    plain, ids = await ask(bot, "combien de projets en lettres et en documentation ?")
    assert plain.startswith("2 projets pour « lettres documentation »")
    assert ids == ["besancon-documentation-ia", "besancon-lettres-ia"]
    plain, ids = await ask(bot, "Combien d'équipes ?")
    assert plain.startswith(f"Dans la région Bourgogne-Franche-Comté (2025-2026) : "
                            f"{len(SEED_IDS)} projets, dans 2 académies et 6 disciplines.")
    assert ids == sorted(SEED_IDS)
    plain, _ = await ask(bot, "cb d'équipes à Dijon")
    assert plain.startswith("2 équipes pour « dijon »")


async def test_a_union_lists_both_disciplines(bot: Bot) -> None:
    _, ids = await ask(bot, "les projets en lettres et documentation")
    assert ids == ["besancon-documentation-ia", "besancon-lettres-ia"]


@pytest.mark.parametrize(("question", "start"), [
    ("y a-t-il des projets en maths ?",
     "Aucun projet TraAM en mathématiques dans la région Bourgogne-Franche-Comté (2025-2026)."),
    ("combien de projets en maths", "Aucun projet TraAM en mathématiques"),
    ("projets à Lyon", "Aucun projet TraAM dans l’académie de Lyon."),
    ("des traam en svt à Dijon ?", "Aucun projet TraAM en SVT"),
])
async def test_no_project_is_said_never_the_full_list(bot: Bot, question: str,
                                                      start: str) -> None:
    plain, ids = await ask(bot, question)
    assert plain.startswith(start)
    assert ids == []
    assert "Les projets de la région sont en Arts plastiques, Documentation" in plain


async def test_who_steers_the_programme(bot: Bot) -> None:
    plain, _ = await ask(bot, "qui pilote les TraAM ?")
    assert "direction du numérique pour l’éducation (DNE)" in plain
    assert "co-pilotés par la DNE et l’inspection générale" in plain
    assert "Julie MARCHALAND" in plain and "Floria DUFOUX" in plain


async def test_national_figures_and_regional_counts(bot: Bot) -> None:
    plain, _ = await ask(bot, "les chiffres nationaux ?")
    assert "environ 700 enseignants" in plain and "18 disciplines" in plain
    assert "plus de 120 équipes" in plain
    assert f"{len(SEED_IDS)} projets, dans 2 académies" in plain


@pytest.mark.parametrize(("question", "expected"), [
    ("c'est quoi Édubase ?", "Édubase est la plateforme où les TraAM indexent"),
    ("M@gistère c'est quoi ?", "M@gistère est la plateforme de formation"),
    ("c koi magistere", "parcours d’autoformation"),
])
async def test_edubase_and_magistere(bot: Bot, question: str, expected: str) -> None:
    plain, _ = await ask(bot, question)
    assert expected in plain and NOT_UNDERSTOOD not in plain


async def test_which_disciplines_take_part(bot: Bot) -> None:
    plain, _ = await ask(bot, "quelles disciplines participent ?")
    assert plain.startswith("6 disciplines dans la région Bourgogne-Franche-Comté")
    assert "académie de Besançon : Arts plastiques, Documentation, Lettres, NSI" in plain
    assert "académie de Dijon : EPS, Technologie" in plain
    assert "18 disciplines et enseignements" in plain
    plain, _ = await ask(bot, "combien d'académies ?")
    assert plain.startswith("2 académies") and "académie de Besançon : 4 projets" in plain


@pytest.mark.parametrize(("question", "start"), [
    ("bonjour !", "Bonjour ! Je suis le bot des TraAM"),
    ("slt ça va ?", "Bonjour ! Je suis le bot des TraAM"),
    ("merci beaucoup", "Avec plaisir !"),
    ("mrc", "Avec plaisir !"),
])
async def test_greetings_and_thanks_get_a_friendly_word(bot: Bot, question: str,
                                                         start: str) -> None:
    plain, _ = await ask(bot, question)
    assert plain.startswith(start) and NOT_UNDERSTOOD not in plain
