"""Joins and leaves through the dispatcher: a room named in the directory is linked on join
(unless already linked), a lost room's schedules pause and come back on rejoin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.harness import ALICE, NOW, REPO, Bot, make_bot
from traam_bot.config import load_directory
from traam_bot.domain.records import ACTIVE, PAUSED, RoomState
from traam_bot.domain.triggers import Trigger

NSI = "besancon-nsi-egalite"
ALIAS = "#traam-nsi:localhost"
ROOM = "!nsi:localhost"


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template) as bot:
        directory = load_directory(REPO / "config" / "traam.yaml")
        projects = tuple(replace(p, room=ALIAS) if p.id == NSI else p
                         for p in directory.projects)
        async with bot.units() as uow:
            await bot.services.directory.import_directory(
                uow, replace(directory, projects=projects))
        yield bot


async def links(bot: Bot) -> list[tuple[str, str, str, str | None]]:
    async with bot.units() as uow:
        return [(k.room_id, k.project_id, k.linked_by, k.label)
                for k in await uow.directory.links()]


async def test_joining_the_room_the_directory_names_links_it(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO"):
        await bot.dispatcher.on_joined(ROOM, ("#autre:localhost", ALIAS.upper()), 1000)
    assert await links(bot) == [(ROOM, NSI, "config", ALIAS)]
    assert bot.services.directory.project_for_room(ROOM).id == NSI  # type: ignore[union-attr]
    assert f"room {ROOM} linked to {NSI} from the directory" in caplog.text


async def test_a_room_already_linked_by_hand_keeps_its_link(bot: Bot) -> None:
    await bot.link(ROOM, "besancon-lettres-ia", by=ALICE)
    await bot.dispatcher.on_joined(ROOM, (ALIAS,), 1000)
    assert await links(bot) == [(ROOM, "besancon-lettres-ia", ALICE, None)]


async def test_a_room_the_directory_does_not_name_stays_unlinked(bot: Bot) -> None:
    await bot.dispatcher.on_joined("!ailleurs:localhost", ("#ailleurs:localhost",), 1000)
    assert await links(bot) == []


async def test_leaving_pauses_the_rooms_schedules_and_rejoining_resumes_them(bot: Bot) -> None:
    async with bot.units() as uow:
        schedule = await bot.services.schedules.add(
            uow, kind="reminder", room_id=ROOM, owner=ALICE, message="Réunion",
            trigger=Trigger(hour=9, minute=0), now=NOW)
        other = await bot.services.schedules.add(
            uow, kind="reminder", room_id="!autre:localhost", owner=ALICE, message="Autre",
            trigger=Trigger(hour=9, minute=0), now=NOW)

    async def status(schedule_id: int) -> str:
        async with bot.units() as uow:
            found = await uow.schedules.get(schedule_id)
        assert found is not None
        return found.status

    await bot.dispatcher.on_joined(ROOM, (), 1000)
    assert (await rooms(bot))[ROOM] == RoomState(1000, False)
    armed_other = bot.timers.armed[other.id]
    await bot.dispatcher.on_left(ROOM)
    assert (await status(schedule.id), await status(other.id)) == (PAUSED, ACTIVE)
    assert bot.timers.armed[schedule.id] is None
    assert bot.timers.armed[other.id] == armed_other  # another room's timer is left alone
    assert (await rooms(bot))[ROOM].left is True
    await bot.dispatcher.on_left("!autre:localhost")
    assert await status(other.id) == PAUSED
    await bot.dispatcher.on_joined(ROOM, (), 2000)
    assert (await status(schedule.id), await status(other.id)) == (ACTIVE, PAUSED)
    assert bot.timers.armed[schedule.id] is not None
    assert bot.timers.armed[other.id] is None  # only the room joined again comes back
    assert (await rooms(bot))[ROOM] == RoomState(2000, False)


async def rooms(bot: Bot) -> dict[str, RoomState]:
    async with bot.units() as uow:
        return await uow.state.rooms()


async def test_a_digest_subscription_is_not_a_rooms_schedule_to_pause(bot: Bot) -> None:
    """Digests go by direct message: losing a room never disarms them."""
    async with bot.units() as uow:
        digest = await bot.services.schedules.add(
            uow, kind="digest", room_id=ROOM, owner=ALICE, message="",
            trigger=Trigger(hour=8, minute=0), now=NOW)
    armed = bot.timers.armed[digest.id]
    await bot.dispatcher.on_left(ROOM)
    assert armed is not None and bot.timers.armed[digest.id] == armed


async def test_a_join_seen_after_the_first_lookup_is_remembered(bot: Bot) -> None:
    assert await bot.dispatcher.joined_at(ROOM) is None  # loads the table once
    await bot.dispatcher.on_joined(ROOM, (), 3000)
    assert await bot.dispatcher.joined_at(ROOM) == 3000
