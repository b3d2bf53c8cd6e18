"""What a send's outcome does to its outbox row, its firing and its schedule, and what the
creator of a scheduled post is told — called as the sender calls it, row by row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.unit.harness import NOW, Bot, make_bot
from tests.unit.test_outbox import CREATOR, ROOM, Clock, delivery_of, owe_answer, rows
from traam_bot.domain.outbox import EXPIRED, FAILED, OutboxItem
from traam_bot.domain.records import ACTIVE, PAUSED
from traam_bot.domain.triggers import Trigger
from traam_bot.domain.typography import typeset
from traam_bot.services.delivery import Delivery
from traam_bot.store.models import FiringRow

AT = NOW + timedelta(hours=1)  # when the outcome is reported
PLANNED = "lundi 1er décembre 2025 à 11h00"  # the reminder's occurrence, in Paris


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, clock=Clock()) as bot:
        yield bot


async def scheduled_reminder(bot: Bot) -> tuple[int, OutboxItem, Delivery]:
    """A daily reminder at 11h00 Paris, fired: its row is pending, the clock at AT."""
    services = bot.services
    async with bot.units() as uow:
        schedule = await services.schedules.add(
            uow, kind="reminder", room_id=ROOM, owner=CREATOR, message="Réunion",
            trigger=Trigger(hour=11, minute=0), now=NOW)
    assert await services.schedules.run_due(NOW + timedelta(hours=1)) == 1
    clock: Clock = services.clock  # type: ignore[assignment]
    clock.now = AT
    delivery = delivery_of(bot)
    [item] = await delivery.pending()
    return schedule.id, item, delivery


async def firing_statuses(bot: Bot) -> list[str]:
    async with bot.units() as uow:
        return list((await uow.session.scalars(select(FiringRow.status))).all())


async def schedule_status(bot: Bot, schedule_id: int) -> str:
    async with bot.units() as uow:
        schedule = await uow.schedules.get(schedule_id)
    assert schedule is not None
    return schedule.status


async def notices(bot: Bot) -> list[str]:
    return [o.body for o in await bot.owed() if o.user_id == CREATOR]


@pytest.mark.parametrize(("code", "paused", "reason"), [
    ("M_FORBIDDEN", True, "le bot n’a pas le droit d’écrire dans ce salon"),
    ("M_NOT_FOUND", True, "le salon est introuvable ou le bot n’y est plus"),
    ("M_TOO_LARGE", False, "le message dépasse la taille maximale d’un événement Matrix"),
    ("M_UNKNOWN", False, "refus inattendu"),  # no wording of ours: the server's detail
])
async def test_a_refused_scheduled_post_ends_and_its_creator_is_told_why(
        bot: Bot, caplog: pytest.LogCaptureFixture, code: str, paused: bool,
        reason: str) -> None:
    schedule_id, item, delivery = await scheduled_reminder(bot)
    with caplog.at_level("WARNING"):
        await delivery.failed(item, code, "refus inattendu")
    row = (await rows(bot))[0]
    assert (row.status, row.error, row.done_at) == (FAILED, f"{code} refus inattendu", AT)
    assert await firing_statuses(bot) == [FAILED]
    assert await schedule_status(bot, schedule_id) == (PAUSED if paused else ACTIVE)
    assert await notices(bot) == [typeset(f"Votre rappel « Réunion » prévu le {PLANNED} n’a "
                                          f"pas pu être publié : {reason}.")]
    assert f"outbox row {item.id} refused ({code} refus inattendu)" in caplog.text

    await delivery.failed(item, code, "refus inattendu")  # reported twice: told once
    assert len(await notices(bot)) == 1


async def test_an_answer_refused_for_good_tells_nobody_and_pauses_nothing(bot: Bot) -> None:
    async with bot.units() as uow:
        schedule = await bot.services.schedules.add(
            uow, kind="reminder", room_id=ROOM, owner=CREATOR, message="Réunion",
            trigger=Trigger(hour=11, minute=0), now=NOW)
    await owe_answer(bot, "$q", "Réponse", reaction=None)
    delivery = delivery_of(bot)
    [item] = await delivery.pending()
    await delivery.failed(item, "M_FORBIDDEN", "interdit")
    assert [r.status for r in await rows(bot)] == [FAILED]
    assert await schedule_status(bot, schedule.id) == ACTIVE  # not a scheduled post's room
    assert await bot.owed() == []


async def test_an_expired_scheduled_post_ends_and_its_creator_is_told(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    schedule_id, item, delivery = await scheduled_reminder(bot)
    with caplog.at_level("WARNING"):
        await delivery.expired(item)
    row = (await rows(bot))[0]
    assert (row.status, row.error, row.done_at) == (EXPIRED, "expired", AT)
    assert await firing_statuses(bot) == [EXPIRED]
    assert await schedule_status(bot, schedule_id) == ACTIVE
    assert await notices(bot) == [typeset(
        f"Votre rappel « Réunion » prévu le {PLANNED} n’a pas pu être publié : le serveur "
        "Matrix est resté injoignable plus de 24 heures.")]
    assert f"outbox row {item.id} expired unsent after 0:00:00 (queue {ROOM})" in caplog.text
    await delivery.expired(item)
    assert len(await notices(bot)) == 1


async def test_the_age_limit_is_the_configured_one(bot: Bot) -> None:
    _id, item, _delivery = await scheduled_reminder(bot)
    clock: Clock = bot.services.clock  # type: ignore[assignment]
    six_hours = delivery_of(bot, max_age=timedelta(hours=6))
    clock.now = item.created_at + timedelta(hours=6)
    assert not six_hours.too_old(item)
    clock.now += timedelta(seconds=1)
    assert six_hours.too_old(item)
    await six_hours.expired(item)
    assert "plus de 6 heures" in (await notices(bot))[0]
    assert (await rows(bot))[0].status == EXPIRED


async def test_a_sent_row_records_its_event_its_firing_and_what_it_opened(bot: Bot) -> None:
    """A digest to a user: the row is sent into the direct chat opened for it, the firing
    keeps the event id, the subscription remembers that room; reported twice, once."""
    services = bot.services
    async with bot.units() as uow:
        digest = await services.digests.subscribe(uow, CREATOR, "hebdo", NOW)
        assert await services.schedules.fire_now(uow, digest, NOW) == 1
    delivery = delivery_of(bot)
    [item] = await delivery.pending()
    await delivery.sent(item, "$digest", "!dm-creator:localhost")
    await delivery.sent(item, "$autre", "!ailleurs:localhost")  # a resend after a crash
    row = (await rows(bot))[0]
    assert (row.status, row.event_id, row.queue, row.done_at) == (
        "sent", "$digest", "!dm-creator:localhost", NOW)
    async with bot.units() as uow:
        [(status, event_id)] = (await uow.session.execute(
            select(FiringRow.status, FiringRow.event_id))).all()
        subscription = await uow.schedules.get(digest.id)
    assert (status, event_id) == ("sent", "$digest")
    assert subscription is not None and subscription.room_id == "!dm-creator:localhost"


async def test_a_sent_prompt_makes_answers_in_its_thread_count(bot: Bot) -> None:
    services = bot.services
    await bot.link(ROOM, "besancon-nsi-egalite")
    async with bot.units() as uow:
        prompt = await services.schedules.add(
            uow, kind="prompt", room_id=ROOM, owner=CREATOR, message="",
            trigger=Trigger(hour=11, minute=0), now=NOW)
    assert await services.schedules.run_due(NOW + timedelta(hours=1)) == 1
    delivery = delivery_of(bot)
    [item] = await delivery.pending()
    assert item.outgoing.prompt_project == "besancon-nsi-egalite"
    await delivery.sent(item, "$relance", ROOM)
    async with bot.units() as uow:
        assert await uow.schedules.prompt_project("$relance") == "besancon-nsi-egalite"
        assert await uow.schedules.prompt_project("$autre") is None
        assert (await uow.schedules.get(prompt.id)).room_id == ROOM  # type: ignore[union-attr]
