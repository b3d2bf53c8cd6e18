"""Several school years through the chat and the export, without Matrix (tests/unit/
harness.py): the seed directory is 2025-2026; a 2024-2025 directory is imported beside it,
where NSI had its Année 1 and a history project that did not go on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit import harness
from tests.unit.conftest import SEED_IDS
from tests.unit.harness import ALICE, NOW, REPO, Bot, Clock, FakeRoom, make_bot, text
from traam_bot.config import load_directory
from traam_bot.config.directory import parse_directory
from traam_bot.domain.model import Reply
from traam_bot.services.export import collect

NSI, HISTOIRE = "besancon-nsi-egalite", "dijon-histoire-carte"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
DM = FakeRoom(room_id="!dm:localhost", is_direct=True, members={ALICE: "Alice"})
LAST_YEAR = NOW - timedelta(days=250)  # 25 March 2025, in 2024-2025
SEED = load_directory(REPO / "config" / "traam.yaml")
OLD_DIRECTORY = replace(parse_directory({
    "region": "Bourgogne-Franche-Comté", "year": "2024-2025",
    "projects": [
        {"id": NSI, "academie": "Besançon", "discipline": "NSI",
         "theme": "L’égalité filles garçons", "phase": "Année 1"},
        {"id": HISTOIRE, "academie": "Dijon", "discipline": "Histoire-géographie",
         "theme": "Cartographie numérique", "phase": "Année 1"},
    ],
}), contacts=SEED.contacts)




@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def bot(tmp_path: Path, template: Path, clock: Clock) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, clock=clock) as bot:
        async with bot.units() as uow:
            await bot.services.directory.import_directory(uow, OLD_DIRECTORY)
        yield bot


_events = iter(range(1, 10_000))


async def say(bot: Bot, body: str, room: FakeRoom = DM, at: datetime = NOW) -> Reply:
    return await harness.say(bot, body, room, ALICE, at)


async def test_projets_shows_the_current_year_and_any_year_named(bot: Bot) -> None:
    current = text(await say(bot, "!projets"))
    assert current.startswith("6 projets :")
    assert all(f"({pid})" in current for pid in SEED_IDS) and HISTOIRE not in current

    archived = text(await say(bot, "!projets 2024-2025"))
    assert archived.splitlines()[0] == "2 projets en 2024-2025 (année archivée) :"
    assert f"({NSI})" in archived and f"({HISTOIRE})" in archived
    assert "Année 1" in archived and "Lettres" not in archived

    assert text(await say(bot, "!projets dijon 2024/25")).splitlines()[0] == (
        "1 projet en 2024-2025 (année archivée) pour « dijon » :")
    assert text(await say(bot, "!projets lettres 2024-2025")) == (
        "Aucun projet en 2024-2025 (année archivée) ne correspond à « lettres ».")
    assert text(await say(bot, "!projets 2025-2026")).startswith("6 projets :")


async def test_a_year_without_projects_or_badly_written_is_explained(bot: Bot) -> None:
    assert text(await say(bot, "!projets 2023-2024")) == (
        "Aucun projet pour l’année scolaire 2023-2024. Années connues : 2024-2025, 2025-2026.")
    refused = text(await say(bot, "!projets 2024-2026"))
    assert refused.startswith("Année scolaire « 2024-2026 » invalide : écrivez-la comme "
                              "2025-2026 (de septembre à août).")
    assert "!projets [filtres…]" in refused  # followed by the usage
    assert "Une seule année scolaire à la fois" in text(
        await say(bot, "!bilan 2024-2025 2025-2026"))


async def test_an_archived_project_is_reached_by_naming_its_year(bot: Bot) -> None:
    assert text(await say(bot, f"!projet {HISTOIRE}")).startswith(
        f"Aucun projet ne correspond à « {HISTOIRE} ».")
    card = text(await say(bot, f"!projet {HISTOIRE} 2024-2025"))
    assert card.startswith(f"Histoire-géographie — académie de Dijon ({HISTOIRE})")
    assert "Phase : Année 1 (2024-2025)" in card


async def test_a_project_continuing_into_annee_2_keeps_its_room_and_history(
        bot: Bot, clock: Clock) -> None:
    clock.now = LAST_YEAR  # 2024-2025 is the current year: the room is linked then
    assert text(await say(bot, f"!lier {NSI}", TEAM, LAST_YEAR)).startswith(
        "Ce salon est maintenant lié au projet NSI")
    await say(bot, "!point Fait : séance 1 en Année 1", TEAM, LAST_YEAR)
    assert text(await say(bot, "!projets", at=LAST_YEAR)).startswith("2 projets :")

    clock.now = NOW  # 2025-2026: the same room, the same project, in Année 2
    continuing = replace(SEED, projects=tuple(
        replace(p, phase="Année 2") if p.id == NSI else p for p in SEED.projects))
    async with bot.units() as uow:
        report = await bot.services.directory.import_directory(uow, continuing)
    assert (report.updated, report.archived) == ([f"projet {NSI}"], [])
    reply = await say(bot, "!point Fait : séance 1 en Année 2", TEAM)
    assert text(reply) == ("Mise à jour n° 2 enregistrée pour NSI (académie de Besançon). "
                           "Merci !")

    card = text(await say(bot, f"!projet {NSI}"))
    assert "Phase : Année 2 (2025-2026)" in card
    assert "Autres années : 2024-2025 (Année 1)" in card
    assert "Salon : !nsi:localhost" in card
    assert "séance 1 en Année 2" in card and "séance 1 en Année 1" in card

    this_year = text(await say(bot, "!bilan", TEAM))
    assert this_year.splitlines()[0] == "Bilan des TraAM 2025-2026 depuis le début — 1 mise à jour"
    assert "Année 2" in this_year and "en Année 1" not in this_year
    last_year = text(await say(bot, "!bilan 2024-2025", TEAM))
    assert last_year.splitlines()[0] == (
        "Bilan des TraAM 2024-2025 depuis le début — 1 mise à jour")
    assert "séance 1 en Année 1" in last_year and "en Année 2" not in last_year
    by_name = text(await say(bot, "!bilan nsi 2024-2025"))
    assert by_name == last_year


async def test_bilan_of_a_past_year_lists_that_years_projects(bot: Bot) -> None:
    await bot.link("!hist:localhost", HISTOIRE)
    hist_room = FakeRoom(room_id="!hist:localhost", members={ALICE: "Alice"})
    await say(bot, "!point carte des îles terminée", hist_room, LAST_YEAR)
    assert text(await say(bot, "!bilan", hist_room)).splitlines()[0] == (
        "Bilan des TraAM 2024-2025 depuis le début — 1 mise à jour")  # its last year
    assert "n’est pas inscrit en 2025-2026" in text(await say(bot, "!bilan 2025-2026",
                                                              hist_room))

    everyone = text(await say(bot, "!bilan 2024-2025"))
    lines = everyone.splitlines()
    assert lines[0] == "Bilan des TraAM 2024-2025 depuis le début — 1 mise à jour"
    assert "NSI (académie de Besançon) — 0 mise à jour" in lines
    assert "Histoire-géographie (académie de Dijon) — 1 mise à jour" in lines
    current = text(await say(bot, "!bilan"))
    assert current.startswith("Bilan des TraAM 2025-2026 depuis le début — 0 mise à jour")
    assert "Histoire-géographie" not in current


async def test_the_export_is_per_year(bot: Bot) -> None:
    await bot.link(TEAM.room_id, NSI)
    await say(bot, "!point en Année 1", TEAM, LAST_YEAR)
    await say(bot, "!point en 2025-2026", TEAM)
    async with bot.units() as uow:
        old = {r.project.id: r for r in await collect(uow, "2024-2025")}
        new = {r.project.id: r for r in await collect(uow, "2025-2026")}
    assert set(old) == {NSI, HISTOIRE} and len(new) == 6
    assert [u.text for u in old[NSI].updates] == ["en Année 1"]
    assert [u.text for u in new[NSI].updates] == ["en 2025-2026"]
    assert old[NSI].rooms == new[NSI].rooms == (TEAM.room_id,)


async def test_the_next_year_prepared_early_becomes_current_on_1_september(
        bot: Bot, clock: Clock) -> None:
    clock.now = datetime(2025, 8, 31, 21, 59, tzinfo=UTC)  # 23:59 in Paris
    assert bot.services.directory.current_year == "2024-2025"
    assert text(await say(bot, "!projets")).startswith("2 projets :")
    clock.now += timedelta(minutes=1)
    assert bot.services.directory.current_year == "2025-2026"
    assert text(await say(bot, "!projets")).startswith("6 projets :")


async def test_a_question_naming_a_year_is_answered_for_that_year(bot: Bot) -> None:
    answer = text(await say(bot, "Quels sont les projets de 2024-2025 ?"))
    assert answer.splitlines()[0] == "2 projets en 2024-2025 (année archivée) :"
    assert HISTOIRE in answer
    dijon = text(await say(bot, "les projets à Dijon en 2024/2025 ?"))
    assert dijon.splitlines()[0] == "1 projet en 2024-2025 (année archivée) pour « dijon » :"
    assert text(await say(bot, "quels projets en 2019-2020 ?")) == (
        "Aucun projet pour l’année scolaire 2019-2020. Années connues : 2024-2025, 2025-2026.")
    assert text(await say(bot, "Quels sont les projets de Dijon ?")).startswith("2 projets")
