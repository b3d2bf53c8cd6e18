"""Schedules contract on SQLite and PostgreSQL: one firing per occurrence, ever."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.store_units import each
from traam_bot.config import load_directory
from traam_bot.domain.records import ACTIVE, DONE, PAUSED
from traam_bot.domain.triggers import Trigger
from traam_bot.store.database import Database

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
ROOM = "!equipe:localhost"
REPO = Path(__file__).resolve().parents[2]


async def add(repo: Any, trigger: Trigger, kind: str = "reminder") -> object:
    return await repo.add(kind=kind, room_id=ROOM, owner="@c:localhost", message="Réunion",
                          trigger=trigger, next_run=NOW + timedelta(hours=1), now=NOW)


async def test_an_occurrence_is_claimed_once_even_concurrently(db: Database) -> None:
    repo = each(db, "schedules")
    s = await add(repo, Trigger(hour=19, minute=0))
    at = NOW + timedelta(hours=1)
    claims = await asyncio.gather(*(repo.claim(s, at, False, at + timedelta(days=1), at)
                                    for _ in range(8)))
    assert sum(c is not None for c in claims) == 1
    stored = await repo.get(s.id)
    assert stored.next_run == at + timedelta(days=1) and stored.last_run == at
    assert stored.status == ACTIVE
    assert await repo.occurrences(s.id) == [at]


async def test_one_off_is_done_after_its_claim(db: Database) -> None:
    repo = each(db, "schedules")
    s = await add(repo, Trigger(at=NOW + timedelta(hours=1)))
    firing = await repo.claim(s, NOW + timedelta(hours=1), False, None, NOW)
    assert firing is not None
    assert (await repo.get(s.id)).status == DONE
    await repo.finish(firing.id, "sent", "$event")
    assert await repo.occurrences(s.id) == [NOW + timedelta(hours=1)]


async def test_room_loss_pauses_room_schedules_but_not_digests(db: Database) -> None:
    repo = each(db, "schedules")
    reminder = await add(repo, Trigger(hour=9, minute=0))
    prompt = await add(repo, Trigger(hour=16, minute=0), kind="prompt")
    digest = await add(repo, Trigger(hour=8, minute=0), kind="digest")
    assert await repo.set_room_status(ROOM, ACTIVE, PAUSED) == 2
    statuses = {s.id: s.status for s in await repo.find()}
    assert statuses == {reminder.id: PAUSED, prompt.id: PAUSED, digest.id: ACTIVE}


async def test_prompts_are_remembered(db: Database) -> None:
    await each(db, "directory").import_directory(load_directory(REPO / "config" / "traam.yaml"))
    repo = each(db, "schedules")
    await repo.add_prompt("$prompt", ROOM, "besancon-nsi-egalite", NOW)
    await repo.add_prompt("$prompt", ROOM, "besancon-nsi-egalite", NOW)  # a resend: once
    assert await repo.prompt_project("$prompt") == "besancon-nsi-egalite"
    assert await repo.prompt_project("$other") is None


async def test_the_holiday_opt_out_is_stored_and_defaults_to_skipping(db: Database) -> None:
    repo = each(db, "schedules")
    skipping = await add(repo, Trigger(weekdays=(0,), hour=9, minute=0), kind="prompt")
    every_day = await repo.add(kind="prompt", room_id=ROOM, owner="@c:localhost", message="",
                               trigger=Trigger(weekdays=(0,), hour=9, minute=0),
                               next_run=NOW, now=NOW, skip_holidays=False)
    stored = {s.id: s.skip_holidays for s in await repo.find(kind="prompt")}
    assert stored == {skipping.id: True, every_day.id: False}
