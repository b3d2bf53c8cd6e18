"""Bad input is bounded at entry (SPEC §8): stored texts, dates, recurrences and the number
of reminders of a room, each refused in French with the limit, nothing stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.unit import test_commands as base
from tests.unit.harness import ALICE, COORD, NOW, REFERENT, Bot, FakeRoom, make_bot
from tests.unit.limits_helpers import MODERATOR_ROOM, assert_every_message_fits, said, send
from traam_bot.domain.limits import (
    MAX_TEXT_CHARS,
    LimitError,
    check_interval,
    duration,
    minimum_gap,
    thousands,
)
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.updates import UpdateTextError, parse_bilan_args
from traam_bot.domain.when import parse_when

migrated = base.migrated  # the session-wide migrated template database

PARIS = ZoneInfo("Europe/Paris")
DIRECT = FakeRoom(room_id="!dm:localhost", is_direct=True)


@pytest.fixture
async def bot(tmp_path: Path, migrated: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, migrated) as b:
        yield b


async def reminders(bot: Bot, room: FakeRoom = MODERATOR_ROOM) -> list[str]:
    async with bot.units() as uow:
        return [s.message for s in await uow.schedules.find(kind="reminder",
                                                            room_id=room.room_id)]


# ------------------------------------------------------------------ stored texts


def test_thousands_are_grouped_the_french_way() -> None:
    assert [thousands(n) for n in (20, 4000, 1_234_567)] == ["20", "4 000", "1 234 567"]


async def test_a_reminder_text_at_the_limit_is_stored(bot: Bot) -> None:
    text = "é" * MAX_TEXT_CHARS
    rows = await send(bot, f"!rappel ajouter chaque lundi à 9h : {text}")
    assert "Rappel enregistré" in said(rows)
    assert await reminders(bot) == [text]


async def test_a_reminder_text_over_the_limit_is_refused_and_nothing_stored(bot: Bot) -> None:
    rows = await send(bot, f"!rappel ajouter chaque lundi à 9h : {'x' * 4001}")
    text = said(rows)
    assert text.startswith("Message du rappel trop long : 4 001 caractères pour 4 000 "
                           "caractères au maximum.")
    assert "Rien n’a été enregistré." in text
    assert await reminders(bot) == []
    assert_every_message_fits(rows)


async def test_an_update_over_the_limit_names_the_same_limit(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    rows = await send(bot, "!point " + "x" * (MAX_TEXT_CHARS + 1))
    assert "Mise à jour trop longue : 4 001 caractères pour 4 000 caractères au maximum." \
        in said(rows)
    assert await bot.updates("besancon-nsi-egalite") == []


# ------------------------------------------------------------------ dates

BAD_DATES = ["01/01/0001", "31/12/9999", "01/01/2101", "31/12/1999", "01/01/1000"]


@pytest.mark.parametrize("date", BAD_DATES)
async def test_bilan_since_a_date_out_of_bounds_is_refused(bot: Bot, date: str) -> None:
    rows = await send(bot, f"!bilan depuis {date}")
    year = int(date[-4:])
    assert said(rows).startswith(f"Année {year} hors limites : les dates vont de 2000 à 2100. "
                                 "Exemple : depuis 01/12/2025")


@pytest.mark.parametrize("date", ["01/01/2000", "31/12/2100", "01/12/2025"])
async def test_bilan_since_a_date_within_bounds_is_answered(bot: Bot, date: str) -> None:
    rows = await send(bot, f"!bilan depuis {date}")
    assert said(rows).startswith("Bilan des TraAM 2025-2026 depuis le ")


@pytest.mark.parametrize("date", BAD_DATES)
def test_bilan_dates_are_bounded_in_the_parser(date: str) -> None:
    with pytest.raises(UpdateTextError, match="2000 à 2100"):
        parse_bilan_args(f"nsi depuis {date}", PARIS)


@pytest.mark.parametrize(("when", "expected"), [
    ("le 01/01/0001 à 9h", "Année 1 hors limites"),
    ("le 31/12/9999 à 23h59", "Année 9999 hors limites"),
    ("le 1er janvier 2101 à 9h", "Année 2101 hors limites"),
    ("le 15/06/1999 à 9h", "Année 1999 hors limites"),
    ("le 15/06/2099 à 9h", "Date trop lointaine : 5 ans au plus"),
    ("dans 999999999 jours", "Délai trop long : 5 ans au plus"),
    ("dans 9999999999 semaines", "Délai trop long : 5 ans au plus"),
    ("dans 99999999999999999999 minutes", "Délai trop long : 5 ans au plus"),
    ("dans " + "9" * 5000 + " jours", "Moment trop long : 5 011 caractères pour 200"),
    ("dans 999999999 secondes", "Délai en secondes : entre 1 et 3600"),
])
def test_when_dates_and_delays_are_bounded(when: str, expected: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(when, NOW, PARIS)
    assert str(info.value).startswith(expected), str(info.value)
    assert "Exemple : " in str(info.value)


@pytest.mark.parametrize("when", ["le 01/01/0001 à 9h", "dans 999999999 jours",
                                  "le 31/12/9999 à 9h"])
async def test_reminders_with_dates_out_of_bounds_get_an_answer(bot: Bot, when: str) -> None:
    rows = await send(bot, f"!rappel ajouter {when} : test")
    assert "Usage : !rappel ajouter <quand> : <message>" in said(rows)
    assert await reminders(bot) == []


@pytest.mark.parametrize("when", ["dans 10 jours", "dans 3 semaines", "le 05/01 à 9h",
                                  "dans 999 heures"])
def test_a_delay_may_not_leave_the_years_in_bounds(when: str) -> None:
    late = datetime(2100, 12, 30, 12, tzinfo=UTC)
    with pytest.raises(WhenError, match=r"^Année 2101 hors limites : les dates vont de 2000"):
        parse_when(when, late, PARIS)


def test_the_last_day_in_bounds_still_parses() -> None:
    late = datetime(2099, 12, 1, 9, tzinfo=UTC)
    trigger = parse_when("le 31/12/2100 à 23h59", late, PARIS)
    assert trigger.at is not None and trigger.at.year == 2100


# ------------------------------------------------------------------ recurrences


@pytest.mark.parametrize(("when", "minutes"), [
    ('cron "* * * * *"', 1),
    ('cron "*/5 * * * *"', 5),
    ('cron "0 * * * *"', 60),
    ('cron "0,30 9 * * 1"', 30),
    ('cron "0 0,23 * * *"', 60),  # 23h00 then 0h00 the next day
    ('cron "0 0,23 * * 1"', 23 * 60),  # Monday 0h00 then 23h00; next Monday is far
    ('cron "59 23 31 * *"', 31 * 24 * 60),  # 31 July -> 31 August
    ('cron "0 9 */2 * *"', 24 * 60),  # the 31st then the 1st
    ('cron "0 9 * * 1-5"', 24 * 60),
    ("chaque jour à 9h", 24 * 60),
    ("chaque lundi à 9h", 7 * 24 * 60),
    ("les mardis et jeudis à 17h", 2 * 24 * 60),
    ("chaque 1er du mois à 8h", 28 * 24 * 60),
])
def test_minimum_gap_of_recurring_triggers(when: str, minutes: int) -> None:
    trigger = parse_when(when, NOW, PARIS)
    assert minimum_gap(trigger, NOW, PARIS) == timedelta(minutes=minutes)


def test_one_offs_have_no_gap() -> None:
    assert minimum_gap(parse_when("dans 30 secondes", NOW, PARIS), NOW, PARIS) is None
    assert minimum_gap(Trigger(at=NOW + timedelta(days=1)), NOW, PARIS) is None


def test_check_interval_message_names_the_limit() -> None:
    with pytest.raises(LimitError) as info:
        check_interval(Trigger(cron="*/10 * * * *"), 90, NOW, PARIS)
    assert str(info.value) == (
        "Récurrence trop fréquente : cron « */10 * * * * » revient après 10 minutes, "
        "l’intervalle minimal entre deux envois est de 90 minutes. Espacez les envois, par "
        "exemple : chaque jour à 9h, ou cron \"0 9 * * 1-5\".")
    check_interval(Trigger(cron="*/10 * * * *"), 10, NOW, PARIS)  # at the limit: allowed


@pytest.mark.parametrize(("minutes", "text"), [
    (1, "1 minute"), (45, "45 minutes"), (60, "1 heure"), (90, "90 minutes"),
    (120, "2 heures"), (150, "2 h 30"), (1440, "24 heures")])
def test_durations_in_french(minutes: int, text: str) -> None:
    assert duration(minutes) == text


@pytest.mark.parametrize("when", ['cron "* * * * *"', 'cron "*/30 * * * *"',
                                  'cron "0,59 9 * * *"'])
async def test_a_moderator_may_not_schedule_a_frequent_reminder(bot: Bot, when: str) -> None:
    rows = await send(bot, f"!rappel ajouter {when} : café")
    text = said(rows)
    assert text.startswith("Récurrence trop fréquente : ")
    assert "l’intervalle minimal entre deux envois est de 1 heure" in text
    assert "Usage : !rappel ajouter <quand> : <message>" in text
    assert await reminders(bot) == []


async def test_an_admin_may_schedule_a_frequent_reminder(bot: Bot) -> None:
    rows = await send(bot, '!rappel ajouter cron "* * * * *" : café', sender=COORD)
    assert "Rappel enregistré (cron « * * * * * »)" in said(rows)
    assert await reminders(bot) == ["café"]


async def test_hourly_is_the_default_floor(bot: Bot) -> None:
    rows = await send(bot, '!rappel ajouter cron "0 * * * *" : café')
    assert "Rappel enregistré" in said(rows)


async def test_prompts_are_bounded_too(bot: Bot) -> None:
    await bot.link(MODERATOR_ROOM.room_id, "besancon-nsi-egalite")
    refused = await send(bot, '!relance cron "*/5 * * * *"')
    assert said(refused).startswith("Récurrence trop fréquente : ")
    async with bot.units() as uow:
        assert await uow.schedules.find(kind="prompt") == []
    assert "Relance programmée" in said(await send(bot, '!relance cron "*/5 * * * *"',
                                                   sender=COORD))


async def test_configured_floor_applies_to_digests(tmp_path: Path, migrated: Path) -> None:
    limits = {"limits": {"min_interval_minutes": 2 * 24 * 60}}
    async with make_bot(tmp_path, migrated, settings=limits) as bot:
        daily = await send(bot, "!digest abonner quotidien", DIRECT, sender=REFERENT)
        assert said(daily).startswith("Récurrence trop fréquente : chaque jour à 8h00 revient "
                                      "après 24 heures, l’intervalle minimal entre deux envois "
                                      "est de 48 heures.")
        weekly = await send(bot, "!digest abonner hebdo", DIRECT, sender=REFERENT)
        assert "Abonnement au digest hebdomadaire" in said(weekly)
        daily_by_admin = await send(bot, "!digest abonner quotidien", DIRECT, sender=COORD)
        assert "Abonnement au digest quotidien" in said(daily_by_admin)


# ------------------------------------------------------------------ reminders per room


async def test_the_room_cap_refuses_then_a_deletion_frees_a_slot(tmp_path: Path,
                                                                 migrated: Path) -> None:
    async with make_bot(tmp_path, migrated, settings={"limits": {"reminders_per_room": 3}}) as bot:
        for n in range(3):
            assert "Rappel enregistré" in said(await send(
                bot, f"!rappel ajouter chaque lundi à 9h : rappel {n}"))
        refused = await send(bot, "!rappel ajouter chaque lundi à 9h : de trop")
        assert said(refused) == (
            "Ce salon a déjà 3 rappels, le maximum est de 3. Supprimez-en un avec "
            "!rappel suppr <n> (voir !rappel liste) avant d’en ajouter un autre.")
        by_admin = await send(bot, "!rappel ajouter chaque lundi à 9h : de trop", sender=COORD)
        assert said(by_admin) == said(refused)  # admins too: the cap protects the room
        other_room = FakeRoom(room_id="!autre:localhost", levels={ALICE: 50})
        assert "Rappel enregistré" in said(await send(
            bot, "!rappel ajouter chaque lundi à 9h : ailleurs", other_room))
        assert "supprimé" in said(await send(bot, "!rappel suppr 2"))
        assert "Rappel enregistré" in said(await send(
            bot, "!rappel ajouter chaque lundi à 9h : enfin"))
        assert await reminders(bot) == ["rappel 0", "rappel 2", "enfin"]


async def test_a_fired_one_off_frees_its_slot(tmp_path: Path, migrated: Path) -> None:
    async with make_bot(tmp_path, migrated, settings={"limits": {"reminders_per_room": 1}}) as bot:
        await send(bot, "!rappel ajouter dans 2 heures : bientôt")
        assert "déjà 1 rappel," in said(await send(bot, "!rappel ajouter dans 3 heures : x"))
        assert await bot.services.schedules.run_due(NOW + timedelta(hours=2)) == 1
        assert "Rappel enregistré" in said(await send(bot, "!rappel ajouter dans 3 heures : x"))


@pytest.mark.parametrize("arg", ["²", "١", "0", "-1", "1" * 5000, "99999999999", "1.0"])
async def test_reminder_numbers_are_checked_without_crashing(bot: Bot, arg: str) -> None:
    await send(bot, "!rappel ajouter chaque lundi à 9h : un")
    rows = await send(bot, f"!rappel suppr {arg}")
    assert said(rows).startswith("Numéro de rappel attendu, entre 1 et 1")
    assert await reminders(bot) == ["un"]
