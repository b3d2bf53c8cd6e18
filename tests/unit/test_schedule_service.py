"""ScheduleService with an injected clock: exactly-once firing, downtime, DST, room loss."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.unit.harness import RecordingTimers
from traam_bot.config import load_directory
from traam_bot.config.holidays import FrenchHolidays
from traam_bot.domain.calendar import Programme
from traam_bot.domain.model import Reply
from traam_bot.domain.outbox import Outgoing
from traam_bot.domain.records import ACTIVE, MISSED, PAUSED, Schedule
from traam_bot.domain.triggers import Trigger
from traam_bot.domain.typography import typeset
from traam_bot.services.calendar import CalendarService
from traam_bot.services.outbox import Outbox
from traam_bot.services.schedules import ScheduleService
from traam_bot.services.units import StoreUnavailable
from traam_bot.store.database import Database, upgrade
from traam_bot.store.unit_of_work import UnitsOfWork

TZ = ZoneInfo("Europe/Paris")
ROOM = "!team:localhost"
CREATOR = "@coordinatrice:localhost"
CONFIG = Path(__file__).resolve().parents[2] / "config"
# These rules hold on any day: holidays are not skipped here (test_holiday_commands is
# about skipping them)
NO_SKIPPING = CalendarService(Programme(FrenchHolidays(), skip=False), lambda room: None,
                              list)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
async def units(tmp_path: Path) -> AsyncIterator[UnitsOfWork]:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    await upgrade(url)
    db = Database(url)
    units = UnitsOfWork(db)
    async with units() as uow:
        await uow.directory.import_directory(load_directory(CONFIG / "traam.yaml"))
    yield units
    await db.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def service(units: UnitsOfWork, outbox: Outbox) -> ScheduleService:
    async def digest(_uow: object, _schedule: Schedule, now: datetime) -> Reply:
        return Reply(plain=f"digest {now.isoformat()}", html="digest")

    return ScheduleService(units, outbox, TZ, RecordingTimers(), digest,
                           project_of_room=lambda room: "besancon-nsi-egalite",
                           calendar=NO_SKIPPING)


async def owed(units: UnitsOfWork) -> list[Outgoing]:
    async with units() as uow:
        return [i.outgoing for i in await uow.outbox.pending()]


async def get(units: UnitsOfWork, schedule_id: int) -> Schedule:
    async with units() as uow:
        found = await uow.schedules.get(schedule_id)
    assert found is not None
    return found


async def add(service: ScheduleService, **kw: Any) -> Schedule:
    async with service.units() as uow:
        return await service.add(uow, **kw)


async def add_reminder(service: ScheduleService, trigger: Trigger, now: datetime,
                       message: str = "Réunion") -> int:
    s = await add(service, kind="reminder", room_id=ROOM, owner=CREATOR, message=message,
                  trigger=trigger, now=now)
    return s.id


async def test_one_off_fires_once_at_its_time(service: ScheduleService,
                                              units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now) == 0
    assert await service.run_due(now + timedelta(minutes=59)) == 0
    assert await service.run_due(now + timedelta(hours=1)) == 1
    assert await service.run_due(now + timedelta(hours=1, minutes=1)) == 0
    [post] = await owed(units)
    assert post.room_id == ROOM and post.body == typeset("🔔 Rappel : Réunion")
    assert post.msgtype == "m.text" and post.ping_room is False
    assert post.notify == CREATOR and post.firing_id is not None


async def test_concurrent_timers_fire_an_occurrence_once(service: ScheduleService,
                                                         units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=20, minute=0), now)
    at = paris(2026, 11, 25, 20)
    results = await asyncio.gather(service.run_due(at), service.run_schedule(sid, at),
                                   service.run_due(at))
    assert sum(results) == 1
    assert len(await owed(units)) == 1


async def test_missed_one_off_within_a_day_is_sent_late(service: ScheduleService,
                                                        units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now + timedelta(hours=5)) == 1
    assert [p.body for p in await owed(units)] == [typeset("🔔 Rappel : Réunion (en retard)")]
    assert await service.run_due(now + timedelta(hours=6)) == 0


async def test_missed_one_off_older_than_a_day_is_marked_and_creator_told(
        service: ScheduleService, units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now + timedelta(days=2)) == 0
    assert (await get(units, sid)).status == MISSED
    [notice] = await owed(units)
    assert notice.user_id == CREATOR and notice.room_id is None
    assert notice.msgtype == "m.notice"
    assert notice.body == typeset("Votre rappel « Réunion » prévu le mercredi 25 novembre 2026 "
                                  "à 20h00 n’a pas pu être envoyé : le bot était arrêté depuis "
                                  "plus de 24 heures. Il est marqué comme manqué.")
    assert service.timers.armed[sid] is None  # type: ignore[attr-defined]
    assert await service.run_due(now + timedelta(days=3)) == 0  # told once
    assert len(await owed(units)) == 1


async def test_recurring_reminder_down_for_days_sends_one_late_then_resumes(
        service: ScheduleService, units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=9, minute=0), now)
    back = paris(2026, 11, 28, 10)  # three 9h00 missed; the last one 1 hour ago
    assert await service.run_due(back) == 1
    assert (await owed(units))[0].body.endswith("(en retard)")
    assert (await get(units, sid)).next_run == paris(2026, 11, 29, 9)
    assert await service.run_due(paris(2026, 11, 29, 9)) == 1
    assert (await owed(units))[1].body == typeset("🔔 Rappel : Réunion")


async def test_missed_digests_are_sent_once(service: ScheduleService,
                                            units: UnitsOfWork) -> None:
    now = paris(2026, 11, 2, 7)
    await add(service, kind="digest", room_id=None, owner="@referente:localhost",
              message="hebdo", trigger=Trigger(weekdays=(0,), hour=8, minute=0), now=now)
    assert await service.run_due(paris(2026, 11, 25, 12)) == 1  # three Mondays missed
    assert [p.user_id for p in await owed(units)] == ["@referente:localhost"]
    assert await service.run_due(paris(2026, 11, 25, 13)) == 0


async def test_claim_and_message_are_committed_together(units: UnitsOfWork,
                                                        outbox: Outbox) -> None:
    """A failure while composing (here, the digest) leaves neither a claim nor a message:
    the occurrence is still due and fires once afterwards."""
    failing = True

    async def digest(_uow: object, _schedule: Schedule, now: datetime) -> Reply:
        if failing:
            raise ConnectionError("database gone mid-way")
        return Reply(plain="digest", html="digest")

    service = ScheduleService(units, outbox, TZ, RecordingTimers(), digest,
                              project_of_room=lambda room: None, calendar=NO_SKIPPING)
    now = paris(2026, 11, 2, 7)
    sub = await add(service, kind="digest", room_id=None, owner="@referente:localhost",
                    message="hebdo", trigger=Trigger(weekdays=(0,), hour=8, minute=0), now=now)
    with pytest.raises(StoreUnavailable):  # the store's word for a lost connection
        await service.run_due(paris(2026, 11, 2, 8))
    assert await owed(units) == []
    async with units() as uow:
        assert await uow.schedules.occurrences(sub.id) == []
    failing = False
    assert await service.run_due(paris(2026, 11, 2, 8, 1)) == 1
    assert [p.body for p in await owed(units)] == ["digest"]


async def test_pause_and_rejoin_resumes(service: ScheduleService, units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=20, minute=0), now)
    async with units() as uow:
        await service.pause_room(uow, ROOM)
    assert (await get(units, sid)).status == PAUSED
    assert await service.run_due(paris(2026, 11, 26, 20)) == 0  # paused: no retry loop
    async with units() as uow:
        await service.resume_room(uow, ROOM, paris(2026, 11, 27, 12))
    resumed = await get(units, sid)
    assert resumed.status == ACTIVE and resumed.next_run == paris(2026, 11, 27, 20)


async def test_prompt_firing_owes_a_prompt_of_the_room_project(service: ScheduleService,
                                                               units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    await add(service, kind="prompt", room_id=ROOM, owner=CREATOR, message="",
              trigger=Trigger(weekdays=(4,), hour=16, minute=0), now=now)
    assert await service.run_due(paris(2026, 11, 27, 16)) == 1
    [prompt] = await owed(units)
    assert prompt.body == typeset("Où en est l’équipe cette semaine ? Répondez dans ce fil.")
    assert prompt.prompt_project == "besancon-nsi-egalite" and prompt.room_id == ROOM


async def test_room_ping_only_when_allowed(service: ScheduleService,
                                           units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    for may in (False, True):
        await add(service, kind="reminder", room_id=ROOM, owner=CREATOR,
                  message="@room réunion", trigger=Trigger(at=now + timedelta(hours=1)),
                  now=now, may_ping_room=may)
    await service.run_due(now + timedelta(hours=1))
    posts = await owed(units)
    assert sorted(p.ping_room for p in posts) == [False, True]
    defused = next(p.body for p in posts if not p.ping_room)
    assert "@room" not in defused and "@\u200broom" in defused


def _walk(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out, t = [], start
    while t <= end:
        out.append(t)
        t += step
    return out


@pytest.mark.parametrize(("hour", "minute", "day", "expected"), [
    # daily 9h00 stays at 9h00 local across both 2026 changes
    (9, 0, (2026, 3, 29), [paris(2026, 3, 29, 9)]),
    (9, 0, (2026, 10, 25), [paris(2026, 10, 25, 9)]),
    # 2h30 does not exist on 29/03: fired once, at 3h00 local (01:00 UTC)
    (2, 30, (2026, 3, 29), [datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]),
    # 2h30 happens twice on 25/10: fired once, the first time (00:30 UTC)
    (2, 30, (2026, 10, 25), [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]),
])
async def test_dst_days_fire_exactly_once(service: ScheduleService, units: UnitsOfWork,
                                          hour: int, minute: int, day: tuple[int, int, int],
                                          expected: list[datetime]) -> None:
    before = paris(*day, 0) - timedelta(hours=2)
    sid = await add_reminder(service, Trigger(hour=hour, minute=minute), before)
    for tick in _walk(before, paris(*day, 23), timedelta(minutes=5)):
        await service.run_due(tick)
    async with units() as uow:
        fired = await uow.schedules.occurrences(sid)
    assert fired == expected


async def test_a_weekly_reminder_missed_days_ago_is_skipped_to_its_next_time(
        service: ScheduleService, units: UnitsOfWork) -> None:
    """Down from before Monday 9h00 until Thursday: the only occurrence missed is 3 days
    old, past the 24 h within which a late reminder still makes sense. Nothing is sent;
    the reminder is rescheduled (and armed) for next Monday, and fires then."""
    now = paris(2026, 11, 20, 19)  # a Friday
    sid = await add_reminder(service, Trigger(weekdays=(0,), hour=9, minute=0), now)
    assert (await get(units, sid)).next_run == paris(2026, 11, 23, 9)
    assert await service.run_due(paris(2026, 11, 26, 9, 30)) == 0
    assert await owed(units) == []
    assert (await get(units, sid)).next_run == paris(2026, 11, 30, 9)
    assert service.timers.armed[sid] == paris(2026, 11, 30, 9)  # type: ignore[attr-defined]
    assert await service.run_due(paris(2026, 11, 30, 9)) == 1
    assert [p.body for p in await owed(units)] == [typeset("🔔 Rappel : Réunion")]


async def test_late_means_over_a_minute(service: ScheduleService, units: UnitsOfWork) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now, message="A")
    await add_reminder(service, Trigger(at=now + timedelta(hours=2)), now, message="B")
    assert await service.run_due(now + timedelta(hours=1, seconds=60)) == 1  # on time
    assert await service.run_due(now + timedelta(hours=2, seconds=61)) == 1  # late
    assert [p.body for p in await owed(units)] == [
        typeset("🔔 Rappel : A"), typeset("🔔 Rappel : B (en retard)")]
