"""APScheduler 3 as a plain timer: one in-memory job per schedule row, plus a sweep."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

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
                 sweep: Callable[[], Awaitable[None]]) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=tz,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        self._fire = fire
        self._sweep = sweep

    def start(self) -> None:
        self.scheduler.add_job(self._sweep, IntervalTrigger(seconds=SWEEP_SECONDS),
                               id="sweep", replace_existing=True)
        self.scheduler.start()

    def shutdown(self) -> None:
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
        self.scheduler.add_job(self._fire, DateTrigger(run_date=run_at), args=[schedule_id],
                               id=job_id, replace_existing=True)
