"""Rules of !rappel and !relance that concern other rooms and other kinds of schedule: each
command acts on this room's schedules of its own kind only; a new prompt replaces the
room's previous one; a direct chat lists one's reminders across rooms; « @room » needs the
right to notify the room. Written from mutation-testing survivors (docs/mutation.md)."""

from __future__ import annotations

import itertools

from tests.unit import harness
from tests.unit.harness import ALICE, COORD, NOW, Bot, FakeRoom, text
from traam_bot.domain.records import ACTIVE, PAUSED, Schedule

NSI, LETTRES = "besancon-nsi-egalite", "besancon-lettres-ia"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice", COORD: "Coord"},
                levels={ALICE: 50})
OTHER = FakeRoom(room_id="!lettres:localhost", members={ALICE: "Alice", COORD: "Coord"},
                 levels={ALICE: 50})
DM = FakeRoom(room_id="!dm-alice:localhost", is_direct=True, members={ALICE: "Alice"})
_ids = itertools.count(1)


async def say(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE) -> str:
    return text(await harness.say(bot, body, room, sender))


async def schedules(bot: Bot, kind: str) -> list[Schedule]:
    async with bot.units() as uow:
        return await uow.schedules.find(kind=kind, statuses=(ACTIVE, PAUSED))


async def linked(bot: Bot) -> Bot:
    await bot.link(TEAM.room_id, NSI)
    await bot.link(OTHER.room_id, LETTRES)
    return bot


async def test_a_new_prompt_replaces_the_rooms_previous_one_only(bot: Bot) -> None:
    await linked(bot)
    await say(bot, "!relance chaque lundi à 9h", OTHER)
    await say(bot, "!relance chaque lundi à 9h")
    first = [s for s in await schedules(bot, "prompt") if s.room_id == TEAM.room_id]
    await say(bot, "!relance chaque mardi à 10h")
    prompts = await schedules(bot, "prompt")
    assert sorted(s.room_id for s in prompts) == [OTHER.room_id, TEAM.room_id]
    [mine] = [s for s in prompts if s.room_id == TEAM.room_id]
    assert mine.trigger.weekdays == (1,) and mine.message == ""
    assert bot.timers.armed[first[0].id] is None  # the replaced prompt is disarmed
    assert bot.timers.armed[mine.id] is not None


async def test_stopping_the_prompt_leaves_other_rooms_and_reminders(bot: Bot) -> None:
    await linked(bot)
    await say(bot, "!relance chaque lundi à 9h", OTHER)
    await say(bot, "!relance chaque lundi à 9h")
    await say(bot, "!rappel ajouter chaque jeudi à 9h : Réunion")
    await say(bot, "!relance stop")
    assert [s.room_id for s in await schedules(bot, "prompt")] == [OTHER.room_id]
    assert [s.message for s in await schedules(bot, "reminder")] == ["Réunion"]


async def test_reminder_commands_see_this_rooms_reminders_only(bot: Bot) -> None:
    await linked(bot)
    await say(bot, "!rappel ajouter chaque lundi à 9h : Lettres", OTHER)
    await say(bot, "!relance chaque lundi à 9h")  # a prompt is not a reminder
    assert "Ce salon n’a aucun rappel." in await say(bot, "!rappel suppr 1")
    await say(bot, "!rappel ajouter chaque mardi à 9h : NSI")
    listed = await say(bot, "!rappel liste")
    assert "• 1. NSI" in listed and "Lettres" not in listed and "— salon" not in listed
    assert "Numéro de rappel attendu, entre 1 et 1" in await say(bot, "!rappel suppr 1234567")
    assert "Rappel n° 1 supprimé : NSI" in await say(bot, "!rappel suppr 1")
    assert [s.message for s in await schedules(bot, "reminder")] == ["Lettres"]
    assert [s.room_id for s in await schedules(bot, "prompt")] == [TEAM.room_id]


async def test_in_a_direct_chat_one_lists_ones_reminders_in_every_room(bot: Bot) -> None:
    await linked(bot)
    await say(bot, "!rappel ajouter chaque lundi à 9h : Lettres", OTHER)
    await say(bot, "!rappel ajouter chaque mardi à 9h : NSI")
    await say(bot, "!rappel ajouter chaque mercredi à 9h : Coord", sender=COORD)
    listed = await say(bot, "!rappel liste", DM)
    assert "Lettres" in listed and "NSI" in listed and "Coord" not in listed
    assert f"salon {OTHER.room_id}" in listed and f"salon {TEAM.room_id}" in listed


async def test_a_paused_reminder_says_why_in_the_list(bot: Bot) -> None:
    await linked(bot)
    await say(bot, "!rappel ajouter chaque lundi à 9h : Réunion")
    await bot.dispatcher.on_left(TEAM.room_id)
    listed = await say(bot, "!rappel liste")
    assert "— en pause : le bot n’est plus dans ce salon" in listed


async def test_room_ping_needs_the_right_to_notify_the_room(bot: Bot) -> None:
    await linked(bot)
    quiet = FakeRoom(room_id=TEAM.room_id, members=TEAM.members, levels={ALICE: 50})
    admin_without_power = await say(bot, "!rappel ajouter chaque lundi à 9h : @room réunion",
                                    quiet, sender=COORD)
    assert "ne préviendra pas tout le salon" in admin_without_power
    moderator = await say(bot, "!rappel ajouter chaque mardi à 9h : @room point", quiet)
    assert "préviendra" not in moderator
    plain = await say(bot, "!rappel ajouter chaque jeudi à 9h : sans alerte", quiet)
    assert "préviendra" not in plain


async def test_unsubscribing_is_for_oneself(bot: Bot) -> None:
    async with bot.units() as uow:
        await bot.services.digests.subscribe(uow, COORD, "hebdo", NOW)
        await bot.services.digests.subscribe(uow, ALICE, "hebdo", NOW)
    bot.rooms[DM.room_id] = DM
    await say(bot, "!digest desabonner", FakeRoom(room_id="!dm-coord:localhost",
                                                  is_direct=True, members={COORD: "C"}),
              sender=COORD)
    assert [s.owner for s in await schedules(bot, "digest")] == [ALICE]
