"""The unit of work: one session, one transaction, every repository over it; committed
once at the end, or rolled back as a whole. A database out of reach surfaces as
StoreUnavailable; other errors pass as they are."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from traam_bot.domain.failures import log_failure
from traam_bot.services.units import StoreUnavailable
from traam_bot.store.database import Database, upgrade
from traam_bot.store.directory_repo import DirectoryRepo
from traam_bot.store.errors import is_unavailable, unavailable
from traam_bot.store.outbox_repo import OutboxRepo
from traam_bot.store.privacy_repo import PrivacyRepo
from traam_bot.store.resources_repo import ResourcesRepo
from traam_bot.store.schedules_repo import SchedulesRepo
from traam_bot.store.state_repo import StateRepo
from traam_bot.store.updates_repo import UpdatesRepo

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.directory = DirectoryRepo(session)
        self.updates = UpdatesRepo(session)
        self.resources = ResourcesRepo(session)
        self.schedules = SchedulesRepo(session)
        self.state = StateRepo(session)
        self.outbox = OutboxRepo(session)
        self.privacy = PrivacyRepo(session)
        self._after_commit: list[Callable[[], None]] = []
        # sends started by this unit's commit, for a caller that waits for them to leave
        self.in_flight: list[asyncio.Future[None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction is committed (caches, timers, the sender's
        wake-up): never for work that was rolled back."""
        self._after_commit.append(action)

    def _committed(self) -> None:
        for action in self._after_commit:
            try:
                action()
            except Exception as exc:  # the message may quote stored text: DEBUG only
                log_failure(log, exc, "after-commit action failed")


class UnitsOfWork:
    """Hands out units of work over one database: `async with units() as uow: …`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        try:
            async with self.db.sessions() as session:
                async with session.begin():
                    uow = UnitOfWork(session)
                    yield uow
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            error = unavailable(exc)
            if error is exc:
                raise
            raise error from exc
        uow._committed()


@asynccontextmanager
async def one_unit(url: str) -> AsyncIterator[UnitOfWork]:
    """A command-line verb's single unit of work: the database migrated, opened for it,
    committed at the end, closed."""
    await upgrade(url)
    db = Database(url)
    try:
        async with UnitsOfWork(db)() as uow:
            yield uow
    finally:
        await db.close()


__all__ = ["StoreUnavailable", "UnitOfWork", "UnitsOfWork", "one_unit"]
