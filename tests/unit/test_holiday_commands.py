"""Holidays seen from the chat, through the real wiring (tests/unit/harness.py): !relance and
!rappel confirmations, firing around the holidays, !calendrier, and digests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.unit import harness
from tests.unit.harness import ALICE, COORD, REFERENT, Bot, Clock, FakeRoom, make_bot, text
from traam_bot.domain.records import Schedule

TZ = ZoneInfo("Europe/Paris")
NSI = "besancon-nsi-egalite"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
DM = FakeRoom(room_id="!dm:localhost", is_direct=True, members={ALICE: "Alice"})
FRIDAY_19_DEC_2025 = datetime(2025, 12, 19, 18, 0, tzinfo=TZ)




@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_19_DEC_2025)


async def _bot(tmp_path: Path, template: Path, clock: Clock,
               settings: dict[str, object] | None = None) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, clock=clock, settings=settings) as bot:
        async with bot.units() as uow:
            await bot.services.directory.link(uow, TEAM.room_id, NSI, ALICE, clock.now)
        yield bot


@pytest.fixture
async def bot(tmp_path: Path, template: Path, clock: Clock) -> AsyncIterator[Bot]:
    async for b in _bot(tmp_path, template, clock):
        yield b


@pytest.fixture
async def bot_no_skip(tmp_path: Path, template: Path, clock: Clock) -> AsyncIterator[Bot]:
    async for b in _bot(tmp_path, template, clock, {"holidays": {"skip": False}}):
        yield b


_count = iter(range(1, 100_000))


async def say(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE) -> str:
    return text(await harness.say(bot, body, room, sender))


async def schedules(bot: Bot, kind: str) -> list[Schedule]:
    async with bot.units() as uow:
        return await uow.schedules.find(kind=kind)


# ------------------------------------------------------------------- confirmations


async def test_relance_before_christmas_resumes_on_the_first_monday_back(bot: Bot) -> None:
    text = await say(bot, "!relance chaque lundi à 9h")
    assert ("Prochain envoi : lundi 5 janvier 2026 à 9h00 (hors vacances scolaires, zone A, "
            "et jours fériés).") in text
    assert "Le lundi 22 décembre 2025 à 9h00 est sauté (vacances scolaires, zone A)." in text
    [prompt] = await schedules(bot, "prompt")
    assert prompt.skip_holidays is True
    assert prompt.next_run == datetime(2026, 1, 5, 9, 0, tzinfo=TZ)
    assert bot.timers.armed[prompt.id] == prompt.next_run


async def test_relance_may_opt_out_of_holidays(bot: Bot) -> None:
    text = await say(bot, "!relance chaque lundi à 9h même pendant les vacances")
    assert "Prochain envoi : lundi 22 décembre 2025 à 9h00." in text
    assert "Envoi même pendant les vacances scolaires et les jours fériés." in text
    assert "hors vacances" not in text
    [prompt] = await schedules(bot, "prompt")
    assert prompt.skip_holidays is False


async def test_a_reminder_opting_out_is_listed_so(bot: Bot) -> None:
    text = await say(bot, "!rappel ajouter chaque jour à 8h même pendant les vacances : Appel")
    assert "Prochain envoi : samedi 20 décembre 2025 à 8h00." in text
    listing = await say(bot, "!rappel liste")
    assert "Appel (chaque jour à 8h00) — prochain envoi : samedi 20 décembre 2025 à 8h00 — " \
        "même pendant les vacances" in listing


async def test_holidays_skip_false_turns_skipping_off(bot_no_skip: Bot) -> None:
    text = await say(bot_no_skip, "!relance chaque lundi à 9h")
    assert "Prochain envoi : lundi 22 décembre 2025 à 9h00." in text
    assert "vacances" not in text


async def test_a_recurring_reminder_skips_holidays_too(bot: Bot) -> None:
    text = await say(bot, "!rappel ajouter chaque mercredi à 14h : Réunion d’équipe")
    assert ("Prochain envoi : mercredi 7 janvier 2026 à 14h00 (hors vacances scolaires, "
            "zone A, et jours fériés).") in text
    assert "Le mercredi 24 décembre 2025 à 14h00 est sauté" in text


async def test_a_reminder_on_a_public_holiday_is_moved_and_says_why(bot: Bot,
                                                                    clock: Clock) -> None:
    clock.now = datetime(2026, 11, 5, 12, 0, tzinfo=TZ)
    text = await say(bot, "!rappel ajouter chaque mercredi à 14h : Réunion")
    assert "Prochain envoi : mercredi 18 novembre 2026 à 14h00" in text
    assert "Le mercredi 11 novembre 2026 à 14h00 est sauté (jour férié : Armistice)." in text


async def test_a_dated_reminder_in_the_holidays_is_kept_and_says_so(bot: Bot) -> None:
    text = await say(bot, "!rappel ajouter le 24/12/2025 à 10h : Dépôt des séquences")
    assert "Prochain envoi : mercredi 24 décembre 2025 à 10h00." in text
    assert ("Cette date tombe pendant un congé (vacances scolaires, zone A) : le rappel sera "
            "tout de même envoyé ce jour-là, puisque vous l’avez choisie.") in text
    [reminder] = await schedules(bot, "reminder")
    assert reminder.next_run == datetime(2025, 12, 24, 10, 0, tzinfo=TZ)


async def test_a_dated_reminder_on_a_public_holiday_says_so(bot: Bot, clock: Clock) -> None:
    clock.now = datetime(2026, 5, 20, 12, 0, tzinfo=TZ)
    text = await say(bot, "!rappel ajouter le 25/05/2026 à 10h : Dépôt")
    assert "congé (jour férié : Lundi de Pentecôte)" in text


async def test_an_unlinked_room_takes_the_directory_zone(bot: Bot) -> None:
    other = FakeRoom(room_id="!autre:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
    text = await say(bot, "!rappel ajouter chaque lundi à 9h : Café", other)
    assert "(hors vacances scolaires, zone A, et jours fériés)" in text  # Besançon, Dijon: A


# ------------------------------------------------------------------------ firing


async def test_the_prompt_never_fires_in_the_holidays_and_fires_once_on_the_day_back(
        bot: Bot, clock: Clock) -> None:
    await say(bot, "!relance chaque lundi à 9h")
    [prompt] = await schedules(bot, "prompt")
    service = bot.services.schedules
    for day in (22, 29):  # holiday Mondays
        assert await service.run_due(datetime(2025, 12, day, 9, 0, tzinfo=TZ)) == 0
    back = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)
    assert await service.run_due(back) == 1
    assert await service.run_due(back) == 0  # never twice
    async with bot.units() as uow:
        assert await uow.schedules.occurrences(prompt.id) == [back]
        [after] = await uow.schedules.find(kind="prompt")
    assert after.next_run == datetime(2026, 1, 12, 9, 0, tzinfo=TZ)


async def test_downtime_over_the_holidays_does_not_fire_a_holiday_occurrence(bot: Bot) -> None:
    await say(bot, "!relance chaque jour à 17h30")
    # created on Friday 19 December at 18h: the next is Monday 5 January; the bot comes back
    # on 6 January at 8h, less than a day late: the latest occurrence, 5 January, is sent
    fired = await bot.services.schedules.run_due(datetime(2026, 1, 6, 8, 0, tzinfo=TZ))
    assert fired == 1
    async with bot.units() as uow:
        [prompt] = await uow.schedules.find(kind="prompt")
        assert await uow.schedules.occurrences(prompt.id) == [
            datetime(2026, 1, 5, 17, 30, tzinfo=TZ)]
    assert prompt.next_run == datetime(2026, 1, 6, 17, 30, tzinfo=TZ)


# -------------------------------------------------------------------- !calendrier


async def test_calendrier_lists_milestones_and_the_zone_holidays(bot: Bot, clock: Clock) -> None:
    clock.now = datetime(2025, 12, 1, 10, 0, tzinfo=TZ)
    text = await say(bot, "!calendrier", DM)
    assert "Jalons à venir" in text
    assert ("vendredi 29 mai 2026 : Date limite de dépôt des ressources sur Édubase et des "
            "parcours M@gistère (date indicative)") in text
    assert "Vacances scolaires, zone A" in text
    assert "Vacances de Noël : du samedi 20 décembre 2025 au dimanche 4 janvier 2026" in text
    assert "Vacances d’été : du samedi 4 juillet 2026 au lundi 31 août 2026" in text
    assert text.index("Vacances de Noël") < text.index("Vacances d’hiver")


async def test_calendrier_during_holidays_and_after_the_milestones(bot: Bot,
                                                                   clock: Clock) -> None:
    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=TZ)
    text = await say(bot, "!calendrier", TEAM)
    assert "vendredi 29 janvier 2027" in text  # the coming year's first milestone
    assert "2026" not in text.split("Vacances scolaires")[0]  # past ones are not shown
    clock.now = datetime(2027, 7, 1, 10, 0, tzinfo=TZ)
    after = await say(bot, "!calendrier", TEAM)
    assert "Aucun jalon à venir dans le calendrier du programme." in after
    assert "Vacances de Noël : en cours, jusqu’au dimanche 3 janvier 2027" in text


async def test_calendar_alias(bot: Bot) -> None:
    assert "Calendrier TraAM" in await say(bot, "!calendar", DM)


# ----------------------------------------------------------------------- digests


async def _digest(bot: Bot, now: datetime, last_run: datetime) -> str:
    async with bot.units() as uow:
        sub = await bot.services.digests.subscribe(uow, REFERENT, "hebdo", last_run)
        sub = Schedule(**{**sub.__dict__, "last_run": last_run})
        reply = await bot.services.schedules.digest_builder(uow, sub, now)
    return reply.plain


async def test_digest_during_holidays_says_until_when(bot: Bot) -> None:
    now = datetime(2025, 12, 22, 8, 0, tzinfo=TZ)
    text = await _digest(bot, now, now - timedelta(days=7))
    assert ("Vacances scolaires (zone A) jusqu’au dimanche 4 janvier 2026 "
            "(Vacances de Noël)") in text


async def test_digest_announces_holidays_starting_within_a_week(bot: Bot) -> None:
    now = datetime(2025, 12, 15, 8, 0, tzinfo=TZ)
    text = await _digest(bot, now, now - timedelta(days=7))
    assert "Vacances scolaires (zone A) du samedi 20 décembre 2025 au dimanche 4 janvier 2026" \
        in text
    quiet = datetime(2025, 12, 8, 8, 0, tzinfo=TZ)
    assert "Vacances scolaires" not in await _digest(bot, quiet, quiet - timedelta(days=7))


@pytest.mark.parametrize(("day", "since_days", "expected"), [
    (15, 1, "Jalon dans 14 jours — vendredi 29 mai 2026"),  # daily digest, 14 days before
    (18, 7, "Jalon dans 11 jours — vendredi 29 mai 2026"),  # weekly: first one past the mark
    (26, 1, "Jalon dans 3 jours — vendredi 29 mai 2026"),
    (20, 1, None),  # neither mark crossed since the day before
])
async def test_digest_announces_milestones_14_and_3_days_before(
        bot: Bot, day: int, since_days: int, expected: str | None) -> None:
    now = datetime(2026, 5, day, 8, 0, tzinfo=TZ)
    text = await _digest(bot, now, now - timedelta(days=since_days))
    if expected is None:
        assert "Jalon" not in text
    else:
        assert f"{expected} : Date limite de dépôt des ressources sur Édubase" in text


async def test_digest_upcoming_prompts_skip_holidays(bot: Bot, clock: Clock) -> None:
    await say(bot, "!relance chaque lundi à 9h", TEAM, COORD)
    now = datetime(2025, 12, 29, 10, 0, tzinfo=TZ)
    text = await _digest(bot, now, now - timedelta(days=7))
    assert "lundi 5 janvier 2026 à 9h00 — relance" in text
    sunday = datetime(2025, 12, 21, 12, 0, tzinfo=TZ)  # Monday 22 December is skipped
    assert "— relance" not in await _digest(bot, sunday, sunday - timedelta(days=7))
