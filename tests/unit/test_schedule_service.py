"""ScheduleService with an injected clock: exactly-once firing, downtime, DST, room loss."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from traam_bot.config import load_directory
from traam_bot.domain.model import Reply, RoomUnavailable
from traam_bot.domain.triggers import Trigger
from traam_bot.services.schedules import ScheduleService
from traam_bot.store.database import Database, upgrade
from traam_bot.store.directory_repo import DirectoryRepo
from traam_bot.store.schedules_repo import ACTIVE, MISSED, PAUSED, SchedulesRepo

TZ = ZoneInfo("Europe/Paris")
ROOM = "!team:localhost"
CREATOR = "@coordinatrice:localhost"
CONFIG = Path(__file__).resolve().parents[2] / "config"


class Crash(BaseException):
    """Stands for SIGKILL between claiming a firing and sending it."""


@dataclass
class FakePoster:
    posts: list[tuple[str, str, str, bool]] = field(default_factory=list)
    dms: list[tuple[str, str, str]] = field(default_factory=list)
    fail_with: BaseException | None = None

    async def post(self, room_id: str, reply: Reply, key: str, *, ping_room: bool = False) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((room_id, reply.plain, key, ping_room))
        return f"$event{len(self.posts)}"

    async def direct(self, user_id: str, reply: Reply, key: str) -> tuple[str, str]:
        self.dms.append((user_id, reply.plain, key))
        return "!dm:localhost", f"$dm{len(self.dms)}"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
async def repo(tmp_path: Path) -> SchedulesRepo:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    await upgrade(url)
    db = Database(url)
    await DirectoryRepo(db).import_directory(load_directory(CONFIG / "traam.yaml"))
    yield SchedulesRepo(db)
    await db.close()


@pytest.fixture
def poster() -> FakePoster:
    return FakePoster()


@pytest.fixture
def service(repo: SchedulesRepo, poster: FakePoster) -> ScheduleService:
    async def digest(_schedule, now):
        return Reply(plain=f"digest {now.isoformat()}", html="digest")

    return ScheduleService(repo, TZ, poster, digest_builder=digest,
                           project_of_room=lambda room: "besancon-nsi-egalite")


async def add_reminder(service: ScheduleService, trigger: Trigger, now: datetime,
                       message: str = "Réunion") -> int:
    s = await service.add(kind="reminder", room_id=ROOM, owner=CREATOR, message=message,
                          trigger=trigger, now=now)
    return s.id


async def test_one_off_fires_once_at_its_time(service: ScheduleService, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now) == 0
    assert await service.run_due(now + timedelta(minutes=59)) == 0
    assert await service.run_due(now + timedelta(hours=1)) == 1
    assert await service.run_due(now + timedelta(hours=1, minutes=1)) == 0
    assert len(poster.posts) == 1
    room, text, _key, ping = poster.posts[0]
    assert room == ROOM and text == "🔔 Rappel : Réunion" and ping is False


async def test_concurrent_timers_fire_an_occurrence_once(service: ScheduleService,
                                                         poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=20, minute=0), now)
    at = paris(2026, 11, 25, 20)
    results = await asyncio.gather(service.run_due(at), service.run_schedule(sid, at),
                                   service.run_due(at))
    assert sum(results) == 1
    assert len(poster.posts) == 1


async def test_missed_one_off_within_a_day_is_sent_late(service: ScheduleService,
                                                        poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now + timedelta(hours=5)) == 1
    assert poster.posts[0][1] == "🔔 Rappel : Réunion (en retard)"
    assert await service.run_due(now + timedelta(hours=6)) == 0


async def test_missed_one_off_older_than_a_day_is_marked_and_creator_told(
        service: ScheduleService, repo: SchedulesRepo, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
    assert await service.run_due(now + timedelta(days=2)) == 0
    assert poster.posts == []
    assert (await repo.get(sid)).status == MISSED
    assert len(poster.dms) == 1 and poster.dms[0][0] == CREATOR
    assert "mercredi 25 novembre 2026 à 20h00" in poster.dms[0][1]
    assert "manqué" in poster.dms[0][1]


async def test_recurring_reminder_down_for_days_sends_one_late_then_resumes(
        service: ScheduleService, repo: SchedulesRepo, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=9, minute=0), now)
    back = paris(2026, 11, 28, 10)  # three 9h00 missed; the last one 1 hour ago
    assert await service.run_due(back) == 1
    assert poster.posts[0][1].endswith("(en retard)")
    assert (await repo.get(sid)).next_run == paris(2026, 11, 29, 9)
    assert await service.run_due(paris(2026, 11, 29, 9)) == 1
    assert poster.posts[1][1] == "🔔 Rappel : Réunion"


async def test_missed_digests_are_sent_once(service: ScheduleService, repo: SchedulesRepo,
                                            poster: FakePoster) -> None:
    now = paris(2026, 11, 2, 7)
    await service.add(kind="digest", room_id=None, owner="@referente:localhost",
                      message="hebdo", trigger=Trigger(weekdays=(0,), hour=8, minute=0),
                      now=now)
    assert await service.run_due(paris(2026, 11, 25, 12)) == 1  # three Mondays missed
    assert len(poster.dms) == 1
    assert await service.run_due(paris(2026, 11, 25, 13)) == 0


async def test_crash_between_claim_and_send_resends_with_the_same_key(
        service: ScheduleService, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(minutes=5)), now)
    poster.fail_with = Crash()
    with pytest.raises(Crash):
        await service.run_due(now + timedelta(minutes=5))
    poster.fail_with = None
    assert await service.run_due(now + timedelta(minutes=6)) == 0  # claimed: not fired again
    assert await service.resume_unsent(now + timedelta(minutes=7)) == 1
    assert await service.resume_unsent(now + timedelta(minutes=8)) == 0
    assert len(poster.posts) == 1
    # the key, hence the Matrix transaction id, is the one of the interrupted attempt
    assert poster.posts[0][2].startswith("schedule:")


async def test_room_loss_pauses_and_rejoin_resumes(service: ScheduleService,
                                                   repo: SchedulesRepo,
                                                   poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    sid = await add_reminder(service, Trigger(hour=20, minute=0), now)
    poster.fail_with = RoomUnavailable(ROOM)
    assert await service.run_due(paris(2026, 11, 25, 20)) == 1
    assert (await repo.get(sid)).status == PAUSED
    poster.fail_with = None
    assert await service.run_due(paris(2026, 11, 26, 20)) == 0  # paused: no retry loop
    await service.resume_room(ROOM, paris(2026, 11, 27, 12))
    resumed = await repo.get(sid)
    assert resumed.status == ACTIVE and resumed.next_run == paris(2026, 11, 27, 20)


async def test_prompt_firing_remembers_the_prompt_event(service: ScheduleService,
                                                        poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    await service.add(kind="prompt", room_id=ROOM, owner=CREATOR, message="",
                      trigger=Trigger(weekdays=(4,), hour=16, minute=0), now=now)
    assert await service.run_due(paris(2026, 11, 27, 16)) == 1
    assert poster.posts[0][1] == "Où en est l’équipe cette semaine ? Répondez dans ce fil."
    assert service.is_prompt("$event1")
    assert not service.is_prompt("$other")


async def test_room_ping_only_when_allowed(service: ScheduleService, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    for may in (False, True):
        await service.add(kind="reminder", room_id=ROOM, owner=CREATOR,
                          message="@room réunion", trigger=Trigger(at=now + timedelta(hours=1)),
                          now=now, may_ping_room=may)
    await service.run_due(now + timedelta(hours=1))
    pings = sorted(p[3] for p in poster.posts)
    assert pings == [False, True]
    defused = next(p[1] for p in poster.posts if not p[3])
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
async def test_dst_days_fire_exactly_once(service: ScheduleService, repo: SchedulesRepo,
                                          hour: int, minute: int, day: tuple[int, int, int],
                                          expected: list[datetime]) -> None:
    before = paris(*day, 0) - timedelta(hours=2)
    sid = await add_reminder(service, Trigger(hour=hour, minute=minute), before)
    for tick in _walk(before, paris(*day, 23), timedelta(minutes=5)):
        await service.run_due(tick)
    fired = await repo.occurrences(sid)
    assert fired == expected


async def test_a_failed_send_is_retried_by_the_sweep_with_the_same_key(
        service: ScheduleService, poster: FakePoster) -> None:
    now = paris(2026, 11, 25, 19)
    await add_reminder(service, Trigger(at=now + timedelta(minutes=5)), now)
    poster.fail_with = ConnectionError("homeserver down")
    assert await service.run_due(now + timedelta(minutes=5)) == 1
    assert poster.posts == []
    poster.fail_with = None
    await service.run_due(now + timedelta(minutes=6))  # too soon: maybe still in flight
    assert poster.posts == []
    await service.run_due(now + timedelta(minutes=8))
    await service.run_due(now + timedelta(minutes=9))
    assert len(poster.posts) == 1 and poster.posts[0][1] == "🔔 Rappel : Réunion"
