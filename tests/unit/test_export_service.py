"""The export service (`traam-bot export`): the year's projects with their rooms and every
update, oldest first, read from the real repositories on in-memory SQLite."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.unit.harness import ALICE, NOW, REPO, Bot
from traam_bot.config import load_directory
from traam_bot.domain.model import Incoming
from traam_bot.services.export import collect

NSI, LETTRES, EPS = "besancon-nsi-egalite", "besancon-lettres-ia", "dijon-eps-explicite"


async def record(bot: Bot, project_id: str, event_id: str, text: str, days: int) -> None:
    project = bot.services.directory.project(project_id)
    assert project is not None
    async with bot.units() as uow:
        await bot.services.updates.record(uow, project, Incoming(
            room_id="!salle:localhost", event_id=event_id, sender=ALICE, body=text,
            timestamp=NOW + timedelta(days=days)), text)


async def test_the_years_projects_with_their_rooms_and_updates_oldest_first(bot: Bot) -> None:
    await bot.link("!nsi-a:localhost", NSI)
    await bot.link("!nsi-b:localhost", NSI)
    await record(bot, NSI, "$2", "deuxième", days=2)
    await record(bot, NSI, "$1", "première", days=1)
    await record(bot, LETTRES, "$3", "lettres", days=0)

    async with bot.units() as uow:
        records = {r.project.id: r for r in await collect(uow, "2025-2026")}
    assert len(records) == 6
    assert records[NSI].rooms == ("!nsi-a:localhost", "!nsi-b:localhost")
    assert [u.text for u in records[NSI].updates] == ["première", "deuxième"]
    assert [u.text for u in records[LETTRES].updates] == ["lettres"]
    assert records[EPS].rooms == () and records[EPS].updates == ()

    async with bot.units() as uow:
        assert await collect(uow, "2024-2025") == []


async def test_a_project_with_no_linked_room_shows_its_directory_room(bot: Bot) -> None:
    directory = load_directory(REPO / "config" / "traam.yaml")
    projects = tuple(replace(p, room="#traam-eps:localhost") if p.id == EPS else p
                     for p in directory.projects)
    async with bot.units() as uow:
        await uow.directory.import_directory(replace(directory, projects=projects))
    async with bot.units() as uow:
        records = {r.project.id: r for r in await collect(uow, "2025-2026")}
    assert records[EPS].rooms == ("#traam-eps:localhost",)
    await bot.link("!eps:localhost", EPS)  # a linked room wins over the directory's
    async with bot.units() as uow:
        records = {r.project.id: r for r in await collect(uow, "2025-2026")}
    assert records[EPS].rooms == ("!eps:localhost",)


async def test_resources_come_with_their_project_oldest_first(bot: Bot) -> None:
    nsi = bot.services.directory.project(NSI)
    assert nsi is not None
    for n, (link, days) in enumerate((("https://exemple.fr/b", 2), ("https://exemple.fr/a", 1))):
        async with bot.units() as uow:
            await bot.services.resources.add(uow, nsi, Incoming(
                room_id="!salle:localhost", event_id=f"$r{n}", sender=ALICE, body="",
                timestamp=NOW + timedelta(days=days), sender_name="Alice"), link, f"titre {n}")
    async with bot.units() as uow:
        records = {r.project.id: r for r in await collect(uow, "2025-2026")}
    assert [(r.url, r.author, r.author_name) for r in records[NSI].resources] == [
        ("https://exemple.fr/a", ALICE, "Alice"), ("https://exemple.fr/b", ALICE, "Alice")]
    assert records[LETTRES].resources == ()
