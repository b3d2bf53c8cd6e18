"""Repository calls for tests, each in a unit of work of its own (committed), as the bot
makes them: `await each(db, "schedules").claim(...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from traam_bot.store.database import Database
from traam_bot.store.unit_of_work import UnitsOfWork


class each:
    def __init__(self, db: Database, repo: str) -> None:
        self.units = UnitsOfWork(db)
        self.repo = repo

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self.units() as uow:
                return await getattr(getattr(uow, self.repo), method)(*args, **kwargs)
        return call
