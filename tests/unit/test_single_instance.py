"""Single instance (SPEC §8), the decisions over a scripted lock: a plain `run` refused with
a French line naming the other instance; a standby that waits, says for whom, and takes
over; the running bot's watch that takes a lost lock back, or stops when another instance
got it meanwhile."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.backoff import Backoff
from traam_bot.domain.instance import InstanceOwner, describe
from traam_bot.services import instance as module
from traam_bot.services.instance import AnotherInstance, LockState, SingleInstance
from traam_bot.services.retry import Patience
from traam_bot.services.units import StoreUnavailable

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 12, 1, 8, 3, 3, tzinfo=UTC)  # lundi 1er décembre, 9h03 à Paris
ACTIVE = InstanceOwner("a" * 32, "srv-1", 4242, datetime(2025, 12, 1, 8, 0, tzinfo=UTC),
                       heartbeat_at=NOW - timedelta(seconds=3))
OTHER = InstanceOwner("b" * 32, "srv-2", 77, datetime(2025, 12, 1, 8, 2, tzinfo=UTC))
ME = InstanceOwner("c" * 32, "srv-3", 99, NOW)
TAKEN, BUSY, STALE = LockState.TAKEN, LockState.BUSY, LockState.STALE
DOWN = StoreUnavailable("postgresql : ConnectionRefusedError")


class ScriptedLock:
    """Answers `acquire` and `check` from scripts (the last answer repeats); `holder`
    names the instance holding it."""

    def __init__(self, acquire: list[LockState | Exception],
                 checks: list[bool] | None = None,
                 holders: list[InstanceOwner | None] | None = None) -> None:
        self.acquires: list[object] = list(acquire)
        self.checks: list[object] = list(checks or [True])
        self.holders: list[object] = list(holders or [ACTIVE])
        self.recorded: list[InstanceOwner] = []
        self.closed = False

    @staticmethod
    def _next(script: list[object]) -> object:
        return script.pop(0) if len(script) > 1 else script[0]

    async def acquire(self) -> LockState:
        answer = self._next(self.acquires)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, LockState)
        return answer

    async def holder(self) -> InstanceOwner | None:
        return self._next(self.holders)  # type: ignore[return-value]

    async def record(self, owner: InstanceOwner) -> None:
        self.recorded.append(owner)

    async def check(self, owner: InstanceOwner, now: datetime) -> bool:
        return bool(self._next(self.checks))

    async def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(module, "CHECK_SECONDS", 0.01)


def single(lock: ScriptedLock, stop: asyncio.Event | None = None) -> SingleInstance:
    patience = Patience(stop or asyncio.Event(), lambda: Backoff(base=0.01, cap=0.02))
    return SingleInstance(lock, ME, PARIS, patience, lambda: NOW)  # type: ignore[arg-type]


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == module.__name__]


# ---------------------------------------------------------------- the French lines
def test_the_owner_is_named_with_host_pid_start_and_last_sign_of_life() -> None:
    assert describe(ACTIVE, NOW, PARIS) == (
        "hôte « srv-1 », pid 4242, depuis le lundi 1er décembre 2025 à 9h00, "
        "dernier signe de vie il y a 3 s")
    assert describe(OTHER, NOW, PARIS) == (
        "hôte « srv-2 », pid 77, depuis le lundi 1er décembre 2025 à 9h02")
    assert describe(None, NOW, PARIS) == (
        "instance qui ne s’est pas encore inscrite dans la base")


# ---------------------------------------------------------------- run: refused
async def test_a_second_run_is_refused_naming_the_active_instance_and_what_to_do() -> None:
    lock = ScriptedLock([BUSY])
    with pytest.raises(AnotherInstance) as refused:
        await single(lock).claim(standby=False)
    assert str(refused.value) == (
        "une autre instance du bot tourne déjà sur cette base de données (hôte « srv-1 », "
        "pid 4242, depuis le lundi 1er décembre 2025 à 9h00, dernier signe de vie il y a "
        "3 s) : arrêtez-la d’abord, ou lancez celle-ci en relève avec "
        "« traam-bot run --standby »")
    assert lock.recorded == []


async def test_the_database_out_of_reach_at_start_is_waited_out_before_the_lock() -> None:
    lock = ScriptedLock([DOWN, DOWN, TAKEN])
    assert await single(lock).claim(standby=False)
    with pytest.raises(AnotherInstance):
        await single(ScriptedLock([DOWN, BUSY])).claim(standby=False)


async def test_a_free_lock_is_taken_silently(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert await single(ScriptedLock([TAKEN])).claim(standby=True)
    assert lines(caplog) == []


# ---------------------------------------------------------------- run --standby
async def test_a_standby_waits_says_for_whom_then_takes_over(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    lock = ScriptedLock([BUSY, BUSY, BUSY, DOWN, BUSY, TAKEN],
                        holders=[ACTIVE, ACTIVE, OTHER, OTHER])
    assert await single(lock).claim(standby=True)
    said = lines(caplog)
    waiting = [s for s in said if s.startswith("relève : une autre instance")]
    assert waiting == [  # once per instance waited for, not once per poll
        "relève : une autre instance tient la base de données (hôte « srv-1 », pid 4242, "
        "depuis le lundi 1er décembre 2025 à 9h00, dernier signe de vie il y a 3 s) ; "
        "celle-ci attend et prendra le relais dès qu’elle s’arrêtera",
        "relève : une autre instance tient la base de données (hôte « srv-2 », pid 77, "
        "depuis le lundi 1er décembre 2025 à 9h02) ; celle-ci attend et prendra le relais "
        "dès qu’elle s’arrêtera"]
    assert said[-1] == ("relève : l’instance active s’est arrêtée (hôte « srv-2 », pid 77, "
                        "depuis le lundi 1er décembre 2025 à 9h02) ; celle-ci prend le relais")


async def test_a_standby_stopped_while_waiting_returns_false() -> None:
    stop = asyncio.Event()
    claim = asyncio.ensure_future(single(ScriptedLock([BUSY]), stop).claim(standby=True))
    await asyncio.sleep(0.1)
    assert not claim.done()
    stop.set()
    assert await asyncio.wait_for(claim, 5) is False


# ---------------------------------------------------------------- while running
async def test_the_owner_is_recorded_with_the_lock_held() -> None:
    lock = ScriptedLock([TAKEN])
    instance = single(lock)
    assert await instance.record()
    assert lock.recorded == [ME] and instance.lost is None


async def test_a_lock_lost_before_the_record_and_taken_by_another_stops_the_start() -> None:
    instance = single(ScriptedLock([BUSY], holders=[OTHER]))
    assert not await instance.record()
    assert instance.lost is not None and "hôte « srv-2 », pid 77" in str(instance.lost)


async def watched(lock: ScriptedLock, limit: float = 0.5) -> tuple[SingleInstance, bool]:
    """Run the watch for up to `limit` s; the instance, and whether the watch set `stop`."""
    stop = asyncio.Event()
    instance = single(lock, stop)
    watch = asyncio.ensure_future(instance.watch(stop))
    await asyncio.wait({watch}, timeout=limit)
    stopped = stop.is_set()
    stop.set()
    await asyncio.wait_for(watch, 5)
    return instance, stopped


async def test_a_held_lock_is_checked_and_nothing_else_happens() -> None:
    lock = ScriptedLock([TAKEN], checks=[True])
    instance, stopped = await watched(lock, 0.2)
    assert not stopped and instance.lost is None and lock.recorded == []


async def test_a_lost_lock_is_taken_back_through_an_outage(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    lock = ScriptedLock([DOWN, DOWN, STALE, TAKEN], checks=[True, False, True])
    instance, stopped = await watched(lock, 0.5)
    assert not stopped and instance.lost is None
    assert lock.recorded == [ME]  # recorded again with the lock taken back
    said = lines(caplog)
    assert said.count("verrou d’instance perdu (connexion à la base de données coupée) : "
                      "reprise en cours") == 1
    assert said.count("verrou d’instance repris") == 1


async def test_a_lock_taken_by_another_meanwhile_stops_this_instance(
        caplog: pytest.LogCaptureFixture) -> None:
    lock = ScriptedLock([DOWN, BUSY], checks=[False], holders=[OTHER])
    instance, stopped = await watched(lock, 5)
    assert stopped
    assert str(instance.lost) == (
        "verrou d’instance perdu pendant une coupure de la base de données et repris par "
        "une autre instance (hôte « srv-2 », pid 77, depuis le lundi 1er décembre 2025 à "
        "9h02) : arrêt de celle-ci pour ne pas tourner à deux")
    assert lock.recorded == []
    assert str(instance.lost) in [r.getMessage() for r in caplog.records
                                  if r.levelno == logging.ERROR]
