"""ApsTimers: one in-memory APScheduler job per schedule row, stable ids, nothing pickled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from traam_bot.scheduling.timers import MISFIRE_GRACE_SECONDS, ApsTimers


async def test_armed_schedules_fire_once_and_disarmed_ones_never() -> None:
    fired: list[int] = []
    done = asyncio.Event()

    async def fire(schedule_id: int) -> None:
        fired.append(schedule_id)
        done.set()

    async def sweep() -> None:
        return None

    timers = ApsTimers(ZoneInfo("Europe/Paris"), fire, sweep)
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    timers.arm(1, soon)
    timers.arm(1, soon)  # re-arming replaces the job, it does not add a second one
    timers.arm(2, soon)
    timers.arm(2, None)  # disarmed
    timers.start()
    try:
        await asyncio.wait_for(done.wait(), 10)
        await asyncio.sleep(0.3)
        jobs = {job.id for job in timers.scheduler.get_jobs()}
    finally:
        timers.shutdown()
    assert fired == [1]
    assert jobs == {"sweep"}  # the fired one-shot job is gone, the sweep stays


def test_job_defaults_are_explicit() -> None:
    async def noop(*_args: object) -> None:
        return None

    timers = ApsTimers(ZoneInfo("Europe/Paris"), noop, noop)
    defaults = timers.scheduler._job_defaults
    assert defaults["coalesce"] is True
    assert defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] == MISFIRE_GRACE_SECONDS >= 60


async def test_a_daily_job_runs_at_its_local_time_and_survives_its_failures(
        caplog: object) -> None:
    async def noop(*_args: object) -> None:
        return None

    calls: list[str] = []

    async def purge() -> None:
        calls.append("purge")
        raise RuntimeError("boom")

    timers = ApsTimers(ZoneInfo("Europe/Paris"), noop, noop)
    timers.daily("retention", 3, 30, purge, "purge des données anciennes")
    timers.start()
    try:
        job = timers.scheduler.get_job("retention")
        after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the eve of the spring change
        first = job.trigger.get_next_fire_time(None, after)
        second = job.trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        await job.func()  # what the scheduler runs: the failure is logged, not raised
    finally:
        timers.shutdown()
    assert (first.isoformat(), second.isoformat()) == ("2026-03-29T03:30:00+02:00",
                                                       "2026-03-30T03:30:00+02:00")
    assert calls == ["purge"]
    assert "daily job retention failed" in caplog.text  # type: ignore[attr-defined]
