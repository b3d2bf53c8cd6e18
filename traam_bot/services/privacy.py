"""Personal data use cases (RGPD): gather what is stored about a person, forget them after
their explicit confirmation (or an administrator's command), purge what is too old."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from traam_bot.domain.privacy import (
    CONFIRM_MINUTES,
    FORGET,
    Erasure,
    PersonalData,
    Purge,
    retention_cutoff,
    scrubber,
    searchable_names,
    technical_cutoff,
)
from traam_bot.domain.records import ACTIVE, Schedule

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# stops a schedule's timer once the unit of work commits (ScheduleService.cancel); the
# command line, which runs no timers, passes `no_timers`
Disarm = Callable[["UnitOfWork", Schedule], Awaitable[None]]


async def no_timers(uow: UnitOfWork, schedule: Schedule) -> None:
    """For a process that runs no timers (`traam-bot user forget`): a running bot finds the
    schedule gone when its timer fires, and does nothing."""


class PrivacyService:
    def __init__(self, retention_years: int, disarm: Disarm) -> None:
        self.retention_years = retention_years
        self.disarm = disarm

    async def collect(self, uow: UnitOfWork, user: str,
                      names: Iterable[str] = ()) -> PersonalData:
        """Everything stored about `user`; `names`: display names known besides the stored
        ones (the one they have now)."""
        repo = uow.privacy
        updates = await repo.updates_of(user)
        resources = await repo.resources_of(user)
        seen = [*names, *(u.author_name for u in updates), *(r.author_name for r in resources)]
        return PersonalData(
            user_id=user, names=searchable_names(seen, user), updates=tuple(updates),
            resources=tuple(resources), schedules=tuple(await repo.schedules_of(user)),
            links=tuple(await repo.links_by(user)),
            contacts=tuple(await repo.contacts_of(user)))

    async def ask_forget(self, uow: UnitOfWork, user: str, names: Iterable[str],
                         now: datetime) -> PersonalData:
        """`!oublier`: what would be erased; the confirmation now waits (15 minutes)."""
        await uow.privacy.ask(user, FORGET, now, now + timedelta(minutes=CONFIRM_MINUTES))
        return await self.collect(uow, user, names)

    async def confirm_forget(self, uow: UnitOfWork, user: str, names: Iterable[str],
                             now: datetime) -> Erasure | None:
        """`!oublier confirmer`: None unless `!oublier` was asked and has not expired (the
        confirmation cannot be skipped); otherwise the person is forgotten."""
        if not await uow.privacy.take(user, FORGET, now):
            return None
        return await self.forget(uow, user, names)

    async def forget(self, uow: UnitOfWork, user: str, names: Iterable[str]) -> Erasure:
        """Remove their schedules, anonymise what they wrote, and rub their id and display
        names out of every table."""
        data = await self.collect(uow, user, names)
        for schedule in data.schedules:
            if schedule.status == ACTIVE:
                await self.disarm(uow, schedule)
        needles = (user, *data.names)
        erasure = await uow.privacy.erase(user, needles, scrubber(user, data.names))
        log.info("personal data erased: %d updates and %d resources anonymised, "
                 "%d schedules deleted, %d messages and %d mentions rubbed out",
                 erasure.updates, erasure.resources,
                 erasure.reminders + erasure.prompts + erasure.digests, erasure.messages,
                 erasure.mentions)
        return erasure

    async def purge(self, uow: UnitOfWork, now: datetime) -> Purge:
        """The daily retention purge."""
        purge = await uow.privacy.purge(retention_cutoff(now, self.retention_years),
                                        technical_cutoff(now), now)
        if purge.total:
            log.info("retention purge: %d updates and %d resources older than %d years, "
                     "%d ledger entries, %d sent messages, %d expired confirmations deleted",
                     purge.updates, purge.resources, self.retention_years, purge.ledger,
                     purge.messages, purge.confirmations)
        return purge
