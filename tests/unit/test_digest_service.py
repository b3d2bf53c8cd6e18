"""Digest subscriptions and what a digest says, through the real services on in-memory
SQLite: the period it covers, what is coming in the next 7 days, who receives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit import harness
from tests.unit.harness import ALICE, NOW, REFERENT, Bot, FakeRoom, make_bot
from traam_bot.domain.outbox import Outgoing
from traam_bot.domain.records import ACTIVE, CANCELLED, PAUSED
from traam_bot.domain.typography import typeset
from traam_bot.services.digests import DAILY, WEEKLY, trigger_for

NSI = "besancon-nsi-egalite"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
LOOSE = FakeRoom(room_id="!sans-projet:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
DM = FakeRoom(room_id="!dm-referente:localhost", is_direct=True, members={REFERENT: "R"})
OTHER = "@autre-referent:localhost"


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template) as bot:
        await bot.link(TEAM.room_id, NSI)
        yield bot


_count = iter(range(1, 10_000))


async def say(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE,
              days: float = 0) -> str:
    return (await harness.say(bot, body, room, sender, NOW + timedelta(days=days))).plain


async def subscribe_defaults(bot: Bot, *referents: str) -> None:
    async with bot.units() as uow:
        await bot.services.digests.ensure_defaults(uow, referents, NOW)


async def subscriptions(bot: Bot, user: str) -> list[tuple[str, str]]:
    async with bot.units() as uow:
        found = await uow.schedules.find(kind="digest", owner=user,
                                         statuses=(ACTIVE, PAUSED, CANCELLED))
    return [(s.message, s.status) for s in found]


async def digests(bot: Bot) -> list[Outgoing]:
    return [o for o in await bot.owed() if o.label == "digest"]


async def test_a_weekly_digest_covers_seven_days_and_the_week_to_come(bot: Bot) -> None:
    await subscribe_defaults(bot, REFERENT)
    await say(bot, "!point Fait : séance 1", days=-3)
    await say(bot, "!point Blocage : trop ancien", days=-8)
    await say(bot, "!relance chaque lundi à 9h")
    await say(bot, "!rappel ajouter demain à 10h : Apporter les tablettes")
    await say(bot, "!rappel ajouter le 20/12/2025 à 10h : Trop loin")
    await say(bot, "!rappel ajouter demain à 8h : Salle sans projet", LOOSE)

    assert await say(bot, "!digest maintenant", DM, REFERENT) == \
        f"Digest envoyé à {REFERENT}."
    [digest] = await digests(bot)
    assert digest.user_id == REFERENT and digest.notify == REFERENT
    lines = digest.body.split("\n")
    assert lines[0] == ("Digest TraAM du lundi 1er décembre 2025 — mises à jour depuis le "
                        "lundi 24 novembre 2025 à 10h00")
    assert typeset("  Fait : séance 1") in lines
    assert not any("trop ancien" in line for line in lines)
    coming = lines[lines.index("À venir dans les 7 prochains jours") + 1:]
    assert coming == [typeset(line) for line in (
        "• mardi 2 décembre 2025 à 8h00 — rappel — !sans-projet:localhost : Salle sans projet",
        "• mardi 2 décembre 2025 à 10h00 — rappel — NSI (académie de Besançon) : "
        "Apporter les tablettes",
        "• lundi 8 décembre 2025 à 9h00 — relance — NSI (académie de Besançon)",
    )]


async def test_a_daily_digest_covers_one_day(bot: Bot) -> None:
    async with bot.units() as uow:
        await bot.services.digests.subscribe(uow, REFERENT, "quotidien", NOW)
    await say(bot, "!point Fait : hier soir", days=-0.5)
    await say(bot, "!point Fait : avant-hier", days=-2)
    await say(bot, "!digest maintenant", DM, REFERENT)
    [digest] = await digests(bot)
    assert "depuis le dimanche 30 novembre 2025 à 10h00" in digest.body.split("\n")[0]
    assert typeset("Fait : hier soir") in digest.body and "avant-hier" not in digest.body
    assert "À venir" not in digest.body  # nothing scheduled


async def test_referents_get_a_weekly_digest_once_and_keep_their_choice(bot: Bot) -> None:
    await subscribe_defaults(bot, REFERENT, OTHER)
    await subscribe_defaults(bot, REFERENT, OTHER)  # every start: still one each
    assert await subscriptions(bot, REFERENT) == [("hebdo", ACTIVE)]
    assert await subscriptions(bot, OTHER) == [("hebdo", ACTIVE)]

    async with bot.units() as uow:
        assert await bot.services.digests.unsubscribe(uow, OTHER) is True
    async with bot.units() as uow:
        assert await bot.services.digests.unsubscribe(uow, OTHER) is False  # nothing left
    await subscribe_defaults(bot, REFERENT, OTHER)
    assert await subscriptions(bot, OTHER) == [("hebdo", CANCELLED)]  # not brought back

    async with bot.units() as uow:
        daily = await bot.services.digests.subscribe(uow, REFERENT, "quotidien", NOW)
    assert daily.trigger == DAILY
    assert sorted(await subscriptions(bot, REFERENT)) == [("hebdo", CANCELLED),
                                                          ("quotidien", ACTIVE)]


async def test_send_now_reaches_active_subscribers_only(bot: Bot) -> None:
    await subscribe_defaults(bot, REFERENT, OTHER)
    async with bot.units() as uow:
        [other] = await uow.schedules.find(kind="digest", owner=OTHER, statuses=(ACTIVE,))
        await uow.schedules.reschedule(other.id, None, PAUSED)
    async with bot.units() as uow:
        sent = await bot.services.digests.send_now(uow, NOW)
    assert sent == [REFERENT]
    assert [d.user_id for d in await digests(bot)] == [REFERENT]


def test_frequencies_map_to_their_trigger() -> None:
    assert trigger_for("quotidien") == DAILY
    assert trigger_for("hebdo") == WEEKLY
    assert (WEEKLY.weekdays, WEEKLY.hour, WEEKLY.minute) == ((0,), 8, 0)  # Monday 8h00
    assert (DAILY.weekdays, DAILY.hour, DAILY.minute) != (WEEKLY.weekdays, 8, 0)
