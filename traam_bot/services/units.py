"""How services and the dispatcher receive units of work: a factory to open one with, and
the failure every caller must be ready for, the database being out of reach."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store builds units; services only name the type
    from traam_bot.store.unit_of_work import UnitOfWork

Units = Callable[[], AbstractAsyncContextManager["UnitOfWork"]]


class StoreUnavailable(Exception):
    """The database cannot be reached right now (server down, connection lost, SQLite file
    locked by another process beyond its busy timeout): nothing was committed, and the
    same work may succeed later. Raised by the store (which alone knows the drivers'
    errors), caught by whoever can wait and retry; never a reason to give up on an event.

    `reason` is short and French, for logs and the health page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
