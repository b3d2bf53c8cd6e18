"""APScheduler 3 as a plain timer: one in-memory job per schedule row, plus a sweep.
A firing that meets the database out of reach waits it out (with backoff); a sweep that
does is simply the next sweep's to do."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from traam_bot.domain.backoff import Backoff
from traam_bot.domain.failures import log_failure
from traam_bot.domain.health import Health
from traam_bot.services.retry import DATABASE_CAP, Interrupted, Patience
from traam_bot.services.units import StoreUnavailable

log = logging.getLogger(__name__)

# A job a few minutes late (event-loop stall, suspend) still runs; the sweep covers the rest.
MISFIRE_GRACE_SECONDS = 15 * 60
SWEEP_SECONDS = 30


class ApsTimers:
    """The database is the source of truth; jobs here are rebuilt from it at every start.

    Nothing is pickled: the job store is in memory, ids are stable ("schedule-<id>") and
    re-arming replaces the job.
    """

    def __init__(self, tz: ZoneInfo, fire: Callable[[int], Awaitable[None]],
                 sweep: Callable[[], Awaitable[None]],
                 backoff: Callable[[], Backoff] = lambda: Backoff(cap=DATABASE_CAP),
                 health: Health | None = None) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=tz,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        self._fire = fire
        self._sweep = sweep
        self._stopping = asyncio.Event()
        self._patience = Patience(self._stopping, backoff, health)

    def start(self) -> None:
        self.scheduler.add_job(self._sweep_job, IntervalTrigger(seconds=SWEEP_SECONDS),
                               id="sweep", replace_existing=True)
        self.scheduler.start()

    async def _fire_job(self, schedule_id: int) -> None:
        try:
            await self._patience.run(partial(self._fire, schedule_id),
                                     f"occurrence de la programmation n° {schedule_id}")
        except Interrupted:
            pass  # stopping: the schedule is still due, the next start's catch-up fires it

    async def _sweep_job(self) -> None:
        try:
            await self._sweep()
        except StoreUnavailable as exc:  # the next sweep is the retry
            log.warning("échéances non vérifiées, base de données injoignable (%s) ; nouvel "
                        "essai dans %d s", exc.reason, SWEEP_SECONDS)

    def daily(self, job_id: str, hour: int, minute: int, job: Callable[[], Awaitable[None]],
              what: str) -> None:
        """Run `job` every day at hour:minute (local time), waiting out a database out of
        reach; a day missed while the bot was stopped is the next start's to catch up."""
        async def run() -> None:
            try:
                await self._patience.run(job, what)
            except Interrupted:
                pass
            except Exception as exc:  # the message may quote stored text: DEBUG only
                log_failure(log, exc, "daily job %s failed; tried again tomorrow", job_id)

        # the trigger's own zone: a CronTrigger without one takes the machine's, not the
        # scheduler's
        trigger = CronTrigger(hour=hour, minute=minute, timezone=self.scheduler.timezone)
        self.scheduler.add_job(run, trigger, id=job_id, replace_existing=True)

    def shutdown(self) -> None:
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def arm(self, schedule_id: int, at: datetime | None) -> None:
        job_id = f"schedule-{schedule_id}"
        if at is None:
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
            return
        run_at = max(at, datetime.now(UTC))
        self.scheduler.add_job(self._fire_job, DateTrigger(run_date=run_at), args=[schedule_id],
                               id=job_id, replace_existing=True)
